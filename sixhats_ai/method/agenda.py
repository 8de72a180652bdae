"""A meeting's timed agenda: a time box for every step of a program, and clock times.

The method gives each hat about two minutes, the red hat about thirty seconds and an opening
white hat longer; practitioners allow about a minute per participant per hat. A facilitator
shapes the meeting round the hats:

- the opening blue is the facilitator's framing: 2 to 5 minutes, about a tenth of the meeting,
  whatever the group's size;
- the closing blue turns the hats into a decision, owners and dates, so it weighs more where
  the meeting must choose: the opening's length times the decision's weight, never shorter
  than the opening;
- a red hat is one instruction: a dot vote where there is something to vote on (the options,
  or the ideas of an earlier green), else a gut reaction in a word each. Its box grows with the
  group and the medium: about 30 s a person to vote in the room (20 s online, where everyone
  votes at once but the poll must be shared), plus the counting; a word each is 10 s a person;
- a blue in the middle is a 2 to 4 minute check of where the meeting stands;
- the other hats share the rest in proportion to their natural length, which grows with the
  group, in whole minutes (half minutes with `--clock mm:ss`) adding up exactly to the meeting.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from sixhats_ai.errors import UsageError, option
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep, Program

MINUTE = 60
HALF_MINUTE = 30
MAX_MINUTES = 24 * 60  # one meeting; a longer workshop is several
MAX_PARTICIPANTS = 200  # a larger group splits up; its default minutes fit a day
SECONDS_PER_PARTICIPANT = 60
OPENING_SHARE = 0.10
OPENING_MIN_SECONDS = 2 * MINUTE
OPENING_MAX_SECONDS = 5 * MINUTE
CHOOSING_WEIGHT = 2.0  # the closing blue of a meeting that chooses between alternatives
DECIDING_WEIGHT = 1.5  # any other closing blue: a decision, owners and dates
CHANGEOVER_SECONDS = 30
DOTS_EACH = 3
VOTE_SECONDS_PER_PERSON = {"room": 30, "online": 20}
COUNT_SECONDS = {"room": 60, "online": 120}  # count the wall; share the poll and read it out
GUT_SECONDS_PER_PERSON = 10
DEFAULT_GROUP = 5  # when the group's size is not given
CHECK_SECONDS = 2 * MINUTE
CHECK_SECONDS_PER_PERSON = 10
CHECK_MAX_SECONDS = 4 * MINUTE
START_HINT = "use HH:MM, e.g. 14:00, or a date and time, e.g. 2026-12-01T14:00"

Clock = Literal["hh:mm", "mm:ss"]
CLOCKS: dict[str, int] = {"hh:mm": MINUTE, "mm:ss": HALF_MINUTE}
Medium = Literal["room", "online"]
MEDIA: tuple[Medium, ...] = ("room", "online")


@dataclass(frozen=True)
class Sizing:
    """What a meeting's boxes are sized for besides its steps: how many take part (None: not
    given), whether it chooses between alternatives (its red hat is a dot vote, its closing
    weighs more), and where it meets."""

    participants: int | None = None
    compares_alternatives: bool = False
    medium: Medium = "room"


def is_vote(steps: list[PlannedStep], step: PlannedStep, compares_alternatives: bool) -> bool:
    """Whether a red hat is a dot vote: there are options, or ideas from an earlier green."""
    earlier = [s.hat for s in steps if s.index < step.index]
    return step.hat is Hat.RED and (compares_alternatives or Hat.GREEN in earlier)


def is_check(step: PlannedStep) -> bool:
    """A blue hat in the middle of the meeting: a short check, not a thinking hat."""
    return step.hat is Hat.BLUE and step.role == "hat"


def fixed_seconds(steps: list[PlannedStep], step: PlannedStep, sizing: Sizing) -> int | None:
    """The box a red hat or a middle blue needs for this group, or None for a thinking hat,
    whose box is shared out of the rest."""
    group, medium = sizing.participants or DEFAULT_GROUP, sizing.medium
    if is_check(step):
        return min(CHECK_MAX_SECONDS, CHECK_SECONDS + CHECK_SECONDS_PER_PERSON * group)
    if step.hat is not Hat.RED:
        return None
    if is_vote(steps, step, sizing.compares_alternatives):
        voting = VOTE_SECONDS_PER_PERSON[medium] * group + COUNT_SECONDS[medium]
        return CHANGEOVER_SECONDS + voting
    return max(MINUTE, CHANGEOVER_SECONDS + GUT_SECONDS_PER_PERSON * group)


def closing_weight(compares_alternatives: bool) -> float:
    """The decision's weight: how much longer than the opening the closing blue runs."""
    return CHOOSING_WEIGHT if compares_alternatives else DECIDING_WEIGHT


@dataclass(frozen=True)
class StepBox:
    """A program's step and its time box: the step's own, or, for a step an agenda sizes for
    the group (a blue check, a red dot vote or gut reaction), its box for `group` people."""

    step: PlannedStep
    seconds: float
    sized_as: str | None = None  # "check", "dot vote" or "gut reaction"
    group: int | None = None


