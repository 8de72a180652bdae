"""The engine: runs a program's steps and assembles the report.

Every command that talks to a model (`analyze`, `batch`, `rerun`) goes through `Engine.run`.
The opening blue frames the problem; the hats run in program order, each seeing the board so
far (`sequential`), or all at once and blind to each other (`parallel`); the closing blue
synthesises the report. A failed hat does not sink the run: the synthesis goes on and the
report says it is degraded. The board passed to each step is a compact summary within a token
budget (see `board`), and each step answers the schema of this run (see `run_schema`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sixhats_ai.board import alternatives_of, board_entries, direction
from sixhats_ai.comparison import compare
from sixhats_ai.documents import Document
from sixhats_ai.errors import BudgetExceeded, SixhatsError, first_problems
from sixhats_ai.hats import hat_info
from sixhats_ai.models import (
    CondensedDocument,
    Framing,
    Metadata,
    ProgramRef,
    Report,
    StepOutput,
    StepRecord,
    Usage,
)
from sixhats_ai.placeholder import placeholder_records
from sixhats_ai.programs import PlannedStep, Program
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce, template_name_for
from sixhats_ai.random_entry import random_word
from sixhats_ai.run_schema import RunShape, base_model, dot_total, output_model, shape_for
from sixhats_ai.structured import StructuredCaller
from sixhats_ai.version import __version__

Flow = Literal["sequential", "parallel"]


@dataclass
class RunRequest:
    problem: str
    program: Program
    documents: list[Document] = field(default_factory=list)
    flow: Flow = "sequential"
    include_optional: bool = True
    strict: bool = False
    warnings: list[str] = field(default_factory=list)  # what was cut to fit the context
    condensed: list[CondensedDocument] = field(default_factory=list)  # see condense.py


@dataclass
class StepEvent:
    """Progress of one step, for the live display."""

    step: PlannedStep
    status: Literal["running", "done", "failed", "reused"]
    record: StepRecord | None = None


class SynthesisFailed(SixhatsError):
    """The closing blue failed; the hat outputs are kept in `steps`."""

    def __init__(self, cause: SixhatsError, steps: list[StepRecord]) -> None:
        super().__init__(f"the synthesis failed: {first_problems(cause.message)}", hint=cause.hint)
        self.exit_code = cause.exit_code
        self.steps = steps
        # Every problem, for the store and a SIXHATS_DEBUG traceback; one_line() names 3.
        self.full_message = SixhatsError(
            f"the synthesis failed: {cause.message}", hint=cause.hint
        ).one_line()
        self.args = (self.full_message,)


def output_schema(
    step: PlannedStep,
    request: RunRequest | None = None,
    seen: list[StepRecord] | None = None,
    cited: list[str] | None = None,
) -> type[Any]:
    """The answer model of `step` in this run: its schema carries this run's ids and choices
    (without a request: the rules every run shares, for callers outside a run)."""
    if request is None:
        return output_model(base_model(step), RunShape(step_ids=tuple(cited or ())))
    shape = shape_for(
        request.program, step, seen or [], cited=cited or [], documents=bool(request.documents)
    )
    return output_model(base_model(step), shape)


@dataclass
class Engine:
    caller: StructuredCaller
    prompts: PromptLibrary
    model_for: Callable[[PlannedStep], str]
    on_event: Callable[[StepEvent], None] = lambda event: None
    _checked: set[str] = field(default_factory=set, init=False, repr=False)

    def render(
        self,
        request: RunRequest,
        step: PlannedStep,
        board: list[dict[str, Any]],
        ok_ids: list[str] | None = None,
        failed_ids: list[str] | None = None,
        seen: list[StepRecord] | None = None,
    ) -> RenderedPrompt:
        """The step's two messages; every variable a template may use is set here."""
        nonce = new_nonce()
        while nonce in request.problem or any(nonce in d.text for d in request.documents):
            nonce = new_nonce()
        program = request.program
        alternatives = alternatives_of(seen or []) if program.compares_alternatives else []
        variables = {
            "hat": hat_info(step.hat),
            "step": {
                "id": step.id,
                "label": step.step.label,
                "focus": step.step.focus,
                "extended": step.step.extended,
            },
            "program": {
                "name": program.name,
                "slug": program.slug,
                "sequence": program.sequence,
                "compares_alternatives": program.compares_alternatives,
                "closing": program.closing,
            },
            "problem": request.problem,
            "documents": [{"name": d.name, "text": d.text} for d in request.documents],
            "condensed": bool(request.condensed),
            "board": board,
            "flow": request.flow,
            "step_ids": ok_ids or [],
            "failed_steps": failed_ids or [],
            "direction": direction(seen or []),
            "alternatives": alternatives,
            "comparison": [c.tally() for c in compare(seen or [])]
            if step.role == "synthesis"
            else [],
            "dots": dot_total(len(alternatives)),
            "random_word": random_word(request, step) if step.hat.value == "green" else None,
            "nonce": nonce,
        }
        return self.prompts.render_prompt(template_name_for(step.role, step.hat.value), variables)

    def preview(self, request: RunRequest) -> list[tuple[PlannedStep, RenderedPrompt]]:
        """Every prompt the program would send, in order, without calling a model."""
        plan = request.program.plan(include_optional=request.include_optional)
        ids = [s.id for s in plan[:-1]]
        return [
            (step, self.render(request, step, self._board(request, step, seen), ids, [], seen))
            for step, seen in self._placeholder_seen(request, plan)
        ]

    def preview_schema(self, request: RunRequest, step: PlannedStep) -> tuple[str, int]:
        """The name and size (characters) of the schema `step` would be sent, for --dry-run."""
        plan = request.program.plan(include_optional=request.include_optional)
        seen = dict((s.id, v) for s, v in self._placeholder_seen(request, plan))[step.id]
        model = output_schema(step, request, seen, [s.id for s in plan[:-1]])
        return model.__name__, len(json.dumps(model.model_json_schema(), separators=(",", ":")))

    @staticmethod
    def _placeholder_seen(
        request: RunRequest, plan: list[PlannedStep]
    ) -> list[tuple[PlannedStep, list[StepRecord]]]:
        """Each step with what it would see, answered by the placeholder analysis."""
        records = placeholder_records(plan)
        parallel = request.flow == "parallel"
        return [
            (step, records[: min(i, 1) if parallel and step.role == "hat" else i])
            for i, step in enumerate(plan)
        ]

    @staticmethod
    def _board(
        request: RunRequest, step: PlannedStep, seen: list[StepRecord]
    ) -> list[dict[str, Any]]:
        by_id = {s.id: s for s in request.program.plan()}
        return board_entries(seen, by_id, synthesis=step.role == "synthesis")

    async def _run_step(
        self,
        request: RunRequest,
        step: PlannedStep,
        seen: list[StepRecord],
        ok_ids: list[str] | None = None,
        failed_ids: list[str] | None = None,
    ) -> tuple[StepRecord, Any]:
        """Run one step on the board of the steps it has `seen`; a failed hat becomes a failed
        record unless the run is strict."""
        model = self.model_for(step)
        prompt = self.render(
            request, step, self._board(request, step, seen), ok_ids, failed_ids, seen
        )
        self.on_event(StepEvent(step, "running"))
        started = time.perf_counter()
        base = functools.partial(
            StepRecord,
            id=step.id,
            hat=step.hat.value,
            role=step.role,
            focus=step.step.focus,
            model=model,
            random_word=random_word(request, step) if step.hat.value == "green" else None,
        )
        answer_model = output_schema(step, request, seen, ok_ids or [])
        try:
            done = await self.caller.call(model, prompt.messages(), answer_model)
        except SixhatsError as exc:
            record = base(
                status="failed",
                error=exc.one_line(),
                seconds=round(time.perf_counter() - started, 3),
            )
            self.on_event(StepEvent(step, "failed", record))
            if request.strict or step.role != "hat" or isinstance(exc, BudgetExceeded):
                raise
            return record, None
        output = done.output if isinstance(done.output, StepOutput) else None
        record = base(
            status="ok",
            output=output,
            mode=done.mode.value,
            seconds=round(done.seconds, 3),
            usage=done.usage,
        )
        self.on_event(StepEvent(step, "done", record))
        return record, done.output

    async def _hat_step(
        self,
        request: RunRequest,
        step: PlannedStep,
        seen: list[StepRecord],
        reuse: dict[str, StepRecord],
    ) -> StepRecord:
        kept = reuse.get(step.id)
        if kept is not None and kept.status == "ok":
            self.on_event(StepEvent(step, "reused", kept))
            return kept
        record, _ = await self._run_step(request, step, seen)
        return record

    async def run(self, request: RunRequest, reuse: dict[str, StepRecord] | None = None) -> Report:
        """Run the program; steps found ok in `reuse` (from a stored run) are not asked again."""
        reuse = reuse or {}
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        plan = request.program.plan(include_optional=request.include_optional)
        # Before the first request: a broken template or a budget that cannot bound a model
        # fails now, not after the hats have been paid for (once per program: a batch runs
        # the same program many times).
        if request.program.slug not in self._checked:
            self.preview(request)
            self.caller.check_priced({self.model_for(step) for step in plan})
            self._checked.add(request.program.slug)
        opening, hats, closing = plan[0], plan[1:-1], plan[-1]
        records: list[StepRecord] = [await self._hat_step(request, opening, [], reuse)]

        if request.flow == "sequential":
            for step in hats:
                records.append(await self._hat_step(request, step, list(records), reuse))
        else:
            framing_only = list(records)
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [
                        group.create_task(self._hat_step(request, s, framing_only, reuse))
                        for s in hats
                    ]
            except ExceptionGroup as errors:  # --strict or --max-cost stopped a hat
                raise errors.exceptions[0] from None
            records.extend(task.result() for task in tasks)

        ok_ids = [r.id for r in records if r.status == "ok"]
        failed_ids = [r.id for r in records if r.status == "failed"]
        try:
            closing_record, synthesis = await self._run_step(
                request, closing, records, ok_ids, failed_ids
            )
        except SixhatsError as exc:
            raise SynthesisFailed(exc, records) from exc
        records.append(closing_record)

        usage = Usage()
        for spent in [r.usage for r in records] + [c.usage for c in request.condensed]:
            usage.add(spent)  # condensing the documents is part of the run's cost
        framing = records[0].output
        return Report(
            problem=request.problem,
            program=ProgramRef(
                slug=request.program.slug,
                name=request.program.name,
                sequence=request.program.sequence,
            ),
            framing=framing if isinstance(framing, Framing) else None,
            steps=records,
            synthesis=synthesis,
            comparison=compare(records),
            metadata=Metadata(
                sixhats_version=__version__,
                flow=request.flow,
                models=sorted({r.model for r in records}),
                base_url=self.caller.backend.identity,
                started_at=started_at,
                finished_at=datetime.now(UTC),
                seconds=round(time.perf_counter() - started, 3),
                usage=usage,
                degraded=bool(failed_ids),
                failed_steps=failed_ids,
                condensed=request.condensed,
            ),
        )
