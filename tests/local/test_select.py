"""Which engine a run gets: --local, a profile, or nothing configured; and the errors that say
what to install or pull."""

from __future__ import annotations

from pathlib import Path

import pytest

from sixhats_ai.backends.llama import LlamaBackend
from sixhats_ai.cli.options import flag_of
from sixhats_ai.errors import ConfigError, UsageError, option_names
from sixhats_ai.local import select
from sixhats_ai.local.catalogue import load_catalogue
from sixhats_ai.local.select import (
    LocalSettings,
    auto_local_model,
    concurrency_note,
    local_model,
    nothing_configured_hint,
    wants_local,
)
from sixhats_ai.resources import pip_install


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the `local` extra were installed (the selection never imports it)."""
    monkeypatch.setattr(select, "engine_installed", lambda: True)


@pytest.fixture
def not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "engine_installed", lambda: False)


def test_without_the_extra_the_error_names_the_pip_command(not_installed, tiny_model):
    with pytest.raises(ConfigError) as caught:
        local_model(LocalSettings(model=str(tiny_model)))
    assert caught.value.exit_code == 2
    assert pip_install("local") in caught.value.one_line()
    assert pip_install("local") in nothing_configured_hint()


def test_with_the_extra_but_no_model_the_error_names_the_pull_and_its_size(installed):
    with pytest.raises(ConfigError) as caught:
        local_model(LocalSettings())
    default = load_catalogue().default_model()
    message = caught.value.one_line()
    assert f"sixhats local pull {default.name}" in message
    assert default.size_text in message
    assert f"sixhats local pull   (downloads {default.name}, {default.size_text})" in (
        nothing_configured_hint()
    )


def test_a_named_model_not_pulled_names_its_own_pull(installed):
    with pytest.raises(ConfigError, match=r"sixhats local pull qwen2\.5-1\.5b .*986 MB"):
        local_model(LocalSettings(model="qwen2.5-1.5b"))


def test_nothing_is_downloaded_without_pull(installed, fake_hub):
    with pytest.raises(ConfigError):
        local_model(LocalSettings(model="qwen2.5-1.5b"))
    assert fake_hub.calls == []
    model = local_model(LocalSettings(model="qwen2.5-1.5b"), pull_missing=True)
    assert len(fake_hub.calls) == 1
    assert model.path.name == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    assert model.n_ctx == load_catalogue().models["qwen2.5-1.5b"].n_ctx


def test_any_gguf_path_is_a_model(installed, tiny_model):
    model = local_model(LocalSettings(model=str(tiny_model)))
    assert model.path == tiny_model
    backend = LlamaBackend.serving(model)  # what a run on it asks (backends/build.py)
    assert backend.identity == f"local:tiny.gguf:{tiny_model.stat().st_size}"
    assert backend.is_local


def test_a_missing_or_foreign_file_is_a_usage_error(installed, tmp_path):
    with pytest.raises(UsageError, match=r"model file .*absent\.gguf not found"):
        local_model(LocalSettings(model=str(tmp_path / "absent.gguf")))
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(UsageError, match="is not a GGUF model file"):
        local_model(LocalSettings(model=str(text)))


def test_a_profile_sets_the_model_and_the_engine(installed, tiny_model):
    profile = {
        "backend": "local",
        "model": str(tiny_model),
        "n_ctx": 2048,
        "n_threads": 1,
        "n_gpu_layers": 0,
    }
    assert wants_local(False, profile)
    assert not wants_local(False, {"model": "gpt-4o-mini"})
    assert wants_local(True, None)
    model = local_model(LocalSettings.from_profile(profile))
    assert (model.path, model.n_ctx, model.n_threads) == (tiny_model, 2048, 1)
    flagged = LocalSettings.from_profile(profile, model="qwen2.5-1.5b")
    assert flagged.model == "qwen2.5-1.5b"


def test_with_nothing_configured_a_pulled_model_is_used_and_said(installed, fake_hub, cli):
    assert auto_local_model() is None
    cli("local", "pull", "qwen2.5-1.5b")
    found = auto_local_model()
    assert found is not None
    model, note = found
    assert model.path.name == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    assert "using the local engine with qwen2.5-1.5b" in note and "\n" not in note


def test_with_nothing_configured_the_default_is_preferred(installed, fake_hub, cli):
    cli("local", "pull", "qwen2.5-1.5b")
    cli("local", "pull")
    found = auto_local_model()
    assert found is not None
    assert found[0].path.name == load_catalogue().default_model().file


def test_with_nothing_configured_and_no_extra_the_engine_is_not_used(not_installed, fake_hub, cli):
    cli("local", "pull", "qwen2.5-1.5b")
    assert auto_local_model() is None


def test_concurrency_above_one_gets_a_note():
    assert concurrency_note(1) is None
    note = concurrency_note(8)
    assert note is not None and "concurrency 8" in note and "one request at a time" in note
    assert "--concurrency" not in note  # the library's option; the command line names its flag
    with option_names(flag_of):
        assert "--concurrency 8 queues" in (concurrency_note(8) or "")


def test_a_model_path_and_a_hub_name_are_told_apart(installed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="not found"):
        local_model(LocalSettings(model="./models/sub/absent.gguf"))
    with pytest.raises(ConfigError, match=r"someone/repo/file\.gguf is not pulled"):
        local_model(LocalSettings(model="someone/repo/file.gguf"))
    local = Path("someone/repo/file.gguf")
    local.parent.mkdir(parents=True)
    local.write_bytes(b"GGUF")
    assert local_model(LocalSettings(model="someone/repo/file.gguf")).path == local
