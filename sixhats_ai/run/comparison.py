"""The alternatives compared side by side, built from the hats' own tags.

In a program that chooses between alternatives, every yellow benefit, black risk and red
feeling names the alternative it is about (or "all"), and the red hat casts a dot vote. The
comparison is counted from those tags, not rebuilt from prose: for each alternative its
benefits, risks and feelings with the step they came from, its dots, and its balance (the
rule, and its words for the report and the closing prompt, are in `method.balance`).
Points about "all" alternatives do not tell them apart and stay out of the columns.
A meeting's real dot votes (`sixhats minutes --votes`) are counted instead of a model's dots,
each on the alternative it names, matched to the framing's names (a voted alternative the
framing did not name gets a column of its own), so the dots of the comparison add up to the
participants' dots.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sixhats_ai.method.balance import WEIGHTS
from sixhats_ai.method.hat_outputs import (
    ALL,
    Benefit,
    BlackOutput,
    Framing,
    RedOutput,
    Risk,
    YellowOutput,
)
from sixhats_ai.run.report import AlternativeColumn, ArguedPoint, StepRecord


def scored(point: Benefit | Risk, step: str) -> ArguedPoint:
    """A benefit or risk with its score, as `method.balance.SCORE_RULE` says (a likelihood not
    rated counts as medium)."""
    weight = point.weight
    if isinstance(point, Risk) and point.impact and WEIGHTS[point.impact] > WEIGHTS[weight]:
        weight = point.impact
    likelihood = point.likelihood or "medium"
    return ArguedPoint(
        side="risk" if isinstance(point, Risk) else "benefit",
        point=point.point,
        grounds=point.reason,
        quote=point.quote,
        quote_found=point.quote_found,
        step=step,
        weight=weight,
        likelihood=likelihood,
        score=WEIGHTS[weight] * WEIGHTS[likelihood],
    )


def argued(steps: Sequence[StepRecord], alternative: str) -> list[ArguedPoint]:
    """The yellow benefits and black risks tagged with `alternative` (or "all"), each scored,
    the heaviest first."""
    points: list[ArguedPoint] = []
    for step in steps:
        output = step.output
        tagged: Sequence[Benefit | Risk] = (
            output.benefits
            if isinstance(output, YellowOutput)
            else output.risks
            if isinstance(output, BlackOutput)
            else []
        )
        points += [scored(p, step.id) for p in tagged if p.alternative == alternative]
    return sorted(points, key=lambda p: -p.score)


def compare(steps: Sequence[StepRecord]) -> list[AlternativeColumn]:
    """A column per alternative the framing named, counted from the tagged points; a meeting's
    real dot votes (`sixhats minutes --votes`) count instead of the model's dots."""
    framing = next((s.output for s in steps if isinstance(s.output, Framing)), None)
    named = list(framing.alternatives) if framing is not None else []
    votes = [vote for step in steps for vote in step.votes]
    if not named and not votes:
        return []
    columns = {name: AlternativeColumn(name=name) for name in dict.fromkeys(named)}

    def column(alternative: str) -> AlternativeColumn | None:
        return None if alternative == ALL else columns.get(alternative)

    for name, weighed in columns.items():
        weighed.argued = argued(steps, name)
        weighed.benefits = [f"{p.point} ({p.weight}) [{p.step}]" for p in weighed.side("benefit")]
        weighed.risks = [f"{p.point} ({p.weight}) [{p.step}]" for p in weighed.side("risk")]
        weighed.balance = weighed.weighed_balance()
    for step in steps:
        output = step.output
        if isinstance(output, RedOutput):
            for reaction in output.reactions:
                if (col := column(reaction.alternative)) is not None:
                    col.feelings.append(f"{reaction.feeling} ({reaction.intensity}) [{step.id}]")
            for name, dots in ({} if votes else output.dot_counts()).items():
                if (col := column(name)) is not None:
                    col.dots += dots
    for vote in votes:
        name = voted_alternative(vote.alternative, named) or vote.alternative
        columns.setdefault(name, AlternativeColumn(name=name)).dots += vote.dots
    return list(columns.values())


def _words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", name.casefold()))


def voted_alternative(voted: str, named: Sequence[str]) -> str | None:
    """The named alternative a vote's name means: the one with the same words, else the only
    one whose words all appear in the vote's name, or the other way round ("Paid on-call pool"
    is "Paid pool"). A meeting's notes and its votes CSV rarely spell an option alike."""
    words = _words(voted)
    same = [name for name in named if _words(name) == words]
    if same:
        return same[0]
    within = [n for n in named if _words(n) and (_words(n) <= words or words <= _words(n))]
    return within[0] if len(within) == 1 else None


def leader(columns: Sequence[AlternativeColumn]) -> AlternativeColumn | None:
    """The alternative ahead: most dots, then the best balance."""
    return max(columns, key=lambda c: (c.dots, c.balance), default=None)
