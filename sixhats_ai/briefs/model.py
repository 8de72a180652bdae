"""What a brief is: the data `brief --format json` prints and every other format renders.

Fields marked "facilitator's copy only" are empty in the participants' copy, so the data says
what each audience gets and the templates need not decide it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sixhats_ai.method.agenda import Medium
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.topic import TopicKind
from sixhats_ai.run.report import ProgramRef, Usage
from sixhats_ai.version import __version__

BRIEF_SCHEMA_VERSION = 3
Audience = Literal["participants", "facilitator"]
AUDIENCES: tuple[Audience, ...] = ("participants", "facilitator")


class AgendaItem(BaseModel):
    step_id: str
    hat: Hat
    role: str
    label: str
    title: str = Field(description="the step as the agenda names it, e.g. 'Red hat: dot vote'")
    focus: str | None
    optional: bool
    seconds: int
    box: str = Field(description="the time box as people read it, e.g. '5 min', '1 min 30 s'")
    offset_seconds: int = Field(description="seconds from the start of the meeting")
    start: str | None = Field(description="clock time, when the meeting's start is known")
    end: str | None
    questions: list[str]


class HatGuide(BaseModel):
    hat: Hat
    title: str
    colour: str
    direction: str
    technique: str
    belongs: str
    does_not_belong: str


class PreWorkItem(BaseModel):
    question: str
    how_to_fill: str | None = None


class Attendee(BaseModel):
    name: str
    email: str | None = None


class OutcomeAction(BaseModel):
    action: str = ""
    owner: str = ""
    due: str = ""


class Outcome(BaseModel):
    """Left empty for the meeting to fill in."""

    decision: str = ""
    actions: list[OutcomeAction] = Field(default_factory=list)


class PreRead(BaseModel):
    """One page of the saved analysis, for participants to read before the meeting."""

    problem: str
    decision: str
    confidence: float
    rationale: str
    summary: str
    benefits: list[str]
    risks: list[str]
    ideas: list[str]
    open_questions: list[str]
    degraded: bool
    failed_steps: list[str]
    analysed_at: datetime


BriefSource = Literal["offline", "model", "report"]


class Brief(BaseModel):
    """What `brief --format json` prints; the Markdown, HTML and ICS are rendered from it."""

    schema_version: int = BRIEF_SCHEMA_VERSION
    kind: Literal["sixhats.brief"] = "sixhats.brief"
    audience: Audience
    topic: str
    topic_kind: TopicKind
    source: BriefSource
    program: ProgramRef
    purpose: str
    framing: str
    goals: list[str]
    alternatives: list[str]
    out_of_scope: list[str]
    minutes: int
    participants: int | None
    attendees: list[Attendee] = Field(default_factory=list)
    owner: str | None = Field(None, description="who owns the decision")
    where: str | None = Field(None, description="the room or the call's link")
    start: datetime | None = Field(description="date and time, when a date was given")
    start_time: str | None = Field(description="clock time of the start, when given")
    medium: Medium = Field("room", description="in the room, or online: sizes the red hat")
    agenda: list[AgendaItem]
    hat_guide: list[HatGuide]
    pre_work: list[PreWorkItem]
    facilitator_notes: list[str] = Field(description="facilitator's copy only")
    time_cues: list[str] = Field(description="facilitator's copy only")
    outcome: Outcome | None = Field(description="facilitator's copy only: filled in at the meeting")
    pre_read: PreRead | None = None
    bank_steps: list[str] = Field(
        default_factory=list,
        description="steps of a tailored brief whose questions came from the banks instead",
    )
    model: str | None = None
    usage: Usage | None = None
    warnings: list[str] = Field(
        default_factory=list, description="what the facilitator should know: time, model"
    )
    sixhats_version: str = __version__
