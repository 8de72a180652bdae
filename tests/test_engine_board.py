"""The board is the meeting's memory: every earlier point reaches every later step whole while
it fits the model's context, and past that each alternative keeps its strongest points.

Both tests run `choose` against the stand-in answering like a thorough model (8 items a list,
30 words an item), which says its context size as llama.cpp's server does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sixhats_ai.run.report import Report
from testkit.documents import proposal

LEVEL = {"low": 1, "medium": 2, "high": 3}
STEP = re.compile(r"This is step (\S+):")


def _texts(value: Any) -> list[str]:
    """Every point of a step's output: each string of each list, or an item's first string."""
    found = []
    for field in value.values() if isinstance(value, dict) else []:
        if isinstance(field, str):
            found.append(field)
        for item in field if isinstance(field, list) else []:
            first = (
                item
                if isinstance(item, str)
                else next((v for v in item.values() if isinstance(v, str)), None)
            )
            if first:
                found.append(first)
    return found


def _requests(served) -> dict[str, str]:
    """Each step's request (its last, after any re-ask), by step id."""
    return {
        STEP.search(x["messages"][1]["content"]).group(1): x["messages"][1]["content"]
        for x in served.stats().exchanges
    }


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
    requests = _requests(served)
    ids = [s.id for s in report.steps]
    assert list(requests) == ids
    points = 0
    for n, step in enumerate(report.steps[:-1]):
        texts = _texts(json.loads(step.output.model_dump_json()))
        assert len(texts) >= 8, step.id  # a thorough answer
        for later in ids[n + 1 :]:
            for text in texts:
                assert text[:80] in requests[later], (step.id, later, text[:80])
        points += len(texts)
    assert points >= 100  # the issue counted 142 lines; this counts list items
    assert report.metadata.warnings == []  # nothing was left out


@pytest.mark.loopback
def test_every_alternative_keeps_its_strongest_points_at_8k(cli, served, tmp_path):
    report = _run(cli, served, tmp_path, 8_192)
    requests = _requests(served)
    ids = [s.id for s in report.steps]
    alternatives = report.framing.alternatives
    assert len(alternatives) >= 2
    reduced = 0
    for n, step in enumerate(report.steps[:-1]):
        texts = _texts(json.loads(step.output.model_dump_json()))
        points = getattr(step.output, "benefits", None) or getattr(step.output, "risks", None)
        for later in ids[n + 1 :]:
            board = requests[later]
            reduced += sum(text[:80] not in board for text in texts)
            for alternative in alternatives if points else []:
                mine = [p for p in points if p.alternative == alternative]
                top = sorted((LEVEL[p.weight] for p in mine), reverse=True)[:2]
                strong = [p for p in mine if LEVEL[p.weight] >= min(top, default=0)]
                shown = [p for p in strong if p.point in board]
                assert len(shown) >= len(top), (step.id, later, alternative)
    assert reduced > 0  # the board did not fit: some points had to go
    assert any("least important were left out" in w for w in report.metadata.warnings)
