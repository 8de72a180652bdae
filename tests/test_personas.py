"""Participants (`--personas`) end to end: every participant wears every hat, the red hat's
dot vote is everyone's dots, and reports say who said what."""

from __future__ import annotations

import collections
import json

import httpx
import pytest

from sixhats_ai.method.programs import find_program
from sixhats_ai.run.report import RedOutput, Report
from tests.fakes import requested_schema, schema_name

PROBLEM = "Should we move to a four-day week?"
ROSTER = ["finance lead", "support lead", "customer"]
HATS = ["2-white", "3-green", "4-yellow", "5-black", "6-red"]  # choose's hats


def _run(cli, *flags: str) -> Report:
    result = cli("analyze", PROBLEM, "--format", "json", *flags)
    assert result.code == 0, result.err
    return Report.model_validate_json(result.out)


def _hat_steps(report: Report):
    return [s for s in report.steps if s.role == "hat"]


def _tally_is_the_sum_of_everyones_dots(report: Report) -> None:
    red = next(s for s in report.steps if s.hat == "red")
    everyone: collections.Counter[str] = collections.Counter()
    for contribution in red.contributions:
        assert isinstance(contribution.output, RedOutput) and contribution.output.dots
        everyone.update(contribution.output.dots)
    assert isinstance(red.output, RedOutput)
    assert red.output.dot_counts() == dict(everyone)
    assert {c.name: c.dots for c in report.comparison} == dict(everyone)


def test_one_request_a_hat_answers_for_every_participant(cli, fake_llm):
    report = _run(cli, "--personas", ", ".join(ROSTER))
    assert report.roster is not None and report.roster.names == ROSTER
    assert [s.id for s in _hat_steps(report)] == HATS
    for step in _hat_steps(report):
        assert [c.participant for c in step.contributions] == ROSTER, step.id
    _tally_is_the_sum_of_everyones_dots(report)
    names = [schema_name(b) for b in fake_llm.requests]
    assert len(names) == 2 + len(HATS)  # one request a hat, as without participants
    black = next(b for b in fake_llm.requests if schema_name(b) == "PanelBlackOutput")
    schema = requested_schema(black)
    assert schema["properties"]["contributions"]["minItems"] == len(ROSTER)
    item = schema["$defs"]["BlackOutputContribution"]
    assert item["properties"]["participant"]["enum"] == ROSTER


def test_separate_mode_asks_each_participant_each_hat(cli, fake_llm):
    report = _run(cli, "--personas", ", ".join(ROSTER), "--personas-mode", "separate")
    for step in _hat_steps(report):
        assert [c.participant for c in step.contributions] == ROSTER, step.id
    _tally_is_the_sum_of_everyones_dots(report)
    hat_requests = [b for b in fake_llm.requests if schema_name(b) not in ("Framing", "Synthesis")]
    assert len(hat_requests) == len(ROSTER) * len(HATS)
    voices = collections.Counter(
        next(
            p
            for p in ROSTER
            if f"You speak for one of them only: {p}" in b["messages"][1]["content"]
        )
        for b in hat_requests
    )
    assert voices == {p: len(HATS) for p in ROSTER}
    assert report.metadata.usage.requests == len(fake_llm.requests)


def test_the_board_keeps_who_said_what(cli, fake_llm):
    _run(cli, "--personas", ", ".join(ROSTER))
    red = next(b for b in fake_llm.requests if schema_name(b) == "PanelRedOutput")
    board = red["messages"][1]["content"]
    for person in ROSTER:
        assert f"{person}: Risk (high; likelihood medium; impact high)" in board
    synthesis = next(b for b in fake_llm.requests if schema_name(b) == "Synthesis")
    assert "where the participants" in synthesis["messages"][1]["content"]
    owner = requested_schema(synthesis)["$defs"]["Action"]["properties"]["owner_role"]
    assert owner["enum"] == ROSTER  # each next step is owned by a participant
    assert "Dot vote: Four-day week 6, Keep five days 3" in synthesis["messages"][1]["content"]


def test_a_number_asks_the_opening_blue_for_the_roster_and_records_it(cli, fake_llm):
    report = _run(cli, "--personas", "4", "--program", "emergent")
    assert report.roster is not None and report.roster.source == "proposed"
    assert len(report.roster.participants) == 4
    framing = requested_schema(fake_llm.requests[0])
    assert framing["properties"]["participants"]["minItems"] == 4
    assert report.process_log and report.process_log[-1].next == "close"
    for step in _hat_steps(report):
        assert [c.participant for c in step.contributions] == report.roster.names


