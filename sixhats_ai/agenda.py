"""A meeting's timed agenda: a time box for every step of a program, and clock times.

The method gives each hat about two minutes, the red hat about thirty seconds and an opening
white hat longer; practitioners allow about a minute per participant per hat. Those are the
proportions; `--minutes` is the total. The red hat is a gut reaction, often a dot vote that
everyone casts at once, so it keeps its short box whatever the meeting's length and size. The
other steps share what is left in whole minutes, in proportion to their natural length, so the
boxes add up exactly to the meeting. A red box is under a minute where the total still comes
out in whole minutes (two reds share one); a lone red hat gets the whole minute.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sixhats_ai.errors import UsageError
from sixhats_ai.hats import Hat
from sixhats_ai.programs import PlannedStep

MINUTE = 60
HALF_MINUTE = 30
SECONDS_PER_PARTICIPANT = 60
START_HINT = "use HH:MM, e.g. 14:00, or a date and time, e.g. 2026-12-01T14:00"


def _fixed(step: PlannedStep) -> bool:
    """A red hat keeps its own box; the other steps share the rest of the meeting."""
    return step.hat is Hat.RED


def _red_seconds(steps: list[PlannedStep]) -> list[int]:
    """Each red step's box: half minutes under a minute, whole minutes above, adding up to
    whole minutes (the first short red takes the odd half minute)."""
    boxes = []
    for step in steps:
        seconds = step.step.default_seconds
        unit = HALF_MINUTE if seconds < MINUTE else MINUTE
        boxes.append(max(HALF_MINUTE, round(seconds / unit) * unit))
    if sum(boxes) % MINUTE:
        short = boxes.index(HALF_MINUTE)
        boxes[short] = MINUTE
    return boxes


def natural_seconds(step: PlannedStep, participants: int | None) -> float:
    """A step's length before fitting: the method's box, longer for a larger group.

    The opening blue is the facilitator's and a box set in the program file is the author's,
    so neither grows with the group.
    """
    seconds = step.step.default_seconds
    if participants is None or step.role == "framing" or step.step.minutes is not None:
        return seconds
    per_participant = participants * SECONDS_PER_PARTICIPANT * (2 if step.step.extended else 1)
    return max(seconds, per_participant)


def minimum_minutes(steps: list[PlannedStep]) -> int:
    """The shortest meeting that gives every step a box: a minute a step, reds their own."""
    reds = [s for s in steps if _fixed(s)]
    return len(steps) - len(reds) + sum(_red_seconds(reds)) // MINUTE


def suggested_minutes(steps: list[PlannedStep], participants: int | None) -> int:
    """The meeting's natural length: the method's boxes, scaled for the group."""
    natural = sum(natural_seconds(s, participants) for s in steps if not _fixed(s))
    reds = sum(_red_seconds([s for s in steps if _fixed(s)]))
    return max(minimum_minutes(steps), math.ceil((natural + reds) / MINUTE))


def time_boxes(steps: list[PlannedStep], minutes: int, participants: int | None) -> list[int]:
    """Seconds for each step, summing exactly to `minutes`; UsageError if they cannot fit."""
    if minutes <= 0:
        raise UsageError(f"--minutes must be more than 0 (got {minutes})", hint="e.g. --minutes 45")
    if participants is not None and participants <= 0:
        raise UsageError(
            f"--participants must be at least 1 (got {participants})", hint="e.g. --participants 6"
        )
    needed = minimum_minutes(steps)
    if minutes < needed:
        raise UsageError(
            f"{len(steps)} steps do not fit in {minutes} minutes: this program needs at least "
            f"{needed}",
            hint=f"use --minutes {needed} or more, or a program with fewer steps",
        )
    reds = iter(_red_seconds([s for s in steps if _fixed(s)]))
    fixed = {i: next(reds) for i, s in enumerate(steps) if _fixed(s)}
    shared = [i for i in range(len(steps)) if i not in fixed]
    available = minutes - sum(fixed.values()) // MINUTE
    weights = {i: natural_seconds(steps[i], participants) for i in shared}
    total = sum(weights.values())
    ideal = {i: available * weights[i] / total for i in shared}
    counts = {i: max(1, math.floor(ideal[i])) for i in shared}
    # Largest remainder: hand out (or take back) whole minutes where the gap to ideal is widest.
    while (left := available - sum(counts.values())) != 0:
        if left > 0:
            pick = max(shared, key=lambda i: ideal[i] - counts[i])
            counts[pick] += 1
        else:
            pick = max((i for i in shared if counts[i] > 1), key=lambda i: counts[i] - ideal[i])
            counts[pick] -= 1
    return [fixed[i] if i in fixed else counts[i] * MINUTE for i in range(len(steps))]


@dataclass(frozen=True)
class Start:
    """When the meeting starts: a clock time, with a date when one was given."""

    at: datetime
    dated: bool

    def clock(self, offset_seconds: int) -> str:
        moment = self.at + timedelta(seconds=offset_seconds)
        return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_start(text: str) -> Start:
    """`HH:MM` (a clock time) or an ISO date and time such as `2026-12-01T14:00`."""
    value = text.strip()
    if _DATE_ONLY.fullmatch(value):
        raise UsageError(f"--start {text!r} has a date but no time", hint=START_HINT)
    try:
        clock = time.fromisoformat(value)
    except ValueError:
        pass
    else:
        return Start(datetime.combine(datetime(2000, 1, 1), clock), dated=False)
    try:
        return Start(datetime.fromisoformat(value), dated=True)
    except ValueError:
        raise UsageError(f"--start {text!r} is not a time", hint=START_HINT) from None


@dataclass(frozen=True)
class Slot:
    """One agenda line: a step, its box, and its place in the meeting."""

    step: PlannedStep
    seconds: int
    offset: int


def plan_agenda(steps: list[PlannedStep], minutes: int, participants: int | None) -> list[Slot]:
    slots = []
    offset = 0
    for step, seconds in zip(steps, time_boxes(steps, minutes, participants), strict=True):
        slots.append(Slot(step, seconds, offset))
        offset += seconds
    return slots


def format_box(seconds: int) -> str:
    """`5 min`, `30 s`, `1 min 30 s`."""
    whole, rest = divmod(seconds, MINUTE)
    if not whole:
        return f"{rest} s"
    return f"{whole} min" + (f" {rest} s" if rest else "")
