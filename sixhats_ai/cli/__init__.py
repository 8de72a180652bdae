"""The `sixhats` command: argument handling only; the work happens in the modules it calls.

One module per group of commands; importing them registers their commands on `app`.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from typing import NoReturn

# isort: off
from sixhats_ai.cli import startup  # noqa: F401  (first: it changes what later imports do)

# isort: on
import typer

from sixhats_ai.cli import analyze, batch, brief, explore, local, mcp, minutes, runs, store
from sixhats_ai.cli.app import app
from sixhats_ai.cli.options import flag_of, name_metavars
from sixhats_ai.display.plain import echo_error, error_stream, quiet
from sixhats_ai.errors import EXIT_INTERRUPTED, SixhatsError, option_names, redact_known

name_metavars(app)

__all__ = [
    "analyze",
    "app",
    "batch",
    "brief",
    "explore",
    "local",
    "main",
    "mcp",
    "minutes",
    "runs",
    "store",
]


def _fail(message: str, code: int, *, debug: bool) -> NoReturn:
    """One line on stderr, after the traceback with SIXHATS_DEBUG=1; the code is the same.
    Neither holds a key, even one a server echoed in its error (OpenAI's 401 does)."""
    if debug:
        error_stream().write(redact_known(traceback.format_exc()))
    echo_error(redact_known(message))
    sys.exit(code)


def _innermost(exc: Exception) -> Exception:
    """The first exception an exception group holds (asyncio's TaskGroup wraps what a task
    raised in one), so a failure is named by what failed, not by its wrapper."""
    while isinstance(exc, ExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr and an exit code for every failure, no traceback."""
    try:
        _main(argv)
    finally:
        quiet(False)  # a caller's process (the tests) gets its stderr back
        if argv is None:  # the `sixhats` process, which exits next (not a caller's process)
            # Spare the interpreter's finalization a garbage collection over every object the
            # imports made: it was a fifth of a fresh analysis's CPU.
            gc.freeze()


def _main(argv: list[str] | None) -> None:
    with option_names(flag_of):  # the library's errors name the flags that set its options
        _run(argv)


def _run(argv: list[str] | None) -> None:
    debug = os.environ.get("SIXHATS_DEBUG") == "1"
    try:
        # Outside standalone mode typer returns, not raises, the code of an Exit; it turns
        # Ctrl-C into Exit(130).
        code = app(args=argv, standalone_mode=False)
    except SixhatsError as exc:
        _fail(f"error: {exc.one_line()}", exc.exit_code, debug=debug)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _fail("interrupted", EXIT_INTERRUPTED, debug=debug)
    except typer.TyperException as exc:  # typer's own usage errors (bad option, missing value)
        exc.show(file=error_stream())  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:
        failed = _innermost(exc)
        if isinstance(failed, SixhatsError):
            _fail(f"error: {failed.one_line()}", failed.exit_code, debug=debug)
        hint = "" if debug else " (set SIXHATS_DEBUG=1 for details)"
        _fail(f"error: unexpected {type(failed).__name__}: {failed}{hint}", 1, debug=debug)
    if code == EXIT_INTERRUPTED:
        echo_error("interrupted")
    if isinstance(code, int) and code:
        sys.exit(code)
