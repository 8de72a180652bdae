"""What a run is given, read and checked by the library as the command line reads it: the
problem, context documents, the program, an ICS brief's date. The commands only call these."""

from __future__ import annotations

import io
import sys

import pytest

from sixhats_ai import (
    RunOptions,
    Store,
    analyze,
    batch,
    brief,
    minutes,
    read_documents,
    read_problem,
)
from sixhats_ai.api import program_for
from sixhats_ai.backends.provider import Provider
from sixhats_ai.config import user_programs_dir
from sixhats_ai.errors import UsageError
from sixhats_ai.store.database import default_store_path
from tests.fakes import API_KEY, BASE_URL

MINE = (
    'format = 1\nslug = "mine"\nname = "My Review"\n'
    '[[steps]]\nhat = "blue"\n[[steps]]\nhat = "red"\n[[steps]]\nhat = "blue"\n'
)


def _provider() -> Provider:
    return Provider(base_url=BASE_URL, api_key=API_KEY, model="fake-model")


def test_the_problem_is_text_a_file_or_stdin(tmp_path, monkeypatch):
    proposal = tmp_path / "proposal.md"
    proposal.write_text("Adopt a four-day week.\u200b\n")
    assert read_problem("  Hire two people?\x07 ") == "Hire two people?"
    assert read_problem(None, proposal) == "Adopt a four-day week."
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"From stdin.\n")))
    assert read_problem("-") == "From stdin."
    with pytest.raises(UsageError, match="the problem is empty"):
        read_problem(" \u200b ")


def test_text_and_a_file_at_once_name_the_option_or_the_flag(cli, tmp_path):
    proposal = tmp_path / "proposal.md"
    proposal.write_text("Adopt a four-day week.")
    with pytest.raises(UsageError) as raised:
        read_problem("Hire?", proposal)
    assert raised.value.one_line() == "give the problem either as text or with file, not both"
    result = cli("analyze", "Hire?", "--file", str(proposal), "--dry-run")
    assert result.code == 2 and "either as text or with --file, not both" in result.err


def test_documents_are_named_by_their_files_and_empty_ones_left_out(tmp_path):
    notes, empty = tmp_path / "notes.txt", tmp_path / "empty.md"
    notes.write_text("Tickets peak on Mondays.\x07")
    empty.write_text(" \n")
    documents = read_documents([notes, empty])
    assert [(d.name, d.text) for d in documents] == [("notes.txt", "Tickets peak on Mondays.")]
    with pytest.raises(UsageError, match=r"context file .*missing\.md does not exist"):
        read_documents([tmp_path / "missing.md"])


def test_a_program_is_found_in_the_user_s_folder_and_checked_against_the_flow(cli, fake_llm):
    user_programs_dir().mkdir(parents=True)
    (user_programs_dir() / "mine.toml").write_text(MINE)
    assert program_for("mine").sequence == "Blue, Red, Blue"
    with pytest.raises(UsageError) as raised:
        program_for("emergent", RunOptions(flow="parallel"))
    assert raised.value.one_line().startswith("flow parallel cannot run an emergent program")
    result = cli("analyze", "Hire?", "--program", "emergent", "--flow", "parallel", "--dry-run")
    assert result.code == 2 and "error: --flow parallel cannot run" in result.err
    report = analyze("Hire two people?", program="mine", provider=_provider(), keep=False)
    assert report.program.slug == "mine"  # as `sixhats analyze --program mine` finds it


def test_an_ics_brief_without_a_date_is_refused_before_any_request(fake_llm):
    with pytest.raises(UsageError) as raised:
        brief("Replace the rota?", start="14:00", calendar=True, provider=_provider())
    assert "an ICS brief (a calendar event) needs the meeting's date" in raised.value.one_line()
    assert "pass start with a date, e.g. start 2026-12-01T14:00" in raised.value.one_line()
    assert fake_llm.requests == []
    dated = brief("Replace the rota?", start="2026-12-01T14:00", calendar=True, offline=True)
    assert dated.start is not None and dated.start.day == 1


