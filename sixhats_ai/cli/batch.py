"""`sixhats batch`: analyse a folder of proposals concurrently and resumably."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, programs_dir
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    ContextWindowOption,
    FitOption,
    FlowOption,
    MaxReasksOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    NoLogOption,
    ProfileOption,
    ProgramOption,
    PromptsDirOption,
    RetriesOption,
    SkipOptionalOption,
    TimeoutOption,
    TruncateOption,
    provider_flags,
    run_options,
)
from sixhats_ai.errors import SixhatsError, UsageError


@app.command()
def batch(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Files or folders (searched recursively); '-' reads paths from stdin."),
    ] = None,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Folder for the reports and the index."),
    ] = None,
    glob: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--glob", help="Only files in the folders matching this, e.g. '*.md'."),
    ] = None,
    program: ProgramOption = "choose",
    problem: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--problem", help="The question asked of every proposal."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Redo every input, even unchanged ones (answered from the store's cache "
            "unless --no-cache).",
        ),
    ] = False,
    fmt: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--format",
            help="Also write each report in this format (repeatable): html adds a "
            "self-contained HTML report per input and index.html. JSON and Markdown are "
            "always written.",
        ),
    ] = None,
    flow: FlowOption = "sequential",
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    concurrency: Annotated[
        int, typer.Option(help="Requests in flight at most, across all files and hats.")
    ] = 4,
    rpm: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--rpm", help="Requests per minute at most."),
    ] = None,
    timeout: TimeoutOption = 120.0,
    retries: RetriesOption = 2,
    max_tokens: MaxTokensOption = None,
    max_cost: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--max-cost", help="Start no new file once the batch would pass this (USD)."),
    ] = None,
    mode: ModeOption = None,
    context_window: ContextWindowOption = None,
    fit: FitOption = "condense",
    truncate: TruncateOption = False,
    max_reasks: MaxReasksOption = 2,
    strict: Annotated[bool, typer.Option(help="Fail a file if any of its hats fails.")] = False,
    skip_optional: SkipOptionalOption = False,
    prompts_dir: PromptsDirOption = None,
    no_cache: NoCacheOption = False,
    no_log: NoLogOption = False,
) -> None:
    """Analyse every proposal in files or folders; write a report each and an index.

    Each file's run is kept in the run store, as `analyze` keeps its runs (--no-log: not this
    time); requests the store has already answered cost nothing (--no-cache: ask anyway).

    Example: sixhats batch proposals/ --program choose --out reports/ --concurrency 8
    """
    import asyncio

    from sixhats_ai.api import open_session
    from sixhats_ai.batch import (
        DEFAULT_PROBLEM,
        BatchRunner,
        BatchSettings,
        check_out_dir,
        prepare_out_dir,
        report_formats,
    )
    from sixhats_ai.config import load_config, resolve_provider
    from sixhats_ai.documents import sanitize
    from sixhats_ai.inputs import count_inputs, discover
    from sixhats_ai.programs import find_program
    from sixhats_ai.store import open_run_store

    if not paths:
        raise UsageError("no inputs given", hint="pass files or folders, or '-' for stdin")
    if out is None:
        raise UsageError("no --out folder given", hint="e.g. --out reports/")
    question = sanitize(problem or DEFAULT_PROBLEM).strip()
    if not question:
        raise UsageError("--problem is empty", hint="ask a question, or leave it out")
    options = run_options(ctx.params)
    formats = report_formats(fmt or [])
    chosen = find_program(program, programs_dir())
    check_out_dir(out, paths)
    total = None if "-" in paths else count_inputs(paths, glob=glob, skip=out)
    config = load_config()
    provider = resolve_provider(provider_flags(model, base_url, api_key, profile), config)
    store, cache = open_run_store(config, provider.api_key, log=not no_log, read=not no_cache)
    prepare_out_dir(out)
    echo_err(
        f"sixhats batch: {chosen.name} with {provider.model} at {provider.display_url}, "
        f"{total if total is not None else 'streamed'} inputs, up to {concurrency} requests "
        f"in flight, reports in {out}"
    )
    settings = BatchSettings(
        out=out, program=chosen, problem=question, force=force, formats=formats
    )

    async def run() -> SixhatsError | None:
        async with open_session(provider, options, config, cache=cache) as session:
            runner = BatchRunner(session, settings, echo_err, total, store=store)
            index = await runner.run(discover(paths, glob=glob, skip=out))
            return runner.outcome(index)

    try:
        failure = asyncio.run(run())
    finally:
        if cache is not None:  # the store's connections, whether it logs or only answers
            cache.store.close()
    if failure is not None:
        raise failure
