"""The board is the meeting's memory: every earlier point reaches every later step whole while
it fits the model's context, and past that each alternative keeps its strongest points.

Both tests run `choose` against the stand-in answering like a thorough model (8 items a list,
30 words an item), which says its context size as llama.cpp's server does."""

from __future__ import annotations

import json

import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.run.placeholder import placeholder_records
from sixhats_ai.run.report import Report
from sixhats_ai.run.request import RunRequest
from sixhats_ai.run.steps import StepRunner
from sixhats_ai.text.prose import clause
from testkit.documents import proposal
from testkit.reach import points, reach, requests_by_step

LEVEL = {"low": 1, "medium": 2, "high": 3}


def _run(cli, served, tmp_path, n_ctx: int, *args: str) -> Report:
    served.reset(record=True, items=8, words=30, n_ctx=n_ctx)
    result = cli(
        "analyze",
        "Should we move support to a four-day week?",
        "--program",
        "choose",
        "--format",
        "json",
        *args,
    )
    assert result.code == 0, result.err
    return Report.model_validate_json(result.out)


@pytest.mark.loopback
def test_nothing_is_lost_at_128k(cli, served, tmp_path):
    doc = tmp_path / "proposal.md"
    doc.write_text(proposal(35_000))
    report = _run(cli, served, tmp_path, 128_000, "--context", str(doc))
    exchanges = served.stats().exchanges
    assert list(requests_by_step(exchanges)) == [s.id for s in report.steps]
    for step in report.steps[:-1]:  # a thorough model's answers
        assert len(points(json.loads(step.output.model_dump_json()))) >= 8, step.id
    reached = reach(json.loads(report.model_dump_json()), exchanges)
    assert [r.step for r in reached] == [s.id for s in report.steps[1:]]
    assert reached[-1].earlier >= 100  # the issue counted 142 lines; this counts list items
    assert all(r.reached == r.earlier for r in reached), reached
    assert report.metadata.warnings == []  # nothing was left out


@pytest.mark.loopback
def test_every_alternative_keeps_its_strongest_points_in_a_small_context(cli, served, tmp_path):
    # 8k, counted as sixhats counts (text/tokens.py): what always stays, each point briefly
    # (its alternative by number, no quote), leaves the closing room to answer.
    report = _run(cli, served, tmp_path, 8_192)
    requests = requests_by_step(served.stats().exchanges)
    ids = [s.id for s in report.steps]
    alternatives = report.framing.alternatives
    assert len(alternatives) >= 2
    reduced = 0
    for n, step in enumerate(report.steps[:-1]):
        texts = points(json.loads(step.output.model_dump_json()))
        sided = getattr(step.output, "benefits", None) or getattr(step.output, "risks", None)
        for later in ids[n + 1 :]:
            board = requests[later]
            reduced += sum(text[:80] not in board for text in texts)
            for alternative in alternatives if sided else []:
                mine = [p for p in sided if p.alternative == alternative]
                top = sorted((LEVEL[p.weight] for p in mine), reverse=True)[:2]
                strong = [p for p in mine if LEVEL[p.weight] >= min(top, default=0)]
                shown = [p for p in strong if p.point in board and clause(p.reason) in board]
                assert len(shown) >= len(top), (step.id, later, alternative)
    assert reduced > 0  # the board did not fit: some points had to go
    assert any(
        "least important were left out, the rest shown without their quotes" in w
        for w in report.metadata.warnings
    )


def test_steps_that_see_the_same_records_are_shown_the_same_board_made_once():
    plan = load_programs()["choose"].plan()
    records = placeholder_records(plan)
    request = RunRequest(problem="Which site?", program=load_programs()["choose"])
    framing_only = records[:1]
    board = StepRunner.board(request, framing_only)
    assert StepRunner.board(request, framing_only) is board  # a parallel hat after another
    later = StepRunner.board(request, records[:2])
    assert later.total > board.total  # more records seen: a board of its own
    assert StepRunner.board(request, list(framing_only)) is not later
    assert StepRunner.board(request, list(framing_only)).entries == board.entries
