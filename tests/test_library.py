"""The library is the product: `from sixhats_ai import analyze, batch, Store` does what the
commands do, and keeps its runs where `sixhats history` finds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sixhats_ai
from sixhats_ai.backends.provider import Provider
from tests.fakes import API_KEY, BASE_URL


def _provider() -> Provider:
    return Provider(base_url=BASE_URL, api_key=API_KEY, model="fake-model")


def _history(cli) -> list[dict]:
    result = cli("history", "--json", "--limit", "0")
    assert result.code == 0, result.err
    return json.loads(result.out or "[]")


def test_the_public_names_are_exported_and_each_resolves():
    from sixhats_ai import analyze, batch  # noqa: F401 - the import is the test

    for name in sixhats_ai.__all__:
        assert getattr(sixhats_ai, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        sixhats_ai.nothing_here  # noqa: B018


def test_a_run_made_through_the_library_is_in_sixhats_history(cli, fake_llm):
    from sixhats_ai import Store, analyze

    report = analyze("Hire two people?", program="quick-feedback", provider=_provider())
    runs = _history(cli)
    assert [(r["problem"], r["program"]) for r in runs] == [("Hire two people?", "quick-feedback")]
    kept = Store().show(runs[0]["id"])
    assert kept.report is not None
    assert kept.report.synthesis == report.synthesis
    assert [r.id for r in Store().history("two people")] == [runs[0]["id"]]
    assert cli("show", runs[0]["id"], "--format", "json").code == 0


def test_keep_false_keeps_nothing_and_the_store_then_answers_nothing(cli, fake_llm):
    from sixhats_ai import Store, analyze

    analyze("Hire two people?", program="quick-feedback", provider=_provider(), keep=False)
    assert Store().history() == []
    assert "no runs stored yet" in cli("history").err
    asked = len(fake_llm.requests)
    analyze("Hire two people?", program="quick-feedback", provider=_provider())
    assert len(fake_llm.requests) == 2 * asked  # nothing was kept to answer from
    analyze("Hire two people?", program="quick-feedback", provider=_provider())
    assert len(fake_llm.requests) == 2 * asked  # the kept run's answers, from the store
    assert len(_history(cli)) == 2


def test_a_batch_through_the_library_writes_its_reports_and_keeps_each_run(
    cli, fake_llm, tmp_path: Path
):
    from sixhats_ai import batch

    src = tmp_path / "proposals"
    src.mkdir()
    for name in ("a.md", "b.md"):
        (src / name).write_text(f"# Proposal {name}\n\nWe should do {name}.\n")
    out = tmp_path / "reports"
    lines: list[str] = []
    index = batch([src], out, program="quick-feedback", provider=_provider(), echo=lines.append)
    assert sorted(row.status for row in index.rows) == ["ok", "ok"]
    assert (out / "index.md").is_file() and (out / "a.json").is_file()
    assert {r["title"] for r in _history(cli)} == {"a.md", "b.md"}
    assert "kept 2 runs in the store (see `sixhats history`)" in lines  # told, as `echo` asked


def test_a_caller_holding_the_folder_runs_its_batch_in_it_and_refuses_another(
    fake_llm, tmp_path: Path
):
    """`CheckedBatch.held`: what `sixhats batch` takes before it prints its header."""
    import contextvars

    from sixhats_ai import SixhatsError, batch
    from sixhats_ai.batches.api import check_batch

    src, out = tmp_path / "proposals", tmp_path / "reports"
    src.mkdir()
    (src / "a.md").write_text("# Proposal a\n\nWe should do a.\n")
    checked = check_batch([src], out, program="quick-feedback", provider=_provider())
    assert not out.exists()  # checking holds nothing

    def hold_it() -> None:
        with checked.held():
            pass

    with checked.held():
        with pytest.raises(SixhatsError, match="another sixhats batch is writing to"):
            contextvars.Context().run(hold_it)  # as another batch would, holding nothing
        index = batch([src], out, program="quick-feedback", provider=_provider())
    assert [row.status for row in index.rows] == ["ok"]
    contextvars.Context().run(hold_it)  # let go when the holder is done


def test_a_backend_of_the_caller_answers_a_library_run(cli):
    """What the MCP server does: its host's model answers, through the same pipeline."""
    from sixhats_ai import analyze
    from tests.fakes import FakeBackend

    backend = FakeBackend(identity="host:sampling")
    provider = Provider(base_url=None, api_key="", model="host-model")
    report = analyze(
        "Hire two people?", program="quick-feedback", provider=provider, backend=backend
    )
    assert len(backend.requests) == 4 and {r.model for r in backend.requests} == {"host-model"}
    assert report.metadata.base_url == "host:sampling"
    assert [r["problem"] for r in _history(cli)] == ["Hire two people?"]