def test_a_batch_is_checked_counted_and_priced_before_any_server_is_asked(cli, tmp_path):
    from sixhats_ai.batches.api import check_batch

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"p{n}.md").write_text(f"# Proposal {n}\n\nDo thing {n}.\n")
    checked = check_batch([folder], tmp_path / "out", via="batch-api", program="quick-feedback")
    assert checked.count_inputs() == 3 and checked.options.flow == "sequential"
    assert checked.rounds_note is not None and checked.rounds_note.startswith("via batch-api")
    cost = checked.estimate()
    assert (cost.estimate.inputs, cost.estimate.unusable) == (3, []) and cost.completion_tokens
    assert cost.estimate.totals.requests == 3 * len(checked.settings.program.plan())
    assert not (tmp_path / "out").exists()  # nothing written
    with pytest.raises(UsageError, match=r"^problem is empty"):
        check_batch([folder], tmp_path / "out", problem=" \u200b ")
    result = cli("batch", str(folder), "--out", str(tmp_path / "out"), "--problem", " ")
    assert result.code == 2 and "error: --problem is empty" in result.err


def test_the_rounds_of_a_batch_need_a_store_and_the_way_they_went(cli, tmp_path):
    import asyncio

    from sixhats_ai.batches.api import batch_rounds

    with pytest.raises(UsageError) as raised:
        asyncio.run(batch_rounds(tmp_path / "out", via="batch-api"))
    hint = "run a batch with via batch-api or jsonl first"
    assert raised.value.one_line() == f"no run store yet, so no rounds ({hint})"
    result = cli("batch", "--status", str(tmp_path / "out"))
    assert result.code == 2 and "(run a batch with --via batch-api or jsonl first)" in result.err


def test_the_library_brief_takes_use_cache_and_keep_as_analyze_does(fake_llm):
    """A tailored brief's one request: answered from the store the second time, asked again
    with use_cache=False, and with keep=False not kept for the next call to find."""
    topic = "Should support move to a rota of five?"
    brief(topic, minutes=45, participants=6)
    asked = len(fake_llm.requests)
    assert asked >= 1
    brief(topic, minutes=45, participants=6)
    assert len(fake_llm.requests) == asked  # the store's cache answered
    brief(topic, minutes=45, participants=6, use_cache=False)
    assert len(fake_llm.requests) == 2 * asked
    other = "Should support move to a rota of six?"
    brief(other, minutes=45, participants=6, keep=False)
    brief(other, minutes=45, participants=6)
    assert len(fake_llm.requests) == 4 * asked  # nothing was kept the first time


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: analyze("Hire?", flow="parallel"), "analyze() takes no argument 'flow'"),
        (lambda: brief("Hire?", offline=True, minute=30), "brief() takes no argument 'minute'"),
        (lambda: minutes("# Notes", offline=True, votes_file="v.csv"),
         "minutes() takes no argument 'votes_file'"),
        (lambda: batch(["in"], "out", concurrency=2), "batch() takes no argument 'concurrency'"),
        (lambda: analyze(None), "the problem must be text, not NoneType"),
        (lambda: analyze(42), "the problem must be text, not int"),
        (lambda: analyze("Hire?", program=5), "program takes a slug, a name, a file or a Program"),
        (lambda: analyze("Hire?", documents="notes.md"), "documents takes Document objects"),
        (lambda: analyze("Hire?", documents=["notes.md"]), "documents takes Document objects"),
        (lambda: minutes(None, offline=True), "the notes must be text or a Path, not NoneType"),
    ],
)  # fmt: skip
def test_an_argument_the_call_does_not_take_is_refused_by_name(fake_llm, call, message):
    """Keyword arguments are typed, not checked at run time: `analyze(problem, flow=...)` ran
    in the sequential flow without a word, and a wrong type stopped deep inside."""
    with pytest.raises(UsageError) as raised:
        call()
    assert raised.value.message.startswith(message), raised.value.one_line()
    assert fake_llm.requests == []


def test_paths_are_taken_as_text_too(fake_llm, tmp_path, monkeypatch):
    """A folder and the reports' folder as strings, a store's path as a string."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# A\n\nAdopt plan A.\n")
    monkeypatch.chdir(tmp_path)
    index = batch("in", "out", program="quick-feedback", provider=_provider())
    assert [(row.input, row.status) for row in index.rows] == [("in/a.md", "ok")]
    assert (tmp_path / "out" / "a.json").exists()
    assert len(Store(str(default_store_path())).history()) == 1