def step_boxes(program: Program) -> list[StepBox]:
    """Each step of `program` with its time box, as `sixhats programs show` lists them."""
    steps, sizing = program.plan(), Sizing(None, program.compares_alternatives)
    boxes = []
    for planned in steps:
        fixed = fixed_seconds(steps, planned, sizing)
        if fixed is None or planned.step.minutes is not None:
            boxes.append(StepBox(planned, planned.step.default_seconds))
            continue
        vote = is_vote(steps, planned, program.compares_alternatives)
        kind = "check" if planned.hat is Hat.BLUE else "dot vote" if vote else "gut reaction"
        boxes.append(StepBox(planned, fixed, kind, DEFAULT_GROUP))
    return boxes


def natural_seconds(step: PlannedStep, participants: int | None) -> float:
    """A hat's length before fitting: the method's box, longer for a larger group.

    A box set in the program file is the author's, so it does not grow with the group.
    """
    seconds = step.step.default_seconds
    if participants is None or step.step.minutes is not None:
        return seconds
    per_participant = participants * SECONDS_PER_PARTICIPANT * (2 if step.step.extended else 1)
    return max(seconds, per_participant)


def minimum_minutes(steps: list[PlannedStep]) -> int:
    """The shortest meeting that gives every step a box: a minute a step."""
    return len(steps)


def _fixed(steps: list[PlannedStep], sizing: Sizing) -> list[int | None]:
    """`fixed_seconds` of each step between the opening and the closing blue."""
    return [fixed_seconds(steps, s, sizing) for s in steps[1:-1]]


def suggested_minutes(steps: list[PlannedStep], sizing: Sizing) -> int:
    """The meeting's natural length: the method's boxes, the hats scaled for the group."""
    fixed = _fixed(steps, sizing)
    middle = zip(steps[1:-1], fixed, strict=True)
    hats = sum(natural_seconds(s, sizing.participants) for s, f in middle if f is None)
    blues = OPENING_MIN_SECONDS * (1 + closing_weight(sizing.compares_alternatives))
    needed = hats + sum(f for f in fixed if f is not None) + blues
    return max(minimum_minutes(steps), math.ceil(needed / MINUTE))


def _round_to(seconds: float, unit: int) -> int:
    return math.floor(seconds / unit + 0.5) * unit


def _check(steps: list[PlannedStep], minutes: int, participants: int | None) -> None:
    if participants is not None and participants <= 0:
        raise UsageError(
            f"{option('participants')} must be at least 1 (got {participants})",
            hint=f"e.g. {option('participants')} 6",
        )
    if participants is not None and participants > MAX_PARTICIPANTS:
        # The red hat's box grows with the group and is cut back a unit at a time: ten
        # billion people took hours.
        raise UsageError(
            f"{option('participants')} must be at most {MAX_PARTICIPANTS} (got {participants})",
            hint="a larger group meets in several meetings",
        )
    if minutes <= 0:
        raise UsageError(
            f"{option('minutes')} must be more than 0 (got {minutes})",
            hint=f"e.g. {option('minutes')} 45",
        )
    if minutes > MAX_MINUTES:  # a start time plus billions of minutes passes the year 9999
        raise UsageError(
            f"{option('minutes')} must be at most {MAX_MINUTES}, a day (got {minutes})",
            hint="split a longer workshop into meetings",
        )
    needed = minimum_minutes(steps)
    if minutes < needed:
        raise UsageError(
            f"{len(steps)} steps do not fit in {minutes} minutes: this program needs at least "
            f"{needed}",
            hint=f"use {option('minutes')} {needed} or more, or a program with fewer steps",
        )


def _opening(total: int, unit: int) -> int:
    """The opening blue's box: about a tenth of the meeting, 2 to 5 minutes."""
    return min(
        OPENING_MAX_SECONDS, max(OPENING_MIN_SECONDS, _round_to(total * OPENING_SHARE, unit))
    )


def _blue_boxes(total: int, others_need: int, weight: float, unit: int) -> tuple[int, int]:
    """Opening and closing blue, shrunk (closing first, never below the opening) until the
    other steps have their minute each."""
    opening = _opening(total, unit)
    closing = max(opening, _round_to(opening * weight, unit))
    while total - opening - closing < others_need:
        if closing > opening:
            closing -= unit
        else:
            opening -= unit
    return opening, closing


def _share(available: int, weights: list[float], unit: int) -> list[int]:
    """`available` seconds in units, in proportion to `weights`, a minute at least each
    (largest remainder, so the boxes add up exactly)."""
    if not weights:
        return []
    slots, floor_units = available // unit, MINUTE // unit
    total = sum(weights)
    ideal = [slots * w / total for w in weights]
    counts = [max(floor_units, math.floor(x)) for x in ideal]
    while (left := slots - sum(counts)) != 0:
        if left > 0:
            pick = max(range(len(counts)), key=lambda i: ideal[i] - counts[i])
            counts[pick] += 1
        else:
            pick = max(
                (i for i in range(len(counts)) if counts[i] > floor_units),
                key=lambda i: counts[i] - ideal[i],
            )
            counts[pick] -= 1
    return [c * unit for c in counts]


