"""A meeting as the notes and the votes give it, read once for the offline minutes and the
model's report alike, with what a facilitator should check said as warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.meeting_minutes.notes import MeetingNotes, parse_notes
from sixhats_ai.meeting_minutes.votes import Tally, VoteCount, count_votes, parse_votes
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import Program
from sixhats_ai.text.documents import sanitize

if TYPE_CHECKING:
    from sixhats_ai.run.report import StepRecord


@dataclass
class Meeting:
    """What `minutes` lays out or structures: the topic, the program, the notes and the votes."""

    topic: str
    program: Program
    notes: MeetingNotes
    count: VoteCount = field(default_factory=VoteCount.empty)
    fill_gaps: bool = False
    warnings: list[str] = field(default_factory=list)
    records: list[StepRecord] = field(default_factory=list)

    @property
    def votes(self) -> list[Tally]:
        """The alternatives that got dots, most first."""
        return [t for t in self.count.rows if t.dots]

    def texts(self) -> list[str]:
        """Every untrusted text, which no nonce may appear in."""
        notes = self.notes
        points = [p for s in notes.steps for p in s.points]
        points += [p for u in notes.unplaced for p in (u.heading, *u.points)]
        points += [p.text for p in notes.parked]
        actions = [" ".join((a.action, a.owner, a.due)) for a in notes.outcome.actions]
        voted = [t.alternative for t in self.votes]
        return [self.topic, *points, *actions, *voted, notes.outcome.decision]

    def voting_step(self) -> str | None:
        """The step that carries the dot votes: the program's (last) red hat, if it has one."""
        reds = [s.step.id for s in self.notes.steps if s.step.hat is Hat.RED]
        return reds[-1] if self.votes and reds else None


def _warnings(meeting: Meeting) -> list[str]:
    notes, count, slug = meeting.notes, meeting.count, meeting.program.slug
    said = [
        f"heading {u.heading!r} matches no step of {slug}; its notes are kept under Unplaced"
        for u in notes.unplaced
    ]
    if notes.empty_steps:
        said.append(f"no notes for {', '.join(notes.empty_steps)}")
    for action in notes.outcome.actions:
        if not action.due:
            said.append(f"action without a date: {action.action!r} ({action.owner or 'no owner'})")
        elif not action.owner:
            said.append(f"action without an owner: {action.action!r}")
    for name in count.unmatched:
        said.append(f"vote for {name!r} matches no alternative named in the notes; counted apart")
    for voter, dots in count.overspent.items():
        said.append(f"{voter} spent {dots} dots of {count.allowance}")
    if meeting.votes and meeting.voting_step() is None:
        said.append(
            f"{slug} has no red hat to carry the dot votes; only the offline minutes list them"
        )
    return said


def read_meeting(
    notes_text: str,
    program: Program,
    *,
    votes_text: str | None = None,
    votes_name: str = "votes",
    notes_name: str = "notes",
    topic: str | None = None,
    include_optional: bool = True,
    dots: int | None = None,
    fill_gaps: bool = False,
) -> Meeting:
    """The meeting from its notes and votes (untrusted text, sanitised here); what a
    facilitator should check is in its `warnings`. `dots` is each voter's allowance, when the
    notes do not say it ("3 dots each")."""
    notes = parse_notes(sanitize(notes_text), program.plan(include_optional=include_optional))
    ballots = parse_votes(sanitize(votes_text), votes_name) if votes_text is not None else []
    count = count_votes(ballots, notes.naming, dots if dots is not None else notes.allowance)
    meeting = Meeting(
        topic=topic or notes.topic or Path(notes_name).stem,
        program=program,
        notes=notes,
        count=count,
        fill_gaps=fill_gaps,
    )
    meeting.warnings = _warnings(meeting)
    return meeting
