"""A realistic placeholder analysis, for `--dry-run` to show the board each step would see.

A dry run sends nothing, so no step has answered; a board of "(their findings appear here)"
shows neither its size nor its shape. These answers are what a model typically writes for a
small team decision (a four-day week), clearly labelled as examples, in the shape of this
run's schemas, so the prompts and their token estimates are close to a real run's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sixhats_ai.hat_outputs import (
    Benefit,
    BlackOutput,
    BlueReview,
    Fact,
    Framing,
    GreenOutput,
    Idea,
    InformationGap,
    Provocation,
    Reaction,
    RedOutput,
    Risk,
    StepOutput,
    WhiteOutput,
    YellowOutput,
)
from sixhats_ai.models import StepRecord
from sixhats_ai.programs import PlannedStep

EXAMPLE_ALTERNATIVES = ["(example) Four-day week", "(example) Keep five days"]
FOUR_DAY, FIVE_DAY = EXAMPLE_ALTERNATIVES


def _framing() -> Framing:
    return Framing(
        framing="(example) Should the support team move to a four-day week next quarter?",
        goals=["a decision with an owner and a date", "the conditions for a pilot"],
        factors=["customer coverage", "workload per person", "pay and contracts", "hiring"],
        priorities=["keep first replies within four hours", "no loss of pay"],
        alternatives=EXAMPLE_ALTERNATIVES,
        out_of_scope=["changes to salaries"],
    )


def _white(risks_from: str | None) -> StepOutput:
    facts = [
        Fact(
            statement="(example) The team has 8 people",
            status="checked",
            source="problem statement",
        ),
        Fact(
            statement="(example) Fridays get a fifth of the week's tickets",
            status="believed",
            source="assumption",
        ),
    ]
    gap = InformationGap(question="(example) Customer hours?", how_to_fill="ask sales")
    return WhiteOutput(facts=facts, gaps=[gap])


def _red(risks_from: str | None) -> StepOutput:
    reaction = Reaction(
        about="the pilot", feeling="hopeful", intensity="high", alternative=FOUR_DAY
    )
    return RedOutput(reactions=[reaction], dots=[FOUR_DAY, FOUR_DAY, FIVE_DAY])


def _black(risks_from: str | None) -> StepOutput:
    risk = Risk(
        point="(example) Friday coverage gaps",
        reason="the SLA covers weekdays",
        weight="high",
        likelihood="medium",
        impact="high",
        alternative=FOUR_DAY,
    )
    return BlackOutput(risks=[risk], interesting=["(example) other teams may follow"])


def _yellow(risks_from: str | None) -> StepOutput:
    benefit = Benefit(
        point="(example) better retention",
        reason="exit surveys cite burnout",
        weight="medium",
        likelihood="medium",
        feasibility="high",
        for_whom="the team",
        alternative=FOUR_DAY,
    )
    return YellowOutput(benefits=[benefit], interesting=[])


def _green(risks_from: str | None) -> StepOutput:
    idea = Idea(idea="(example) staggered days off", technique="reversal", addresses=risks_from)
    po = Provocation(po="Po: the office closes on Wednesdays", movement="split weeks")
    challenge = "(example) why must everyone be off on the same day?"
    return GreenOutput(concept_challenges=[challenge], ideas=[idea], provocations=[po])


def _blue(risks_from: str | None) -> StepOutput:
    return BlueReview(
        summary="(example) the risks are clear; the options are thin",
        priorities=["(example) coverage"],
        next_focus="(example) ideas that keep Fridays covered",
        process=["(example) spend longer on green"],
    )


EXAMPLES: dict[str, Callable[[str | None], StepOutput]] = {
    "white": _white,
    "red": _red,
    "black": _black,
    "yellow": _yellow,
    "green": _green,
    "blue": _blue,
}


def _output(step: PlannedStep, risks_from: str | None) -> StepOutput:
    return _framing() if step.role == "framing" else EXAMPLES[step.hat.value](risks_from)


def placeholder_records(plan: Sequence[PlannedStep]) -> list[StepRecord]:
    """An answered record for each step of `plan` (not the synthesis), in order."""
    records: list[StepRecord] = []
    for step in plan:
        if step.role == "synthesis":
            continue
        black = next((r.id for r in records if r.hat == "black"), None)
        records.append(
            StepRecord(
                id=step.id,
                hat=step.hat.value,
                role=step.role,
                focus=step.step.focus,
                status="ok",
                output=_output(step, f"{black}:1" if black else None),
                model="(dry run)",
            )
        )
    return records
