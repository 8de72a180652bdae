"""The engine: runs a program's steps and assembles the report.

Every command that talks to a model (`analyze`, `batch`, `rerun`) goes through `Engine.run`.
The opening blue frames the problem; the hats run in program order, each seeing the board so
far (`sequential`), or all at once and blind to each other (`parallel`); the closing blue
synthesises the report. A failed hat does not sink the run: the synthesis goes on and the
report says it is degraded. The board passed to each step is a compact summary: a few short
lines a step and, for a hat, `BOARD_LINES` lines in all, shared by the steps before it. A hat's
prompt so stays bounded however long the program, and an analysis's prompt tokens grow
linearly with its steps.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sixhats_ai import __version__
from sixhats_ai.documents import Document, split_title
from sixhats_ai.errors import BudgetExceeded, SixhatsError, StoreDamaged
from sixhats_ai.hats import hat_info
from sixhats_ai.models import (
    HAT_OUTPUTS,
    Framing,
    Metadata,
    ProgramRef,
    Report,
    StepOutput,
    StepRecord,
    Synthesis,
    Usage,
)
from sixhats_ai.programs import PlannedStep, Program
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce, template_name_for
from sixhats_ai.structured import StructuredCaller

Flow = Literal["sequential", "parallel"]
BOARD_LINES_PER_STEP = 8
BOARD_LINES = 48  # a hat's whole board (six steps in full): its prompt stays bounded
SYNTHESIS_LINES_PER_STEP = 16
BOARD_LINE_CHARS = 240
DRY_RUN_BOARD = [{"id": "…", "label": "earlier steps", "lines": ["(their findings appear here)"]}]


@dataclass
class RunRequest:
    problem: str
    program: Program
    documents: list[Document] = field(default_factory=list)
    flow: Flow = "sequential"
    include_optional: bool = True
    strict: bool = False
    warnings: list[str] = field(default_factory=list)  # what was cut to fit the context


@dataclass
class StepEvent:
    """Progress of one step, for the live display."""

    step: PlannedStep
    status: Literal["running", "done", "failed", "reused"]
    record: StepRecord | None = None


class SynthesisFailed(SixhatsError):
    """The closing blue failed; the hat outputs are kept in `steps`."""

    def __init__(self, cause: SixhatsError, steps: list[StepRecord]) -> None:
        super().__init__(f"the synthesis failed: {cause.message}", hint=cause.hint)
        self.exit_code = cause.exit_code
        self.steps = steps


def output_schema(step: PlannedStep) -> type[Any]:
    if step.role == "synthesis":
        return Synthesis
    return HAT_OUTPUTS["framing" if step.role == "framing" else step.hat.value]


def _board_entry(record: StepRecord, step: PlannedStep, max_lines: int) -> dict[str, Any]:
    assert record.output is not None
    lines = [line[:BOARD_LINE_CHARS] for line in record.output.summary_lines()[:max_lines]]
    return {"id": record.id, "label": step.step.label, "lines": lines}


@dataclass
class Engine:
    caller: StructuredCaller | None
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
    ) -> RenderedPrompt:
        """The step's two messages; every variable a template may use is set here."""
        nonce = new_nonce()
        while nonce in request.problem or any(nonce in d.text for d in request.documents):
            nonce = new_nonce()
        program = request.program
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
            },
            "problem": request.problem,
            "documents": [{"name": d.name, "text": d.text} for d in request.documents],
            "board": board,
            "flow": request.flow,
            "step_ids": ok_ids or [],
            "failed_steps": failed_ids or [],
            "nonce": nonce,
        }
        return self.prompts.render_prompt(template_name_for(step.role, step.hat.value), variables)

    def preview(self, request: RunRequest) -> list[tuple[PlannedStep, RenderedPrompt]]:
        """Every prompt the program would send, in order, without calling a model."""
        plan = request.program.plan(include_optional=request.include_optional)
        ids = [s.id for s in plan[:-1]]
        return [
            (step, self.render(request, step, [] if i == 0 else DRY_RUN_BOARD, ids, []))
            for i, step in enumerate(plan)
        ]

    async def _run_step(
        self,
        request: RunRequest,
        step: PlannedStep,
        board: list[dict[str, Any]],
        ok_ids: list[str] | None = None,
        failed_ids: list[str] | None = None,
    ) -> tuple[StepRecord, Any]:
        """Run one step; a failed hat becomes a failed record unless the run is strict."""
        assert self.caller is not None, "a model run needs a StructuredCaller"
        model = self.model_for(step)
        prompt = self.render(request, step, board, ok_ids, failed_ids)
        self.on_event(StepEvent(step, "running"))
        started = time.perf_counter()
        base = functools.partial(
            StepRecord,
            id=step.id,
            hat=step.hat.value,
            role=step.role,
            focus=step.step.focus,
            model=model,
        )
        context = {"step_ids": set(ok_ids or [])} if step.role == "synthesis" else None
        try:
            done = await self.caller.call(
                model, prompt.messages(), output_schema(step), context=context
            )
        except StoreDamaged:  # not this step's failure: the whole command stops
            raise
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
        board: list[dict[str, Any]],
        reuse: dict[str, StepRecord],
    ) -> StepRecord:
        kept = reuse.get(step.id)
        if kept is not None and kept.status == "ok":
            self.on_event(StepEvent(step, "reused", kept))
            return kept
        record, _ = await self._run_step(request, step, board)
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
            if self.caller is not None:
                self.caller.check_priced({self.model_for(step) for step in plan})
            self._checked.add(request.program.slug)
        opening, hats, closing = plan[0], plan[1:-1], plan[-1]
        by_id = {s.id: s for s in plan}
        records: list[StepRecord] = [await self._hat_step(request, opening, [], reuse)]

        def board(per_step: int, total: int | None = None) -> list[dict[str, Any]]:
            done = [r for r in records if r.status == "ok"]
            if total is not None:
                per_step = max(1, min(per_step, total // max(len(done), 1)))
            return [_board_entry(r, by_id[r.id], per_step) for r in done]

        if request.flow == "sequential":
            for step in hats:
                records.append(
                    await self._hat_step(
                        request, step, board(BOARD_LINES_PER_STEP, BOARD_LINES), reuse
                    )
                )
        else:
            framing_board = board(BOARD_LINES_PER_STEP)
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [
                        group.create_task(self._hat_step(request, s, framing_board, reuse))
                        for s in hats
                    ]
            except ExceptionGroup as errors:  # --strict or --max-cost stopped a hat
                raise errors.exceptions[0] from None
            records.extend(task.result() for task in tasks)

        ok_ids = [r.id for r in records if r.status == "ok"]
        failed_ids = [r.id for r in records if r.status == "failed"]
        try:
            closing_record, synthesis = await self._run_step(
                request, closing, board(SYNTHESIS_LINES_PER_STEP), ok_ids, failed_ids
            )
        except StoreDamaged:
            raise
        except SixhatsError as exc:
            raise SynthesisFailed(exc, records) from exc
        records.append(closing_record)

        usage = Usage()
        for record in records:
            usage.add(record.usage)
        framing = records[0].output
        title, problem = split_title(request.problem)  # the model saw the whole text
        return Report(
            title=title,
            problem=problem,
            program=ProgramRef(
                slug=request.program.slug,
                name=request.program.name,
                sequence=request.program.sequence,
            ),
            framing=framing if isinstance(framing, Framing) else None,
            steps=records,
            synthesis=synthesis,
            metadata=Metadata(
                sixhats_version=__version__,
                flow=request.flow,
                models=sorted({r.model for r in records}),
                base_url=self.caller.base_url if self.caller else None,
                started_at=started_at,
                finished_at=datetime.now(UTC),
                seconds=round(time.perf_counter() - started, 3),
                usage=usage,
                degraded=bool(failed_ids),
                failed_steps=failed_ids,
            ),
        )
