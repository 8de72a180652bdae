"""The six hats as data (`data/hats.toml`): the one place that says what each hat is for.

Everything else (prompts, programs, briefs, renderers) looks hats up here, so the
method is written down once, as the user gave it in the seed text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from sixhats_ai.resources import DATA_DIR


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
    def title(self) -> str:
        return f"{self.hat.value.capitalize()} hat"


HATS_FILE = DATA_DIR / "hats.toml"


def _load_hats() -> dict[Hat, HatInfo]:
    """The six hats from their data file, in the method's order."""
    with HATS_FILE.open("rb") as data:
        table = tomllib.load(data)
    hats = {}
    for hat in Hat:
        entry = dict(table[hat.value])
        sampling = Sampling(float(entry.pop("temperature")), float(entry.pop("top_p")))
        hats[hat] = HatInfo(hat=hat, sampling=sampling, **entry)
    return hats


HATS: dict[Hat, HatInfo] = _load_hats()


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
    if not given:  # most profiles: the hat's own
        return sampling
    unknown = sorted(set(given) - set(SAMPLING_KEYS))
    if unknown:
        raise ValueError(f"unknown sampling setting {unknown[0]!r}: use temperature or top_p")
    return replace(sampling, **{key: float(value) for key, value in given.items()})
