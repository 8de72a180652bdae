"""Offline minutes: the notes laid out by hat, with the vote tally; no model, no synthesis.

`Minutes` is what `minutes --offline --format json` prints; the Markdown and HTML come from
`prompts/minutes/`, overridable like every template.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from sixhats_ai.briefs.questions import step_focus
from sixhats_ai.meeting_minutes.notes import MeetingNotes
from sixhats_ai.meeting_minutes.votes import Tally
from sixhats_ai.method.agenda import step_title
from sixhats_ai.method.hats import HATS, Hat
from sixhats_ai.method.programs import Program
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.report import DotVote, ProgramRef
from sixhats_ai.version import __version__


class MinutesStep(BaseModel):
    step_id: str
    hat: Hat
    title: str
    heading: str | None
    points: list[str]


class MinutesAction(BaseModel):
    action: str
    owner: str
    due: str


class UnplacedNotes(BaseModel):
    heading: str
    points: list[str]


class Minutes(BaseModel):
    kind: Literal["sixhats.minutes"] = "sixhats.minutes"
    topic: str
    program: ProgramRef
    steps: list[MinutesStep]
    empty_steps: list[str]
    unplaced: list[UnplacedNotes]
    votes: list[DotVote]
    decision: str
    actions: list[MinutesAction]
    sixhats_version: str = __version__


def dot_votes(counted: list[Tally]) -> list[DotVote]:
    return [DotVote(alternative=t.alternative, dots=t.dots, voters=t.voters) for t in counted]


def build_minutes(
    topic: str, program: Program, notes: MeetingNotes, counted: list[Tally]
) -> Minutes:
    steps = [s.step for s in notes.steps]
    return Minutes(
        topic=topic,
        program=ProgramRef(slug=program.slug, name=program.name, sequence=program.sequence),
        steps=[
            MinutesStep(
                step_id=s.step.id,
                hat=s.step.hat,
                title=step_title(s.step, step_focus(steps, s.step)),
                heading=s.heading,
                points=s.points,
            )
            for s in notes.steps
        ],
        empty_steps=notes.empty_steps,
        unplaced=[UnplacedNotes(heading=u.heading, points=u.points) for u in notes.unplaced],
        votes=dot_votes(counted),
        decision=notes.outcome.decision,
        actions=[
            MinutesAction(action=a.action, owner=a.owner, due=a.due) for a in notes.outcome.actions
        ],
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
    return library.render_text("minutes/minutes.md.j2", {"minutes": minutes})
