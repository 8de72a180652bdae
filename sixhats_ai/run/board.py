"""The board each step is shown: the meeting's memory, every earlier point whole while it fits.

A hat sees every item of every earlier step (a point with its reason, ratings and tag, never
cut mid-sentence) as long as the board fits its share of the model's context (`board_tokens`).
Past that share the board is reduced by importance, not by position:

- the framing's question and alternatives, a dot vote and a blue's steer always stay;
- every alternative keeps its strongest benefits and risks (`KEPT_PER_ALTERNATIVE` of each);
- then the items in order of `importance` (high weight, high impact, checked facts first),
  each whole, while they fit; the rest are left out, and the run's warnings say so.

A reduced board shows every point briefly (`Item.brief`): its point, grounds and levels, with
the alternatives numbered (`Alternative 2: ...`, `[alternative 2]`) rather than named again in
every line, and without its quote or free-text ratings, which the stored step and the report
keep. At 8k that is what lets each alternative's strongest points all stay, grounds and all.

The synthesis sees the board the same way. Ranking reads a point's fields through one key
function, `importance`, and finds a category's points through `SOURCES`; a hat output with
new fields or lists changes those two only.

A mid-program blue also steers: its next focus and process decisions become the `direction`
of the steps that follow it, said in the instructions as a facilitator's words would be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sixhats_ai.method.hat_outputs import (
    ALL,
    Benefit,
    BlackOutput,
    BlueReview,
    Framing,
    Risk,
    StepOutput,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep, Step
from sixhats_ai.prompts import NONCE_PATTERN
from sixhats_ai.run.report import StepRecord
from sixhats_ai.text.tokens import estimate_tokens

# The board's share of the model's context: a quarter of the window the run learned, and never
# more than what the problem, the documents (fitted to 60% of it), the answer and the step's
# own instructions leave. A quarter holds a thorough 7-step meeting whole at 32k and beyond,
# and keeps the prompt far enough inside the window for the model to read all of it with care.
BOARD_SHARE = 4
ANSWER_TOKENS = 2_000  # the answer's room (the caller's usual completion estimate)
STEP_TOKENS = 1_500  # the step's own instructions: the hat, the method, the task
MIN_BOARD_TOKENS = 600  # below this, only what always stays is shown
UNKNOWN_WINDOW = 8_192  # a run that never learned its window: the smallest common one
KEPT_PER_ALTERNATIVE = 2  # the strongest benefits and risks each alternative always keeps
ALWAYS = ("Framing", "Alternative", "Dot vote", "Next focus", "Review")
SIDES = ("Benefit", "Risk")
# Where a category's points are in a step's output, to rank them by their fields.
SOURCES = {
    "Fact": "facts",
    "Gap": "gaps",
    "View": "views",
    "Feeling": "reactions",
    "Benefit": "benefits",
    "Risk": "risks",
    "Idea": "ideas",
    "Po": "provocations",
}
LEVELS = {"low": 1, "medium": 2, "high": 3}
DIRECTION_CHARS = 300


def importance(point: object) -> float:
    """How much a point matters on a reduced board, higher first: the mean of its ratings
    (weight, impact, likelihood, intensity; an unrated point counts as medium), and one more
    for a fact checked against the material."""
    rated = [
        LEVELS[value]
        for name in ("weight", "impact", "likelihood", "intensity")
        if (value := getattr(point, name, None)) in LEVELS
    ]
    score = sum(rated) / len(rated) if rated else LEVELS["medium"]
    return score + (1 if getattr(point, "status", None) == "checked" else 0)


def risk_ref(step_id: str, number: int) -> str:
    """How a green names the risk an idea answers: `5-black:2`, the second risk of step 5."""
    return f"{step_id}:{number}"


@dataclass(frozen=True)
class Item:
    """One point on the board: its whole line, its category and the point it shows; how much
    it matters, the alternative it is about (None when it names none) and its brief line are
    worked out only for a board that must be reduced (most boards fit whole)."""

    step: int  # the step's place on the board
    place: int  # the item's place in its step
    category: str
    line: str  # as the step's output gives it
    point: object = field(compare=False)  # the point it shows (its line, if it has none)
    numbers: Mapping[str, int] = field(repr=False, compare=False)  # alternatives by number
    text: str = field(init=False)  # the line as shown: no point closes a fence
    tokens: int = field(init=False)

    def __post_init__(self) -> None:
        text = NONCE_PATTERN.sub("DATA-marker", self.line)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "tokens", estimate_tokens(text) + 1)

    @property
    def score(self) -> float:
        return importance(self.point) if not isinstance(self.point, str) else LEVELS["medium"]

    @property
    def alternative(self) -> str | None:
        return getattr(self.point, "alternative", None)

    def briefly(self) -> Item:
        """The item as a reduced board shows it (see the module's docstring)."""
        brief = _brief(self.category, self.line, self.point, self.numbers)
        return replace(self, line=brief)


def _output_items(output: StepOutput, prefix: str = "") -> list[tuple[str, str, object]]:
    """(category, line, the point it shows) of a step's output, in the output's order."""
    found: list[tuple[str, str, object]] = []
    for category, lines in output.sections():
        points = getattr(output, SOURCES.get(category, ""), None)
        paired = points if isinstance(points, list) and len(points) == len(lines) else lines
        found.extend(
            (category, prefix + line, point) for line, point in zip(lines, paired, strict=True)
        )
    return found


def _step_lines(record: StepRecord) -> list[tuple[str, str, object]]:
    """A step's lines; a meeting step's taken in turns from every participant, each naming who
    said it, with everyone's dot vote. A black step's risks are numbered, so that a green can
    say which risk it answers (in the order the merged answer holds them)."""
    assert record.output is not None
    lines = _output_items(record.output)
    if record.contributions:
        people = [_output_items(c.output, f"{c.participant}: ") for c in record.contributions]
        lines = [entry for entry in lines if entry[0] == "Dot vote"]
        for category, _ in record.output.sections():
            mine = [[entry for entry in found if entry[0] == category] for found in people]
            for depth in range(max(map(len, mine), default=0) if category != "Dot vote" else 0):
                lines.extend(found[depth] for found in mine if depth < len(found))
    if not isinstance(record.output, BlackOutput):
        return lines
    risks = iter(range(1, len(lines) + 1))
    return [
        (c, f"{text} (risk {risk_ref(record.id, next(risks))})" if c == "Risk" else text, p)
        for c, text, p in lines
    ]


def _brief(category: str, text: str, point: object, numbers: Mapping[str, int]) -> str:
    """A line as a reduced board shows it: an alternative numbered, a point brief (see the
    module's docstring), anything else as it is."""
    if category == "Alternative" and (name := text.partition(": ")[2]) in numbers:
        return f"Alternative {numbers[name]}: {name}"
    if not isinstance(point, Benefit | Risk):
        return text
    number = numbers.get(point.alternative)
    before, whole, after = text.partition(point.line())  # a speaker before, a risk's id after
    tag = f"alternative {number}" if number else None
    return before + point.line(tag, brief=True) + after if whole else text


def _items(done: Sequence[StepRecord]) -> list[list[Item]]:
    numbers = {name: n for n, name in enumerate(alternatives_of(done), 1)}
    steps = []
    for n, record in enumerate(done):
        steps.append(
            [
                Item(n, place, category, line, point, numbers)
                for place, (category, line, point) in enumerate(_step_lines(record))
            ]
        )
    return steps


def board_tokens(context_tokens: int | None, material_tokens: int) -> int:
    """The board's share of a context of `context_tokens` (see `BOARD_SHARE`)."""
    window = context_tokens or UNKNOWN_WINDOW
    room = window - material_tokens - ANSWER_TOKENS - STEP_TOKENS
    return max(min(window // BOARD_SHARE, room), MIN_BOARD_TOKENS)


def _strongest(items: list[Item]) -> list[Item]:
    """Each alternative's strongest benefits and risks, and what always stays."""
    kept = [item for item in items if item.category in ALWAYS]
    for side in SIDES:
        tagged: dict[str, list[Item]] = {}
        for item in items:
            if item.category == side and item.alternative not in (None, ALL):
                tagged.setdefault(str(item.alternative), []).append(item)
        for points in tagged.values():
            kept.extend(sorted(points, key=_rank)[:KEPT_PER_ALTERNATIVE])
    return kept


def _rank(item: Item) -> tuple[float, int, int]:
    """Most important first; among equals, a step's own order (its most important first),
    then the earlier step."""
    return (-item.score, item.place, item.step)


def reduce(items: list[Item], budget: int) -> list[Item]:
    """The items a board of `budget` tokens shows, in board order: all of them if they fit,
    else, each brief, what always stays, then the most important, each whole, while they fit."""
    if sum(item.tokens for item in items) <= budget:
        return items
    items = [item.briefly() for item in items]
    chosen = {id(item): item for item in _strongest(items)}
    spent = sum(item.tokens for item in chosen.values())
    for item in sorted(items, key=_rank):
        if id(item) not in chosen and spent + item.tokens <= budget:
            chosen[id(item)] = item
            spent += item.tokens
    return sorted(chosen.values(), key=lambda item: (item.step, item.place))


@dataclass
class Board:
    """What a step is shown of the steps before it, and what was left out to fit."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    shown: int = 0
    total: int = 0
    brief: bool = False  # reduced: its points shown briefly (see the module's docstring)

    @property
    def left_out(self) -> int:
        return self.total - self.shown


def planned_from(record: StepRecord) -> PlannedStep:
    """The step a record of an emergent run was (its label for the board)."""
    number = int(record.id.split("-", 1)[0])
    step = Step(hat=Hat(record.hat), focus=record.focus)
    return PlannedStep(id=record.id, index=number - 1, role="hat", step=step)


def board_of(records: Sequence[StepRecord], by_id: dict[str, PlannedStep], budget: int) -> Board:
    """The board for the next step: every ok step before it, reduced to `budget` tokens only
    if it does not fit."""
    done = [r for r in records if r.status == "ok" and r.output is not None]
    steps = _items(done)
    every = [item for items in steps for item in items]
    kept = reduce(every, budget)
    entries = [
        {
            "id": record.id,
            "label": by_id[record.id].step.label,
            "lines": [item.text for item in kept if item.step == n],
            "left_out": len(steps[n]) - sum(1 for item in kept if item.step == n),
        }
        for n, record in enumerate(done)
    ]
    brief = sum(item.tokens for item in every) > budget
    return Board(entries, len(kept), len(every), brief)


def alternatives_of(records: Sequence[StepRecord]) -> list[str]:
    """The alternatives the framing named, if it did."""
    framing = next((r.output for r in records if isinstance(r.output, Framing)), None)
    return list(framing.alternatives) if framing is not None else []


_MARKERS = re.compile(r"<<|>>|\{\{|\}\}|\{%|%\}|DATA-[0-9a-f]+")


def plain(text: str) -> str:
    """A model's words made fit to stand in the instructions: one line, no markers, short."""
    line = " ".join(_MARKERS.sub(" ", text).split())
    return line if len(line) <= DIRECTION_CHARS else line[: DIRECTION_CHARS - 1].rstrip() + "…"


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
