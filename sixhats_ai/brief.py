"""A pre-meeting brief: purpose, a timed agenda, a guide to each hat, questions, pre-work.

The brief is data (`Brief`, what `brief --format json` prints); the Markdown, HTML and
calendar renderers only lay it out. Its questions come from one of three places:

- offline: each hat's question bank (`prompts/brief/bank/<hat>.j2`, overridable), topic filled in;
- a model: one request for questions tailored to the topic (`prompts/brief/prompt.j2`);
- a saved report: the bank again, fed with the report's gaps, risks, benefits and ideas, plus a
  one-page pre-read of the analysis; no request at all.

Every text that reaches a template (topic, model answers, report findings) is a variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from sixhats_ai import __version__
from sixhats_ai.agenda import Slot, Start, format_box, plan_agenda, suggested_minutes
from sixhats_ai.errors import UsageError
from sixhats_ai.hats import Hat, hat_info
from sixhats_ai.models import (
    BlackOutput,
    GreenOutput,
    InformationGap,
    ProgramRef,
    RedOutput,
    Report,
    Strict,
    Usage,
    WhiteOutput,
    YellowOutput,
)
from sixhats_ai.programs import PlannedStep, Program
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce

if TYPE_CHECKING:
    from sixhats_ai.api import Session

BRIEF_SCHEMA_VERSION = 1
MIN_QUESTIONS = 3
MAX_QUESTIONS = 5
TOPIC_CHARS = 120
PRE_READ_ITEMS = 4

# What the model is asked for -------------------------------------------------------------


class StepQuestions(Strict):
    step_id: str = Field(description="the step's id, e.g. '3-green'")
    questions: list[str] = Field(description="3 to 5 guiding questions for this step")


class BriefPlan(Strict):
    """The one model request of a tailored brief."""

    purpose: str = Field(description="what the meeting must decide or produce, in one sentence")
    framing: str = Field(description="the topic restated as the question the meeting answers")
    out_of_scope: list[str] = Field(description="what this meeting will not decide")
    pre_work: list[InformationGap] = Field(
        description="white hat gaps: information to gather before the meeting, and how"
    )
    steps: list[StepQuestions] = Field(description="guiding questions for every step, in order")

    @field_validator("steps")
    @classmethod
    def _every_step_once(
        cls, steps: list[StepQuestions], info: ValidationInfo
    ) -> list[StepQuestions]:
        known = (info.context or {}).get("step_ids")
        given = [s.step_id for s in steps]
        if known is not None and sorted(given) != sorted(known):
            raise ValueError(f"give questions for exactly these step ids: {', '.join(known)}")
        for step in steps:
            if not MIN_QUESTIONS <= len(step.questions) <= MAX_QUESTIONS:
                raise ValueError(
                    f"step {step.step_id} has {len(step.questions)} questions; "
                    f"give {MIN_QUESTIONS} to {MAX_QUESTIONS}"
                )
        return steps


# The brief ----------------------------------------------------------------------------------


class AgendaItem(BaseModel):
    step_id: str
    hat: Hat
    role: str
    label: str
    focus: str | None
    optional: bool
    seconds: int
    box: str = Field(description="the time box as people read it, e.g. '5 min', '30 s'")
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

    @classmethod
    def of(cls, gap: InformationGap) -> PreWorkItem:
        return cls(question=_one_line(gap.question), how_to_fill=_one_line(gap.how_to_fill))


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
    topic: str
    source: BriefSource
    program: ProgramRef
    purpose: str
    framing: str
    goals: list[str]
    alternatives: list[str]
    out_of_scope: list[str]
    minutes: int
    participants: int | None
    start: datetime | None = Field(description="date and time, when a date was given")
    start_time: str | None = Field(description="clock time of the start, when given")
    agenda: list[AgendaItem]
    hat_guide: list[HatGuide]
    pre_work: list[PreWorkItem]
    facilitator_notes: list[str]
    outcome: Outcome = Field(default_factory=Outcome)
    pre_read: PreRead | None = None
    model: str | None = None
    usage: Usage | None = None
    sixhats_version: str = __version__


# Building it --------------------------------------------------------------------------------


@dataclass
class BriefRequest:
    topic: str
    program: Program
    minutes: int | None = None
    participants: int | None = None
    start: Start | None = None
    include_optional: bool = True

    def steps(self) -> list[PlannedStep]:
        return self.program.plan(include_optional=self.include_optional)

    @property
    def meeting_minutes(self) -> int:
        """--minutes, or the program's natural length for the group."""
        if self.minutes is not None:
            return self.minutes
        return suggested_minutes(self.steps(), self.participants)

    def agenda(self) -> list[Slot]:
        """The timed agenda; a UsageError, before any request, if it cannot fit."""
        return plan_agenda(self.steps(), self.meeting_minutes, self.participants)


