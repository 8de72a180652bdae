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

from dataclasses import dataclass, field
from typing import Any

from sixhats_ai.errors import SixhatsError, StoreDamaged, first_problems
from sixhats_ai.method.emergent import check_emergent
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.prompts import RenderedPrompt
from sixhats_ai.run.assembly import RunClock, assemble_report
from sixhats_ai.run.emergent import EmergentMeeting, closing_step
from sixhats_ai.run.panel import adopt_roster
from sixhats_ai.run.preview import preview_prompts, preview_schema
from sixhats_ai.run.report import Report, StepRecord, Usage
from sixhats_ai.run.request import RunRequest
from sixhats_ai.run.steps import StepRunner
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
class Engine(StepRunner):
    """Runs a whole program: the opening blue, the hats in order or at once, the closing
    blue, and the report."""

    _checked: set[str] = field(default_factory=set, init=False, repr=False)

    def preview(self, request: RunRequest) -> list[tuple[PlannedStep, RenderedPrompt]]:
        """Every prompt the program would send, in order, without calling a model."""
        return preview_prompts(self, request)

    def preview_schema(self, request: RunRequest, step: PlannedStep) -> tuple[str, int]:
        """The name and size (characters) of the schema `step` would be sent, for --dry-run."""
        return preview_schema(self, request, step)

    async def run(self, request: RunRequest, reuse: dict[str, StepRecord] | None = None) -> Report:
        """Run the program; steps found ok in `reuse` (from a stored run) are not asked again.
        Those and each hat that ends ok go into the request's memo: a run parked for a batch
        round starts again from them, on the clock of its first pass, its warnings kept."""
        memo = request.memo
        steps = memo.steps
        steps.update(reuse or {})
        clock = memo.clock = memo.clock or RunClock()
        memo.warn(request.warnings)
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
            closing_record, synthesis = await self.run_step(
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
                "warnings": list(request.memo.warnings),
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
        """The hats all at once, each seeing only the framing; when every one is kept (a run
        started again after its hats' round), as they are, without a task each."""
        if all(s.id in reuse and reuse[s.id].status == "ok" for s in hats):
            return [await self.hat_step(request, s, framing_only, reuse) for s in hats]
        return await all_at_once(self.hat_step(request, s, framing_only, reuse) for s in hats)
