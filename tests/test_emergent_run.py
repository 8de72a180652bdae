"""Emergent programs end to end: blue chooses each next hat, within bounds, and the report
keeps every choice (the process log)."""

from __future__ import annotations

import itertools
import json
import sqlite3

import httpx
import pytest

from sixhats_ai.run.report import Report
from sixhats_ai.store.database import RunStore
from tests.fakes import completion, requested_schema, schema_name

PROBLEM = "Should we move to a four-day week?"


def _answering(pick):
    """A stand-in blue that answers the process request with `pick(allowed)`."""

    def responder(body):
        if schema_name(body) != "ProcessChoice":
            return None
        allowed = requested_schema(body)["properties"]["next"]["enum"]
        answer = {"next": pick(allowed), "focus": "Friday cover", "why": "the board says so"}
        return httpx.Response(200, json=completion(json.dumps(answer)))

    return responder


def _run(cli, *flags: str) -> Report:
    result = cli("analyze", PROBLEM, "--program", "emergent", "--format", "json", *flags)
    assert result.code == 0, result.err
    return Report.model_validate_json(result.out)


def test_blue_chooses_each_hat_until_it_closes_and_the_log_says_why(cli, fake_llm):
    report = _run(cli)  # the stand-in closes once three hats have been worn
    hats = [s.id for s in report.steps]
    assert hats == ["1-blue", "2-white", "3-green", "4-white", "5-blue"]
    log = report.process_log
    assert [d.next for d in log] == ["white", "green", "white", "close"]
    assert [d.after for d in log] == ["1-blue", "2-white", "3-green", "4-white"]
    assert all(d.why == "the board lacks it" and d.corrected is None for d in log)
    names = [schema_name(b) for b in fake_llm.requests]
    assert names.count("ProcessChoice") == 4  # one choice after each step, the close too
    assert report.metadata.usage.requests == len(fake_llm.requests)
    assert report.steps[1].focus == "the coverage question"  # blue's focus steers the hat


def test_the_bounds_hold_when_the_server_keeps_answering_the_same_hat(cli, fake_llm):
    fake_llm.fail_when(_answering(lambda allowed: "red"))  # ignores the schema sent
    report = _run(cli, "--max-steps", "6")
    hats = [s.hat for s in report.steps[1:-1]]
    assert len(hats) == 6  # --max-steps, then the meeting closes
    assert hats[0] == "white"  # the framing lists gaps: white first
    assert hats.count("red") <= 2
    assert all(a != b for a, b in itertools.pairwise(hats))
    corrected = [d.corrected for d in report.process_log if d.corrected]
    assert "the framing lists information gaps: white first" in corrected
    assert any("twice in a row" in c for c in corrected)
    assert any("red has run 2 times" in c for c in corrected)
    assert report.process_log[-1].next == "close"
    assert "--max-steps 6 reached" in (report.process_log[-1].corrected or "")
    sent = [requested_schema(b) for b in fake_llm.requests if schema_name(b) == "ProcessChoice"]
    assert len(sent) == 6  # no request once only close is left
    assert "red" not in sent[-1]["properties"]["next"]["enum"]  # red twice: no longer offered


def test_an_emergent_run_stops_at_close(cli, fake_llm):
    fake_llm.fail_when(_answering(lambda allowed: "close" if "close" in allowed else "white"))
    report = _run(cli)
    assert [s.id for s in report.steps] == ["1-blue", "2-white", "3-blue"]
    assert [d.next for d in report.process_log] == ["white", "close"]


def test_the_process_log_shows_in_markdown_and_html(cli, fake_llm):
    md = cli("analyze", PROBLEM, "--program", "emergent", "--format", "md").out
    assert "## How blue steered the meeting" in md
    assert "1. after 1-blue: **white** (the coverage question): the board lacks it" in md
    html = cli("analyze", PROBLEM, "--program", "emergent", "--format", "html").out
    assert 'id="process"' in html and "<strong>close</strong>" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", PROBLEM, "--flow", "parallel"], "--flow parallel cannot run an emergent"),
        (["brief", PROBLEM], "brief cannot take the emergent program"),
        (["analyze", PROBLEM, "--max-steps", "0"], "--max-steps must be from 1 to 30"),
    ],
)
def test_what_an_emergent_program_cannot_do_is_a_usage_error(cli, fake_llm, args, message):
    result = cli(*args, "--program", "emergent")
    assert result.code == 2 and message in result.err
    assert "Traceback" not in result.err and not fake_llm.requests


def test_dry_run_shows_the_opening_and_the_process_prompt_bounded_by_max_steps(cli, fake_llm):
    result = cli("analyze", PROBLEM, "--program", "emergent", "--dry-run", "--max-steps", "3")
    assert result.code == 0, result.err
    assert "===== step 1-blue: Blue [framing]" in result.out
    assert "===== step 2-process: Blue (choose the next hat)" in result.out
    assert "schema ProcessChoice" in result.out
    # the opening, 3 process requests, 3 hats, the closing: the most it may send
    assert "dry run: 8 requests" in result.out and not fake_llm.requests


def test_rerun_step_lets_blue_choose_again_from_that_step(cli, fake_llm):
    first = cli("analyze", PROBLEM, "--program", "emergent", "--format", "json")
    assert first.code == 0, first.err
    run_id = first.err.split("saved run ")[1].split()[0]
    fake_llm.requests.clear()
    fake_llm.fail_when(_answering(lambda allowed: "close" if "close" in allowed else "white"))
    again = cli("rerun", run_id, "--step", "3-green", "--format", "json")
    assert again.code == 0, again.err
    report = Report.model_validate_json(again.out)
    assert [s.id for s in report.steps] == ["1-blue", "2-white", "3-blue"]
    assert [d.next for d in report.process_log] == ["white", "close"]
    asked = [schema_name(b) for b in fake_llm.requests]
    assert asked == ["ProcessChoice", "Synthesis"]  # 1-blue, 2-white and their choice kept


def test_a_failed_process_request_closes_the_meeting_and_says_why(cli, fake_llm):
    def refuse_later_choices(body):
        if (
            schema_name(body) == "ProcessChoice"
            and "Hats worn so far: white." in body["messages"][1]["content"]
        ):
            return httpx.Response(400, json={"error": {"message": "bad request"}})
        return None

    fake_llm.fail_when(refuse_later_choices)
    report = _run(cli)
    assert [s.id for s in report.steps] == ["1-blue", "2-white", "3-blue"]
    last = report.process_log[-1]
    assert last.next == "close" and "the process request failed" in (last.corrected or "")


def test_a_rerun_keeps_the_runs_max_steps_and_an_older_run_gets_the_default(cli, fake_llm):
    fake_llm.fail_when(_answering(lambda allowed: next(h for h in allowed if h != "close")))
    first = cli("analyze", PROBLEM, "--program", "emergent", "--max-steps", "6")
    assert first.code == 0, first.err
    run_id = first.err.split("saved run ")[1].split()[0]

    def hats_on_rerun() -> int:
        again = cli("rerun", run_id, "--step", "4-white", "--format", "json")
        assert again.code == 0, again.err
        return len(Report.model_validate_json(again.out).steps[1:-1])

    assert hats_on_rerun() == 6  # the run's --max-steps, not the default 8
    with RunStore() as store:
        path = store.path
    with sqlite3.connect(path) as conn:  # as a run kept before the bound was
        conn.execute("UPDATE runs SET inputs = json_remove(inputs, '$.max_steps')")
    assert hats_on_rerun() == 8
