"""A meeting's notes turned into the same `Report` as `analyze`, through the model.

Each step's findings are the meeting's own points, which the model only structures into the
hat's schema of this run (`run_schema`, as `analyze` sends it: yellow, black and red points
tagged with the alternative they concern), marked `origin: meeting`; with `fill_gaps` it may
add points of its own, kept apart in `added` (or, for a step the meeting left empty, as the
step's output with `origin: model`). The red hat carries the real dot votes, which the model
does not replace with its own, and which the comparison counts. The closing blue writes the
decision, owners and dates from the meeting's points, in the program's closing shape. The notes
are untrusted: they reach the model only as fenced data (`prompts/minutes/`), through the
session's `StructuredCaller`, cache and budget, as every other request does.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sixhats_ai.briefs.questions import program_vars
from sixhats_ai.errors import SixhatsError
from sixhats_ai.meeting_minutes.layout import dot_votes
from sixhats_ai.meeting_minutes.meeting import Meeting
from sixhats_ai.meeting_minutes.notes import MeetingNotes, StepNotes
from sixhats_ai.method.hats import Hat, hat_info
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.prompts import RenderedPrompt, new_nonce
from sixhats_ai.run.assembly import RunClock, assemble_report
from sixhats_ai.run.board import alternatives_of, risk_ref
from sixhats_ai.run.comparison import compare
from sixhats_ai.run.engine import SynthesisFailed
from sixhats_ai.run.report import (
    BlackOutput,
    Origin,
    Report,
    StepOutput,
    StepRecord,
    Synthesis,
    Usage,
)
from sixhats_ai.run.schemas import base_model, output_model, shape_for
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.session import Session

NO_NOTES = "the meeting's notes have nothing for this step"


def alternatives(meeting: Meeting) -> list[str]:
    """The alternatives the meeting's opening blue named, in a program that compares."""
    return alternatives_of(meeting.records) if meeting.program.compares_alternatives else []


def answer_model(meeting: Meeting, step: PlannedStep, cited: list[str] | None = None) -> type[Any]:
    """The schema `step` is sent, as in `analyze`: this run's alternatives, risks and step
    ids; the notes count as the supplied material, and the model casts no dot vote."""
    shape = shape_for(meeting.program, step, meeting.records, cited=cited or [], documents=True)
    return output_model(base_model(step), replace(shape, meeting=True))


def _nonce(meeting: Meeting) -> str:
    texts = meeting.texts()
    nonce = new_nonce()
    while any(nonce in t for t in texts):
        nonce = new_nonce()
    return nonce


def _risks(records: list[StepRecord]) -> list[str]:
    """The black hats' risks by number, for a green that says which one an idea answers."""
    return [
        f"{risk_ref(r.id, n)}: {risk.point}"
        for r in records
        if isinstance(r.output, BlackOutput)
        for n, risk in enumerate(r.output.risks, 1)
    ]


def _step_prompt(session: Session, meeting: Meeting, notes: StepNotes, mode: str) -> RenderedPrompt:
    step = notes.step
    return session.engine.prompts.render_prompt(
        "minutes/structure.j2",
        {
            "problem": meeting.topic,
            "program": program_vars(meeting.program),
            "step": {
                "id": step.id,
                "label": step.step.label,
                "role": step.role,
                "focus": step.step.focus,
                "hat": step.hat.value,
            },
            "hat": hat_info(step.hat),
            "mode": mode,
            "alternatives": alternatives(meeting),
            "voted": [t.alternative for t in meeting.votes]
            if step.role == "framing" and meeting.program.compares_alternatives
            else [],
            "risks": _risks(meeting.records) if step.hat is Hat.GREEN else [],
            "notes": "\n".join(f"- {p}" for p in notes.points) or "(no notes)",
            "nonce": _nonce(meeting),
        },
    )


async def _ask(
    session: Session,
    meeting: Meeting,
    step: PlannedStep,
    prompt: RenderedPrompt,
    record: dict[str, Any],
) -> StepOutput:
    """One ask of the step's model; its usage, and the model that answered, go in `record`."""
    model = answer_model(meeting, step)
    done = await session.ask(session.model_for(step), prompt, model)
    record["usage"].add(done.usage)
    record["model"] = done.model or record["model"]
    assert isinstance(done.output, StepOutput)
    return done.output


