"""`sixhats analyze`: a program of hats over one problem, and its `--dry-run`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, emit_report, pick_format
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    ConcurrencyOption,
    ContextWindowOption,
    FitOption,
    FlowOption,
    LocalOption,
    MaxCostOption,
    MaxReasksOption,
    MaxStepsOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    NoLogOption,
    NoProgressOption,
    OutputOption,
    PersonasModeOption,
    PersonasOption,
    ProfileOption,
    ProgramOption,
    PromptsDirOption,
    PullOption,
    QuietOption,
    ReportFormatOption,
    RetriesOption,
    SkipOptionalOption,
    StrictOption,
    TimeoutOption,
    TruncateOption,
    provider_flags,
    run_options,
    user_gave,
)
from sixhats_ai.run.options import DEFAULT_PROGRAM, RunOptions
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.api import AnalyzeArgs
    from sixhats_ai.backends.provider import ProviderFlags
    from sixhats_ai.cli.running import Shown
    from sixhats_ai.run.report import Report
    from sixhats_ai.text.documents import Document


def _dry_run(
    problem: str,
    documents: list[Document],
    program_ref: str,
    options: RunOptions,
    flags: ProviderFlags,
) -> None:
    """Every prompt the program would send, with estimated tokens and cost; nothing sent.

    The context is not asked of the server (a dry run sends nothing) and documents too long
    for it are shown as the condensing would leave them, with its requests priced too.
    """
    from sixhats_ai.api import program_for
    from sixhats_ai.backends.provider import planned_provider
    from sixhats_ai.config import load_config
    from sixhats_ai.session import CONTEXT_SHARE_FOR_INPUT, new_session, planned_window

    config = load_config()
    program = program_for(program_ref, options)
    provider = planned_provider(flags, config)
    window = planned_window(provider, options, config)
    session = new_session(provider, options, config)
    run = session.preview_run(
        problem, program, documents, int(window.tokens * CONTEXT_SHARE_FOR_INPUT)
    )
    for note in run.fitted.notes:
        echo_err(note if note.startswith("warning") else f"dry run: {note}")
    for p in run.steps:
        typer.echo(f"===== step {p.step.id}: {p.step.step.label} [{p.step.role}] =====")
        typer.echo(f"model {p.model}, about {p.tokens} prompt tokens, ~${p.cost_usd:.4f}")
        schema, size = session.engine.preview_schema(run.request, p.step)
        typer.echo(f"schema {schema}, {size} characters")
        typer.echo("--- system ---")
        typer.echo(p.prompt.system.rstrip())
        typer.echo("--- user ---")
        typer.echo(p.prompt.user.rstrip())
        typer.echo("")
    if program.emergent:
        typer.echo(
            f"emergent: blue chooses up to --max-steps {options.max_steps} hats, one process "
            "request before each; the hats above are a sample sequence, the total the most a "
            "run may send"
        )
    totals = run.totals
    typer.echo(
        f"dry run: {counted(totals.requests, 'request')}, about {totals.prompt_tokens} prompt "
        f"tokens (context {window.tokens}: {window.source}), estimated ${totals.cost_usd:.4f} at "
        f"most (up to {session.completion_estimate} completion tokens a request); "
        "no request was sent"
    )


def _run(
    problem: str,
    program_ref: str,
    flags: ProviderFlags,
    run: AnalyzeArgs,
    shown: Shown,
) -> tuple[Report, str | None]:
    """The analysis: find the server, run the program, keep the run in the store."""
    from sixhats_ai.api import program_for
    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.cli.running import run_with_progress
    from sixhats_ai.config import load_config

    options = run.get("options") or RunOptions()
    chosen = program_for(program_ref, options)
    config = load_config()
    provider = resolve_provider(flags, config)
    echo_err(
        f"sixhats: {chosen.name} ({chosen.sequence}) with {provider.model} "
        f"at {provider.display_url}, {options.flow} flow"
    )
    return run_with_progress(problem, chosen, provider, {**run, "config": config}, shown)


@app.command("analyze")
def analyze_command(
    ctx: typer.Context,
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
    program: ProgramOption = DEFAULT_PROGRAM,
    flow: FlowOption = RunOptions.flow,
    fmt: ReportFormatOption = None,
    output: OutputOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    local: LocalOption = False,
    pull: PullOption = False,
    concurrency: ConcurrencyOption = RunOptions.concurrency,
    timeout: TimeoutOption = RunOptions.timeout,
    retries: RetriesOption = RunOptions.max_retries,
    max_tokens: MaxTokensOption = None,
    max_reasks: MaxReasksOption = RunOptions.max_reasks,
    max_cost: MaxCostOption = None,
    mode: ModeOption = None,
    context_window: ContextWindowOption = None,
    fit: FitOption = RunOptions.fit,
    truncate: TruncateOption = False,
    strict: StrictOption = False,
    skip_optional: SkipOptionalOption = False,
    max_steps: MaxStepsOption = RunOptions.max_steps,
    personas: PersonasOption = None,
    personas_mode: PersonasModeOption = RunOptions.personas_mode,
    prompts_dir: PromptsDirOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show every prompt; send nothing.")
    ] = False,
    no_cache: NoCacheOption = False,
    no_log: NoLogOption = False,
    no_progress: NoProgressOption = False,
    quiet: QuietOption = False,
) -> None:
    """Analyse a problem with a program of hats and print the report.

    Example: sixhats analyze "Should our team move to a four-day week?" --program choose
    """
    from sixhats_ai.text.inputs import read_documents, read_problem

    text = read_problem(problem, file)
    options = run_options(ctx.params)
    flags = provider_flags(model, base_url, api_key, profile, local=local, pull=pull)
    pick_format(fmt, output)  # a bad format or -o fails before any request
    documents = read_documents(context or [])
    if dry_run:
        _dry_run(text, documents, program, options, flags)
        return
    from sixhats_ai.cli.running import Shown
    from sixhats_ai.runs import RunOrigin

    run: AnalyzeArgs = {"documents": documents, "options": options, "keep": not no_log}
    run["use_cache"] = not no_cache
    run["origin"] = RunOrigin(problem_path=file, document_paths=context or [])
    asked = concurrency if user_gave(ctx, "concurrency") else None
    report, run_id = _run(text, program, flags, run, Shown(no_progress, fmt, output, asked))
    emit_report(report, fmt, output, run_id)
