"""`sixhats batch`: analyse a folder of proposals concurrently and resumably."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sixhats_ai.cli import options as opt
from sixhats_ai.cli.app import app, echo_err
from sixhats_ai.cli.options import provider_flags, run_options, user_gave
from sixhats_ai.errors import EXIT_TERMINATED, UsageError
from sixhats_ai.run.options import BATCH_CONCURRENCY, DEFAULT_PROGRAM, RunOptions
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import ProviderFlags
    from sixhats_ai.batches.api import BatchArgs, CheckedBatch
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
    from sixhats_ai.batches.api import check_batch
    from sixhats_ai.cli.batch_rounds import rounds_admin
    from sixhats_ai.cli.local import start_engine

    flags = provider_flags(model, base_url, api_key, profile, local=local, pull=pull)
    if status or cancel:
        return rounds_admin(out or Path((paths or ["."])[0]), cancel=cancel, via=via, flags=flags)
    paths, out = _inputs(paths, out)
    flow_given = user_gave(ctx, "flow")
    args = _batch_args(ctx.params, flags)
    checked = check_batch(paths, out, flow_given=flow_given, **args)  # before anything runs
    total = checked.count_inputs()
    if dry_run:
        return _dry_run(checked)
    provider = resolve_provider(flags, checked.config)
    args["provider"], args["options"], args["config"] = provider, checked.options, checked.config
    args["program"] = checked.settings.program
    with checked.held():  # another batch writing there: refused before a line is shown
        start_engine(provider, concurrency if user_gave(ctx, "concurrency") else None)
        _run_batch(checked, args, total, no_progress)


def _batch_args(params: dict[str, Any], flags: ProviderFlags) -> BatchArgs:
    """The library's arguments from the command's parameters."""
    args: BatchArgs = {
        "program": params["program"],
        "force": params["force"],
        "formats": params["fmt"] or [],
        "via": params["via"],
        "options": run_options(params),
        "flags": flags,
        "keep": not params["no_log"],
        "use_cache": not params["no_cache"],
    }
    if params["problem"] is not None:
        args["problem"] = params["problem"]
    if params["glob"] is not None:
        args["glob"] = params["glob"]
    if params["results"] is not None:
        args["results"] = params["results"]
    return args


def _dry_run(checked: CheckedBatch) -> None:
    """What the batch would send and cost, on stdout; nothing sent, nothing written."""
    cost = checked.estimate()
    estimate = cost.estimate
    for line in estimate.unusable:
        echo_err(f"dry run: cannot run {line}")
    if not estimate.inputs:
        raise UsageError("no input of the batch can run", hint="see the lines above")
    if note := checked.rounds_note:
        typer.echo(f"dry run: {note}")
    priced = {
        "live": "at live prices",
        "batch-api": "at Batch API prices",
        "jsonl": "(your own engine: nothing here)",
    }
    max_cost, totals = checked.options.max_cost, estimate.totals
    over = max_cost is not None and totals.cost_usd > max_cost
    typer.echo(
        f"dry run: {counted(estimate.inputs, 'input')}, "
        f"{counted(totals.requests, 'request')}, about "
        f"{totals.prompt_tokens} prompt tokens, estimated ${totals.cost_usd:.4f} at most "
        f"{priced[checked.via]} (up to {cost.completion_tokens} completion tokens a request)"
        + (f"; more than --max-cost ${max_cost:.4f}" if over else "")
        + "; nothing was sent or written"
    )


def _inputs(paths: list[str] | None, out: Path | None) -> tuple[list[str], Path]:
    """The paths and the --out folder, or a UsageError naming what is missing."""
    if not paths:
        raise UsageError("no inputs given", hint="pass files or folders, or '-' for stdin")
    if out is None:
        raise UsageError("no --out folder given", hint="e.g. --out reports/")
    return paths, out


def _run_batch(
    checked: CheckedBatch, args: BatchArgs, total: int | None, no_progress: bool
) -> None:
    """Run the batch through the library (`batches.api`) with its progress, and fail (exit 1)
    if inputs failed."""
    import asyncio

    from sixhats_ai.batches.api import batch_async, missing_reports
    from sixhats_ai.cli.local import engine_summary
    from sixhats_ai.display import for_stderr

    if note := checked.rounds_note:
        echo_err(note)
    out, via, provider = checked.settings.out, checked.via, args["provider"]
    pace = (
        f"up to {counted(checked.options.concurrency, 'request')} in flight"
        if via == "live"
        else f"in rounds through --via {via}"
    )
    inputs = "streamed inputs" if total is None else counted(total, "input")
    echo_err(
        f"sixhats batch: {checked.settings.program.name} with {provider.model} at "
        f"{provider.display_url}, {inputs}, {pace}, reports in {out}"
    )
    terminated: list[int] = []
    args["echo"], args["display"] = echo_err, for_stderr(no_progress=no_progress)
    if total is not None:
        args["total"] = total

    async def run() -> BatchIndex:
        _cancel_on_sigterm(terminated)
        return await batch_async(checked.paths, out, **args)

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
