"""Reading a meeting's notes: Markdown with one heading per step of the program.

A heading names its step by id (`## 2-white`, `### 2-white · White hat · 8 min`, as the brief
and `brief --notes-template` write them) or by hat (`## White`, `## Black hat`); a hat that
appears twice in the program, like the blues, is matched in order. The brief's own sections
(purpose, agenda, hat guide, ...) are skipped, so a brief filled in at the meeting can be read
as it is, and so are the guiding questions, which the brief writes in italics. Loose headings
("## Red (14:33) dot vote", "## Blue - close") find their step.

What a scribe writes besides the points is placed wherever it stands (`scribe.py`): decisions
and actions from any step, the outcome section or "Actions"/"Decisions" sections; the header
under the title; remarks marked for another hat moved there, or to the parking lot with the
"Parking lot" section. Whatever sits under a heading that matches no step is kept under
"Unplaced", never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sixhats_ai.meeting_minutes.naming import Naming, naming_of
from sixhats_ai.meeting_minutes.scribe import (
    Action,
    Remark,
    action_of,
    decision_of,
    header_field,
    looks_like_when,
    people,
    remark_of,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_POINT = re.compile(r"^(?:[-*+•]|\d+[.)])\s+(?:\[[ xX]\]\s*)?")
_ITALIC = re.compile(r"^(?:_[^_].*_|\*[^*].*\*)$")
_STEP_ID = re.compile(r"^(\d+-[a-z]+)\b")
_HAT_HEADING = re.compile(
    rf"^({'|'.join(h.value for h in Hat)})(?:\s+hat)?\s*(?:$|[:(·,–—-])", re.IGNORECASE
)
_HAT_WORD = re.compile(rf"\b({'|'.join(h.value for h in Hat)})\b", re.IGNORECASE)
_OPENING = re.compile(r"\b(?:opening|open|intro|introduction|framing|kick-?off)\b")
_CLOSING = re.compile(r"\b(?:closing|close|wrap[- ]?up|summary|next steps)\b")
# The sections a scribe writes besides the steps, by their lower-cased heading.
_SECTIONS = {
    "outcome": re.compile(r"^outcome"),
    "parking": re.compile(r"^(?:parking[- ]?lot|parked(?: items| points)?|car park|parking)\b"),
    "actions": re.compile(r"^(?:actions?(?: items| points)?|to-?dos?|to do)\s*$"),
    "decisions": re.compile(r"^(?:decisions?|decided|agreed)\s*$"),
}
_DOTS_EACH = re.compile(
    r"\b(?P<n>\d{1,3})\s+dots?\s+(?:each|apiece|per\s+(?:person|head|participant|voter)|"
    r"a\s+(?:person|head))\b",
    re.IGNORECASE,
)
TITLE_PREFIXES = ("meeting notes:", "meeting brief:", "minutes:", "notes:")
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
class Decision:
    text: str
    where: str = ""


@dataclass
class MeetingOutcome:
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def decision(self) -> str:
        return " ".join(d.text for d in self.decisions if d.text)


@dataclass
class MeetingHeader:
    """The lines under the title: when, who was there, who ran it and who wrote it down."""

    when: str = ""
    attendees: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    facilitator: str = ""
    scribe: str = ""
    topic: str = ""
    other: list[str] = field(default_factory=list)  # free-form lines kept as written

    def add(self, line: str) -> None:
        found = header_field(line)
        if found is not None and (found[0] == "program" or not found[1]):
            return  # the program is said apart; a field the scribe left empty says nothing
        if found is None and not self.when and looks_like_when(line):
            self.when = line
        elif found is None:
            self.other.append(line)
        elif found[0] in ("attendees", "absent"):
            getattr(self, found[0]).extend(people(found[1]))
        elif found[0] == "when" and self.when:
            self.when += f", {found[1]}"  # "Date: ..." then "Time: ..."
        else:
            setattr(self, found[0], found[1])

    def roles(self) -> None:
        """The facilitator and the scribe from the attendees' roles, when not given apart:
        "Maria (chair)", "Lee (scribe)"."""
        for person in self.attendees:
            name, _, role = person.partition("(")
            role = role.lower()
            if not self.facilitator and re.search(r"\b(?:chair|facilitat\w*)\b", role):
                self.facilitator = name.strip()
            if not self.scribe and re.search(r"\b(?:scribe|notes|minutes)\b", role):
                self.scribe = name.strip()


@dataclass
class StepNotes:
    step: PlannedStep
    heading: str | None = None
    points: list[str] = field(default_factory=list)
    recorded: int = 0  # decisions and actions written under the step


@dataclass
class Unplaced:
    heading: str
    points: list[str]


@dataclass
class Parked:
    """A remark the scribe parked, or one for a hat this program does not have."""

    text: str
    hat: Hat | None
    where: str


@dataclass
class MeetingNotes:
    title: str | None
    steps: list[StepNotes]
    unplaced: list[Unplaced]
    outcome: MeetingOutcome
    header: MeetingHeader = field(default_factory=MeetingHeader)
    parked: list[Parked] = field(default_factory=list)
    naming: Naming = field(default_factory=Naming)
    allowance: int | None = None  # dots each, as the notes give it ("3 dots each")

    @property
    def empty_steps(self) -> list[str]:
        return [s.step.id for s in self.steps if not s.points and not s.recorded]

    @property
    def topic(self) -> str:
        """The header's topic, else the title without "Meeting notes:" and the like."""
        title = self.header.topic or self.title or ""
        for prefix in TITLE_PREFIXES:
            if title.lower().startswith(prefix):
                return title[len(prefix) :].strip()
        return title


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
    """The step a heading names: by id; by "opening"/"closing"; else by the hat it names
    (the first of that hat not yet taken)."""
    text = heading.strip().lower()
    if found := _STEP_ID.match(text):
        return next((s for s in steps if s.step.id == found.group(1)), None)
    found = _HAT_HEADING.match(text) or _HAT_WORD.search(text)
    hat = found.group(1) if found else None
    if _CLOSING.search(text) and hat in (None, "blue"):
        return steps[-1]
    if _OPENING.search(text) and hat in (None, "blue"):
        return steps[0]
    if hat is None:
        return None
    return next((s for s in steps if s.step.hat.value == hat and s.heading is None), None)