async def structure_step(session: Session, meeting: Meeting, notes: StepNotes) -> StepRecord:
    """One step: the meeting's points structured, the model's additions apart, votes on red."""
    step = notes.step
    started = time.perf_counter()
    usage = Usage()
    votes = dot_votes(meeting.votes) if step.id == meeting.voting_step() else []
    base: dict[str, Any] = {
        "id": step.id,
        "hat": step.hat.value,
        "role": step.role,
        "focus": step.step.focus,
        "model": session.engine.model_for(step),
        "votes": votes,
        "usage": usage,
    }
    output: StepOutput | None = None
    added: StepOutput | None = None
    origin: Origin = "meeting"

    async def ask(mode: str) -> StepOutput:
        return await _ask(session, meeting, step, _step_prompt(session, meeting, notes, mode), base)

    if notes.points:
        output = await ask("meeting")
        if meeting.fill_gaps:
            added = await ask("fill")
    elif meeting.fill_gaps:
        output, origin = await ask("fill"), "model"
    seconds = round(time.perf_counter() - started, 3)
    if output is None:  # listed as failed; a red hat's votes are kept, and still counted
        return StepRecord(
            **base, status="failed", error=NO_NOTES, origin="meeting", seconds=seconds
        )
    return StepRecord(
        **base, status="ok", output=output, added=added, origin=origin, seconds=seconds
    )


def _board(records: list[StepRecord], steps: dict[str, PlannedStep]) -> list[dict[str, Any]]:
    board = []
    for record in records:
        if record.output is None:
            continue
        lines = record.output.summary_lines()
        if record.origin == "model":
            lines = [f"(added by the model, not the meeting) {line}" for line in lines]
        if record.added is not None:
            lines += [f"(added by the model) {line}" for line in record.added.summary_lines()]
        board.append({"id": record.id, "label": steps[record.id].step.label, "lines": lines})
    return board


def _outcome_text(notes: MeetingNotes) -> str:
    """The outcome section, the closing blue's own notes, and what matched no step."""
    outcome = notes.outcome
    lines = [f"Decision: {outcome.decision}"] if outcome.decision else []
    lines += [
        f"Action: {a.action}; owner: {a.owner or 'not named'}; by: {a.due or 'not named'}"
        for a in outcome.actions
    ]
    lines += [f"Closing note: {p}" for p in notes.steps[-1].points]
    lines += [f"Note under {u.heading!r}: {p}" for u in notes.unplaced for p in u.points]
    lines += [f"Parked ({p.where}): {p.text}" for p in notes.parked]
    return "\n".join(lines)


async def synthesise(
    session: Session, meeting: Meeting, closing: PlannedStep
) -> tuple[StepRecord, Synthesis]:
    """The closing blue: the meeting's decision, owners and dates, from its own points."""
    steps = {s.step.id: s.step for s in meeting.notes.steps}
    ok_ids = [r.id for r in meeting.records if r.status == "ok"]
    prompt = session.engine.prompts.render_prompt(
        "minutes/synthesis.j2",
        {
            "problem": meeting.topic,
            "program": {**program_vars(meeting.program), "closing": meeting.program.closing},
            "step": {"id": closing.id},
            "board": _board(meeting.records, steps),
            "votes": [
                f"{t.alternative}: {counted(t.dots, 'dot')} from {counted(t.voters, 'voter')}"
                for t in meeting.votes
            ],
            "comparison": [c.tally() for c in compare(meeting.records)],
            "alternatives": alternatives(meeting),
            "outcome": _outcome_text(meeting.notes),
            "step_ids": ok_ids,
            "failed_steps": [r.id for r in meeting.records if r.status == "failed"],
            "nonce": _nonce(meeting),
        },
    )
    model = session.model_for(closing)
    done = await session.ask(model, prompt, answer_model(meeting, closing, ok_ids))
    assert isinstance(done.output, Synthesis)
    record = StepRecord(
        id=closing.id,
        hat=closing.hat.value,
        role=closing.role,
        status="ok",
        output=None,
        model=done.model or model,
        mode=done.mode.value,
        seconds=round(done.seconds, 3),
        usage=done.usage,
        origin="meeting",
    )
    return record, done.output


async def meeting_report(
    session: Session, meeting: Meeting, reuse: dict[str, StepRecord] | None = None
) -> Report:
    """The meeting as a `Report`: each step structured (or reused), then the synthesis."""
    reuse = reuse or {}
    clock = RunClock()
    *hats, closing = meeting.notes.steps
    for notes in hats:
        kept = reuse.get(notes.step.id)
        meeting.records.append(
            kept if kept is not None else await structure_step(session, meeting, notes)
        )
    try:
        closing_record, synthesis = await synthesise(session, meeting, closing.step)
    except SixhatsError as exc:  # the structured steps are kept; `rerun` finishes the report
        raise SynthesisFailed(exc, meeting.records) from exc
    records = [*meeting.records, closing_record]
    usage = Usage()
    for record in records:
        if record.id not in reuse:
            usage.add(record.usage)
    return assemble_report(
        problem=meeting.topic,
        program=meeting.program,
        records=records,
        synthesis=synthesis,
        flow="sequential",
        base_url=session.server,
        clock=clock,
        usage=usage,
    )
