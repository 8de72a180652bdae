"""Dot votes from a CSV file (`participant,alternative,dots`), checked row by row.

A bad row is a usage error naming its row, so a vote is never silently miscounted.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from sixhats_ai.errors import UsageError
from sixhats_ai.meeting_minutes.naming import Naming

HEADER = ("participant", "alternative", "dots")
MAX_DOTS = 1000


@dataclass(frozen=True)
class Ballot:
    participant: str
    alternative: str
    dots: int


def _bad(name: str, row: int, why: str) -> UsageError:
    return UsageError(
        f"{name}: row {row}: {why}",
        hint="each row is participant,alternative,dots with dots a whole number from 1",
    )


def parse_votes(text: str, name: str = "votes") -> list[Ballot]:
    """The ballots in a votes CSV; an optional header row is skipped."""
    ballots = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and tuple(c.lower() for c in cells) == HEADER:
            continue
        if len(cells) != len(HEADER):
            raise _bad(name, number, f"has {len(cells)} fields, not 3")
        participant, alternative, dots = cells
        if not participant or not alternative:
            raise _bad(name, number, "needs a participant and an alternative")
        if not dots.isdigit() or not 1 <= int(dots) <= MAX_DOTS:
            raise _bad(name, number, f"dots {dots!r} is not a whole number from 1")
        ballots.append(Ballot(participant, alternative, int(dots)))
    return ballots


@dataclass(frozen=True)
class Tally:
    alternative: str
    dots: int
    voters: int


def tally(ballots: list[Ballot]) -> list[Tally]:
    """Dots and voters per alternative, most dots first (ties in the order first voted)."""
    dots: dict[str, int] = defaultdict(int)
    voters: dict[str, set[str]] = defaultdict(set)
    for ballot in ballots:
        dots[ballot.alternative] += ballot.dots
        voters[ballot.alternative].add(ballot.participant)
    order = list(dots)
    return sorted(
        (Tally(a, dots[a], len(voters[a])) for a in order),
        key=lambda t: (-t.dots, order.index(t.alternative)),
    )


@dataclass
class VoteCount:
    """The dot vote as the minutes show it: one row per alternative, the total, each voter's
    dots, who spent more than the allowance, and the names that matched nothing in the notes."""

    rows: list[Tally]
    total: int
    per_voter: dict[str, int]
    allowance: int | None
    overspent: dict[str, int]
    unmatched: list[str]
    merged: dict[str, str]  # a spelling in the votes -> the alternative it was counted as

    @classmethod
    def empty(cls) -> VoteCount:
        return cls([], 0, {}, None, {}, [], {})


def _counted_as(voted: str, naming: Naming, shown: dict[str, str], unmatched: list[str]) -> str:
    """The alternative a vote counts for: the notes' name for it (an alias, or a listed
    option in any case), else one name for every spelling of it, a capital one the notes use
    first; a name the notes never use is listed in `unmatched`."""
    if (named := naming.resolve(voted)) is not None:
        shown.setdefault(named.casefold(), named)
        return named
    listed = naming.within(voted)
    spelled = naming.spelled(voted)
    key = (listed or voted).casefold()
    if key not in shown:
        shown[key] = spelled if spelled and spelled[:1].isupper() else voted
        if listed is None and spelled is None:
            unmatched.append(shown[key])
    return shown[key]


def count_votes(ballots: list[Ballot], naming: Naming, allowance: int | None = None) -> VoteCount:
    """The ballots counted under the notes' names for the alternatives (case and aliases
    merged), with the allowance checked voter by voter."""
    merged: dict[str, str] = {}
    shown: dict[str, str] = {}  # an alternative's key -> the name the rows show
    unmatched: list[str] = []
    counted = []
    for ballot in ballots:
        name = _counted_as(ballot.alternative, naming, shown, unmatched)
        if name != ballot.alternative:
            merged[ballot.alternative] = name
        counted.append(Ballot(ballot.participant, name, ballot.dots))
    rows = tally(counted)
    voted = {t.alternative for t in rows}
    rows += [  # options the notes list that got no dots
        Tally(n, 0, 0) for n in naming.listed if n.casefold() not in shown and n not in voted
    ]
    per_voter: dict[str, int] = defaultdict(int)
    for ballot in counted:
        per_voter[ballot.participant] += ballot.dots
    over = {p: d for p, d in per_voter.items() if allowance is not None and d > allowance}
    return VoteCount(
        rows=rows if ballots else [],
        total=sum(per_voter.values()),
        per_voter=dict(per_voter),
        allowance=allowance,
        overspent=over,
        unmatched=unmatched,
        merged=merged,
    )
