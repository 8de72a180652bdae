"""The embedded engine through the commands: --local, --pull, a local profile, and the run that
picks the engine by itself when nothing else is configured."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from sixhats_ai.local import select
from sixhats_ai.local.cache import pull
from sixhats_ai.local.catalogue import load_catalogue, resolve
from sixhats_ai.resources import pip_install

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PROBLEM = "Should our team move to a four-day week?"
RUN = ("--program", "quick-feedback", "--max-tokens", "64", "--no-progress")


@pytest.fixture
def no_local_server(no_network):
    """The usual local servers (Ollama, LM Studio, llama.cpp's server) do not answer."""
    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=httpx.ConnectError("refused")
    )


def ends_as_a_run_should(result) -> None:
    """A report (exit 0), or one line naming why the random model's answer failed (exit 1):
    never a traceback."""
    assert "Traceback" not in result.err
    if result.code == 0:
        assert result.out.strip()
        return
    assert result.code == 1, result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: "), result.err


def stored_formats(data_dir: Path) -> set[str]:
    """The response_format types of the requests the store kept."""
    with sqlite3.connect(data_dir / "runs.sqlite3") as conn:
        rows = conn.execute("SELECT request FROM requests").fetchall()
    return {(json.loads(r[0]).get("response_format") or {}).get("type", "text") for r in rows}


def test_analyze_local_runs_the_tiny_model_through_the_real_engine(cli, tiny_model, tmp_path):
    pytest.importorskip("llama_cpp")
    result = cli("analyze", PROBLEM, "--local", "--model", str(tiny_model), *RUN)
    ends_as_a_run_should(result)
    assert "with tiny at the local engine (tiny.gguf)" in result.err
    if result.code == 0:
        assert "local engine: tiny.gguf loaded in" in result.err
    # llama.cpp takes json_schema as its grammar: the run never steps down the mode ladder.
    assert stored_formats(tmp_path / "data") <= {"json_schema"}


def test_a_session_on_the_engine_gives_its_figures_for_the_report(tiny_model):
    """What goes into a report's metadata.engine: the engine's own load time and counts."""
    pytest.importorskip("llama_cpp")
    from sixhats_ai.backends.llama import LlamaBackend, LocalModel
    from sixhats_ai.backends.provider import local_engine_provider
    from sixhats_ai.config import Config
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.session import new_session

    provider = local_engine_provider(LocalModel(tiny_model, n_ctx=2048))
    session = new_session(provider, RunOptions(), Config())
    engine = session.caller.backend  # built by backends/build.py, counting for the provider
    assert isinstance(engine, LlamaBackend) and engine.stats is provider.engine_stats
    engine.load()
    figures = session.engine_figures()
    assert figures is not None
    assert figures.model == "tiny.gguf" and figures.n_ctx == 2048
    assert figures.load_seconds == pytest.approx(engine.stats.load_seconds, abs=0.001)
    assert figures.load_seconds > 0
    assert session.provider.n_ctx == 2048


def test_concurrency_above_one_is_accepted_with_a_note(cli, tiny_model):
    pytest.importorskip("llama_cpp")
    result = cli(
        "analyze", PROBLEM, "--local", "--model", str(tiny_model), "--concurrency", "3", *RUN
    )
    ends_as_a_run_should(result)
    assert "--concurrency 3 queues the requests" in result.err


@pytest.mark.parametrize(
    "command",
    [
        ("analyze", PROBLEM, *RUN),  # --concurrency left at its default
        ("minutes", str(EXAMPLES / "helpdesk-notes.md"), "--max-tokens", "64"),  # none to give
    ],
)
def test_no_concurrency_note_unless_the_user_gave_one(cli, tiny_model, command):
    pytest.importorskip("llama_cpp")
    result = cli(*command, "--local", "--model", str(tiny_model))
    ends_as_a_run_should(result)
    assert "queues the requests" not in result.err


def test_max_cost_does_not_refuse_the_free_local_engine(cli, tiny_model):
    pytest.importorskip("llama_cpp")
    result = cli(
        "analyze", PROBLEM, "--local", "--model", str(tiny_model), "--max-cost", "0.01", *RUN
    )
    ends_as_a_run_should(result)
    assert "cannot bound" not in result.err


def test_a_profile_with_backend_local_selects_the_engine(cli, tiny_model, tmp_path):
    pytest.importorskip("llama_cpp")
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        f'[profiles.here]\nbackend = "local"\nmodel = "{tiny_model.as_posix()}"\n'
        "n_ctx = 4096\nn_threads = 1\nn_gpu_layers = 0\n"
    )
    result = cli("analyze", PROBLEM, "--profile", "here", *RUN)
    ends_as_a_run_should(result)
    assert "at the local engine (tiny.gguf)" in result.err


