"""Running an emergent program: after the opening blue, blue chooses each next hat.

Each choice is a short process request (`process.j2`) whose schema lists only the hats the
bounds allow now (`emergent.choice_model`); the bounds are applied again to the answer
(`emergent.decide`), so a server that ignores the schema still cannot loop. A rerun replays
the choices that led to the steps it keeps and lets blue choose again from there.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sixhats_ai.errors import BudgetExceeded, SixhatsError, UsageError, option
from sixhats_ai.method.emergent import (
    CLOSE,
    EmergentBounds,
    ProcessChoice,
    ProcessDecision,
    allowed_next,
    choice_model,
    decide,
    steps_used_up,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep, Program, Step
from sixhats_ai.run.board import plain
from sixhats_ai.run.report import StepRecord, Usage

if TYPE_CHECKING:
    from sixhats_ai.run.request import RunRequest
    from sixhats_ai.run.steps import StepRunner

PROCESS_TEMPLATE = "process.j2"
PROCESS_FOCUS = "choose the next hat"


def hat_step(number: int, decision: ProcessDecision) -> PlannedStep:
    """The step blue called for: `4-green`, with blue's focus made plain for the prompt."""
    hat = Hat(decision.next)
    focus = plain(decision.focus) or None
    return PlannedStep(
        id=f"{number}-{hat.value}", index=number - 1, role="hat", step=Step(hat=hat, focus=focus)
    )


def process_step(number: int) -> PlannedStep:
    """The blue process request taken before step `number`."""
    return PlannedStep(
        id=f"{number}-process",
        index=number - 1,
        role="hat",
        step=Step(hat=Hat.BLUE, focus=PROCESS_FOCUS),
    )


def closing_step(program: Program, number: int) -> PlannedStep:
    return PlannedStep(
        id=f"{number}-blue", index=number - 1, role="synthesis", step=program.steps[-1]
    )


def process_variables(history: list[Hat], max_steps: int, after: str) -> dict[str, Any]:
    """What `process.j2` is told: the hats so far and what blue may choose now."""
    return {
        "process": {
            "after": after,
            "history": [h.value for h in history],
            "allowed": allowed_next(history, EmergentBounds(max_steps=max_steps)),
            "max_steps": max_steps,
            "left": max(max_steps - len(history), 0),
        }
    }


def process_model(history: list[Hat], max_steps: int) -> type[ProcessChoice]:
    """The schema of the process request taken after `history`."""
    return choice_model(tuple(allowed_next(history, EmergentBounds(max_steps=max_steps))))


@cache
def lenient_choice(allowed: tuple[str, ...]) -> type[ProcessChoice]:
    """Sends the narrowed schema but accepts any `next`: a server that ignores the schema
    (the same hat again and again) is corrected by the bounds and logged, not re-asked."""
    narrowed = choice_model(allowed)

    def model_json_schema(cls: type[ProcessChoice], *args: Any, **kwargs: Any) -> dict[str, Any]:
        return narrowed.model_json_schema(*args, **kwargs)

    return type(
        "ProcessChoice", (ProcessChoice,), {"model_json_schema": classmethod(model_json_schema)}
    )


def is_process(step: PlannedStep) -> bool:
    return step.id.endswith("-process")


def history_of(records: list[StepRecord]) -> list[Hat]:
    """The hats run so far, the opening blue left out."""
    return [Hat(r.hat) for r in records if r.role == "hat"]


def sample_plan(program: Program, max_steps: int) -> list[PlannedStep]:
    """The most an emergent run may send, for --dry-run: the opening, then a process request
    and a hat up to --max-steps times (a sample sequence within the bounds), the closing."""
    bounds = EmergentBounds(max_steps=max_steps)
    opening = program.plan()[0]
    plan, history = [opening], list[Hat]()
    for number in range(2, max_steps + 2):
        allowed = [h for h in allowed_next(history, bounds) if h != CLOSE]
        pick = allowed[len(history) % len(allowed)]
        decision = ProcessDecision(after="", proposed=pick, next=pick, focus="", why="")
        plan += [process_step(number), hat_step(number, decision)]
        history.append(Hat(pick))
    return [*plan, closing_step(program, max_steps + 2)]


def closed(after: str, why: str) -> ProcessDecision:
    """A close no request was answered for: the bounds or a failure ended the meeting."""
    return ProcessDecision(after=after, proposed=CLOSE, next=CLOSE, focus="", why="", corrected=why)


