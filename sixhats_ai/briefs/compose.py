"""A pre-meeting brief: purpose, a timed agenda, a guide to each hat, questions, pre-work.

The brief is data (`Brief`, what `brief --format json` prints); the Markdown, HTML and
calendar renderers only lay it out. It is written for one audience: participants get the
purpose, the agenda, the hat guide, the questions and the pre-work; the facilitator gets the
same plus the facilitator notes, time-keeping cues and the outcome to fill in. Its questions
come from one of three places:

- offline: each hat's question bank (`prompts/brief/bank/<hat>.toml`, see `bank.py`);
- a model: one request for questions tailored to the topic (`brief_plan`), the banks filling
  in for any step a weak model could not answer;
- a saved report: the banks again, fed with the report's gaps, risks, benefits and ideas, plus
  a one-page pre-read of the analysis; no request at all.

Every text that reaches a template (topic, model answers, report findings) is a variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sixhats_ai.briefs.model import (
    AgendaItem,
    Attendee,
    Audience,
    Brief,
    HatGuide,
    Outcome,
    PreRead,
    PreWorkItem,
)
from sixhats_ai.briefs.questions import (
    BankContext,
    Findings,
    one_line,
    render_lines,
    step_focus,
)
from sixhats_ai.method.agenda import (
    DOTS_EACH,
    Clock,
    Medium,
    Sizing,
    Slot,
    Start,
    fixed_seconds,
    format_box,
    is_vote,
    overflow_warning,
    plan_agenda,
    step_title,
    suggested_minutes,
    time_boxes,
)
from sixhats_ai.method.hats import Hat, hat_info
from sixhats_ai.method.programs import PlannedStep, Program
from sixhats_ai.method.topic import TopicKind, detect_kind, subject_of
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.usage import ProgramRef

if TYPE_CHECKING:
    from sixhats_ai.briefs.plan import TailoredPlan
    from sixhats_ai.run.report import Framing, Report

PRE_READ_ITEMS = 4


# Building it --------------------------------------------------------------------------------

_ADDRESS = re.compile(r"^(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>\s]+@[^<>\s]+)>|(?P<bare>\S+@\S+))$")


def parse_attendees(text: str | None) -> list[Attendee]:
    """`Ann <ann@example.org>, bob@example.org, Carol`: names, with addresses where given."""
    people = []
    for part in (text or "").split(","):
        entry = part.strip()
        if not entry:
            continue
        match = _ADDRESS.match(entry)
        if match is None:
            people.append(Attendee(name=entry))
        elif match["bare"]:
            people.append(Attendee(name=match["bare"], email=match["bare"]))
        else:
            people.append(Attendee(name=match["name"] or match["angle"], email=match["angle"]))
    return people


@dataclass
class BriefRequest:
    topic: str
    program: Program
    minutes: int | None = None
    participants: int | None = None
    start: Start | None = None
    include_optional: bool = True
    kind: TopicKind | None = None
    clock: Clock = "hh:mm"
    medium: Medium = "room"
    audience: Audience = "participants"
    attendees: list[Attendee] = field(default_factory=list)
    owner: str | None = None
    where: str | None = None

    def steps(self) -> list[PlannedStep]:
        return self.program.plan(include_optional=self.include_optional)

    @property
    def topic_kind(self) -> TopicKind:
        return self.kind or detect_kind(self.topic, self.program.slug)

    @property
    def sizing(self) -> Sizing:
        return Sizing(self.participants, self.program.compares_alternatives, self.medium)

    @property
    def suggested_minutes(self) -> int:
        return suggested_minutes(self.steps(), self.sizing)

    @property
    def meeting_minutes(self) -> int:
        """--minutes, or the program's natural length for the group."""
        return self.minutes if self.minutes is not None else self.suggested_minutes

    def agenda(self) -> list[Slot]:
        """The timed agenda; a UsageError, before any request, if it cannot fit."""
        steps = self.steps()
        boxes = time_boxes(steps, self.meeting_minutes, self.sizing, clock=self.clock)
        return plan_agenda(steps, boxes)

    def overflow(self) -> str | None:
        """One line when the meeting is too short for the group."""
        return overflow_warning(self.steps(), self.meeting_minutes, self.sizing)

    def time_notes(self, slots: list[Slot]) -> list[str]:
        """What the facilitator must know about time: a group too large for the meeting, and
        what each red hat needs for this group and medium."""
        notes = []
        if line := self.overflow():
            notes.append(line[:1].upper() + line[1:] + ".")
        notes += [self._red_note(slot) for slot in slots if slot.step.hat is Hat.RED]
        return notes

    def _red_note(self, slot: Slot) -> str:
        steps, compares = self.steps(), self.program.compares_alternatives
        if not is_vote(steps, slot.step, compares):
            return "Red hat: a word each, no reasons; go round quickly."
        group = f"{self.participants} people" if self.participants else "the group"
        how = (
            "in the room: about 30 s a person to place the dots, then count them on the wall"
            if self.medium == "room"
            else "online: share the poll, give everyone 20 s, then read out the count"
        )
        note = f"Red hat: the dot vote ({DOTS_EACH} dots each) for {group} {how}"
        needed = fixed_seconds(steps, slot.step, self.sizing) or 0
        if slot.seconds < needed:
            note += f"; it needs about {format_box(needed)}, and has {format_box(slot.seconds)}"
        return note + "."


