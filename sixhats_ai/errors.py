"""Errors that reach the user: one line naming the problem and the fix, and an exit code.

Every failure a user can cause or meet is raised as a `SixhatsError`; the CLI prints
`error: <message>` on stderr and exits with its code. A backend translates its SDK's
exceptions into these (`backends/openai.py`), so each command reports them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process it terminated


# An option of the library named in an error, between two invisible separators: `option()`
# writes it, `named()` shows it in the words of whoever called (see `option_names`).
_MARK = "\u2063"
_OPTION = re.compile(f"{_MARK}([a-z_]+)(=True|=False)?{_MARK}")
# How a shell names an option; None: as the library does (`max_tokens`, `keep=False`).
Namer = Callable[[str], str | None]
_NAMER: ContextVar[Namer] = ContextVar("option_namer", default=lambda field: None)


def option(field: str, value: bool | None = None) -> str:
    """An option named in an error's message or hint, by its library name (`max_tokens`, a
    `RunOptions` field or a library function's parameter): a program reads `max_tokens`, the
    command line `--max-tokens`, the MCP server its tool argument (`option_names`).

    `value`: the value the fix is, for an option a flag turns off (`option("keep", False)`):
    a program reads `keep=False`, where the command line's `--no-log` says it in one flag."""
    return f"{_MARK}{field}{'' if value is None else f'={value}'}{_MARK}"


def named(text: str) -> str:
    """`text` with each `option()` in it named as the caller names options."""
    if _MARK not in text:
        return text
    namer = _NAMER.get()

    def name(found: re.Match[str]) -> str:
        field, value = found.group(1), found.group(2) or ""
        return namer(field) or field + value

    return _OPTION.sub(name, text)


@contextmanager
def option_names(namer: Namer) -> Iterator[None]:
    """Within the block, errors name options as `namer` says: a shell (the command line, the
    MCP server) wraps its work in it, so the library's errors name its flags or arguments.
    An option `namer` has no name of its own for (None) is named as the library names it."""
    token = _NAMER.set(namer)
    try:
        yield
    finally:
        _NAMER.reset(token)


class SixhatsError(Exception):
    """A failure with a message fit for the user and the exit code it deserves.

    `message` and `hint` may name options (`option()`); `one_line()` names them as the caller
    does (`option_names`)."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return named(f"{self.message} ({self.hint})" if self.hint else self.message)

    def __str__(self) -> str:
        return self.one_line()


class UsageError(SixhatsError):
    """Bad input: an argument, a file, a program or a template the user supplied."""

    exit_code = EXIT_USAGE


def check_arguments(call: str, given: Mapping[str, object], accepted: Any) -> None:
    """Refuse a keyword argument `call` does not take. Its TypedDict (`accepted`) types the
    arguments but checks nothing at run time: `analyze(problem, flow="parallel")` ran in the
    sequential flow without a word."""
    known = accepted.__required_keys__ | accepted.__optional_keys__
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(
            f"{call}() takes no argument {unknown[0]!r}",
            hint=f"it takes {', '.join(sorted(known))}; how the run goes (flow, max_tokens, ...) "
            "is set in options=RunOptions(...)",
        )


class ConfigError(UsageError):
    """No usable model configuration."""


class StoreDamaged(UsageError):
    """The run store is corrupt: the whole command stops, and nothing more is written to it."""


class ModelError(SixhatsError):
    """The model server failed or answered with something unusable."""


class BudgetExceeded(SixhatsError):
    """--max-cost would be exceeded by the next request."""


def redact(text: str, secrets: list[str | None]) -> str:
    """Remove every secret from a text before it can be shown or stored."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


# The keys this process was given (flag, environment, profile): whatever prints a text it did
# not write itself (a debug traceback, where a server may have echoed the key) redacts them.
_KNOWN_SECRETS: set[str] = set()


def keep_secret(secret: str | None) -> None:
    """Remember a key, so that `redact_known` takes it out of anything shown."""
    if secret:
        _KNOWN_SECRETS.add(secret)


def redact_known(text: str) -> str:
    """The text without any key this process was given."""
    return redact(text, list(_KNOWN_SECRETS))


def first_problems(message: str, shown: int = 3) -> str:
    """`what: a; b; c; d; e` as `what: a; b; c; and 2 more`: a line a user can read."""
    what, colon, listed = message.partition(": ")
    problems = listed.split("; ") if colon else []
    if len(problems) <= shown:
        return message
    return f"{what}: {'; '.join(problems[:shown])}; and {len(problems) - shown} more"
