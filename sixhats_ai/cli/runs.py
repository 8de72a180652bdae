"""The run store's commands: `history`, `show` and `rerun`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sixhats_ai.cli.app import (
    FailedRun,
    app,
    echo_err,
    emit_failed_run,
    emit_report,
    pick_format,
)
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    ContextWindowOption,
    FitOption,
    LocalOption,
    MaxReasksOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    NoLogOption,
    NoProgressOption,
    OutputOption,
    ProfileOption,
    PromptsDirOption,
    PullOption,
    QuietOption,
    ReportFormatOption,
    RerunStepOption,
    RetriesOption,
    TimeoutOption,
    TruncateOption,
    flags_of,
    run_options,
)
from sixhats_ai.errors import UsageError
from sixhats_ai.run.options import RunOptions

if TYPE_CHECKING:
    from sixhats_ai.api import AnalyzeArgs

RunIdArgument = Annotated[
    str, typer.Argument(help="A run id from `sixhats history` (or a prefix).")
]


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date", hint="use YYYY-MM-DD") from None


@app.command()
def history(
    text: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            help="Show only runs whose problem or title (a batch input's name) contains this text."
        ),
    ] = None,
    program: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--program", "-p", help="Only runs of this program (slug or name)."),
    ] = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--since", help="Only runs on or after this day (YYYY-MM-DD, UTC)."),
    ] = None,
    until: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--until", help="Only runs on or before this day (YYYY-MM-DD, UTC)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs (0: all).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
) -> None:
    """List the stored runs, newest first.

    Example: sixhats history "four-day week" --program choose --since 2025-01-01
    """
    import json

    from sixhats_ai.runs import Store, history_summary
    from sixhats_ai.store.records import DamagedRow

    if limit < 0:
        raise UsageError("--limit cannot be negative", hint="use 0 for all runs")
    store = Store()
    if not store.path.exists():
        echo_err("no runs stored yet")
        return
    listed = store.history(
        text,
        program=program,
        since=_parse_day(since, "--since"),
        until=_parse_day(until, "--until"),
        limit=limit + 1 if limit else None,  # one more, to know whether to say so
    )
    more = bool(limit) and len(listed) > limit
    listed = listed[:limit] if limit else listed
    runs = [run for run in listed if not isinstance(run, DamagedRow)]
    for row in listed:
        if isinstance(row, DamagedRow):  # named, not fatal: the other runs still list
            echo_err(f"warning: {row.describe()}: left out (see `sixhats store check`)")
    if as_json:
        typer.echo(json.dumps([history_summary(run) for run in runs], indent=2))
        return
    if not runs:
        echo_err("no runs stored yet" if not (text or program or since or until) else "no match")
        return
    for run in runs:
        problem = " ".join(run.problem.split())
        problem = problem if len(problem) <= 60 else problem[:59] + "…"
        if run.title:  # a batch's input: its name tells the runs apart
            problem = f"{run.title}: {problem}"
        typer.echo(
            f"{run.id}  {run.created:%Y-%m-%d %H:%M}  {run.program.slug:<20} {run.status:<8} "
            f"${run.usage.cost_usd:.4f}  {problem}"
        )
    if more:
        echo_err(f"more runs are stored than these {limit}: --limit 0 lists them all")


@app.command()
def show(
    run_id: RunIdArgument,
    fmt: ReportFormatOption = None,
    output: OutputOption = None,
) -> None:
    """Render a stored run's report again, in any format, without calling the model.

    Example: sixhats show 3fa2c1d0 --format html -o report.html
    """
    from sixhats_ai.runs import Store

    chosen = pick_format(fmt, output)
    run = Store().show(run_id)
    if run.report is not None:
        emit_report(run.report, chosen, output, run.id)
        return
    emit_failed_run(
        FailedRun(run.id, run.problem, run.program, run.error or "", run.steps),
        chosen,
        output,
    )


def _nothing_failed(run_id: str) -> str:
    return (
        f"nothing failed in run {run_id}, so nothing is asked again (--step HAT asks one step "
        f"again; sixhats show {run_id} prints its report)"
    )


@app.command()
def rerun(
    ctx: typer.Context,
    run_id: RunIdArgument,
    step: RerunStepOption = None,
    fmt: ReportFormatOption = None,
    output: OutputOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    local: LocalOption = False,
    pull: PullOption = False,
    timeout: TimeoutOption = RunOptions.timeout,
    retries: RetriesOption = RunOptions.max_retries,
    max_tokens: MaxTokensOption = None,
    max_reasks: MaxReasksOption = RunOptions.max_reasks,
    mode: ModeOption = None,
    context_window: ContextWindowOption = None,
    fit: FitOption = RunOptions.fit,
    truncate: TruncateOption = False,
    prompts_dir: PromptsDirOption = None,
    no_log: NoLogOption = False,
    no_progress: NoProgressOption = False,
    quiet: QuietOption = False,
) -> None:
    """Ask one step of a stored run again, then the synthesis; reuse every other step.

    Without --step, the steps that failed are asked again. The new run is stored with its own
    id; the old one is kept.

    Example: sixhats rerun 3fa2c1d0 --step black
    """
    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.cli.running import Shown, run_with_progress
    from sixhats_ai.config import load_config
    from sixhats_ai.runs import Store, load_document, redo_ids, rerun_options, rerun_origin

    pick_format(fmt, output)  # a bad format or -o fails before any request
    run = Store().show(run_id)
    redo = redo_ids(run, step)
    if not redo:
        return echo_err(_nothing_failed(run.id))
    if run.flow == "minutes":  # a meeting's notes: its steps are structured again from them
        from sixhats_ai.cli.minutes import rerun_meeting

        report, new_id = rerun_meeting(run, redo, ctx.params)
        emit_report(report, fmt, output, new_id)
        return
    config = load_config()
    provider = resolve_provider(flags_of(ctx.params), config)
    options = rerun_options(run_options(ctx.params), run)
    echo_err(f"sixhats: rerun of {run.id}: asking {', '.join(redo)} with {provider.model}")
    documents = [load_document(d) for d in run.documents]
    settings: AnalyzeArgs = {"documents": documents, "options": options, "config": config}
    settings["keep"] = not no_log
    settings["use_cache"] = False  # a rerun wants a new answer: the cache is written, not read
    settings["origin"] = rerun_origin(run, redo)
    shown = Shown(no_progress, fmt, output)
    report, new_id = run_with_progress(run.problem, run.program, provider, settings, shown)
    emit_report(report, fmt, output, new_id)