def _hat_guide(steps: list[PlannedStep]) -> list[HatGuide]:
    hats = dict.fromkeys(s.hat for s in steps)
    return [HatGuide.model_validate(info, from_attributes=True) for info in map(hat_info, hats)]


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


def time_cues(items: list[AgendaItem]) -> list[str]:
    """What the facilitator says when: each hat announced, and its end."""
    cues = []
    for item in items:
        at = item.start or f"+{item.offset_seconds // 60}:{item.offset_seconds % 60:02d}"
        until = f", until {item.end}" if item.end else ""
        cues.append(f"{at}: announce the {item.title} ({item.box}{until})")
    cues.append("One minute before each box ends, say so; at its end, change hats.")
    return cues


def _agenda_items(
    slots: list[Slot], questions: list[list[str]], start: Start | None, compares: bool
) -> list[AgendaItem]:
    steps = [s.step for s in slots]
    items = []
    for slot, step_questions in zip(slots, questions, strict=True):
        focus = step_focus(steps, slot.step)
        vote = is_vote(steps, slot.step, compares)
        items.append(
            AgendaItem(
                step_id=slot.step.id,
                hat=slot.step.hat,
                role=slot.step.role,
                label=slot.step.step.label,
                title=step_title(slot.step, focus, vote),
                focus=focus,
                optional=slot.step.step.optional,
                seconds=slot.seconds,
                box=format_box(slot.seconds),
                offset_seconds=slot.offset,
                start=start.clock(slot.offset) if start else None,
                end=start.clock(slot.offset + slot.seconds) if start else None,
                questions=step_questions,
            )
        )
    return items


def _purpose(
    derived: list[str], topic: str, plan: TailoredPlan | None, framing: Framing | None
) -> tuple[str, str, list[str]]:
    """Purpose, framing question and out of scope: the model's or the report's where they
    gave them, else derived from the topic and program (`brief/purpose.j2`)."""
    purpose, question, out_of_scope = derived[0], topic, derived[1:]
    if plan is not None:
        return (
            plan.purpose or purpose,
            plan.framing or question,
            plan.out_of_scope or out_of_scope,
        )
    if framing is not None:
        return (
            "; ".join(framing.goals) or purpose,
            framing.framing,
            framing.out_of_scope or out_of_scope,
        )
    return purpose, question, out_of_scope


