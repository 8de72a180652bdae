"""The typer application and the small helpers every command shares.

Heavy modules (the OpenAI SDK, Jinja, Rich, pydantic models) are imported inside the commands
that need them, so `sixhats --help` and `sixhats programs` start fast.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sixhats_ai.errors import UsageError
from sixhats_ai.render import REPORT_FORMATS
from sixhats_ai.version import __version__

if TYPE_CHECKING:
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.report import Report, StepRecord

app = typer.Typer(
    name="sixhats",
    help="Run Edward de Bono's Six Thinking Hats with a language model.\n\n"
    'Example: sixhats analyze "Should our team move to a four-day week?" --program choose',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def command_group(name: str, help: str, *, lists: bool = False) -> typer.Typer:
    """A group of subcommands (`sixhats local pull`), added to the app. Alone, a group shows its
    help; one that `lists` runs its callback instead (`sixhats programs` lists the programs)."""
    group = typer.Typer(
        help=help,
        invoke_without_command=lists,
        no_args_is_help=not lists,
        rich_markup_mode=None,
    )
    app.add_typer(group, name=name)
    return group


def echo_err(message: str) -> None:
    """A line on stderr, without any escape sequence a file name or a model's answer (an
    error may quote either) brought into it."""
    from sixhats_ai.text.documents import sanitize

    typer.echo(sanitize(message), err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sixhats {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run Edward de Bono's Six Thinking Hats with a language model."""


def programs_dir(override: Path | None = None) -> Path:
    from sixhats_ai.config import user_programs_dir

    return override or user_programs_dir()


def write_output(text: str, output: Path | None) -> None:
    """Data to stdout, or to a file written atomically."""
    from sixhats_ai.files import atomic_write

    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        atomic_write(output, text)
        echo_err(f"wrote {output}")


REPORT_SUFFIXES = {".md": "md", ".markdown": "md", ".json": "json", ".html": "html", ".htm": "html"}


def pick_format(fmt: str | None, output: Path | None) -> str:
    """The report format: as given, else from -o's suffix, else rich on a terminal, else md."""
    if fmt is None and output is not None:
        from sixhats_ai.files import format_of

        fmt = format_of(output, REPORT_SUFFIXES)
    if fmt is None:
        fmt = "rich" if sys.stdout.isatty() else "md"
    if fmt not in (*REPORT_FORMATS, "rich"):
        raise UsageError(f"unknown format {fmt!r}", hint="use md, json or html (or rich)")
    if output is not None:
        from sixhats_ai.files import check_writable

        if fmt == "rich":
            raise UsageError("--format rich is for the terminal", hint="use md, json or html")
        check_writable(output)  # now, not after the model has been paid
    return fmt


def emit_report(
    report: Report, fmt: str | None, output: Path | None, run_id: str | None = None
) -> None:
    """Print or write a report in the chosen format (`rich`: the Markdown, styled)."""
    from sixhats_ai import render

    chosen = pick_format(fmt, output)
    if chosen == "rich":
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(render.report(report, "md")))
    else:
        write_output(render.report(report, chosen, run_id=run_id), output)


@dataclass
class FailedRun:
    """A run whose synthesis failed: its hats, kept so `sixhats rerun ID` can finish it."""

    id: str | None
    problem: str
    program: Program
    error: str
    steps: list[StepRecord]


def emit_failed_run(
    run: FailedRun, chosen: str, output: Path | None, *, error_in_heading: bool = True
) -> None:
    """The hats of a run without a synthesis, in the format asked for: a degraded report
    that says so. The Markdown of a run just made leaves the error to stderr."""
    if chosen == "json":
        import json

        partial = {
            "kind": "sixhats.failed_run",
            "id": run.id,
            "problem": run.problem,
            "program": run.program.slug,
            "error": run.error,
            "synthesis": None,
            "steps": [s.model_dump(mode="json") for s in run.steps],
        }
        write_output(json.dumps(partial, indent=2), output)
    elif chosen == "html":
        from sixhats_ai.render.html import render_failed_run_html

        page = render_failed_run_html(
            run.steps, problem=run.problem, program=run.program, error=run.error, run_id=run.id
        )
        write_output(page, output)
    else:  # md, and rich on a terminal
        from sixhats_ai.render.markdown import failed_run_markdown

        heading_error = run.error if error_in_heading else None
        write_output(failed_run_markdown(run.steps, heading_error), output)