def test_reports_show_contributions_by_participant_in_every_format(cli, fake_llm, tmp_path):
    md = cli("analyze", PROBLEM, "--personas", "Ana, Bo", "--format", "md").out
    assert "## Participants" in md and "#### Ana" in md and "#### Bo" in md
    assert "- Dot vote, all participants: Four-day week 4, Keep five days 2" in md
    html = cli("analyze", PROBLEM, "--personas", "Ana, Bo", "--format", "html").out
    assert 'id="who-p2"' in html and 'data-participant="p2"' in html
    assert '#who-p1:checked ~ .board [data-participant]:not([data-participant="p1"])' in html
    assert "<script src" not in html and "<link" not in html  # the page stays self-contained
    data = json.loads(cli("analyze", PROBLEM, "--personas", "Ana, Bo", "--format", "json").out)
    assert data["steps"][1]["contributions"][1]["participant"] == "Bo"


def test_dry_run_counts_a_request_per_participant_in_separate_mode(cli, fake_llm):
    hats = len(find_program("choose").plan()) - 2
    result = cli("analyze", PROBLEM, "--dry-run", "--personas", "3", "--personas-mode", "separate")
    assert result.code == 0, result.err
    assert f"dry run: {2 + 3 * hats} requests" in result.out
    assert "You speak for one of them only: (participant 3)" in result.out
    together = cli("analyze", PROBLEM, "--dry-run", "--personas", "Ana, Bo")
    assert f"dry run: {2 + hats} requests" in together.out
    assert "schema PanelBlackOutput" in together.out and not fake_llm.requests


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--personas", "40"], "--personas 40: a meeting here has 1 to 12 participants"),
        (["--personas", "Ana, ana"], "'ana' is named twice"),
        (["--personas", "Ana", "--personas-mode", "alone"], "unknown --personas-mode 'alone'"),
    ],
)
def test_a_bad_roster_is_a_usage_error(cli, fake_llm, flags, message):
    result = cli("analyze", PROBLEM, *flags)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err
    assert not fake_llm.requests


def test_a_rerun_keeps_the_roster(cli, fake_llm):
    first = cli("analyze", PROBLEM, "--personas", "4", "--format", "json")
    assert first.code == 0, first.err
    roster = Report.model_validate_json(first.out).roster
    run_id = first.err.split("saved run ")[1].split()[0]
    fake_llm.requests.clear()
    again = cli("rerun", run_id, "--step", "black", "--format", "json")
    assert again.code == 0, again.err
    report = Report.model_validate_json(again.out)
    assert report.roster == roster
    black = next(s for s in report.steps if s.hat == "black")
    assert [c.participant for c in black.contributions] == roster.names
    assert [schema_name(b) for b in fake_llm.requests] == ["PanelBlackOutput", "Synthesis"]


def test_a_toml_roster_voices_each_person_and_a_failed_voice_fails_only_its_hat(
    cli, fake_llm, tmp_path
):
    team = tmp_path / "team.toml"
    team.write_text(
        '[[participants]]\nname = "Ana"\nrole = "finance lead"\nknows = "the budget"\n'
        '[[participants]]\nname = "Bo"\nrole = "support lead"\ncares_about = "Friday cover"\n'
    )

    def bo_fails_black(body):
        prompt = body["messages"][1]["content"]
        if schema_name(body) == "BlackOutput" and "only: Bo (support lead)" in prompt:
            return httpx.Response(400, json={"error": {"message": "bad request"}})
        return None

    fake_llm.fail_when(bo_fails_black)
    report = _run(cli, "--personas", str(team), "--personas-mode", "separate")
    assert report.roster is not None and report.roster.source == "file"
    black = next(s for s in report.steps if s.hat == "black")
    assert black.status == "failed" and report.degraded
    green = next(s for s in report.steps if s.hat == "green")
    assert [c.participant for c in green.contributions] == ["Ana", "Bo"]
    voiced = [b["messages"][1]["content"] for b in fake_llm.requests]
    assert any("Ana (finance lead); knows the budget" in text for text in voiced)