def _pre_work(plan: TailoredPlan | None, banks: BankContext) -> list[PreWorkItem]:
    """The model's or the report's gaps and open questions, else the pre-work of this program
    and kind of topic (`brief/bank/prework.toml`)."""
    findings = banks.findings
    gaps = plan.pre_work if plan else findings.gaps
    items = [
        PreWorkItem(question=one_line(g.question), how_to_fill=one_line(g.how_to_fill))
        for g in gaps
    ]
    items += [PreWorkItem(question=q) for q in findings.open_questions]
    return items or [PreWorkItem(question=q) for q in banks.pre_work()]


def _banks(
    library: PromptLibrary, request: BriefRequest, report: Report | None, alternatives: list[str]
) -> BankContext:
    return BankContext(
        library=library,
        program=request.program,
        steps=request.steps(),
        subject=subject_of(request.topic, request.topic_kind),
        findings=Findings.of(report) if report else Findings.none(),
        alternatives=alternatives,
    )


def _facilitator_notes(
    library: PromptLibrary, request: BriefRequest, slots: list[Slot], common: dict[str, Any]
) -> list[str]:
    """`brief/notes.j2`, with the notes on time (`time_notes`) before its closing line."""
    notes = render_lines(library, "brief/notes.j2", common)
    notes[-1:-1] = request.time_notes(slots)
    return notes


def _warnings(request: BriefRequest, bank_steps: list[str]) -> list[str]:
    """What the caller should say: a meeting too short for the group, and the steps a model's
    answer missed."""
    warnings = [w for w in [request.overflow()] if w]
    if bank_steps:
        warnings.append(
            f"the model's answer did not fit for {', '.join(bank_steps)}; "
            "their questions come from the question banks"
        )
    return warnings


def build_brief(
    library: PromptLibrary,
    request: BriefRequest,
    *,
    plan: TailoredPlan | None = None,
    report: Report | None = None,
) -> Brief:
    """Assemble the brief; `plan` is a model's answer, `report` a saved analysis."""
    steps = request.steps()
    slots = request.agenda()
    framing = report.framing if report else None
    alternatives = list(framing.alternatives) if framing else []
    banks = _banks(library, request, report, alternatives)
    answered = plan.questions if plan else {}
    questions = [[one_line(q) for q in answered.get(s.id, [])] or banks.questions(s) for s in steps]
    common = banks.common_vars(
        request.meeting_minutes, request.participants, request.suggested_minutes
    )
    pre_work = _pre_work(plan, banks)
    purpose, question, out_of_scope = _purpose(
        render_lines(library, "brief/purpose.j2", common), request.topic, plan, framing
    )
    facilitator = request.audience == "facilitator"
    bank_steps = [s.id for s in steps if plan is not None and s.id not in answered]
    compares = request.program.compares_alternatives
    items = _agenda_items(slots, questions, request.start, compares)
    notes = _facilitator_notes(library, request, slots, common) if facilitator else []
    start = request.start
    program = request.program
    return Brief(
        audience=request.audience,
        topic=request.topic,
        topic_kind=request.topic_kind,
        source="model" if plan else "report" if report else "offline",
        program=ProgramRef(slug=program.slug, name=program.name, sequence=program.sequence),
        purpose=one_line(purpose),
        framing=one_line(question),
        goals=[one_line(g) for g in framing.goals] if framing else [],
        alternatives=[one_line(a) for a in alternatives],
        out_of_scope=[one_line(o) for o in out_of_scope],
        minutes=request.meeting_minutes,
        participants=request.participants,
        attendees=request.attendees,
        owner=request.owner,
        where=request.where,
        start=start.at if start and start.dated else None,
        start_time=start.clock(0) if start else None,
        medium=request.medium,
        agenda=items,
        hat_guide=_hat_guide(steps),
        pre_work=pre_work,
        facilitator_notes=notes,
        time_cues=time_cues(items) if facilitator else [],
        outcome=Outcome() if facilitator else None,
        pre_read=_pre_read(report) if report else None,
        bank_steps=bank_steps,
        model=plan.model if plan else None,
        warnings=_warnings(request, bank_steps),
        usage=plan.usage if plan else None,
    )
