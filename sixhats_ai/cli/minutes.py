"""`sixhats minutes`: after the meeting, its notes and dot votes as minutes or as a report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, emit_report, pick_format, programs_dir, write_output
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    LocalOption,
    MaxCostOption,
    MaxReasksOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    NoLogOption,
    OutputOption,
    ProfileOption,
    ProgramOption,
    PromptsDirOption,
    RetriesOption,
    SkipOptionalOption,
    TimeoutOption,
    flags_of,
    run_options,
)
from sixhats_ai.errors import UsageError
from sixhats_ai.run.options import DEFAULT_PROGRAM, RunOptions

if TYPE_CHECKING:
    from sixhats_ai.meeting_minutes.api import Meeting  # what `meeting_of` reads
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.runs import Lineage
    from sixhats_ai.store.records import RunInputs, StoredRun

MINUTES_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".json": "json"}


def _offline_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None:
        fmt = MINUTES_FORMATS.get(output.suffix.lower(), "md") if output is not None else "md"
    if fmt not in MINUTES_FORMATS.values():
        raise UsageError(f"unknown format {fmt!r}", hint="use md, html or json")
    return fmt


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        echo_err(f"warning: {warning}")


def structure_meeting(
    meeting: Meeting,
    inputs: RunInputs,
    params: dict[str, Any],
    *,
    read_cache: bool,
    reuse: dict[str, StepRecord] | None = None,
    lineage: Lineage | None = None,
) -> tuple[Report, str | None]:
    """The meeting structured by the configured model and kept (`minutes`, and `rerun` of a
    meeting), with what it cost said on stderr."""
    import asyncio

    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.cli.local import start_engine
    from sixhats_ai.cli.running import finish_run
    from sixhats_ai.config import load_config
    from sixhats_ai.meeting_minutes.api import structure

    config = load_config()
    provider = resolve_provider(flags_of(params), config)
    options = replace(run_options(params), include_optional=inputs.include_optional)
    what = f"rerun of meeting {lineage.parent_id}" if lineage else meeting.program.name
    echo_err(f"sixhats minutes: {what} with {provider.model}")
    start_engine(provider)
    result = asyncio.run(
        structure(
            provider,
            options,
            config,
            meeting,
            inputs,
            keep=not params["no_log"],
            read_cache=read_cache,
            reuse=reuse,
            lineage=lineage,
        )
    )
    return finish_run(
        result, meeting.topic, meeting.program, provider, reuse, params["fmt"], params["output"]
    )


def rerun_meeting(
    run: StoredRun, redo: list[str], params: dict[str, Any]
) -> tuple[Report, str | None]:
    """`sixhats rerun` of a stored meeting: the steps in `redo` structured again from its
    kept notes, every other good step reused."""
    from sixhats_ai.meeting_minutes.api import meeting_of_run
    from sixhats_ai.runs import Lineage, reused_steps

    meeting, inputs = meeting_of_run(run)
    return structure_meeting(
        meeting,
        inputs,
        params,
        read_cache=False,  # a rerun wants a new answer
        reuse=reused_steps(run, redo),
        lineage=Lineage(run.id, ",".join(redo)),
    )


@app.command()
def minutes(
    ctx: typer.Context,
    notes: Annotated[Path, typer.Argument(help="The meeting's notes: Markdown, a heading a step.")],
    votes: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--votes", help="Dot votes: a CSV of participant,alternative,dots."),
    ] = None,
    topic: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="The meeting's topic (default: the notes' title)."),
    ] = None,
    program: ProgramOption = DEFAULT_PROGRAM,
    dots: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Dots each voter had (default: from the notes, '3 dots each')."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="No model: the notes laid out by hat, with votes.")
    ] = False,
    fill_gaps: Annotated[
        bool, typer.Option("--fill-gaps", help="Let the model add points, marked as its own.")
    ] = False,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="md, json or html (default: from -o, else md)."),
    ] = None,
    output: OutputOption = None,
    skip_optional: SkipOptionalOption = False,
    prompts_dir: PromptsDirOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    local: LocalOption = False,
    timeout: TimeoutOption = RunOptions.timeout,
    retries: RetriesOption = RunOptions.max_retries,
    max_tokens: MaxTokensOption = None,
    max_reasks: MaxReasksOption = RunOptions.max_reasks,
    max_cost: MaxCostOption = None,
    mode: ModeOption = None,
    no_cache: NoCacheOption = False,
    no_log: NoLogOption = False,
) -> None:
    """Turn a meeting's notes (and dot votes) into minutes, or into the report analyze gives.

    Headings name steps by id or hat (## 2-white, ## Black hat); `sixhats brief
    --notes-template` writes an empty set of notes. With a model, each hat's findings are the
    meeting's own points, structured; --offline lays the notes out by hat with no model.

    Example: sixhats minutes notes.md --program choose --votes votes.csv --offline
    """
    from sixhats_ai.meeting_minutes.api import MinutesArgs, meeting_of
    from sixhats_ai.method.programs import find_program

    chosen = _offline_format(fmt, output) if offline else pick_format(fmt, output)
    if output is not None:
        from sixhats_ai.files import check_writable

        check_writable(output)
    args: MinutesArgs = {
        "votes": votes,
        "program": find_program(program, programs_dir()),
        "topic": topic,
        "dots": dots,
        "include_optional": not skip_optional,
        "fill_gaps": fill_gaps,
    }
    meeting, inputs = meeting_of(notes, args)
    _warn(meeting.warnings)
    if offline:
        from sixhats_ai.meeting_minutes.layout import build_minutes, render_minutes
        from sixhats_ai.prompts import user_library

        made = build_minutes(meeting)
        write_output(render_minutes(made, chosen, user_library(prompts_dir)), output)
        return
    report, run_id = structure_meeting(meeting, inputs, ctx.params, read_cache=not no_cache)
    emit_report(report, chosen, output, run_id)