class EmergentMeeting:
    """One emergent run's choices: asks blue, applies the bounds, keeps the process log."""

    def __init__(self, engine: StepRunner, request: RunRequest) -> None:
        self.engine = engine
        self.request = request
        self.bounds = EmergentBounds(max_steps=request.max_steps)
        self.log: list[ProcessDecision] = []
        self.usage = Usage()
        self.asked = False  # a rerun: blue has chosen again, so nothing more is replayed

    async def run(self, records: list[StepRecord], reuse: dict[str, StepRecord]) -> None:
        """Append the hats blue chooses to `records`, until it closes or the bounds do."""
        history: list[Hat] = []
        framing = records[0].output
        gaps_open = bool(getattr(framing, "information_gaps", None))
        while True:
            number = len(records) + 1
            decision = self._replayed(number, reuse)
            if decision is None:
                decision = await self._ask(records, history, number, gaps_open)
            self.log.append(decision)
            if decision.next == CLOSE:
                return
            step = hat_step(number, decision)
            records.append(await self.engine.hat_step(self.request, step, list(records), reuse))
            history.append(step.hat)

    def _replayed(self, number: int, reuse: dict[str, StepRecord]) -> ProcessDecision | None:
        """A rerun keeps the choice that led to a step it keeps, without asking again (and
        the close, when every step before it was kept)."""
        index = len(self.log)
        if index >= len(self.request.replay) or self.asked:
            return None
        earlier = self.request.replay[index]
        if earlier.next != CLOSE and f"{number}-{earlier.next}" not in reuse:
            return None
        return earlier

    async def _ask(
        self, records: list[StepRecord], history: list[Hat], number: int, gaps_open: bool
    ) -> ProcessDecision:
        self.asked = True
        after = records[-1].id
        allowed = allowed_next(history, self.bounds)
        if allowed == [CLOSE]:  # nothing to ask: the bound closes the meeting
            return closed(after, steps_used_up(self.bounds.max_steps))
        step = process_step(number)
        board = self.engine.board_for(self.request, step, records)
        prompt = self.engine.render(
            self.request,
            step,
            board,
            seen=records,
            template=PROCESS_TEMPLATE,
            extra=process_variables(history, self.bounds.max_steps, after),
        )
        try:
            choice = lenient_choice(tuple(allowed))
            done = await self.engine.ask(step, prompt, choice, self.request.memo.asked[step.id])
        except SixhatsError as exc:
            if self.request.strict or isinstance(exc, BudgetExceeded):
                raise
            return closed(
                after, f"the process request failed, so the meeting closes: {exc.message}"
            )
        self.usage.add(done.usage)
        assert isinstance(done.output, ProcessChoice)
        return decide(done.output, history, self.bounds, after=after, gaps_open=gaps_open)


def emergent_redo(run_id: str, steps: list[StepRecord], step_ref: str | None) -> list[str]:
    """What `rerun` asks again in an emergent run: the step named (or the first that failed)
    and every step after it, since blue chooses again from there; else the synthesis."""
    ids = [s.id for s in steps]
    hats = [s for s in steps if s.role == "hat"]
    if step_ref is None:
        start = next((s.id for s in hats if s.status == "failed"), None)
    else:
        wanted = step_ref.strip().lower()
        matches = [s.id for s in hats if wanted in (s.id, s.hat)]
        if len(matches) > 1:
            raise UsageError(
                f"run {run_id} has several {wanted} steps ({', '.join(matches)})",
                hint=f"name one by its step id, e.g. {option('step')} {matches[0]}",
            )
        if not matches and wanted not in ids:
            raise UsageError(
                f"run {run_id} has no step {step_ref!r}",
                hint=f"use a hat or a step id: {', '.join(ids)}",
            )
        start = matches[0] if matches else wanted
    if start is None:  # nothing failed: the synthesis, if the run got that far
        return ids[-1:] if steps[-1].role == "synthesis" else []
    return ids[ids.index(start) :]


def replay_of(steps: list[StepRecord], log: list[ProcessDecision]) -> list[ProcessDecision]:
    """The choices a rerun replays: the stored process log, or (a run whose synthesis failed
    kept no report) the choices its hat steps show."""
    if log:
        return log
    return [
        ProcessDecision(after="", proposed=s.hat, next=s.hat, focus=s.focus or "", why="")
        for s in steps
        if s.role == "hat"
    ]
