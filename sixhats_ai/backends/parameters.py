"""Which request parameters a model accepts: never a fatal refusal of temperature or a limit.

OpenAI's reasoning models take only the default temperature, no top_p, and
`max_completion_tokens` instead of `max_tokens`; other servers refuse other fields. A packaged
table of model families (`data/model_families.toml`) gets a known model's first request
right. For any other model, a 400 naming one of these parameters (`ParameterRejected`) drops
or renames it for the rest of the run, as the output-mode ladder does for response formats,
and says so once.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

from sixhats_ai.backends.base import CompletionRequest
from sixhats_ai.resources import DATA_DIR

_TABLE_FILE = DATA_DIR / "model_families.toml"
# What to do with a refused parameter that no family names: drop it, or send it renamed.
LEARNABLE: dict[str, str | None] = {
    "temperature": None,
    "top_p": None,
    "max_tokens": "max_completion_tokens",
}


@dataclass(frozen=True)
class Rules:
    """The parameters a model refuses (`drop`) or takes under another name (`rename`)."""

    drop: frozenset[str] = frozenset()
    rename: tuple[tuple[str, str], ...] = ()

    def learned(self, name: str) -> Rules | None:
        """These rules with `name` dropped or renamed; None if it cannot be, or already is."""
        if name not in LEARNABLE or name in self.drop or name in dict(self.rename):
            return None
        new_name = LEARNABLE[name]
        if new_name is None:
            return replace(self, drop=self.drop | {name})
        return replace(self, rename=(*self.rename, (name, new_name)))

    def apply(self, request: CompletionRequest) -> CompletionRequest:
        """The request as this model takes it."""
        if not self.drop and not self.rename:  # most models: as it is
            return request
        body = {k: v for k, v in request.params().items() if k in LEARNABLE}
        extra = dict(request.extra)
        for old, new in self.rename:
            if old in body:
                extra[new] = body[old]
        gone = self.drop | {old for old, _ in self.rename}
        return replace(
            request,
            temperature=None if "temperature" in gone else request.temperature,
            top_p=None if "top_p" in gone else request.top_p,
            max_tokens=None if "max_tokens" in gone else request.max_tokens,
            extra=extra,
        )


@cache
def packaged_families() -> tuple[tuple[re.Pattern[str], Rules], ...]:
    """The packaged table: a name pattern and the rules of each family."""
    data = tomllib.loads(_TABLE_FILE.read_text(encoding="utf-8"))
    families = []
    for family in data["family"]:
        names = "|".join(re.escape(p) for p in family["prefixes"])
        rules = Rules(frozenset(family.get("drop", [])), tuple(family.get("rename", {}).items()))
        families.append((re.compile(rf"(?:{names})(?:[-.].*)?"), rules))
    return tuple(families)


def family_rules(model: str) -> Rules:
    """The rules of the model's family in the table (none for a model it does not list)."""
    for pattern, rules in packaged_families():
        if pattern.fullmatch(model):
            return rules
    return Rules()


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


@dataclass
class ModelParameters:
    """The parameter rules of each model a run uses: the table's, then what servers refused."""

    notice: Callable[[str], None] = _warn
    _rules: dict[str, Rules] = field(default_factory=dict)

    def rules(self, model: str) -> Rules:
        if model not in self._rules:
            self._rules[model] = family_rules(model)
        return self._rules[model]

    def fit(self, request: CompletionRequest) -> CompletionRequest:
        """The request as its model takes it."""
        return self.rules(request.model).apply(request)

    def refused(self, request: CompletionRequest, name: str) -> bool:
        """The server refused `name` in `request`: drop or rename it for the rest of the run
        (and say so), and ask again. A request sent before another's refusal taught the same
        is just asked again; False if `name` was not sent or cannot go, and the refusal stands."""
        if name not in request.params():
            return False
        rules = self.rules(request.model)
        if rules.apply(request) != request:
            return True  # already learned while this request was in flight
        learned = rules.learned(name)
        if learned is None:
            return False
        self._rules[request.model] = learned
        new_name = LEARNABLE[name]
        done = f"sends {new_name} instead" if new_name else "leaves it out"
        self.notice(f"{request.model} does not accept {name}; this run {done}")
        return True
