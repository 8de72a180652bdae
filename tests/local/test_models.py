"""The model catalogue and cache, through `sixhats local pull|list|rm`, against a fake hub."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import httpx
import pytest

from sixhats_ai.errors import UsageError
from sixhats_ai.local.catalogue import load_catalogue, resolve
from sixhats_ai.resources import pip_install

QWEN = "bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"


def test_the_catalogue_has_small_open_models_and_a_default_among_them():
    catalogue = load_catalogue()
    assert 3 <= len(catalogue.models) <= 4
    assert catalogue.default in catalogue.models
    for entry in catalogue.models.values():
        assert entry.licence in ("Apache-2.0", "MIT")
        assert entry.file.endswith(".gguf") and entry.repo.count("/") == 1
        assert 500 <= entry.size_mb <= 4000
        assert 0 < entry.n_ctx <= entry.context_length


def test_a_model_is_named_by_short_name_hub_file_or_nothing():
    catalogue = load_catalogue()
    assert resolve(None).entry == catalogue.default_model()
    assert resolve("qwen2.5-1.5b").file == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    by_hub = resolve(QWEN)
    assert by_hub.entry is not None and by_hub.name == "qwen2.5-1.5b"
    other = resolve("someone/some-repo/model-Q4.gguf")
    assert other.entry is None and other.name == "someone/some-repo/model-Q4.gguf"
    with pytest.raises(UsageError, match="unknown model 'qwen'"):
        resolve("qwen")


def test_pull_downloads_into_the_cache_and_prints_the_path(cli, fake_hub, models_cache):
    result = cli("local", "pull", "qwen2.5-1.5b")
    assert result.code == 0, result.err
    path = Path(result.out.strip())
    assert path == models_cache / QWEN
    assert path.read_bytes() == fake_hub.source.read_bytes()
    assert "pulling qwen2.5-1.5b (986 MB, Apache-2.0 licence)" in result.err
    assert [c["repo_id"] for c in fake_hub.calls] == ["bartowski/Qwen2.5-1.5B-Instruct-GGUF"]

    again = cli("local", "pull", "qwen2.5-1.5b")
    assert again.code == 0 and "already pulled" in again.err
    assert len(fake_hub.calls) == 1


def test_the_progress_bar_is_drawn_on_a_terminal_only(cli, fake_hub, monkeypatch):
    quiet = cli("local", "pull", "qwen2.5-1.5b")
    assert quiet.code == 0
    assert "%" not in quiet.err

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = cli("local", "pull", "smollm2-1.7b")
    assert shown.code == 0
    assert "100%" in shown.err


def test_pull_without_a_name_pulls_the_default(cli, fake_hub):
    default = load_catalogue().default_model()
    result = cli("local", "pull")
    assert result.code == 0, result.err
    assert result.out.strip().endswith(default.file)


def test_an_interrupted_pull_leaves_no_model_and_the_next_pull_completes(
    cli, fake_hub, models_cache
):
    fake_hub.fail = KeyboardInterrupt()
    interrupted = cli("local", "pull", "qwen2.5-1.5b")
    assert interrupted.code == 130
    assert cli("local", "list").out == ""

    fake_hub.fail = None
    assert cli("local", "pull", "qwen2.5-1.5b").code == 0
    assert "qwen2.5-1.5b" in cli("local", "list").out


def test_pull_with_no_network_fails_at_once_in_one_line_naming_the_alternatives(
    cli, fake_hub, no_network
):
    from huggingface_hub import constants

    no_network.head(constants.ENDPOINT).mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )
    result = cli("local", "pull", "qwen2.5-1.5b")
    assert result.code == 1 and fake_hub.calls == []  # no download tried, so no retries
    assert result.err.splitlines() == [
        f"error: cannot reach {constants.ENDPOINT} ([Errno -2] Name or service not known) "
        "(no network? use a model file you have: --local --model FILE.gguf; "
        "or a model server: --base-url URL --model NAME)"
    ]


def test_a_failed_download_is_one_line(cli, fake_hub):
    import httpx2
    from huggingface_hub.errors import RepositoryNotFoundError

    response = httpx2.Response(404, request=httpx2.Request("GET", "https://huggingface.co/x"))
    fake_hub.fail = RepositoryNotFoundError(
        "404 Client Error: Repository Not Found\nmore detail", response=response
    )
    result = cli("local", "pull", "nobody/nothing/none.gguf")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "pulling nobody/nothing/none.gguf (size unknown) from nobody/nothing",
        "error: cannot download none.gguf from nobody/nothing: 404 Client Error: Repository "
        "Not Found (check the name and your connection; run the pull again to resume)",
    ]


def test_pull_refuses_when_the_disk_is_too_small(cli, fake_hub, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 5 * 10**8))
    result = cli("local", "pull", "phi-4-mini")
    assert result.code == 1
    assert "not enough disk space for phi-4-mini: it needs 2.49 GB, 500 MB free" in result.err
    assert fake_hub.calls == []


def test_list_marks_the_default_and_shows_sizes(cli, fake_hub, tiny_model):
    assert "no model pulled yet" in cli("local", "list").err
    cli("local", "pull")
    cli("local", "pull", "qwen2.5-1.5b")
    lines = cli("local", "list").out.splitlines()
    size = f"{tiny_model.stat().st_size / 1_000_000:.0f} MB"
    default = load_catalogue().default
    assert len(lines) == 2
    marked = [line for line in lines if line.startswith("*")]
    assert len(marked) == 1 and default in marked[0] and size in marked[0]


def test_list_catalogue_shows_what_can_be_pulled(cli, fake_hub):
    cli("local", "pull", "qwen2.5-1.5b")
    lines = cli("local", "list", "--catalogue").out.splitlines()
    assert len(lines) == len(load_catalogue().models)
    qwen = next(line for line in lines if "qwen2.5-1.5b" in line)
    assert "986 MB" in qwen and "Apache-2.0" in qwen and qwen.endswith("pulled")


def test_rm_removes_one_model_and_its_folders(cli, fake_hub, models_cache):
    cli("local", "pull", "qwen2.5-1.5b")
    cli("local", "pull", "smollm2-1.7b")
    removed = cli("local", "rm", "qwen2.5-1.5b")
    assert removed.code == 0 and "removed qwen2.5-1.5b" in removed.err
    assert not (models_cache / "bartowski" / "Qwen2.5-1.5B-Instruct-GGUF").exists()
    assert [line.split()[0] for line in cli("local", "list").out.splitlines()] == ["smollm2-1.7b"]


def test_rm_of_a_model_not_pulled_is_a_usage_error(cli, fake_hub):
    cli("local", "pull", "qwen2.5-1.5b")
    result = cli("local", "rm", "phi-4-mini")
    assert result.code == 2
    assert "no pulled model named 'phi-4-mini' (pulled: qwen2.5-1.5b)" in result.err


def test_the_local_commands_import_neither_the_engine_nor_the_hub_client(tmp_path):
    """`sixhats local list` must stay as quick as the other light commands."""
    code = (
        "import sys; from sixhats_ai.cli import main\n"
        "try:\n    main(['local', 'list', '--catalogue'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('llama_cpp', 'huggingface_hub') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SIXHATS_CACHE_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_pull_without_the_hub_client_names_the_pip_command(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # as if not installed
    result = cli("local", "pull", "qwen2.5-1.5b")
    assert result.code == 2
    assert pip_install("local") in result.err


def test_the_library_pulls_lists_and_removes_as_the_commands_do(fake_hub, models_cache):
    from sixhats_ai import LocalModels

    local, heard = LocalModels(), []
    assert local.pulled() == [] and not any(entry.pulled for entry in local.catalogue())
    path = local.pull("qwen2.5-1.5b", announce=heard.append)
    assert path == models_cache / QWEN and path.read_bytes() == fake_hub.source.read_bytes()
    assert local.pull("qwen2.5-1.5b", announce=heard.append) == path
    assert heard == [
        "pulling qwen2.5-1.5b (986 MB, Apache-2.0 licence) from "
        "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
        "qwen2.5-1.5b is already pulled",
    ]
    assert [m.name for m in local.pulled()] == ["qwen2.5-1.5b"]
    pulled = {entry.model.name for entry in local.catalogue() if entry.pulled}
    default = [entry.model for entry in local.catalogue() if entry.default]
    assert pulled == {"qwen2.5-1.5b"} and default == [local.default()]
    assert local.remove("qwen2.5-1.5b").path == path and local.pulled() == []
    assert len(fake_hub.calls) == 1


def test_with_no_network_a_pull_names_the_options_a_program_sets(fake_hub, no_network):
    from huggingface_hub import constants

    from sixhats_ai import LocalModels
    from sixhats_ai.errors import ModelError

    no_network.head(constants.ENDPOINT).mock(side_effect=httpx.ConnectError("offline"))
    with pytest.raises(ModelError) as raised:
        LocalModels().pull("qwen2.5-1.5b")
    assert "use a model file you have: local model FILE.gguf" in raised.value.one_line()
    assert "base_url URL model NAME" in raised.value.one_line()
