"""Reading a meeting's notes: Markdown with one heading per step of the program.

A heading names its step by id (`## 2-white`, `### 2-white · White hat · 8 min`, as the brief
and `brief --notes-template` write them) or by hat (`## White`, `## Black hat`); a hat that
appears twice in the program, like the blues, is matched in order. The brief's own sections
(purpose, agenda, hat guide, ...) are skipped, so a brief filled in at the meeting can be read
as it is, and so are the guiding questions, which the brief writes in italics. The outcome
section gives the decision and the actions. Whatever sits under a heading that matches no step
is kept under "Unplaced", never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_POINT = re.compile(r"^(?:[-*+•]|\d+[.)])\s+(?:\[[ xX]\]\s*)?")
_ITALIC = re.compile(r"^(?:_[^_].*_|\*[^*].*\*)$")
_STEP_ID = re.compile(r"^(\d+-[a-z]+)\b")
_HAT_HEADING = re.compile(
    rf"^({'|'.join(h.value for h in Hat)})(?:\s+hat)?\s*(?:$|[:(·,–—-])", re.IGNORECASE
)
_DECISION = re.compile(r"^\**decision:?\**:?\s*(.*)$", re.IGNORECASE)
BRIEF_SECTIONS = (
    "purpose",
    "agenda",
    "the hats",
    "questions for each step",
    "pre-work",
    "facilitator notes",
    "time-keeping cues",
    "pre-read",
)


@dataclass
class Action:
    action: str
    owner: str = ""
    due: str = ""


@dataclass
class MeetingOutcome:
    decision: str = ""
    actions: list[Action] = field(default_factory=list)


@dataclass
class StepNotes:
    step: PlannedStep
    heading: str | None = None
    points: list[str] = field(default_factory=list)


@dataclass
class Unplaced:
    heading: str
    points: list[str]


@dataclass
class MeetingNotes:
    title: str | None
    steps: list[StepNotes]
    unplaced: list[Unplaced]
    outcome: MeetingOutcome

    @property
    def empty_steps(self) -> list[str]:
        return [s.step.id for s in self.steps if not s.points]


def _point(line: str) -> str | None:
    """A line's point, or None for a blank, a guiding question in italics, or a comment."""
    text = line.strip()
    if not text or text.startswith(("<!--", "|---", "---", ">")):
        return None
    text = _POINT.sub("", text).strip()
    if not text or _ITALIC.match(text):
        return None
    return text


def _match(heading: str, steps: list[StepNotes]) -> StepNotes | None:
    """The step a heading names: by id, else by hat (the first of that hat not yet taken)."""
    text = heading.strip().lower()
    if found := _STEP_ID.match(text):
        return next((s for s in steps if s.step.id == found.group(1)), None)
    found = _HAT_HEADING.match(text)
    if found is None:
        return None
    hat = found.group(1)
    return next((s for s in steps if s.step.hat.value == hat and s.heading is None), None)


def _outcome(lines: list[str]) -> MeetingOutcome:
    outcome = MeetingOutcome()
    decision: list[str] = []
    for line in lines:
        text = line.strip()
        if text.startswith("|"):
            cells = [c.strip() for c in text.strip("|").split("|")]
            if not any(cells) or set("".join(cells)) <= set("-: ") or cells[0].lower() == "action":
                continue
            cells += ["", ""]
            outcome.actions.append(Action(cells[0], cells[1], cells[2]))
        elif found := _DECISION.match(text):
            decision.append(found.group(1))
        elif (point := _point(text)) is not None and (decision or not outcome.actions):
            decision.append(point)
    outcome.decision = " ".join(d for d in decision if d).strip()
    return outcome


def _sections(text: str) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """The title (the first level-1 heading) and each lower heading with its lines."""
    title = None
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 1:
            title = title or heading.group(2)
            sections.append(("#", []))
        elif heading:
            sections.append((heading.group(2), []))
        elif sections:
            sections[-1][1].append(line)
    return title, sections


def parse_notes(text: str, steps: list[PlannedStep]) -> MeetingNotes:
    """The notes by step, what matched no step, and the outcome."""
    title, sections = _sections(text)
    notes = MeetingNotes(title, [StepNotes(s) for s in steps], [], MeetingOutcome())
    for heading, lines in sections:
        lowered = heading.lower()
        if heading == "#" or lowered.startswith(BRIEF_SECTIONS):
            continue
        if lowered.startswith("outcome"):
            notes.outcome = _outcome(lines)
            continue
        points = [p for p in map(_point, lines) if p is not None]
        step = _match(heading, notes.steps)
        if step is None:
            notes.unplaced.append(Unplaced(heading, points))
            continue
        step.heading = heading
        step.points += points
    return notes
