"""The six hats as data: the one place that says what each hat is for.

Everything else (prompts, programs, briefs, renderers) looks hats up here, so the
method is written down once, as the user gave it in the seed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum


class Hat(StrEnum):
    BLUE = "blue"
    WHITE = "white"
    RED = "red"
    BLACK = "black"
    YELLOW = "yellow"
    GREEN = "green"


@dataclass(frozen=True)
class Sampling:
    """How a hat samples: green warmer (new ideas), white and black cooler (facts, caution)."""

    temperature: float
    top_p: float


@dataclass(frozen=True)
class HatInfo:
    hat: Hat
    overview: str
    direction: str
    technique: str
    time_box_seconds: int
    colour: str
    belongs: str
    does_not_belong: str
    sampling: Sampling

    @property
    def temperature(self) -> float:
        return self.sampling.temperature

    @property
    def top_p(self) -> float:
        return self.sampling.top_p

    @property
    def title(self) -> str:
        return f"{self.hat.value.capitalize()} hat"


HATS: dict[Hat, HatInfo] = {
    info.hat: info
    for info in (
        HatInfo(
            Hat.BLUE,
            overview="The Big Picture & Managing",
            direction="the big picture; managing the thinking process",
            technique="CAF (Consider All Factors); FIP (First Important Priorities)",
            time_box_seconds=120,
            colour="#1f5fbf",
            belongs="goals, the focus of the session, the order of hats, summaries and decisions",
            does_not_belong="arguing the substance of the problem while managing the process",
            sampling=Sampling(0.3, 1.0),
        ),
        HatInfo(
            Hat.WHITE,
            overview="Facts & Information",
            direction="facts and information: what we know, what we lack, how to get it",
            technique="Information",
            time_box_seconds=120,
            colour="#9a9a9a",
            belongs="checked facts, figures, believed facts marked as such, missing information",
            does_not_belong="opinions, interpretations, proposals or feelings",
            sampling=Sampling(0.2, 1.0),
        ),
        HatInfo(
            Hat.RED,
            overview="Feelings & Emotions",
            direction="feelings, hunches and gut reactions",
            technique="Emotions and Ego",
            time_box_seconds=30,
            colour="#c62828",
            belongs="immediate gut reactions, likes and dislikes, hunches, dot votes",
            does_not_belong="justifications, reasons or explanations of the feeling",
            sampling=Sampling(0.8, 1.0),
        ),
        HatInfo(
            Hat.BLACK,
            overview="Negative",
            direction="caution: risks, weaknesses, why it may not work",
            technique="PMI (Plus, Minus, Interesting); Evaluation",
            time_box_seconds=120,
            colour="#212121",
            belongs="risks, difficulties, mismatches with facts or values, each with its reason",
            does_not_belong="new ideas, benefits, or criticism without a reason",
            sampling=Sampling(0.3, 1.0),
        ),
        HatInfo(
            Hat.YELLOW,
            overview="Positive",
            direction="benefits and value: why it may work",
            technique="PMI (Plus, Minus, Interesting)",
            time_box_seconds=120,
            colour="#f9a825",
            belongs="benefits, value, feasibility, best cases, each with its reason",
            does_not_belong="risks and criticism, or optimism without a reason",
            sampling=Sampling(0.5, 1.0),
        ),
        HatInfo(
            Hat.GREEN,
            overview="New Ideas",
            direction="new ideas, alternatives and possibilities",
            technique="Concept Challenge; Yes, No, Po (provocation)",
            time_box_seconds=120,
            colour="#2e7d32",
            belongs="alternatives, modifications, provocations (Po), ways round the risks",
            does_not_belong="judging or criticising ideas while they are being generated",
            sampling=Sampling(1.0, 0.95),
        ),
    )
}


def hat_info(hat: Hat | str) -> HatInfo:
    return HATS[Hat(hat)]


SAMPLING_KEYS = ("temperature", "top_p")


def hat_sampling(
    hat: Hat | str, overrides: Mapping[str, Mapping[str, float]] | None = None
) -> Sampling:
    """A hat's sampling, with a profile's overrides (`[profiles.NAME.sampling.green]
    temperature = 1.1`) applied; a key that is not a sampling parameter is refused."""
    sampling = hat_info(hat).sampling
    given = (overrides or {}).get(Hat(hat).value, {})
    unknown = sorted(set(given) - set(SAMPLING_KEYS))
    if unknown:
        raise ValueError(f"unknown sampling setting {unknown[0]!r}: use temperature or top_p")
    return replace(sampling, **{key: float(value) for key, value in given.items()})
