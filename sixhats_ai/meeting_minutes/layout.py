"""Offline minutes: the notes laid out by hat, with the outcome, the parking lot and the vote
tally; no model, no synthesis.

`Minutes` is what `minutes --offline --format json` prints; the Markdown and HTML come from
`prompts/minutes/`, overridable like every template.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from sixhats_ai.briefs.questions import step_focus
from sixhats_ai.meeting_minutes.meeting import Meeting
from sixhats_ai.meeting_minutes.votes import Tally
from sixhats_ai.method.agenda import step_title
from sixhats_ai.method.hats import HATS, Hat
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.render.escape import md
from sixhats_ai.run.report import DotVote, ProgramRef
from sixhats_ai.version import __version__

MINUTES_SCHEMA_VERSION = 2


class MinutesStep(BaseModel):
    step_id: str
    hat: Hat
    title: str
    heading: str | None
    points: list[str] = Field(description="a remark moved here ends '(said under <step>)'")


class MinutesDecision(BaseModel):
    text: str
    where: str = Field(description="the step id or section it was written under")


class MinutesAction(BaseModel):
    action: str
    owner: str
    due: str
    where: str = ""
    undated: bool = Field(False, description="no date was given: the minutes flag it")


class UnplacedNotes(BaseModel):
    heading: str
    points: list[str]


class ParkedRemark(BaseModel):
    text: str
    hat: Hat | None = Field(description="the hat the scribe named for it, if any")
    where: str = Field(description="the step id it was said under, or 'parking lot'")


class VoteSummary(BaseModel):
    """The dot vote beyond its rows: the totals, each voter's dots, and what to check."""

    total_dots: int
    voters: int
    per_voter: dict[str, int]
    allowance: int | None = Field(description="dots each, from the notes or `dots`")
    overspent: dict[str, int] = Field(description="voters who spent more than the allowance")
    unmatched: list[str] = Field(description="voted names the notes never give")
    merged: dict[str, str] = Field(description="a spelling voted -> the alternative counted")


class Minutes(BaseModel):
    schema_version: int = MINUTES_SCHEMA_VERSION
    kind: Literal["sixhats.minutes"] = "sixhats.minutes"
    topic: str
    program: ProgramRef
    when: str = ""
    attendees: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)
    facilitator: str = ""
    scribe: str = ""
    header_notes: list[str] = Field(default_factory=list, description="other lines under the title")
    decision: str
    decisions: list[MinutesDecision] = Field(default_factory=list)
    actions: list[MinutesAction]
    steps: list[MinutesStep]
    empty_steps: list[str]
    parking_lot: list[ParkedRemark] = Field(default_factory=list)
    unplaced: list[UnplacedNotes]
    votes: list[DotVote]
    vote_summary: VoteSummary | None = None
    warnings: list[str] = Field(default_factory=list)
    sixhats_version: str = __version__


def dot_votes(counted: list[Tally]) -> list[DotVote]:
    return [DotVote(alternative=t.alternative, dots=t.dots, voters=t.voters) for t in counted]


def _vote_summary(meeting: Meeting) -> VoteSummary | None:
    count = meeting.count
    if not count.rows:
        return None
    return VoteSummary(
        total_dots=count.total,
        voters=len(count.per_voter),
        per_voter=count.per_voter,
        allowance=count.allowance,
        overspent=count.overspent,
        unmatched=count.unmatched,
        merged=count.merged,
    )


def _steps(meeting: Meeting) -> list[MinutesStep]:
    planned = [s.step for s in meeting.notes.steps]
    return [
        MinutesStep(
            step_id=s.step.id,
            hat=s.step.hat,
            title=step_title(s.step, step_focus(planned, s.step)),
            heading=s.heading,
            points=s.points,
        )
        for s in meeting.notes.steps
    ]


def build_minutes(meeting: Meeting) -> Minutes:
    """The minutes of a meeting read by `read_meeting`, as the scribe wrote them."""
    notes, program = meeting.notes, meeting.program
    header, outcome = notes.header, notes.outcome
    return Minutes(
        topic=meeting.topic,
        program=ProgramRef(slug=program.slug, name=program.name, sequence=program.sequence),
        when=header.when,
        attendees=header.attendees,
        absent=header.absent,
        facilitator=header.facilitator,
        scribe=header.scribe,
        header_notes=header.other,
        decision=outcome.decision,
        decisions=[MinutesDecision(text=d.text, where=d.where) for d in outcome.decisions],
        actions=[
            MinutesAction(
                action=a.action, owner=a.owner, due=a.due, where=a.where, undated=not a.due
            )
            for a in outcome.actions
        ],
        steps=_steps(meeting),
        empty_steps=notes.empty_steps,
        parking_lot=[ParkedRemark(text=p.text, hat=p.hat, where=p.where) for p in notes.parked],
        unplaced=[UnplacedNotes(heading=u.heading, points=u.points) for u in notes.unplaced],
        votes=dot_votes(meeting.count.rows),
        vote_summary=_vote_summary(meeting),
        warnings=meeting.warnings,
    )


def render_minutes(minutes: Minutes, fmt: str, library: PromptLibrary) -> str:
    """The minutes as `md`, `html` or `json`."""
    if fmt == "json":
        return minutes.model_dump_json(indent=2)
    if fmt == "html":
        colours = {hat.value: info.colour for hat, info in HATS.items()}
        return library.render_text(
            "minutes/minutes.html.j2", {"minutes": minutes, "colours": colours}
        )
    # `cell`: a table cell's text escaped, so that a "|" in an action or a vote stays in it.
    return library.render_text("minutes/minutes.md.j2", {"minutes": minutes, "cell": md})
