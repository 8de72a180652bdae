"""The engine: runs a program's steps and assembles the report.

Every command that talks to a model (`analyze`, `batch`, `rerun`) goes through `Engine.run`.
The opening blue frames the problem; the hats run in program order, each seeing the board so
far (`sequential`), or all at once and blind to each other (`parallel`); the closing blue
synthesises the report. A failed hat does not sink the run: the synthesis goes on and the
report says it is degraded. Each step sees every earlier point whole while the board fits its
share of the context, reduced by importance past it (see `board`); every request of a run
starts with the same method, problem and documents, so a server's prefix cache serves them
once (see `prompts/_hat.j2`); each step answers the schema of this run (see `run_schema`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sixhats_ai.errors import BudgetExceeded, SixhatsError, StoreDamaged, first_problems
from sixhats_ai.method.emergent import check_emergent
from sixhats_ai.method.hats import hat_info
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.method.random_entry import random_word
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce, template_name_for
from sixhats_ai.run.assembly import RunClock, assemble_report
from sixhats_ai.run.board import Board, alternatives_of, board_of, board_tokens, direction
from sixhats_ai.run.comparison import compare
from sixhats_ai.run.emergent import (
    EmergentMeeting,
    closing_step,
    planned_from,
)
from sixhats_ai.run.panel import (
    PanelAnswer,
    adopt_roster,
    ask_separately,
    describe,
    from_panel,
    is_panel,
    meeting_variables,
    roster_names,
)
from sixhats_ai.run.preview import preview_prompts, preview_schema
from sixhats_ai.run.quotes import checked_quotes
from sixhats_ai.run.report import (
    Report,
    StepOutput,
    StepRecord,
    Usage,
)
from sixhats_ai.run.request import RunRequest, StepEvent
from sixhats_ai.run.schemas import base_model, dot_total
from sixhats_ai.run.step_schema import answer_terms, output_schema
from sixhats_ai.run.structured import StructuredCaller, ValidatedAnswer
from sixhats_ai.run.together import all_at_once
from sixhats_ai.text.documents import split_title


class SynthesisFailed(SixhatsError):
    """The closing blue failed; the hat outputs are kept in `steps`, and in the store under
    `run_id` when the run was kept (for `rerun` to finish)."""

    def __init__(self, cause: SixhatsError, steps: list[StepRecord]) -> None:
        super().__init__(f"the synthesis failed: {first_problems(cause.message)}", hint=cause.hint)
        self.exit_code = cause.exit_code
        self.steps = steps
        self.run_id: str | None = None
        # Every problem, for the store and a SIXHATS_DEBUG traceback; one_line() names 3.
        self.full_message = SixhatsError(
            f"the synthesis failed: {cause.message}", hint=cause.hint
        ).one_line()
        self.args = (self.full_message,)


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
        *,
        template: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> RenderedPrompt:
        """The step's two messages; every variable a template may use is set here (`extra`
        sets the per-participant and process ones, see `panel` and `emergent_run`)."""
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
            "random_word": random_word(request.texts(), step.id)
            if step.hat.value == "green"
            else None,
            "nonce": self.nonce(request),
            "earlier_hats": sorted({r.hat for r in seen or [] if r.status == "ok"}),
            **meeting_variables(request, step),
            **(extra or {}),
        }
        if template is None:  # a hat's instructions name its schema's own fields and counts
            answer = output_schema(step, request, seen, ok_ids)
            variables |= answer_terms(answer)
        name = template or template_name_for(step.role, step.hat.value)
        return self.prompts.render_prompt(name, variables)

    @staticmethod
    def nonce(request: RunRequest) -> str:
        """The run's fence marker: one per run, not per step, so that every request of the run
        starts with the same bytes (the system message names it, the material is fenced by it)
        and a server serves that prefix from its cache. Chosen at random, never one the user's
        text holds; earlier steps' words on the board cannot close a fence (see `board`)."""
        memo = request.memo
        while memo.nonce is None or any(memo.nonce in text for text in request.texts()):
            memo.nonce = new_nonce()
        return memo.nonce

    def preview(self, request: RunRequest) -> list[tuple[PlannedStep, RenderedPrompt]]:
        """Every prompt the program would send, in order, without calling a model."""
        return preview_prompts(self, request)

    def preview_schema(self, request: RunRequest, step: PlannedStep) -> tuple[str, int]:
        """The name and size (characters) of the schema `step` would be sent, for --dry-run."""
        return preview_schema(self, request, step)

    def board_for(
        self, request: RunRequest, step: PlannedStep, seen: list[StepRecord]
    ) -> list[dict[str, Any]]:
        return self.board(request, seen).entries

    @staticmethod
    def board(request: RunRequest, seen: list[StepRecord]) -> Board:
        """The board of the steps `seen`, in its share of the run's context (the synthesis's
        as a hat's)."""
        by_id = {s.id: s for s in request.program.plan()}
        for record in seen:  # the steps an emergent program's blue called for
            if record.id not in by_id:
                by_id[record.id] = planned_from(record)
        material = request.material_tokens()
        return board_of(seen, by_id, board_tokens(request.context_tokens, material))

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
        prompt = self._prompt(request, step, seen, ok_ids, failed_ids)
        self.on_event(StepEvent(step, "running"))
        started = time.perf_counter()
        base = functools.partial(
            StepRecord,
            id=step.id,
            hat=step.hat.value,
            role=step.role,
            focus=step.step.focus,
            model=model,
            random_word=random_word(request.texts(), step.id)
            if step.hat.value == "green"
            else None,
        )
        answer_model = output_schema(step, request, seen, ok_ids or [])
        try:
            done = await self._answer(request, step, prompt, answer_model, seen)
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
            model=done.model or model,  # an MCP host names its model as it answers
            output=output,
            mode=done.mode.value,
            seconds=round(done.seconds, 3),
            usage=done.usage,
            contributions=done.contributions if isinstance(done, PanelAnswer) else [],
        )
        record = checked_quotes(record, request.texts())
        self.on_event(StepEvent(step, "done", record))
        return record, done.output

    async def ask(
        self, step: PlannedStep, messages: list[dict[str, str]], answer_model: type[Any]
    ) -> ValidatedAnswer:
        """One validated answer for `step`, on its model and with its hat's sampling."""
        return await self.caller.call(
            self.model_for(step), messages, answer_model, hat=step.hat.value
        )

    def _prompt(
        self,
        request: RunRequest,
        step: PlannedStep,
        seen: list[StepRecord],
        ok_ids: list[str] | None,
        failed_ids: list[str] | None,
    ) -> RenderedPrompt:
        """The step's prompt: rendered once (a run that parked asks it the same way), saying
        in the run's warnings what its board left out to fit."""
        prompt = request.memo.prompts.get(step.id)
        if prompt is None:
            board = self.board(request, seen)
            if board.brief:
                left_out = f"the {board.left_out} least important were left out, the rest shown"
                request.warnings.append(
                    f"step {step.id} saw {board.shown} of the {board.total} earlier points: "
                    f"{left_out if board.left_out else 'all'} without their quotes, to fit the "
                    f"model's context ({request.context_tokens or 'unknown'} tokens)"
                )
            prompt = self.render(request, step, board.entries, ok_ids, failed_ids, seen)
            request.memo.prompts[step.id] = prompt
        return prompt

    async def _answer(
        self,
        request: RunRequest,
        step: PlannedStep,
        prompt: RenderedPrompt,
        answer_model: type[Any],
        seen: list[StepRecord],
    ) -> ValidatedAnswer | PanelAnswer:
        """The step's answer: one voice, or every participant's (in one request, or in one
        each with --personas-mode separate)."""
        if not is_panel(request, step):
            return await self.ask(step, prompt.messages(), answer_model)
        hat = cast("type[StepOutput]", base_model(step))
        if request.personas_mode == "together":
            return from_panel(hat, await self.ask(step, prompt.messages(), answer_model))
        board = self.board_for(request, step, seen)

        async def ask(name: str) -> ValidatedAnswer:
            voice = {"participant": describe(request, name)}
            voiced = self.render(request, step, board, seen=seen, extra=voice)
            return await self.ask(step, voiced.messages(), answer_model)

        return await ask_separately(roster_names(request), hat, ask)

    async def hat_step(
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
        if record.status == "ok":  # a run started again (after a batch round) keeps it
            reuse[step.id] = record
        return record

    async def run(self, request: RunRequest, reuse: dict[str, StepRecord] | None = None) -> Report:
        """Run the program; steps found ok in `reuse` (from a stored run) are not asked again.
        Those and each hat that ends ok go into the request's memo: a run parked for a batch
        round starts again from them."""
        steps = request.memo.steps
        steps.update(reuse or {})
        clock = RunClock()
        check_emergent(request.program, request.flow)
        plan = request.program.plan(include_optional=request.include_optional)
        # Before the first request: a broken template or a budget that cannot bound a model
        # fails now, not after the hats have been paid for (once per program: a batch runs
        # the same program many times).
        if request.program.slug not in self._checked:
            self.preview(request)
            self.caller.check_priced({self.model_for(step) for step in plan})
            self._checked.add(request.program.slug)
        opening, hats, closing = plan[0], plan[1:-1], plan[-1]
        records: list[StepRecord] = [await self.hat_step(request, opening, [], steps)]
        adopt_roster(request, records[0].output)  # --personas N: the roster blue proposed
        meeting = EmergentMeeting(self, request) if request.program.emergent else None
        if meeting is not None:
            await meeting.run(records, steps)
            closing = closing_step(request.program, len(records) + 1)
        elif request.flow == "sequential":
            for step in hats:
                records.append(await self.hat_step(request, step, list(records), steps))
        else:
            records.extend(await self._parallel_hats(request, hats, list(records), steps))

        ok_ids = [r.id for r in records if r.status == "ok"]
        failed_ids = [r.id for r in records if r.status == "failed"]
        try:
            closing_record, synthesis = await self._run_step(
                request, closing, records, ok_ids, failed_ids
            )
        except StoreDamaged:
            raise
        except SixhatsError as exc:
            raise SynthesisFailed(exc, records) from exc
        records.append(closing_record)

        return self._report(request, records, synthesis, clock, meeting)

    def _report(
        self,
        request: RunRequest,
        records: list[StepRecord],
        synthesis: Any,
        clock: RunClock,
        meeting: EmergentMeeting | None,
    ) -> Report:
        """The run's report; condensing the documents and choosing the hats count in its cost."""
        usage = Usage()
        extra = [c.usage for c in request.condensed] + ([meeting.usage] if meeting else [])
        for spent in [r.usage for r in records] + extra:
            usage.add(spent)
        title, problem = split_title(request.problem)  # the model saw the whole text
        return assemble_report(
            problem=problem,
            title=title,
            program=request.program,
            records=records,
            synthesis=synthesis,
            flow=request.flow,
            base_url=self.caller.backend.identity,
            clock=clock,
            usage=usage,
            report_fields={
                "roster": request.roster.roster if request.roster else None,
                "process_log": meeting.log if meeting else [],
            },
            metadata_fields={
                "warnings": list(request.warnings),
                "condensed": request.condensed,
                "process_usage": meeting.usage if meeting else Usage(),
            },
        )

    async def _parallel_hats(
        self,
        request: RunRequest,
        hats: list[PlannedStep],
        framing_only: list[StepRecord],
        reuse: dict[str, StepRecord],
    ) -> list[StepRecord]:
        """The hats all at once, each seeing only the framing."""
        return await all_at_once(self.hat_step(request, s, framing_only, reuse) for s in hats)
