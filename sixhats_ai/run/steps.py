"""A step of a run: its board, its prompt, its answer, and the record it leaves.

`StepRunner` is what the helpers of a run drive (an emergent meeting asks its process
requests and hat steps through it, a preview renders every prompt with it); the engine
(`engine.py`) is a StepRunner that runs a whole program. It sits below those helpers so they
can take it without importing the engine.
"""

from __future__ import annotations

import functools
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sixhats_ai.errors import BudgetExceeded, SixhatsError, StoreDamaged
from sixhats_ai.method.hats import hat_info
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.method.random_entry import random_word
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce, template_name_for
from sixhats_ai.run.board import (
    Board,
    alternatives_of,
    board_of,
    board_tokens,
    direction,
    planned_from,
)
from sixhats_ai.run.comparison import compare
from sixhats_ai.run.memo import Tries
from sixhats_ai.run.panel import (
    PanelAnswer,
    ask_separately,
    describe,
    from_panel,
    is_panel,
    meeting_variables,
    roster_names,
)
from sixhats_ai.run.quotes import checked_quotes
from sixhats_ai.run.report import StepOutput, StepRecord
from sixhats_ai.run.request import RunRequest, StepEvent
from sixhats_ai.run.schemas import base_model, dot_total
from sixhats_ai.run.step_schema import answer_terms, output_schema
from sixhats_ai.run.structured import StructuredCaller, ValidatedAnswer


@dataclass
class StepRunner:
    caller: StructuredCaller
    prompts: PromptLibrary
    model_for: Callable[[PlannedStep], str]
    on_event: Callable[[StepEvent], None] = lambda event: None

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
        answer: type[Any] | None = None,
    ) -> RenderedPrompt:
        """The step's two messages; every variable a template may use is set here (`extra`
        sets the per-participant and process ones, see `panel` and `emergent_run`; `answer`
        is the step's answer model, when its caller has it already)."""
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
            variables |= answer_terms(answer or output_schema(step, request, seen, ok_ids))
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

    def board_for(
        self, request: RunRequest, step: PlannedStep, seen: list[StepRecord]
    ) -> list[dict[str, Any]]:
        return self.board(request, seen).entries

    @staticmethod
    def board(request: RunRequest, seen: list[StepRecord]) -> Board:
        """The board of the steps `seen`, in its share of the run's context (the synthesis's
        as a hat's); made once for the steps that see the same records (the hats of the
        parallel flow all see the framing)."""
        kept = request.last_board
        if kept is not None and len(kept[0]) == len(seen) and all(map(operator.is_, kept[0], seen)):
            return kept[1]
        by_id = {s.id: s for s in request.program.plan()}
        for record in seen:  # the steps an emergent program's blue called for
            if record.id not in by_id:
                by_id[record.id] = planned_from(record)
        material = request.material_tokens()
        board = board_of(seen, by_id, board_tokens(request.context_tokens, material))
        request.last_board = (tuple(seen), board)
        return board

    async def run_step(
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
        answer_model = output_schema(step, request, seen, ok_ids or [])
        prompt = self._prompt(request, step, seen, ok_ids, failed_ids, answer_model)
        self.on_event(StepEvent(step, "running"))
        started = time.perf_counter()
        # A step that parked for a batch round took from its first asking to its answer.
        waited = started - request.memo.began.setdefault(step.id, started)
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
        try:
            done = await self._answer(request, step, prompt, answer_model, seen)
        except StoreDamaged:  # not this step's failure: the whole command stops
            raise
        except SixhatsError as exc:
            record = base(
                status="failed",
                error=exc.one_line(),
                seconds=round(time.perf_counter() - started + waited, 3),
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
            seconds=round(done.seconds + waited, 3),
            usage=done.usage,
            contributions=done.contributions if isinstance(done, PanelAnswer) else [],
        )
        record = checked_quotes(record, request.texts())
        self.on_event(StepEvent(step, "done", record))
        return record, done.output

    async def ask(
        self,
        step: PlannedStep,
        prompt: RenderedPrompt,
        answer: type[Any],
        asked: Tries | None = None,
    ) -> ValidatedAnswer:
        """One validated answer for `step`, on its model and with its hat's sampling (`asked`:
        the round keys its tries parked under, see `StructuredCaller.call`)."""
        model = self.model_for(step)
        return await self.caller.call(
            model, prompt.messages(), answer, hat=step.hat.value, asked=asked
        )

    def _prompt(
        self,
        request: RunRequest,
        step: PlannedStep,
        seen: list[StepRecord],
        ok_ids: list[str] | None,
        failed_ids: list[str] | None,
        answer: type[Any],
    ) -> RenderedPrompt:
        """The step's prompt, for its answer model: rendered once (a run that parked asks it
        the same way), saying in the run's warnings (its memo's, kept over its passes) what
        its board left out to fit, and noting the step among those whose board was cut."""
        prompt = request.memo.prompts.get(step.id)
        if prompt is None:
            board = self.board(request, seen)
            if board.brief:
                request.memo.cut_boards.append(step.id)
                left_out = f"the {board.left_out} least important were left out, the rest shown"
                request.memo.warn(
                    [
                        f"step {step.id} saw {board.shown} of the {board.total} earlier points: "
                        f"{left_out if board.left_out else 'all'} without their quotes, to fit "
                        f"the model's context ({request.context_tokens or 'unknown'} tokens)"
                    ]
                )
            prompt = self.render(
                request, step, board.entries, ok_ids, failed_ids, seen, answer=answer
            )
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
        asked = request.memo.asked  # each call's round keys, by step (and participant)
        if not is_panel(request, step):
            return await self.ask(step, prompt, answer_model, asked[step.id])
        hat = cast("type[StepOutput]", base_model(step))
        if request.personas_mode == "together":
            answer = await self.ask(step, prompt, answer_model, asked[step.id])
            return from_panel(hat, answer)
        board = self.board_for(request, step, seen)

        async def ask(name: str) -> ValidatedAnswer:
            voice = {"participant": describe(request, name)}
            voiced = self.render(request, step, board, seen=seen, extra=voice)
            return await self.ask(step, voiced, answer_model, asked[f"{step.id}/{name}"])

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
        record, _ = await self.run_step(request, step, seen)
        if record.status == "ok":  # a run started again (after a batch round) keeps it
            reuse[step.id] = record
        return record
