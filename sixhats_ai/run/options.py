"""How a run is made: every setting a command line or an API caller can tune.

Each default is declared here, once: the commands read them (`RunOptions.timeout` is the
default of `--timeout`). The library checks the settings in its own terms (`OptionError`
names the field); the command line says which flag set it. Light to import, since every
command's signature reads it: what the checks need is imported when a RunOptions is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from sixhats_ai.backends import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS
from sixhats_ai.errors import UsageError
from sixhats_ai.errors import option as named_option

if TYPE_CHECKING:
    from sixhats_ai.method.participants import PersonasMode, RosterRequest
    from sixhats_ai.run.condense import FitPolicy
    from sixhats_ai.run.request import Flow


DEFAULT_PROGRAM = "choose"  # the program a run follows when none is named
BATCH_CONCURRENCY = 4  # a batch's requests in flight at most, across all its files


class OptionError(UsageError, ValueError):
    """A run option out of range: `option` is the RunOptions field, `problem` what is wrong.
    The message names the field (`errors.option`), so a shell shows its own name for it."""

    def __init__(self, option: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{named_option(option)} {problem}", hint=hint)
        self.option = option
        self.problem = problem


@dataclass
class RunOptions:
    """How to run: everything a command line or API caller can tune."""

    flow: Flow = "sequential"
    concurrency: int = 8  # requests in flight at most (a batch's default is its own)
    rpm: float | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int | None = None
    max_reasks: int = 2
    max_cost: float | None = None
    temperature: float | None = None
    strict: bool = False
    include_optional: bool = True
    mode: str | None = None
    context_window: int | None = None
    fit: FitPolicy = "condense"
    truncate: bool = False  # the old spelling of fit="truncate"
    prompts_dir: Path | None = None
    max_steps: int = 8  # an emergent program: the hats blue may call for at most
    personas: RosterRequest | None = None  # who takes part (see `participants`)
    personas_mode: PersonasMode = "together"

    def __post_init__(self) -> None:
        from sixhats_ai.method.participants import PersonasMode
        from sixhats_ai.run.condense import FIT_POLICIES
        from sixhats_ai.run.request import Flow
        from sixhats_ai.run.structured import OutputMode

        if self.flow not in get_args(Flow):
            raise UsageError(
                f"unknown {named_option('flow')} {self.flow!r}", hint="use sequential or parallel"
            )
        if self.mode is not None and self.mode not in set(OutputMode):
            raise UsageError(
                f"unknown {named_option('mode')} {self.mode!r}",
                hint="use json_schema, json_object or prompt",
            )
        if self.concurrency < 1:
            raise OptionError("concurrency", "must be at least 1")
        for name in ("max_reasks", "max_retries"):
            if getattr(self, name) < 0:
                raise OptionError(name, "cannot be negative")
        # Written `not x > 0` so that NaN (`--timeout nan` parses) is refused too.
        for name in ("max_tokens", "rpm", "context_window"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise OptionError(name, f"must be more than 0 (got {value})")
        if self.max_cost is not None and not self.max_cost >= 0:
            raise OptionError("max_cost", f"cannot be negative (got {self.max_cost})")
        if not self.timeout > 0:
            raise OptionError("timeout", "must be more than 0 seconds")
        if not 1 <= self.max_steps <= 30:
            raise OptionError("max_steps", f"must be from 1 to 30 (got {self.max_steps})")
        if self.personas_mode not in get_args(PersonasMode):
            raise UsageError(
                f"unknown {named_option('personas_mode')} {self.personas_mode!r}",
                hint="use together or separate",
            )
        if self.truncate:
            self.fit = "truncate"
        if self.fit not in FIT_POLICIES:
            raise UsageError(
                f"unknown {named_option('fit')} {self.fit!r}",
                hint="use condense, truncate or refuse",
            )