def _outcome_table(lines: list[str], outcome: MeetingOutcome) -> list[str]:
    """The template's action table read into `outcome`; the lines that are not table rows."""
    rest = []
    for line in lines:
        text = line.strip()
        if not text.startswith("|"):
            rest.append(line)
            continue
        cells = [c.strip() for c in text.strip("|").split("|")]
        if not any(cells) or set("".join(cells)) <= set("-: ") or cells[0].lower() == "action":
            continue
        cells += ["", ""]
        outcome.actions.append(Action(cells[0], cells[1], cells[2], where="outcome"))
    return rest


def _sections(text: str) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """The title (the first level-1 heading) and each section with its lines; what stands
    under the title, or before any heading, is the "#" section."""
    title = None
    sections: list[tuple[str, list[str]]] = [("#", [])]
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 1:
            title = title or heading.group(2)
            sections.append(("#", []))
        elif heading:
            sections.append((heading.group(2), []))
        else:
            sections[-1][1].append(line)
    return title, sections


class _Reader:
    """Places each line of the notes: a step's point, a decision, an action, a header field,
    a remark moved to its hat, or the parking lot."""

    def __init__(self, notes: MeetingNotes) -> None:
        self.notes = notes
        self.moves: list[tuple[Remark, StepNotes]] = []

    def recorded(self, text: str, where: str, *, actions_section: bool = False) -> bool:
        """A decision or an action, taken into the outcome; False for any other line."""
        outcome = self.notes.outcome
        if (decision := decision_of(text)) is not None:
            if decision:
                outcome.decisions.append(Decision(decision, where))
            return True
        if (action := action_of(text, in_actions_section=actions_section)) is not None:
            action.where = where
            outcome.actions.append(action)
            return True
        return False

    def section(self, heading: str, lines: list[str]) -> None:
        lowered = heading.lower().strip()
        if lowered.startswith(BRIEF_SECTIONS):
            return
        if heading == "#":
            for point in filter(None, map(_point, lines)):
                if not self.recorded(point, "header"):
                    self.notes.header.add(point)
            return
        kind = next((k for k, pattern in _SECTIONS.items() if pattern.match(lowered)), "")
        if kind == "outcome":
            lines = _outcome_table(lines, self.notes.outcome)
        points = [p for p in map(_point, lines) if p is not None]
        if kind == "parking":
            for point in points:
                remark = remark_of(point)
                hat = remark.hat if remark else None
                text = remark.text if remark else point
                self.notes.parked.append(Parked(text, hat, "parking lot"))
            return
        step = None if kind else _match(heading, self.notes.steps)
        where = step.step.id if step else heading
        kept = []
        for point in points:
            if kind == "decisions" and decision_of(point) is None:
                point = f"Decision: {point}"
            if self.recorded(point, where, actions_section=kind == "actions"):
                if step is not None:
                    step.recorded += 1
            else:
                kept.append(point)
        if step is None:
            if kept and kind != "outcome":
                self.notes.unplaced.append(Unplaced(heading, kept))
            elif kind == "outcome" and kept and not self.notes.outcome.decisions:
                self.notes.outcome.decisions.append(Decision(" ".join(kept), "outcome"))
            return
        step.heading = heading
        for point in kept:
            self.point(step, point)

    def point(self, step: StepNotes, point: str) -> None:
        remark = remark_of(point)
        if remark is None or (remark.hat is step.step.hat and not remark.parked):
            step.points.append(point)
        elif remark.parked or not any(s.step.hat is remark.hat for s in self.notes.steps):
            self.notes.parked.append(Parked(remark.text, remark.hat, step.step.id))
        else:
            self.moves.append((remark, step))

    def place_moves(self) -> None:
        """Each remark to the step of its hat: the next one after where it was said, else the
        last one before it."""
        steps = self.notes.steps
        for remark, said in self.moves:
            same = [s for s in steps if s.step.hat is remark.hat]
            later = [s for s in same if s.step.index > said.step.index]
            target = later[0] if later else same[-1]
            target.points.append(f"{remark.text} (said under {said.step.id})")


def _allowance(text: str) -> int | None:
    """The dots each the notes say; "0 dots each" says none (every voter would be over)."""
    found = _DOTS_EACH.search(text)
    return int(found["n"]) or None if found else None


def parse_notes(text: str, steps: list[PlannedStep]) -> MeetingNotes:
    """The notes by step; the header, decisions, actions and parked remarks wherever they
    were written; what matched no step; the names of the alternatives and the dots each."""
    title, sections = _sections(text)
    notes = MeetingNotes(title, [StepNotes(s) for s in steps], [], MeetingOutcome())
    reader = _Reader(notes)
    for heading, lines in sections:
        reader.section(heading, lines)
    reader.place_moves()
    notes.header.roles()
    notes.naming = naming_of(text.splitlines())
    notes.allowance = _allowance(text)
    return notes
