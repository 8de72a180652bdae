"""`sixhats batch`: analyse a folder of proposals concurrently and resumably."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sixhats_ai.cli import options as opt
from sixhats_ai.cli.app import app, echo_err, programs_dir
from sixhats_ai.cli.options import provider_flags, run_options
from sixhats_ai.errors import EXIT_TERMINATED, UsageError
from sixhats_ai.run.options import BATCH_CONCURRENCY, DEFAULT_PROGRAM, RunOptions
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import Provider, ProviderFlags
    from sixhats_ai.batches import BatchSettings
    from sixhats_ai.batches.api import BatchArgs
    from sixhats_ai.batches.via import Via
    from sixhats_ai.config import Config
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.ranking import BatchIndex

# ruff: noqa: UP045 - typer needs Optional[...] in these annotations on Python 3.11

# The options only batch has, or has with its own meaning (across all files, not one run).
PathsArgument = Annotated[
    Optional[list[str]],
    typer.Argument(help="Files or folders (searched recursively); '-' reads paths from stdin."),
]
OutOption = Annotated[
    Optional[Path], typer.Option("--out", "-o", help="Folder for the reports and the index.")
]
GlobOption = Annotated[
    Optional[str],
    typer.Option("--glob", help="Only files in the folders matching this, e.g. '*.md'."),
]
ProblemOption = Annotated[
    Optional[str], typer.Option("--problem", help="The question asked of every proposal.")
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Redo every input, even unchanged ones (answered from the store's cache "
        "unless --no-cache).",
    ),
]
BatchFormatOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--format",
        help="Also write each report in this format (repeatable): html adds a "
        "self-contained HTML report per input and index.html. JSON and Markdown are "
        "always written.",
    ),
]
BatchConcurrencyOption = Annotated[
    int, typer.Option(help="Requests in flight at most, across all files and hats.")
]
RpmOption = Annotated[Optional[float], typer.Option("--rpm", help="Requests per minute at most.")]
BatchMaxCostOption = Annotated[
    Optional[float],
    typer.Option("--max-cost", help="Start no new file once the batch would pass this (USD)."),
]
BatchStrictOption = Annotated[bool, typer.Option(help="Fail a file if any of its hats fails.")]
ViaOption = Annotated[
    str,
    typer.Option(
        "--via",
        metavar="live|batch-api|jsonl",
        help="live: a request at a time; batch-api: in rounds through the OpenAI Batch API "
        "(half price, up to 24 h a round); jsonl: rounds as files for vllm run-batch.",
    ),
]
ResultsOption = Annotated[
    Optional[Path],
    typer.Option("--results", metavar="FILE", help="With --via jsonl: a round's results file."),
]
StatusOption = Annotated[
    bool, typer.Option("--status", help="Show the rounds of the batch in --out (or PATH).")
]
BatchDryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Read every input and price its requests (at --via's prices); send nothing, "
        "write nothing.",
    ),
]
CancelOption = Annotated[
    bool, typer.Option("--cancel", help="Cancel the open rounds of the batch in --out (or PATH).")
]


@app.command("batch")
def batch_command(
    ctx: typer.Context,
    paths: PathsArgument = None,
    out: OutOption = None,
    glob: GlobOption = None,
    program: opt.ProgramOption = DEFAULT_PROGRAM,
    problem: ProblemOption = None,
    force: ForceOption = False,
    fmt: BatchFormatOption = None,
    flow: opt.FlowOption = RunOptions.flow,
    model: opt.ModelOption = None,
    base_url: opt.BaseUrlOption = None,
    api_key: opt.ApiKeyOption = None,
    profile: opt.ProfileOption = None,
    local: opt.LocalOption = False,
    pull: opt.PullOption = False,
    concurrency: BatchConcurrencyOption = BATCH_CONCURRENCY,
    rpm: RpmOption = None,
    timeout: opt.TimeoutOption = RunOptions.timeout,
    retries: opt.RetriesOption = RunOptions.max_retries,
    max_tokens: opt.MaxTokensOption = None,
    max_cost: BatchMaxCostOption = None,
    mode: opt.ModeOption = None,
    context_window: opt.ContextWindowOption = None,
    fit: opt.FitOption = RunOptions.fit,
    truncate: opt.TruncateOption = False,
    max_reasks: opt.MaxReasksOption = RunOptions.max_reasks,
    strict: BatchStrictOption = False,
    skip_optional: opt.SkipOptionalOption = False,
    prompts_dir: opt.PromptsDirOption = None,
    no_cache: opt.NoCacheOption = False,
    no_log: opt.NoLogOption = False,
    no_progress: opt.NoProgressOption = False,
    quiet: opt.QuietOption = False,
    via: ViaOption = "live",
    results: ResultsOption = None,
    status: StatusOption = False,
    cancel: CancelOption = False,
    dry_run: BatchDryRunOption = False,
) -> None:
    """Analyse every proposal in files or folders; write a report each and an index.

    Each file's run is kept in the run store, as `analyze` keeps its runs (--no-log: not this
    time); requests the store has already answered cost nothing (--no-cache: ask anyway).

    Example: sixhats batch proposals/ --program choose --out reports/ --concurrency 8
    """
    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.batches import DEFAULT_PROBLEM, BatchSettings, check_out_dir, report_formats
    from sixhats_ai.batches.via import check_logged, check_via, via_options
    from sixhats_ai.cli.batch_rounds import rounds_admin
    from sixhats_ai.cli.local import start_engine
    from sixhats_ai.config import load_config
    from sixhats_ai.method.emergent import check_emergent
    from sixhats_ai.method.programs import find_program
    from sixhats_ai.text.documents import sanitize
    from sixhats_ai.text.inputs import count_inputs

    flags = provider_flags(model, base_url, api_key, profile, local=local, pull=pull)
    if status or cancel:
        return rounds_admin(out or Path((paths or ["."])[0]), cancel=cancel, via=via, flags=flags)
    paths, out, question = _inputs(paths, out, sanitize(problem or DEFAULT_PROBLEM).strip())
    checked = check_via(via, results=results, local=local)
    flow_given = ctx.get_parameter_source("flow").name != "DEFAULT"  # type: ignore[union-attr]
    options = via_options(run_options(ctx.params), checked, flow_given=flow_given)
    formats = report_formats(fmt or [])  # a bad --format fails before anything runs
    chosen = find_program(program, programs_dir())
    check_emergent(chosen, options.flow)
    check_out_dir(out, paths)
    total = None if "-" in paths else count_inputs(paths, glob=glob, skip=out)
    if dry_run:
        return _dry_run(checked, paths, glob, out, question, chosen, options, flags)
    check_logged(checked, logged=(config := load_config()).log and not no_log)
    start_engine(provider := resolve_provider(flags, config), options)
    _run_batch(
        BatchSettings(out=out, program=chosen, problem=question, force=force, formats=formats),
        paths, glob, total, provider, options, config, no_log, no_cache, no_progress, checked,
        results,
    )  # fmt: skip


def _dry_run(
    via: Via,
    paths: list[str],
    glob: str | None,
    out: Path,
    question: str,
    program: Program,
    options: RunOptions,
    flags: ProviderFlags,
) -> None:
    """What the batch would send and cost, on stdout; nothing sent, nothing written."""
    from sixhats_ai.backends.provider import planned_provider
    from sixhats_ai.batches.estimate import estimate_batch
    from sixhats_ai.batches.via import round_prices, rounds_note
    from sixhats_ai.config import load_config
    from sixhats_ai.session import CONTEXT_SHARE_FOR_INPUT, new_session, planned_window
    from sixhats_ai.text.inputs import discover

    config = load_config()
    provider = planned_provider(flags, config)
    window = planned_window(provider, options, config)
    session = new_session(provider, options, config, prices=round_prices(via, config))
    estimate = estimate_batch(
        session,
        question,
        program,
        discover(paths, glob=glob, skip=out),
        context_budget=int(window.tokens * CONTEXT_SHARE_FOR_INPUT),
    )
    for line in estimate.unusable:
        echo_err(f"dry run: cannot run {line}")
    if not estimate.inputs:
        raise UsageError("no input of the batch can run", hint="see the lines above")
    if note := rounds_note(program, options, via):
        typer.echo(f"dry run: {note}")
    priced = {
        "live": "at live prices",
        "batch-api": "at Batch API prices",
        "jsonl": "(your own engine: nothing here)",
    }
    over = options.max_cost is not None and estimate.cost_usd > options.max_cost
    typer.echo(
        f"dry run: {counted(estimate.inputs, 'input')}, "
        f"{counted(estimate.requests, 'request')}, about "
        f"{estimate.prompt_tokens} prompt tokens, estimated ${estimate.cost_usd:.4f} at most "
        f"{priced[via]} (up to {session.completion_estimate} completion tokens a request)"
        + (f"; more than --max-cost ${options.max_cost:.4f}" if over else "")
        + "; nothing was sent or written"
    )


def _inputs(
    paths: list[str] | None, out: Path | None, question: str
) -> tuple[list[str], Path, str]:
    """The paths, the --out folder and the question, or a UsageError naming what is missing."""
    if not paths:
        raise UsageError("no inputs given", hint="pass files or folders, or '-' for stdin")
    if out is None:
        raise UsageError("no --out folder given", hint="e.g. --out reports/")
    if not question:
        raise UsageError("--problem is empty", hint="ask a question, or leave it out")
    return paths, out, question


def _run_batch(
    settings: BatchSettings,
    paths: list[str],
    glob: str | None,
    total: int | None,
    provider: Provider,
    options: RunOptions,
    config: Config,
    no_log: bool,
    no_cache: bool,
    no_progress: bool,
    via: Via,
    results: Path | None,
) -> None:
    """Run the batch through the library (`batches.api`) with its progress, and fail (exit 1)
    if inputs failed."""
    import asyncio

    from sixhats_ai.batches.api import batch_async, missing_reports
    from sixhats_ai.batches.via import rounds_note
    from sixhats_ai.cli.local import engine_summary
    from sixhats_ai.display import for_stderr

    if note := rounds_note(settings.program, options, via):
        echo_err(note)
    out = settings.out
    pace = (
        f"up to {counted(options.concurrency, 'request')} in flight"
        if via == "live"
        else f"in rounds through --via {via}"
    )
    inputs = "streamed inputs" if total is None else counted(total, "input")
    echo_err(
        f"sixhats batch: {settings.program.name} with {provider.model} at "
        f"{provider.display_url}, {inputs}, {pace}, reports in {out}"
    )
    terminated: list[int] = []
    args: BatchArgs = {
        "program": settings.program,
        "problem": settings.problem,
        "force": settings.force,
        "formats": settings.formats,
        "via": via,
        "provider": provider,
        "options": options,
        "config": config,
        "keep": not no_log,
        "use_cache": not no_cache,
        "echo": echo_err,
        "display": for_stderr(no_progress=no_progress),
    }
    if glob is not None:
        args["glob"] = glob
    if results is not None:
        args["results"] = results
    if total is not None:
        args["total"] = total

    async def run() -> BatchIndex:
        _cancel_on_sigterm(terminated)
        return await batch_async(paths, out, **args)

    try:
        with _collecting_less():
            index = asyncio.run(run())
    except KeyboardInterrupt:
        if via == "batch-api":
            echo_err(f"the submitted batches keep running: run the same command again to pick "
                     f"them up (sixhats batch --status {out})")  # fmt: skip
        raise
    except asyncio.CancelledError:
        if not terminated:
            raise
        echo_err("terminated")
        raise typer.Exit(EXIT_TERMINATED) from None
    engine_summary(provider)
    if (failure := missing_reports(index, out)) is not None:
        raise failure


@contextmanager
def _collecting_less() -> Iterator[None]:
    """Keep the garbage collector out of a long batch's way: what is loaded by now lasts the
    whole batch (frozen: not traversed again), and collections come a thirtieth as often.
    Runs rarely make reference cycles; at 10,000 files, collecting took 4.2 of 53 s of CPU.
    Put back as it was after the batch (for a caller's process)."""
    import gc

    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _cancel_on_sigterm(terminated: list[int]) -> None:
    """SIGTERM stops the batch as Ctrl-C does (the index is written); `terminated` notes it."""
    import asyncio
    import contextlib
    import signal

    task = asyncio.current_task()
    if task is None:  # pragma: no cover - always called from a task
        return

    def cancel() -> None:
        terminated.append(signal.SIGTERM)
        task.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows; not main thread
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, cancel)