def short_topic(topic: str) -> str:
    """The topic on one line, without its closing punctuation (the questions add their own),
    cut at a word near TOPIC_CHARS."""
    line = " ".join(topic.split()).rstrip(".?!")
    if len(line) <= TOPIC_CHARS:
        return line
    return line[:TOPIC_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_BULLET = re.compile(r"^[-*•]\s+")


def render_lines(library: PromptLibrary, name: str, variables: dict[str, Any]) -> list[str]:
    """A template rendered as a list: one item a non-empty line, bullets stripped, no repeats."""
    text = library.render_text(name, variables)
    lines = (_BULLET.sub("", line.strip()) for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _program_vars(program: Program) -> dict[str, Any]:
    return {
        "name": program.name,
        "slug": program.slug,
        "sequence": program.sequence,
        "summary": program.summary,
        "compares_alternatives": program.compares_alternatives,
    }


def _step_vars(step: PlannedStep) -> dict[str, Any]:
    return {
        "id": step.id,
        "label": step.step.label,
        "role": step.role,
        "focus": step.step.focus,
        "extended": step.step.extended,
        "optional": step.step.optional,
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _finding(text: str) -> str:
    """A finding to quote inside a question: one line, no closing punctuation of its own."""
    return _one_line(text).rstrip(".?!")


@dataclass
class Findings:
    """What a saved report found, by kind, as one-line texts for the question banks."""

    gaps: list[InformationGap]
    risks: list[str]
    benefits: list[str]
    ideas: list[str]
    feelings: list[str]
    open_questions: list[str]

    @classmethod
    def none(cls) -> Findings:
        return cls([], [], [], [], [], [])

    @classmethod
    def of(cls, report: Report) -> Findings:
        found = cls.none()
        for record in report.steps:
            out = record.output
            if isinstance(out, WhiteOutput):
                found.gaps += out.gaps
            elif isinstance(out, BlackOutput):
                found.risks += [r.point for r in out.risks]
            elif isinstance(out, YellowOutput):
                found.benefits += [b.point for b in out.benefits]
            elif isinstance(out, GreenOutput):
                found.ideas += [i.idea for i in out.ideas]
            elif isinstance(out, RedOutput):
                found.feelings += [f"{r.about}: {r.feeling}" for r in out.reactions]
        found.risks += [r.text for r in report.synthesis.risks]
        found.benefits += [b.text for b in report.synthesis.benefits]
        found.open_questions = [q.question for q in report.synthesis.open_questions]
        for name in ("risks", "benefits", "ideas", "feelings", "open_questions"):
            setattr(found, name, list(dict.fromkeys(map(_finding, getattr(found, name)))))
        return found

    def as_vars(self) -> dict[str, Any]:
        return {
            "gaps": [_finding(g.question) for g in self.gaps],
            "risks": self.risks,
            "benefits": self.benefits,
            "ideas": self.ideas,
            "feelings": self.feelings,
            "open_questions": self.open_questions,
        }


def bank_questions(
    library: PromptLibrary,
    request: BriefRequest,
    step: PlannedStep,
    findings: Findings,
    alternatives: list[str],
) -> list[str]:
    """A step's questions from its hat's bank: the first MAX_QUESTIONS lines it gives."""
    name = f"brief/bank/{step.hat.value}.j2"
    questions = render_lines(
        library,
        name,
        {
            "topic": short_topic(request.topic),
            "hat": hat_info(step.hat),
            "step": _step_vars(step),
            "program": _program_vars(request.program),
            "alternatives": alternatives,
            "findings": findings.as_vars(),
        },
    )
    if len(questions) < MIN_QUESTIONS:
        raise UsageError(
            f"template {name} gives {len(questions)} questions for step {step.id}; "
            f"a step needs at least {MIN_QUESTIONS}",
            hint="put one question a line in the template",
        )
    return questions[:MAX_QUESTIONS]


def model_prompt(library: PromptLibrary, request: BriefRequest) -> RenderedPrompt:
    """The one request of a tailored brief; the topic goes in fenced, as data."""
    nonce = new_nonce()
    while nonce in request.topic:
        nonce = new_nonce()
    slots = request.agenda()
    return library.render_prompt(
        "brief/prompt.j2",
        {
            "problem": request.topic,
            "program": _program_vars(request.program),
            "steps": [
                {**_step_vars(s.step), "hat": hat_info(s.step.hat), "box": format_box(s.seconds)}
                for s in slots
            ],
            "step_ids": [s.step.id for s in slots],
            "min_questions": MIN_QUESTIONS,
            "max_questions": MAX_QUESTIONS,
            "nonce": nonce,
        },
    )


async def tailored_plan(session: Session, request: BriefRequest) -> tuple[BriefPlan, Usage, str]:
    """Ask the session's model, once, for the brief's framing, pre-work and questions."""
    caller = session.engine.caller
    assert caller is not None, "a tailored brief needs a model session"
    model = session.provider.model_for("brief", "blue", None)
    prompt = model_prompt(session.engine.prompts, request)
    done = await caller.call(
        model,
        prompt.messages(),
        BriefPlan,
        context={"step_ids": [s.id for s in request.steps()]},
    )
    assert isinstance(done.output, BriefPlan)
    return done.output, done.usage, model


def _hat_guide(steps: list[PlannedStep]) -> list[HatGuide]:
    hats = dict.fromkeys(s.hat for s in steps)
    return [
        HatGuide(
            hat=info.hat,
            title=info.title,
            colour=info.colour,
            direction=info.direction,
            technique=info.technique,
            belongs=info.belongs,
            does_not_belong=info.does_not_belong,
        )
        for info in map(hat_info, hats)
    ]


def _pre_read(report: Report) -> PreRead:
    s = report.synthesis
    found = Findings.of(report)
    return PreRead(
        problem=report.problem,
        decision=s.recommendation.decision,
        confidence=s.recommendation.confidence,
        rationale=s.recommendation.rationale,
        summary=s.summary,
        benefits=found.benefits[:PRE_READ_ITEMS],
        risks=found.risks[:PRE_READ_ITEMS],
        ideas=found.ideas[:PRE_READ_ITEMS],
        open_questions=found.open_questions[:PRE_READ_ITEMS],
        degraded=report.degraded,
        failed_steps=report.metadata.failed_steps,
        analysed_at=report.metadata.finished_at,
    )


def _in_order(plan: BriefPlan, steps: list[PlannedStep]) -> list[StepQuestions]:
    by_id = {s.step_id: s for s in plan.steps}
    return [by_id[s.id] for s in steps]


def build_brief(
    library: PromptLibrary,
    request: BriefRequest,
    *,
    plan: BriefPlan | None = None,
    report: Report | None = None,
    model: str | None = None,
    usage: Usage | None = None,
) -> Brief:
    """Assemble the brief; `plan` is a model's answer, `report` a saved analysis."""
    steps = request.steps()
    slots = request.agenda()
    findings = Findings.of(report) if report else Findings.none()
    framing = report.framing if report else None
    alternatives = list(framing.alternatives) if framing else []

    if plan is not None:
        questions = [[_one_line(q) for q in s.questions] for s in _in_order(plan, steps)]
        pre_work = [PreWorkItem.of(gap) for gap in plan.pre_work]
    else:
        questions = [bank_questions(library, request, s, findings, alternatives) for s in steps]
        pre_work = [PreWorkItem.of(gap) for gap in findings.gaps]
        pre_work += [PreWorkItem(question=q) for q in findings.open_questions]

    common = {
        "topic": short_topic(request.topic),
        "program": _program_vars(request.program),
        "hats": [s.hat.value for s in steps],
        "minutes": request.meeting_minutes,
        "participants": request.participants,
        "suggested_minutes": suggested_minutes(steps, request.participants),
    }
    if not pre_work:
        generic = render_lines(library, "brief/prework.j2", common)
        pre_work = [PreWorkItem(question=q) for q in generic]
    if plan is not None:
        purpose, question, out_of_scope = plan.purpose, plan.framing, plan.out_of_scope
    elif framing is not None:
        purpose = "; ".join(framing.goals) or request.program.summary
        question, out_of_scope = framing.framing, framing.out_of_scope
    else:
        purpose, question, out_of_scope = request.program.summary, request.topic, []
    start = request.start
    return Brief(
        topic=request.topic,
        source="model" if plan else "report" if report else "offline",
        program=ProgramRef(
            slug=request.program.slug, name=request.program.name, sequence=request.program.sequence
        ),
        purpose=_one_line(purpose),
        framing=_one_line(question),
        goals=[_one_line(g) for g in framing.goals] if framing else [],
        alternatives=[_one_line(a) for a in alternatives],
        out_of_scope=[_one_line(o) for o in out_of_scope],
        minutes=request.meeting_minutes,
        participants=request.participants,
        start=start.at if start and start.dated else None,
        start_time=start.clock(0) if start else None,
        agenda=[
            AgendaItem(
                step_id=slot.step.id,
                hat=slot.step.hat,
                role=slot.step.role,
                label=slot.step.step.label,
                focus=slot.step.step.focus,
                optional=slot.step.step.optional,
                seconds=slot.seconds,
                box=format_box(slot.seconds),
                offset_seconds=slot.offset,
                start=start.clock(slot.offset) if start else None,
                end=start.clock(slot.offset + slot.seconds) if start else None,
                questions=step_questions,
            )
            for slot, step_questions in zip(slots, questions, strict=True)
        ],
        hat_guide=_hat_guide(steps),
        pre_work=pre_work,
        facilitator_notes=render_lines(library, "brief/notes.j2", common),
        pre_read=_pre_read(report) if report else None,
        model=model,
        usage=usage,
    )
