"""The board each step is shown: what the earlier steps found, within a token budget.

Every step contributes every category it has (framing: the question, the alternatives, the
factors, the priorities, the goals, out of scope; white: facts, gaps and views; green: ideas,
provocations and challenges...): a step's share of the budget is split among its categories,
each category gives its first line (cut to its share if need be), then further lines are
taken from the categories in turn while they fit. The alternatives a framing named are on
every board in full, outside the budget. A hat's whole board has a fixed budget, shared by the
steps before it, so its prompt stays bounded however long the program (a category's first line
is never cut below 40 characters, which only a program of dozens of steps reaches); the
synthesis gets a budget per step, so an analysis's prompt tokens grow linearly with its steps.

A mid-program blue also steers: its next focus and process decisions become the `direction`
of the steps that follow it, said in the system message as a facilitator's words would be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sixhats_ai.method.hat_outputs import BlackOutput, BlueReview, Framing, Section
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.run.panel import attributed_sections
from sixhats_ai.run.report import StepRecord
from sixhats_ai.text.tokens import estimate_tokens

HAT_BOARD_TOKENS = 1500  # a hat's whole board: its prompt stays bounded
SYNTHESIS_TOKENS_PER_STEP = 800  # the synthesis sees more of each step
BOARD_LINE_CHARS = 240
MIN_SHARE_CHARS = 40  # the least a category's first line is cut to
DIRECTION_CHARS = 300
PINNED = "Alternative"


def risk_ref(step_id: str, number: int) -> str:
    """How a green names the risk an idea answers: `5-black:2`, the second risk of step 5."""
    return f"{step_id}:{number}"


def _sections(record: StepRecord) -> list[Section]:
    output = record.output
    assert output is not None
    sections = attributed_sections(record) or output.sections()
    if isinstance(output, BlackOutput):  # numbered, so a green can say which risk it answers
        sections = [
            (name, [f"{line} (risk {risk_ref(record.id, n)})" for n, line in enumerate(lines, 1)])
            if name == "Risk"
            else (name, lines)
            for name, lines in sections
        ]
    return sections


def _cut(line: str, chars: int) -> str:
    return line if len(line) <= chars else line[: max(chars - 1, 1)].rstrip() + "…"


def fit_sections(sections: Sequence[Section], budget_tokens: int) -> list[str]:
    """The lines of a step on the board: every category present, within `budget_tokens`."""
    pinned = [line for name, lines in sections if name == PINNED for line in lines]
    present = [(name, list(lines)) for name, lines in sections if lines and name != PINNED]
    if not present:
        return pinned
    share = max(budget_tokens * 4 // len(present), MIN_SHARE_CHARS)
    chosen = {name: [_cut(lines[0], min(share, BOARD_LINE_CHARS))] for name, lines in present}
    spent = sum(estimate_tokens(line) for picked in chosen.values() for line in picked)
    for depth in range(1, max(len(lines) for _, lines in present)):
        for name, lines in present:
            if depth >= len(lines):
                continue
            line = _cut(lines[depth], BOARD_LINE_CHARS)
            if spent + estimate_tokens(line) > budget_tokens:
                return pinned + [line for name, _ in present for line in chosen[name]]
            chosen[name].append(line)
            spent += estimate_tokens(line)
    return pinned + [line for name, _ in present for line in chosen[name]]


def board_entries(
    records: Sequence[StepRecord], by_id: dict[str, PlannedStep], *, synthesis: bool
) -> list[dict[str, Any]]:
    """The board for the next step: every ok step before it, within the budget."""
    done = [r for r in records if r.status == "ok" and r.output is not None]
    if not done:
        return []
    budget = SYNTHESIS_TOKENS_PER_STEP if synthesis else HAT_BOARD_TOKENS // len(done)
    return [
        {
            "id": record.id,
            "label": by_id[record.id].step.label,
            "lines": fit_sections(_sections(record), budget),
        }
        for record in done
    ]


def alternatives_of(records: Sequence[StepRecord]) -> list[str]:
    """The alternatives the framing named, if it did."""
    framing = next((r.output for r in records if isinstance(r.output, Framing)), None)
    return list(framing.alternatives) if framing is not None else []


_MARKERS = re.compile(r"<<|>>|\{\{|\}\}|\{%|%\}|DATA-[0-9a-f]+")


def plain(text: str) -> str:
    """A model's words made fit to stand in the instructions: one line, no markers, short."""
    return _cut(" ".join(_MARKERS.sub(" ", text).split()), DIRECTION_CHARS)


def direction(records: Sequence[StepRecord]) -> dict[str, Any] | None:
    """The latest mid-program blue's steer for the steps after it, if one ran."""
    for record in reversed(records):
        if record.role == "hat" and isinstance(record.output, BlueReview):
            review = record.output
            return {
                "step": record.id,
                "next_focus": plain(review.next_focus),
                "process": [plain(p) for p in review.process],
                "priorities": [plain(p) for p in review.priorities],
            }
    return None
