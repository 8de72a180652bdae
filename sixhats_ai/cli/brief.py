"""`sixhats brief`: a pre-meeting brief with a timed agenda, questions per hat and pre-work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, programs_dir, write_output
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    ProfileOption,
    PromptsDirOption,
    SkipOptionalOption,
    TimeoutOption,
    provider_flags,
)
from sixhats_ai.errors import UsageError

BRIEF_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".ics": "ics",
}


def _brief_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None:
        from sixhats_ai.files import format_of

        fmt = format_of(output, BRIEF_FORMATS) if output is not None else "md"
    if fmt not in BRIEF_FORMATS.values():
        raise UsageError(f"unknown format {fmt!r}", hint="use md, html, json or ics")
    if output is not None:
        from sixhats_ai.files import check_writable

        check_writable(output)  # now, not after the model has been asked
    return fmt


@app.command()
def brief(
    problem: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="The meeting's topic, or '-' to read it from stdin."),
    ] = None,
    file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--file", "-f", help="Read the topic from a file."),
    ] = None,
    program: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--program", "-p", help="Program slug, name or file (default: choose)."),
    ] = None,
    minutes: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Meeting length (default: the method's boxes for the group)."),
    ] = None,
    participants: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Number of participants (about a minute each per hat)."),
    ] = None,
    start: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Start: HH:MM, or a date and time (2026-12-01T14:00) for ICS."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="No model: questions from the question banks.")
    ] = False,
    from_report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--from-report", help="Build on a saved `analyze --format json` report."),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="md, html, json or ics (default: from -o, else md)."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the brief to a file (atomically)."),
    ] = None,
    paper: Annotated[str, typer.Option(help="HTML page size: auto, A4 or letter.")] = "auto",
    skip_optional: SkipOptionalOption = False,
    prompts_dir: PromptsDirOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    timeout: TimeoutOption = 120.0,
    max_tokens: MaxTokensOption = None,
    mode: ModeOption = None,
) -> None:
    """Write a pre-meeting brief: purpose, timed agenda, questions per hat, pre-work.

    Questions are tailored by one model request, or come from the question banks with
    --offline (no model, no key), or build on a saved report with --from-report (no request).

    Example: sixhats brief "Replace our on-call rota?" --minutes 45 --participants 6 --offline
    """
    from sixhats_ai.agenda import parse_start
    from sixhats_ai.brief import BriefRequest, build_brief
    from sixhats_ai.documents import read_problem
    from sixhats_ai.programs import find_program
    from sixhats_ai.render.brief import PAPERS, ics_needs_a_date, render_brief
    from sixhats_ai.saved_report import read_report

    chosen_format = _brief_format(fmt, output)
    page = next((p for p in PAPERS if p.lower() == paper.lower()), None)
    if page is None:
        raise UsageError(f"unknown paper {paper!r}", hint="use auto, A4 or letter")
    starts = parse_start(start) if start is not None else None
    if chosen_format == "ics" and (starts is None or not starts.dated):
        raise ics_needs_a_date()
    report = read_report(from_report) if from_report is not None else None
    if report is not None and problem is None and file is None:
        topic = report.problem
    else:
        topic = read_problem(problem, file)
    program_ref = program or (report.program.slug if report else "choose")
    request = BriefRequest(
        topic=topic,
        program=find_program(program_ref, programs_dir()),
        minutes=minutes,
        participants=participants,
        start=starts,
        include_optional=not skip_optional,
    )
    request.agenda()  # an impossible fit fails here, before any request
    from sixhats_ai.prompts import user_library

    library = user_library(prompts_dir)

    if offline or report is not None:
        made = build_brief(library, request, report=report)
    else:
        # Only here: the SDK, the engine and asyncio are no part of an offline brief's start-up.
        import asyncio

        from sixhats_ai.api import RunOptions, open_session
        from sixhats_ai.brief import tailored_plan
        from sixhats_ai.config import load_config, resolve_provider

        options = RunOptions(
            timeout=timeout, max_tokens=max_tokens, mode=mode, prompts_dir=prompts_dir
        )
        config = load_config()
        flags = provider_flags(model, base_url, api_key, profile)
        provider = resolve_provider(flags, config)
        echo_err(f"sixhats brief: asking {provider.model} at {provider.display_url}")

        async def ask() -> Any:
            async with open_session(provider, options, config) as session:
                return await tailored_plan(session, request)

        plan, usage, used_model = asyncio.run(ask())
        echo_err(
            f"done: {usage.requests} request, {usage.total_tokens} tokens, ${usage.cost_usd:.4f}"
        )
        made = build_brief(library, request, plan=plan, model=used_model, usage=usage)

    write_output(render_brief(made, chosen_format, library, page), output)
