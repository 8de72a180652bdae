"""`sixhats analyze`: a program of hats over one problem, and its `--dry-run`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, emit_report, pick_format, programs_dir
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    ConcurrencyOption,
    ContextWindowOption,
    FlowOption,
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
    ReportFormatOption,
    RetriesOption,
    SkipOptionalOption,
    StrictOption,
    TimeoutOption,
    TruncateOption,
    provider_flags,
    run_options,
)

if TYPE_CHECKING:
    from sixhats_ai.api import RunOptions
    from sixhats_ai.config import ProviderFlags
    from sixhats_ai.documents import Document
    from sixhats_ai.programs import PlannedStep


def _dry_run(
    problem: str,
    documents: list[Document],
    program_ref: str,
    options: RunOptions,
    flags: ProviderFlags,
) -> None:
    """Every prompt the program would send, with estimated tokens and cost; nothing sent."""
    from sixhats_ai.api import input_budget
    from sixhats_ai.config import load_config, planned_provider
    from sixhats_ai.documents import fit_to_context
    from sixhats_ai.engine import Engine, RunRequest
    from sixhats_ai.pricing import estimate_tokens
    from sixhats_ai.programs import find_program
    from sixhats_ai.prompts import user_library
    from sixhats_ai.structured import DEFAULT_COMPLETION_ESTIMATE

    config = load_config()
    program = find_program(program_ref, programs_dir())
    provider = planned_provider(flags, config)
    budget = input_budget(provider, options)
    documents, warnings = fit_to_context(problem, documents, budget, truncate=options.truncate)
    for warning in warnings:
        echo_err(warning)

    def model_for(step: PlannedStep) -> str:
        return provider.model_for(step.role, step.hat.value, step.step.model)

    engine = Engine(None, user_library(options.prompts_dir), model_for)
    request = RunRequest(
        problem=problem,
        program=program,
        documents=documents,
        flow=options.flow,
        include_optional=options.include_optional,
    )
    prices = config.price_table()
    completion = options.max_tokens or DEFAULT_COMPLETION_ESTIMATE
    total_tokens = 0
    total_cost = 0.0
    previews = engine.preview(request)
    for step, prompt in previews:
        tokens = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
        cost = prices.cost(model_for(step), tokens, completion)
        total_tokens += tokens
        total_cost += cost
        typer.echo(f"===== step {step.id}: {step.step.label} [{step.role}] =====")
        schema, size = engine.preview_schema(request, step)
        typer.echo(f"model {model_for(step)}, about {tokens} prompt tokens, ~${cost:.4f}")
        typer.echo(f"schema {schema}, {size} characters")
        typer.echo("--- system ---")
        typer.echo(prompt.system.rstrip())
        typer.echo("--- user ---")
        typer.echo(prompt.user.rstrip())
        typer.echo("")
    typer.echo(
        f"dry run: {len(previews)} requests, about {total_tokens} prompt tokens, "
        f"estimated ${total_cost:.4f} at most (up to {completion} completion tokens a request); "
        "no request was sent"
    )


@app.command()
def analyze(
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
    program: ProgramOption = "choose",
    flow: FlowOption = "sequential",
    fmt: ReportFormatOption = None,
    output: OutputOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    concurrency: ConcurrencyOption = 8,
    timeout: TimeoutOption = 120.0,
    retries: RetriesOption = 2,
    max_tokens: MaxTokensOption = None,
    max_reasks: MaxReasksOption = 2,
    max_cost: MaxCostOption = None,
    mode: ModeOption = None,
    context_window: ContextWindowOption = None,
    truncate: TruncateOption = False,
    strict: StrictOption = False,
    skip_optional: SkipOptionalOption = False,
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
    from sixhats_ai.cli.running import run_and_keep
    from sixhats_ai.config import load_config, resolve_provider
    from sixhats_ai.documents import read_documents, read_problem
    from sixhats_ai.programs import find_program

    text = read_problem(problem, file)
    options = run_options(ctx.params)
    flags = provider_flags(model, base_url, api_key, profile)
    pick_format(fmt, output)  # a bad format or -o fails before any request
    documents = read_documents(context or [])
    if dry_run:
        _dry_run(text, documents, program, options, flags)
        return
    chosen = find_program(program, programs_dir())
    config = load_config()
    provider = resolve_provider(flags, config)
    echo_err(
        f"sixhats: {chosen.name} ({chosen.sequence}) with {provider.model} "
        f"at {provider.display_url}, {flow} flow"
    )
    report, run_id = run_and_keep(
        provider=provider,
        options=options,
        config=config,
        problem=text,
        program=chosen,
        documents=documents,
        document_paths=context or [],
        problem_path=file,
        log=not no_log,
        read_cache=not no_cache,
    )
    emit_report(report, fmt, output, run_id)