def _fit_fixed(fixed: list[int], room: int, unit: int) -> list[int]:
    """The red hats' and checks' boxes, to the nearest unit, the largest cut first (never
    below a minute) until they fit in `room` seconds."""
    boxes = [max(MINUTE, _round_to(f, unit)) for f in fixed]
    while sum(boxes) > room and max(boxes, default=0) > MINUTE:
        boxes[boxes.index(max(boxes))] -= unit
    return boxes


def time_boxes(
    steps: list[PlannedStep], minutes: int, sizing: Sizing, *, clock: Clock = "hh:mm"
) -> list[int]:
    """Seconds for each step, summing exactly to `minutes`; UsageError if they cannot fit."""
    participants = sizing.participants
    _check(steps, minutes, participants)
    unit = CLOCKS[clock]
    total = minutes * MINUTE
    middle = steps[1:-1]
    needs = _fixed(steps, sizing)
    hats = [i for i, f in enumerate(needs) if f is None]
    # Each hat a minute at least, and both blues the opening's box, before a red or a check
    # grows: a large group never squeezes the facilitator's opening.
    room = total - 2 * _opening(total, unit) - len(hats) * MINUTE
    fixed = _fit_fixed([f for f in needs if f is not None], room, unit)
    weight = closing_weight(sizing.compares_alternatives)
    opening, closing = _blue_boxes(total, sum(fixed) + len(hats) * MINUTE, weight, unit)
    available = total - sum(fixed) - opening - closing
    shared = _share(available, [natural_seconds(middle[i], participants) for i in hats], unit)
    if not hats:
        closing += available
    boxes = [0] * len(middle)
    for i, seconds in zip(hats, shared, strict=True):
        boxes[i] = seconds
    fixed_at = [i for i, f in enumerate(needs) if f is not None]
    for i, seconds in zip(fixed_at, fixed, strict=True):
        boxes[i] = seconds
    return [opening, *boxes, closing]


def overflow_warning(steps: list[PlannedStep], minutes: int, sizing: Sizing) -> str | None:
    """One line when the meeting is too short for the group: the minutes it would need."""
    if sizing.participants is None:
        return None
    needed = suggested_minutes(steps, sizing)
    if minutes >= needed:
        return None
    return (
        f"{sizing.participants} participants need about {needed} minutes for these hats "
        f"(about a minute each per hat); in {minutes} minutes each contribution must be short"
    )


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
        raise UsageError(f"{option('start')} {text!r} has a date but no time", hint=START_HINT)
    try:
        clock = time.fromisoformat(value)
    except ValueError:
        pass
    else:
        return Start(datetime.combine(datetime(2000, 1, 1), clock), dated=False)
    try:
        return Start(datetime.fromisoformat(value), dated=True)
    except ValueError:
        raise UsageError(f"{option('start')} {text!r} is not a time", hint=START_HINT) from None


def parse_clock(text: str) -> Clock:
    if text not in CLOCKS:
        raise UsageError(
            f"unknown {option('clock')} {text!r}", hint="use hh:mm or mm:ss (half minutes)"
        )
    return text  # type: ignore[return-value]


@dataclass(frozen=True)
class Slot:
    """One agenda line: a step, its box, and its place in the meeting."""

    step: PlannedStep
    seconds: int
    offset: int


def plan_agenda(steps: list[PlannedStep], boxes: list[int]) -> list[Slot]:
    """The agenda of `steps` in the boxes `time_boxes` gave them, each starting as the one
    before it ends."""
    slots = []
    offset = 0
    for step, seconds in zip(steps, boxes, strict=True):
        slots.append(Slot(step, seconds, offset))
        offset += seconds
    return slots


def step_title(step: PlannedStep, focus: str | None = None, vote: bool | None = None) -> str:
    """The step as the agenda names it: `Red hat: dot vote, 3 dots each`, `Blue hat: check`."""
    title = f"{step.hat.value.capitalize()} hat"
    if step.role == "framing":
        title += ": opening (purpose, factors, priorities)"
    elif step.role == "synthesis":
        title += ": closing (outcome, owners, dates)"
    elif is_check(step):
        title += ": check (where we stand)"
    elif step.hat is Hat.RED and vote is not None:
        title += f": dot vote, {DOTS_EACH} dots each" if vote else ": gut reaction, a word each"
    elif focus or step.step.focus:
        title += f": {focus or step.step.focus}"
    return title + (" (optional)" if step.step.optional else "")


def format_box(seconds: int) -> str:
    """`5 min`, `30 s`, `1 min 30 s`."""
    whole, rest = divmod(seconds, MINUTE)
    if not whole:
        return f"{rest} s"
    return f"{whole} min" + (f" {rest} s" if rest else "")
