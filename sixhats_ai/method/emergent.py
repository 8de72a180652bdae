"""Emergent programs: the blue hat chooses each next hat from what the meeting has found.

The method says programs are often emergent: the group plans the first hats and the
facilitator decides what comes next. After the opening blue, a short blue "process" request
picks the next hat (or `close`) with a focus and a reason. The bounds below keep the meeting
sane whatever the model answers: they shape the schema sent (the `next` enum lists only what
is allowed now), and they are enforced again here, so a server that ignores the schema cannot
loop on one hat. Every choice, and any correction, is kept in the report's process log.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sixhats_ai.errors import UsageError, named, option
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import Program

CLOSE = "close"
EMERGENT_SLUG = "emergent"
# The hats blue may call for, in the order it falls back to when a choice breaks a bound.
CHOOSABLE = (Hat.WHITE, Hat.GREEN, Hat.YELLOW, Hat.BLACK, Hat.RED)


@dataclass(frozen=True)
class EmergentBounds:
    """How far blue may steer: `max_steps` hats between the opening and closing blues."""

    max_steps: int = 8
    max_red: int = 2


class ProcessChoice(BaseModel):
    """What the process request answers; `next` is narrowed per request by `choice_model`."""

    model_config = ConfigDict(extra="forbid")

    next: str
    focus: str = Field(max_length=200, description="what the next hat should think about")
    why: str = Field(max_length=300, description="why this hat now, from the board so far")


class ProcessDecision(BaseModel):
    """One entry of the process log: what blue proposed, what ran, and why."""

    after: str = Field(description="the step id the decision was taken after")
    proposed: str
    next: str
    focus: str
    why: str
    corrected: str | None = Field(None, description="why a bound replaced the proposal")


def allowed_next(history: list[Hat], bounds: EmergentBounds) -> list[str]:
    """What blue may choose after `history` (the hats run so far, openers excluded)."""
    if len(history) >= bounds.max_steps:
        return [CLOSE]
    last = history[-1] if history else None
    hats = [
        hat.value
        for hat in CHOOSABLE
        if hat is not last and not (hat is Hat.RED and history.count(Hat.RED) >= bounds.max_red)
    ]
    return [*hats, CLOSE] if history else hats


@cache
def choice_model(allowed: tuple[str, ...]) -> type[ProcessChoice]:
    """The process schema for this request: `next` an enum of what is allowed now.

    Cached by the allowed set (a handful of combinations), so a long batch builds each once.
    """
    field_type: Any = Literal[allowed]
    model: type[ProcessChoice] = create_model(
        "ProcessChoice",
        __base__=ProcessChoice,
        next=(field_type, Field(description="the next hat, or close to end")),
    )
    return model


def decide(
    choice: ProcessChoice,
    history: list[Hat],
    bounds: EmergentBounds,
    *,
    after: str,
    gaps_open: bool,
) -> ProcessDecision:
    """Apply the bounds to blue's choice: the decision that runs, with any correction said."""
    allowed = allowed_next(history, bounds)
    proposed = choice.next
    corrected = None
    chosen = proposed
    if gaps_open and Hat.WHITE not in history and Hat.WHITE.value in allowed:
        if proposed != Hat.WHITE.value:
            chosen, corrected = Hat.WHITE.value, "the framing lists information gaps: white first"
    elif proposed not in allowed:
        chosen = allowed[0]
        corrected = _why_not(proposed, history, bounds)
    return ProcessDecision(
        after=after,
        proposed=proposed,
        next=chosen,
        focus=choice.focus,
        why=choice.why,
        corrected=corrected,
    )


def steps_used_up(max_steps: int) -> str:
    """Why the meeting closes when blue has called for all the hats it may: kept in the
    report, so the option is named now, as the caller names it."""
    return named(f"{option('max_steps')} {max_steps} reached: close")


def _why_not(proposed: str, history: list[Hat], bounds: EmergentBounds) -> str:
    if len(history) >= bounds.max_steps:
        return steps_used_up(bounds.max_steps)
    if history and proposed == history[-1].value:
        return f"{proposed} ran just before: the same hat is not worn twice in a row"
    if proposed == Hat.RED.value:
        return f"red has run {bounds.max_red} times already"
    return f"{proposed!r} is not a hat blue can call for"


def check_emergent(program: Program, flow: str) -> None:
    """An emergent sequence is sequential by nature: refuse `--flow parallel` up front."""
    if program.emergent and flow == "parallel":
        raise UsageError(
            f"{option('flow')} parallel cannot run an emergent program: blue chooses each hat "
            "from the "
            "board the previous one left",
            hint=f"drop {option('flow')} parallel, or pick a fixed program with "
            f"{option('program')}",
        )


def refuse_emergent_brief(program: Program) -> None:
    """A brief times an agenda; an emergent program has none until the meeting runs."""
    if program.emergent:
        raise UsageError(
            f"brief cannot take the emergent program {program.slug!r}: its hats are chosen as "
            "the meeting goes, so there is no agenda to time",
            hint=f"pick a fixed program with {option('program')} (see `sixhats programs`)",
        )
