"""The alternatives compared side by side, built from the hats' own tags.

In a program that chooses between alternatives, every yellow benefit, black risk and red
feeling names the alternative it is about (or "all"), and the red hat casts a dot vote. The
comparison is counted from those tags, not rebuilt from prose: for each alternative its
benefits, risks and feelings with the step they came from, its dots, and its balance (weighted
benefits minus weighted risks: high 3, medium 2, low 1). Points about "all" alternatives do not
tell them apart and stay out of the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from sixhats_ai.hat_outputs import ALL, BlackOutput, Framing, RedOutput, YellowOutput

if TYPE_CHECKING:
    from sixhats_ai.models import StepRecord

WEIGHTS = {"high": 3, "medium": 2, "low": 1}


class AlternativeColumn(BaseModel):
    """One alternative's column of the comparison."""

    name: str
    benefits: list[str] = []
    risks: list[str] = []
    feelings: list[str] = []
    dots: int = 0
    balance: int = 0

    def tally(self) -> str:
        return (
            f"{self.name}: {self.dots} dots, balance {self.balance:+d} "
            f"({len(self.benefits)} benefits, {len(self.risks)} risks, "
            f"{len(self.feelings)} feelings)"
        )


def compare(steps: Sequence[StepRecord]) -> list[AlternativeColumn]:
    """A column per alternative the framing named, counted from the tagged points."""
    framing = next((s.output for s in steps if isinstance(s.output, Framing)), None)
    if framing is None or not framing.alternatives:
        return []
    columns = {name: AlternativeColumn(name=name) for name in dict.fromkeys(framing.alternatives)}

    def column(alternative: str) -> AlternativeColumn | None:
        return None if alternative == ALL else columns.get(alternative)

    for step in steps:
        output = step.output
        if isinstance(output, YellowOutput):
            for b in output.benefits:
                if (col := column(b.alternative)) is not None:
                    col.benefits.append(f"{b.point} ({b.weight}) [{step.id}]")
                    col.balance += WEIGHTS[b.weight]
        elif isinstance(output, BlackOutput):
            for r in output.risks:
                if (col := column(r.alternative)) is not None:
                    col.risks.append(f"{r.point} ({r.weight}) [{step.id}]")
                    col.balance -= WEIGHTS[r.weight]
        elif isinstance(output, RedOutput):
            for reaction in output.reactions:
                if (col := column(reaction.alternative)) is not None:
                    col.feelings.append(f"{reaction.feeling} ({reaction.intensity}) [{step.id}]")
            for name, dots in output.dot_counts().items():
                if (col := column(name)) is not None:
                    col.dots += dots
    return list(columns.values())


def leader(columns: Sequence[AlternativeColumn]) -> AlternativeColumn | None:
    """The alternative ahead: most dots, then the best balance."""
    return max(columns, key=lambda c: (c.dots, c.balance), default=None)
