"""How a choice weighs an alternative's points: one rule, stated once.

The code that scores the points, the report's footnote and the closing prompt all take their
words from here, so what the reader is told is what was computed. The balance is a mean of
the heaviest points on each side, not a sum: an alternative with more risks listed does not
lose for that, and a long tail of light points neither sinks nor carries it.
"""

from __future__ import annotations

from collections.abc import Sequence

WEIGHTS = {"high": 3, "medium": 2, "low": 1}
TOP_POINTS = 3  # the heaviest points of each side that the balance weighs

SCORE_RULE = (
    "a benefit scores weight × likelihood, a risk the higher of weight and impact × likelihood "
    "(high 3, medium 2, low 1)"
)
BALANCE_RULE = (
    f"the balance is the mean score of the {TOP_POINTS} heaviest benefits minus that of the "
    f"{TOP_POINTS} heaviest risks"
)


def heaviest(scores: Sequence[int]) -> list[int]:
    """The scores of one side that the balance weighs, heaviest first."""
    return sorted(scores, reverse=True)[:TOP_POINTS]


def mean(scores: Sequence[int]) -> float:
    return sum(scores) / len(scores) if scores else 0.0


def balance(benefits: Sequence[int], risks: Sequence[int]) -> float:
    """The balance of an alternative's benefit and risk scores, to one decimal."""
    return round(mean(heaviest(benefits)) - mean(heaviest(risks)), 1)
