"""The `sixhats` command: argument handling only; the work happens in the modules it calls.

Heavy modules (the OpenAI SDK, Jinja, Rich, pydantic models) are imported inside the commands
that need them, so `sixhats --help` and `sixhats programs` start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sixhats_ai import __version__
from sixhats_ai.errors import EXIT_INTERRUPTED, SixhatsError, UsageError

if TYPE_CHECKING:
    from sixhats_ai.api import RunOptions
    from sixhats_ai.config import Config, Provider, ProviderFlags
    from sixhats_ai.engine import RunRequest, StepEvent
    from sixhats_ai.models import Report
    from sixhats_ai.store import RunInputs, RunStore, StoreCache

app = typer.Typer(
    name="sixhats",
    help="Run Edward de Bono's Six Thinking Hats with a language model.\n\n"
    'Example: sixhats analyze "Should our team move to a four-day week?" --program choose',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
programs_app = typer.Typer(
    help="List the programs, or show one.\n\nExample: sixhats programs show choose",
    invoke_without_command=True,
    rich_markup_mode=None,
)
prompts_app = typer.Typer(
    help="List the prompt templates, or print one.\n\nExample: sixhats prompts show black",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(programs_app, name="programs")
app.add_typer(prompts_app, name="prompts")


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


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


# Exploring the method ------------------------------------------------------------------


@app.command()
def hats() -> None:
    """The six hats: direction, technique and default time box.

    Example: sixhats hats
    """
    from sixhats_ai.hats import HATS

    for info in HATS.values():
        box = (
            f"{info.time_box_seconds // 60} min"
            if info.time_box_seconds >= 60
            else (f"{info.time_box_seconds} s")
        )
        typer.echo(f"{info.hat.value:<7} {info.overview}")
        typer.echo(f"        direction: {info.direction}")
        typer.echo(f"        technique: {info.technique}")
        typer.echo(f"        time box:  about {box}")


ProgramsDirOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option("--programs-dir", help="Extra folder of program files (default: config dir)."),
]


def _programs_dir(override: Path | None) -> Path:
    from sixhats_ai.config import user_programs_dir

    return override or user_programs_dir()


@programs_app.callback()
def programs_list(ctx: typer.Context, programs_dir: ProgramsDirOption = None) -> None:
    """List the programs (slug, name, hat sequence)."""
    if ctx.invoked_subcommand is not None:
        return
    from sixhats_ai.programs import load_programs

    for program in load_programs(_programs_dir(programs_dir)).values():
        typer.echo(f"{program.slug:<20} {program.name}: {program.sequence}")


@programs_app.command("show")
def programs_show(
    program: Annotated[str, typer.Argument(help="Slug, full name, or path to a .toml file.")],
    programs_dir: ProgramsDirOption = None,
) -> None:
    """Show a program's steps with hats, optional steps, focus and time boxes.

    Example: sixhats programs show choose
    """
    from sixhats_ai.programs import find_program

    found = find_program(program, _programs_dir(programs_dir))
    typer.echo(f"{found.name} ({found.slug}): {found.sequence}")
    if found.summary:
        typer.echo(found.summary)
    for planned in found.plan():
        notes: list[str] = [planned.role]
        if planned.step.optional:
            notes.append("optional")
        if planned.step.extended:
            notes.append("extended")
        if planned.step.model:
            notes.append(f"model {planned.step.model}")
        seconds = planned.step.default_seconds
        box = f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
        typer.echo(f"  {planned.id:<10} {planned.step.label:<32} {box:>8}  ({', '.join(notes)})")


PromptsDirOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--prompts-dir", help="Folder of templates overriding the packaged ones."),
]


def _prompt_library(prompts_dir: Path | None) -> Any:
    from sixhats_ai.config import user_prompts_dir
    from sixhats_ai.prompts import PromptLibrary

    return PromptLibrary(prompts_dir or user_prompts_dir())


@prompts_app.callback()
def prompts_list(ctx: typer.Context, prompts_dir: PromptsDirOption = None) -> None:
    """List the prompt templates and where each comes from."""
    if ctx.invoked_subcommand is not None:
        return
    library = _prompt_library(prompts_dir)
    for name in library.names():
        _, filename = library.source(name)
        origin = (
            "user"
            if library.user_dir and filename.startswith(str(library.user_dir))
            else ("packaged")
        )
        typer.echo(f"{name:<20} {origin}")


@prompts_app.command("show")
def prompts_show(
    name: Annotated[str, typer.Argument(help="A hat (black), 'framing', 'synthesis' or a file.")],
    prompts_dir: PromptsDirOption = None,
) -> None:
    """Print a template's source.

    Example: sixhats prompts show black
    """
    library = _prompt_library(prompts_dir)
    text, _ = library.source(name if name.endswith(".j2") else f"{name}.j2")
    typer.echo(text, nl=not text.endswith("\n"))


# Running a program ---------------------------------------------------------------------


def _progress(event: StepEvent) -> None:
    record = event.record
    label = f"{event.step.id:<10} {event.step.step.label}"
    if event.status == "running":
        _echo_err(f"  … {label}")
    elif record is not None and event.status == "done":
        usage = record.usage
        cached = f", {usage.cached_requests} cached" if usage.cached_requests else ""
        _echo_err(f"  ✓ {label}: {usage.total_tokens} tokens, {record.seconds:.1f} s{cached}")
    elif record is not None and event.status == "reused":
        _echo_err(f"  = {label}: reused")
    elif record is not None:
        _echo_err(f"  ✗ {label}: {record.error}")


def _write_output(text: str, output: Path | None) -> None:
    from sixhats_ai.files import atomic_write

    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        atomic_write(output, text)
        _echo_err(f"wrote {output}")


def _pick_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None and output is not None:
        fmt = {".json": "json", ".html": "html", ".htm": "html"}.get(output.suffix.lower(), "md")
    if fmt is None:
        fmt = "rich" if sys.stdout.isatty() else "md"
    if fmt not in ("md", "json", "html", "rich"):
        raise UsageError(f"unknown format {fmt!r}", hint="use md, json or html")
    return fmt


def emit_report(
    report: Report, fmt: str | None, output: Path | None, run_id: str | None = None
) -> None:
    """Print or write a report in the chosen format."""
    from sixhats_ai.render.markdown import report_markdown

    chosen = _pick_format(fmt, output)
    if chosen == "json":
        _write_output(report.model_dump_json(indent=2), output)
    elif chosen == "html":
        from sixhats_ai.render.html import render_report_html

        _write_output(render_report_html(report, run_id=run_id), output)
    elif chosen == "rich":
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(report_markdown(report)))
    else:
        _write_output(report_markdown(report), output)


NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Ask the model even if the store has the answer.")
]
NoLogOption = Annotated[bool, typer.Option("--no-log", help="Do not keep this run in the store.")]


def _dry_run(problem: str, program_ref: str, options: RunOptions, flags: ProviderFlags) -> None:
    from sixhats_ai.api import RunRequest, prompt_library
    from sixhats_ai.config import DEFAULT_OPENAI_MODEL, load_config
    from sixhats_ai.engine import Engine
    from sixhats_ai.pricing import estimate_tokens
    from sixhats_ai.programs import find_program

    config = load_config()
    program = find_program(program_ref, _programs_dir(None))
    model = flags.model or os.environ.get("SIXHATS_MODEL") or DEFAULT_OPENAI_MODEL
    engine = Engine(None, prompt_library(options), lambda step: step.step.model or model)
    request = RunRequest(
        problem=problem,
        program=program,
        flow=options.flow,
        include_optional=options.include_optional,
    )
    prices = config.price_table()
    total_tokens = 0
    total_cost = 0.0
    previews = engine.preview(request)
    for step, prompt in previews:
        tokens = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
        step_model = step.step.model or model
        cost = prices.cost(step_model, tokens, options.max_tokens or 1000)
        total_tokens += tokens
        total_cost += cost
        typer.echo(f"===== step {step.id}: {step.step.label} [{step.role}] =====")
        typer.echo(f"model {step_model}, about {tokens} prompt tokens, ~${cost:.4f}")
        typer.echo("--- system ---")
        typer.echo(prompt.system.rstrip())
        typer.echo("--- user ---")
        typer.echo(prompt.user.rstrip())
        typer.echo("")
    typer.echo(
        f"dry run: {len(previews)} requests, about {total_tokens} prompt tokens, "
        f"estimated ${total_cost:.4f} (model {model}); no request was sent"
    )


@app.command()
def analyze(
    problem: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="The problem, or '-' to read it from stdin."),
    ] = None,
    file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--file", "-f", help="Read the problem from a file."),
    ] = None,
    context: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--context", help="Extra document for context (repeatable)."),
    ] = None,
    program: Annotated[str, typer.Option("--program", "-p", help="Program slug, name or file.")] = (
        "choose"
    ),
    flow: Annotated[
        str, typer.Option(help="sequential: each hat sees the board; parallel: hats run blind.")
    ] = "sequential",
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="md, json or html (default: rich on a terminal, else md)."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the report to a file (atomically)."),
    ] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name.")] = None,  # noqa: UP045
    base_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--base-url", help="OpenAI-compatible server URL, ending in /v1."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--api-key", help="API key (prefer OPENAI_API_KEY)."),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--profile", help="Named profile from the config file."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at most.")] = 4,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 120.0,
    retries: Annotated[
        int, typer.Option(help="Retries of a failed request (429, 5xx, connection), by the SDK.")
    ] = 2,
    max_tokens: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-tokens", help="Completion token limit per request."),
    ] = None,
    max_reasks: Annotated[int, typer.Option("--max-reasks", help="Re-asks on bad JSON.")] = 2,
    max_cost: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--max-cost", help="Stop before spending more than this (USD)."),
    ] = None,
    mode: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Pin the output mode: json_schema, json_object or prompt."),
    ] = None,
    context_window: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--context-window", help="The model's context size in tokens."),
    ] = None,
    truncate: Annotated[bool, typer.Option(help="Cut documents too long for the context.")] = (
        False
    ),
    strict: Annotated[bool, typer.Option(help="Fail if any hat fails.")] = False,
    skip_optional: Annotated[
        bool, typer.Option("--skip-optional", help="Leave out optional steps.")
    ] = False,
    prompts_dir: PromptsDirOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show every prompt; send nothing.")
    ] = False,
    no_cache: NoCacheOption = False,
    no_log: NoLogOption = False,
) -> None:
    """Analyse a problem with a program of hats and print the report.

    Example: sixhats analyze "Should our team move to a four-day week?" --program choose
    """
    import asyncio

    from sixhats_ai.api import RunOptions, open_session
    from sixhats_ai.config import ProviderFlags, load_config, resolve_provider
    from sixhats_ai.documents import read_documents, read_problem
    from sixhats_ai.engine import SynthesisFailed
    from sixhats_ai.programs import find_program

    if flow not in ("sequential", "parallel"):
        raise UsageError(f"unknown flow {flow!r}", hint="use sequential or parallel")
    text = read_problem(problem, file)
    options = RunOptions(
        flow=flow,  # type: ignore[arg-type]
        concurrency=concurrency,
        timeout=timeout,
        max_retries=retries,
        max_tokens=max_tokens,
        max_reasks=max_reasks,
        max_cost=max_cost,
        strict=strict,
        include_optional=not skip_optional,
        mode=mode,
        context_window=context_window,
        truncate=truncate,
        prompts_dir=prompts_dir,
    )
    flags = ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile)
    if fmt is not None:
        _pick_format(fmt, output)
    if dry_run:
        _dry_run(text, program, options, flags)
        return
    documents = read_documents(context or [])
    chosen = find_program(program, _programs_dir(None))
    config = load_config()
    provider = resolve_provider(flags, config)
    _echo_err(
        f"sixhats: {chosen.name} ({chosen.sequence}) with {provider.model} "
        f"at {provider.display_url}, {flow} flow"
    )

    store, cache = _run_store(config, provider, log=not no_log, read=not no_cache)
    inputs: list[RunInputs] = []

    async def run() -> Report:
        async with open_session(
            provider, options, config, on_event=_progress, cache=cache
        ) as session:
            request = session.request(text, chosen, documents)
            for warning in session.warnings:
                _echo_err(warning)
            inputs.append(_run_inputs(request, context or [], file))
            return await session.engine.run(request)

    try:
        report = asyncio.run(run())
    except SynthesisFailed as failed:
        from sixhats_ai.render.markdown import steps_markdown

        _write_output(
            "\n".join(["# Hat outputs (synthesis failed)", *steps_markdown(failed.steps)]), None
        )
        if store is not None and inputs:
            _saved(store.save_failed_run(inputs[0], failed.steps, failed.one_line()), "rerun")
        raise
    run_id = _saved(store.save_run(inputs[0], report), "show") if store else None
    usage = report.metadata.usage
    _echo_err(
        f"done in {report.metadata.seconds:.1f} s: {usage.requests} requests "
        f"({usage.cached_requests} cached), {usage.total_tokens} tokens, ${usage.cost_usd:.4f}"
        + (
            f"; DEGRADED: {', '.join(report.metadata.failed_steps)} failed"
            if report.degraded
            else ""
        )
    )
    emit_report(report, fmt, output, run_id)


# The run store ------------------------------------------------------------------------


def _run_store(
    config: Config, provider: Provider, *, log: bool, read: bool
) -> tuple[RunStore | None, StoreCache | None]:
    """The store to keep this run in (None with --no-log or `log = false`) and its cache."""
    from sixhats_ai.store import RunStore, StoreCache, default_store_path

    log = log and config.log
    if not log and not (read and default_store_path().exists()):
        return None, None
    store = RunStore()
    cache = StoreCache(store, read=read, write=log, secrets=[provider.api_key])
    return (store if log else None), cache


def _run_inputs(request: RunRequest, context: list[Path], file: Path | None) -> RunInputs:
    from sixhats_ai.store import RunInputs

    return RunInputs(
        problem=request.problem,
        program=request.program,
        flow=request.flow,
        include_optional=request.include_optional,
        documents=request.documents,
        document_paths=context,
        problem_path=file,
    )


def _saved(run_id: str, next_command: str) -> str:
    _echo_err(f"saved run {run_id} (sixhats {next_command} {run_id})")
    return run_id


RunIdArgument = Annotated[
    str, typer.Argument(help="A run id from `sixhats history` (or a prefix).")
]


def _parse_day(value: str | None, option: str) -> Any:
    from datetime import date

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
        typer.Argument(help="Show only runs whose problem contains this text."),
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

    from sixhats_ai.store import RunStore, default_store_path

    if limit < 0:
        raise UsageError("--limit cannot be negative", hint="use 0 for all runs")
    if not default_store_path().exists():
        _echo_err("no runs stored yet")
        return
    with RunStore() as store:
        runs = store.history(
            text=text,
            program=program,
            since=_parse_day(since, "--since"),
            until=_parse_day(until, "--until"),
            limit=limit or None,
        )
    if as_json:
        typer.echo(json.dumps([run.summary() for run in runs], indent=2))
        return
    if not runs:
        _echo_err("no runs stored yet" if not (text or program or since or until) else "no match")
        return
    for run in runs:
        problem = " ".join(run.problem.split())
        problem = problem if len(problem) <= 60 else problem[:59] + "…"
        typer.echo(
            f"{run.id}  {run.created:%Y-%m-%d %H:%M}  {run.program.slug:<20} {run.status:<8} "
            f"${run.usage.cost_usd:.4f}  {problem}"
        )


@app.command()
def show(
    run_id: RunIdArgument,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="md, json or html (default: rich on a terminal, else md)."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the report to a file (atomically)."),
    ] = None,
) -> None:
    """Render a stored run's report again, in any format, without calling the model.

    Example: sixhats show 3fa2c1d0 --format html -o report.html
    """
    from sixhats_ai.store import RunStore

    chosen = _pick_format(fmt, output)
    with RunStore(create=False) as store:
        run = store.get(run_id)
    if run.report is not None:
        emit_report(run.report, chosen, output, run.id)
        return
    if chosen == "json":
        import json

        partial = {
            "kind": "sixhats.failed_run",
            "id": run.id,
            "problem": run.problem,
            "program": run.program.slug,
            "error": run.error,
            "steps": [s.model_dump(mode="json") for s in run.steps],
        }
        _write_output(json.dumps(partial, indent=2), output)
    elif chosen in ("md", "rich"):
        from sixhats_ai.render.markdown import steps_markdown

        lines = [f"# Hat outputs (synthesis failed: {run.error})", *steps_markdown(run.steps)]
        _write_output("\n".join(lines), output)
    else:
        raise UsageError(
            f"run {run.id} has no report: its synthesis failed ({run.error})",
            hint=f"use --format md or json, or finish it with `sixhats rerun {run.id}`",
        )


@app.command()
def rerun(
    run_id: RunIdArgument,
    step: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--step", help="The step to ask again: a hat (black) or a step id (5-black)."),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="md, json or html (default: rich on a terminal, else md)."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the report to a file (atomically)."),
    ] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name.")] = None,  # noqa: UP045
    base_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--base-url", help="OpenAI-compatible server URL, ending in /v1."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--api-key", help="API key (prefer OPENAI_API_KEY)."),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--profile", help="Named profile from the config file."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 120.0,
    no_log: NoLogOption = False,
) -> None:
    """Ask one step of a stored run again, then the synthesis; reuse every other step.

    Without --step, the steps that failed are asked again. The new run is stored with its own
    id; the old one is kept.

    Example: sixhats rerun 3fa2c1d0 --step black
    """
    import asyncio

    from sixhats_ai.api import RunOptions, open_session
    from sixhats_ai.config import ProviderFlags, load_config, resolve_provider
    from sixhats_ai.engine import SynthesisFailed
    from sixhats_ai.models import Usage
    from sixhats_ai.store import RunInputs, RunStore

    if fmt is not None:
        _pick_format(fmt, output)
    with RunStore(create=False) as source:
        run = source.get(run_id)
    redo = run.redo_ids(step)
    reuse = {s.id: s for s in run.steps if s.status == "ok" and s.id not in redo}
    documents = [d.load() for d in run.documents]
    config = load_config()
    provider = resolve_provider(
        ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile), config
    )
    options = RunOptions(
        flow=run.flow,  # type: ignore[arg-type]
        timeout=timeout,
        include_optional=run.include_optional,
    )
    # A rerun wants a new answer: the cache is not read, only written.
    store, cache = _run_store(config, provider, log=not no_log, read=False)
    _echo_err(f"sixhats: rerun of {run.id}: asking {', '.join(redo)} with {provider.model}")
    inputs = RunInputs(
        problem=run.problem,
        program=run.program,
        flow=run.flow,
        include_optional=run.include_optional,
        documents=documents,
        document_paths=[Path(d.path) for d in run.documents if d.path],
        problem_path=Path(run.problem_path) if run.problem_path else None,
    )
    lineage = {"parent_id": run.id, "rerun_step": ",".join(redo)}

    async def go() -> Report:
        async with open_session(
            provider, options, config, on_event=_progress, cache=cache
        ) as session:
            request = session.request(run.problem, run.program, documents)
            return await session.engine.run(request, reuse=reuse)

    try:
        report = asyncio.run(go())
    except SynthesisFailed as failed:
        if store is not None:
            _saved(
                store.save_failed_run(inputs, failed.steps, failed.one_line(), **lineage), "rerun"
            )
        raise
    asked = Usage()
    for record in report.steps:
        if record.id not in reuse:
            asked.add(record.usage)
    _echo_err(
        f"done: {asked.requests} requests ({asked.cached_requests} cached), "
        f"{asked.total_tokens} tokens, ${asked.cost_usd:.4f}; reused {len(reuse)} steps"
    )
    new_id = _saved(store.save_run(inputs, report, **lineage), "show") if store else None
    emit_report(report, fmt, output, new_id)


# Preparing a meeting ---------------------------------------------------------------------

BRIEF_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".json": "json", ".ics": "ics"}


def _brief_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None:
        fmt = BRIEF_FORMATS.get(output.suffix.lower(), "md") if output is not None else "md"
    if fmt not in BRIEF_FORMATS.values():
        raise UsageError(f"unknown format {fmt!r}", hint="use md, html, json or ics")
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
    skip_optional: Annotated[
        bool, typer.Option("--skip-optional", help="Leave out optional steps.")
    ] = False,
    prompts_dir: PromptsDirOption = None,
    model: Annotated[Optional[str], typer.Option(help="Model name.")] = None,  # noqa: UP045
    base_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--base-url", help="OpenAI-compatible server URL, ending in /v1."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--api-key", help="API key (prefer OPENAI_API_KEY)."),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--profile", help="Named profile from the config file."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 120.0,
    max_tokens: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-tokens", help="Completion token limit."),
    ] = None,
    mode: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Pin the output mode: json_schema, json_object or prompt."),
    ] = None,
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
        program=find_program(program_ref, _programs_dir(None)),
        minutes=minutes,
        participants=participants,
        start=starts,
        include_optional=not skip_optional,
    )
    request.agenda()  # an impossible fit fails here, before any request
    library = _prompt_library(prompts_dir)

    if offline or report is not None:
        made = build_brief(library, request, report=report)
    else:
        # Only here: the SDK, the engine and asyncio are no part of an offline brief's start-up.
        import asyncio

        from sixhats_ai.api import RunOptions, open_session
        from sixhats_ai.brief import tailored_plan
        from sixhats_ai.config import ProviderFlags, load_config, resolve_provider

        options = RunOptions(
            timeout=timeout, max_tokens=max_tokens, mode=mode, prompts_dir=prompts_dir
        )
        config = load_config()
        flags = ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile)
        provider = resolve_provider(flags, config)
        _echo_err(f"sixhats brief: asking {provider.model} at {provider.display_url}")

        async def ask() -> Any:
            async with open_session(provider, options, config) as session:
                return await tailored_plan(session, request)

        plan, usage, used_model = asyncio.run(ask())
        _echo_err(
            f"done: {usage.requests} request, {usage.total_tokens} tokens, ${usage.cost_usd:.4f}"
        )
        made = build_brief(library, request, plan=plan, model=used_model, usage=usage)

    _write_output(render_brief(made, chosen_format, library, page), output)


@app.command()
def batch(
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
    program: Annotated[str, typer.Option("--program", "-p", help="Program slug, name or file.")] = (
        "choose"
    ),
    problem: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--problem", help="The question asked of every proposal."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo every input, even unchanged ones.")
    ] = False,
    flow: Annotated[
        str, typer.Option(help="sequential: each hat sees the board; parallel: hats run blind.")
    ] = "sequential",
    model: Annotated[Optional[str], typer.Option(help="Model name.")] = None,  # noqa: UP045
    base_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--base-url", help="OpenAI-compatible server URL, ending in /v1."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--api-key", help="API key (prefer OPENAI_API_KEY)."),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--profile", help="Named profile from the config file."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(help="Requests in flight at most, across all files and hats.")
    ] = 4,
    rpm: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--rpm", help="Requests per minute at most."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 120.0,
    max_tokens: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-tokens", help="Completion token limit per request."),
    ] = None,
    max_cost: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--max-cost", help="Start no new file once the batch would pass this (USD)."),
    ] = None,
    mode: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Pin the output mode: json_schema, json_object or prompt."),
    ] = None,
    context_window: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--context-window", help="The model's context size in tokens."),
    ] = None,
    truncate: Annotated[bool, typer.Option(help="Cut inputs too long for the context.")] = False,
    max_reasks: Annotated[int, typer.Option("--max-reasks", help="Re-asks on bad JSON.")] = 2,
    strict: Annotated[bool, typer.Option(help="Fail a file if any of its hats fails.")] = False,
    skip_optional: Annotated[
        bool, typer.Option("--skip-optional", help="Leave out optional steps.")
    ] = False,
    prompts_dir: PromptsDirOption = None,
) -> None:
    """Analyse every proposal in files or folders; write a report each and an index.

    Example: sixhats batch proposals/ --program choose --out reports/ --concurrency 8
    """
    import asyncio

    from sixhats_ai.api import RunOptions, open_session
    from sixhats_ai.batch import (
        DEFAULT_PROBLEM,
        BatchRunner,
        BatchSettings,
        check_out_dir,
        prepare_out_dir,
    )
    from sixhats_ai.config import ProviderFlags, load_config, resolve_provider
    from sixhats_ai.documents import sanitize
    from sixhats_ai.inputs import count_inputs, discover
    from sixhats_ai.programs import find_program

    if not paths:
        raise UsageError("no inputs given", hint="pass files or folders, or '-' for stdin")
    if out is None:
        raise UsageError("no --out folder given", hint="e.g. --out reports/")
    if flow not in ("sequential", "parallel"):
        raise UsageError(f"unknown flow {flow!r}", hint="use sequential or parallel")
    question = sanitize(problem or DEFAULT_PROBLEM).strip()
    if not question:
        raise UsageError("--problem is empty", hint="ask a question, or leave it out")
    options = RunOptions(
        flow=flow,  # type: ignore[arg-type]
        concurrency=concurrency,
        rpm=rpm,
        timeout=timeout,
        max_tokens=max_tokens,
        max_reasks=max_reasks,
        max_cost=max_cost,
        strict=strict,
        include_optional=not skip_optional,
        mode=mode,
        context_window=context_window,
        truncate=truncate,
        prompts_dir=prompts_dir,
    )
    chosen = find_program(program, _programs_dir(None))
    check_out_dir(out)
    total = None if "-" in paths else count_inputs(paths, glob=glob, skip=out)
    prepare_out_dir(out)
    config = load_config()
    provider = resolve_provider(
        ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile), config
    )
    _echo_err(
        f"sixhats batch: {chosen.name} with {provider.model} at {provider.display_url}, "
        f"{total if total is not None else 'streamed'} inputs, up to {concurrency} requests "
        f"in flight, reports in {out}"
    )
    settings = BatchSettings(out=out, program=chosen, problem=question, force=force)

    async def run() -> SixhatsError | None:
        async with open_session(provider, options, config) as session:
            runner = BatchRunner(session, settings, _echo_err, total)
            index = await runner.run(discover(paths, glob=glob, skip=out))
            return runner.outcome(index)

    failure = asyncio.run(run())
    if failure is not None:
        raise failure


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr and an exit code for every failure, no traceback."""
    debug = os.environ.get("SIXHATS_DEBUG") == "1"
    try:
        # Outside standalone mode typer returns, not raises, the code of an Exit; it turns
        # Ctrl-C into Exit(130).
        code = app(args=argv, standalone_mode=False)
    except SixhatsError as exc:
        if debug:
            raise
        _echo_err(f"error: {exc.one_line()}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        if debug:
            raise
        _echo_err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # typer's own usage errors (bad option, missing value)
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:
        if debug:
            raise
        _echo_err(
            f"error: unexpected {type(exc).__name__}: {exc} (set SIXHATS_DEBUG=1 for details)"
        )
        sys.exit(1)
    if code == EXIT_INTERRUPTED:
        _echo_err("interrupted")
    if isinstance(code, int) and code:
        sys.exit(code)
