"""Dot votes from a CSV file (`participant,alternative,dots`), checked row by row.

A bad row is a usage error naming its row, so a vote is never silently miscounted.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from sixhats_ai.errors import UsageError

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