def test_without_the_extra_local_names_the_pip_command(cli, monkeypatch, tiny_model):
    monkeypatch.setattr(select, "engine_installed", lambda: False)
    result = cli("analyze", PROBLEM, "--local", "--model", str(tiny_model), *RUN)
    assert result.code == 2
    assert pip_install("local") in result.err
    assert "Traceback" not in result.err


def test_a_batch_whose_engine_cannot_load_leaves_no_out_folder(cli, tmp_path):
    """The folder is held before the engine loads (a second batch is refused before it loads
    anything): a load that fails left an empty `--out/.sixhats` behind."""
    pytest.importorskip("llama_cpp")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))  # a GGUF's magic, then nothing llama.cpp reads
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# A proposal\n\nMove support to a rota of five.\n")
    out = tmp_path / "out"
    result = cli("batch", str(tmp_path / "in"), "-o", str(out), "--local", "--model", str(broken))
    assert result.code != 0 and "llama.cpp could not load broken.gguf" in result.err
    assert not out.exists()


def test_with_no_model_pulled_local_names_the_pull_and_downloads_nothing(
    cli, monkeypatch, fake_hub
):
    monkeypatch.setattr(select, "engine_installed", lambda: True)
    default = load_catalogue().default_model()
    result = cli("analyze", PROBLEM, "--local", *RUN)
    assert result.code == 2
    assert f"sixhats local pull {default.name}" in result.err
    assert default.size_text in result.err
    assert fake_hub.calls == []


def test_pull_fetches_the_missing_model_before_the_run(cli, fake_hub):
    pytest.importorskip("llama_cpp")
    result = cli("analyze", PROBLEM, "--local", "--pull", *RUN)
    assert len(fake_hub.calls) == 1
    ends_as_a_run_should(result)


def test_pull_without_local_is_a_usage_error(cli):
    result = cli("analyze", PROBLEM, "--pull", *RUN)
    assert result.code == 2
    assert "--pull" in result.err and "--local" in result.err


def test_with_nothing_configured_a_pulled_model_is_used_and_said(cli, fake_hub, no_local_server):
    pytest.importorskip("llama_cpp")
    pull(resolve(None))
    result = cli("analyze", PROBLEM, *RUN)
    ends_as_a_run_should(result)
    default = load_catalogue().default_model()
    assert f"using the local engine with {default.name}" in result.err
    assert sum("using the local engine" in line for line in result.err.splitlines()) == 1


def test_with_nothing_configured_and_no_model_the_error_says_how_to_pull(
    cli, monkeypatch, no_local_server
):
    monkeypatch.setattr(select, "engine_installed", lambda: True)
    result = cli("analyze", PROBLEM, *RUN)
    assert result.code == 2
    default = load_catalogue().default_model()
    assert "no model server is configured" in result.err
    assert f"sixhats local pull   (downloads {default.name}, {default.size_text})" in result.err


def test_a_dry_run_with_local_names_the_model_and_its_context_and_loads_nothing(cli, tiny_model):
    result = cli("analyze", PROBLEM, "--local", "--model", str(tiny_model), "--dry-run", *RUN)
    assert result.code == 0, result.err
    assert "model tiny.gguf" in result.out
    assert "context 8192: the local engine's n_ctx" in result.out
    assert "estimated $0.0000" in result.out


def write_config(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text)


def local_profile(tmp_path: Path, model: Path) -> None:
    write_config(
        tmp_path,
        f'default_profile = "here"\n[profiles.here]\nbackend = "local"\n'
        f'model = "{model.as_posix()}"\nn_ctx = 4096\n',
    )


def test_config_shows_a_local_profile_and_the_engines_context(cli, tiny_model, tmp_path):
    pytest.importorskip("llama_cpp")
    local_profile(tmp_path, tiny_model)
    result = cli("config")
    assert result.code == 0, result.err
    assert "model:        tiny at the local engine (tiny.gguf) (profile here)" in result.out
    assert "4096 tokens for tiny at the local engine (tiny.gguf)" in result.out
    assert "from the local engine's n_ctx" in result.out
    assert "  here: the local engine, model " in result.out


def test_a_profile_with_an_unknown_backend_is_refused(cli, tmp_path):
    write_config(tmp_path, '[profiles.here]\nbackend = "cloud"\n')
    result = cli("analyze", PROBLEM, "--profile", "here", *RUN)
    assert result.code == 2
    assert "profiles.here.backend" in result.err


def test_config_says_analyze_would_stop_when_the_engine_is_not_installed(
    cli, tiny_model, tmp_path, monkeypatch
):
    monkeypatch.setattr(select, "engine_installed", lambda: False)
    local_profile(tmp_path, tiny_model)
    result = cli("config")
    assert result.code == 0, result.err
    assert (
        "model:        none: analyze would stop here: the local engine is not installed "
        f"({pip_install('local')}"
    ) in result.out
    assert "  here: the local engine, model " in result.out
