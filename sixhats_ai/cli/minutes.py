"""`sixhats minutes`: after the meeting, its notes and dot votes as minutes or as a report."""

from __future__ import annotations

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
    from sixhats_ai.backends.provider import Provider
    from sixhats_ai.config import Config
    from sixhats_ai.meeting_minutes.structure import Meeting
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.store.records import RunInputs, StoredRun

MINUTES_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".json": "json"}
TITLE_PREFIXES = ("meeting notes:", "meeting brief:", "minutes:")


def _offline_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None:
        fmt = MINUTES_FORMATS.get(output.suffix.lower(), "md") if output is not None else "md"
    if fmt not in MINUTES_FORMATS.values():
        raise UsageError(f"unknown format {fmt!r}", hint="use md, html or json")
    return fmt


def read_meeting(
    notes_text: str,
    notes_name: str,
    votes_text: str | None,
    votes_name: str,
    program: Program,
    include_optional: bool,
    topic: str | None,
    fill_gaps: bool = False,
) -> Meeting:
    """The meeting from its notes and votes; what matched no step, or has no notes, is said."""
    from sixhats_ai.meeting_minutes.notes import parse_notes
    from sixhats_ai.meeting_minutes.structure import Meeting
    from sixhats_ai.meeting_minutes.votes import parse_votes, tally
    from sixhats_ai.text.documents import sanitize

    notes = parse_notes(sanitize(notes_text), program.plan(include_optional=include_optional))
    ballots = parse_votes(sanitize(votes_text), votes_name) if votes_text is not None else []
    for unplaced in notes.unplaced:
        echo_err(
            f"warning: heading {unplaced.heading!r} matches no step of {program.slug}; "
            "its notes are kept under Unplaced"
        )
    if notes.empty_steps:
        echo_err(f"warning: no notes for {', '.join(notes.empty_steps)}")
    title = notes.title or ""
    for prefix in TITLE_PREFIXES:
        if title.lower().startswith(prefix):
            title = title[len(prefix) :].strip()
    meeting = Meeting(
        topic=topic or title or Path(notes_name).stem,
        program=program,
        notes=notes,
        votes=tally(ballots),
        fill_gaps=fill_gaps,
    )
    if meeting.votes and meeting.voting_step() is None:
        echo_err(
            f"warning: {program.slug} has no red hat to carry the dot votes; "
            "only the offline minutes list them"
        )
    return meeting


def run_meeting(
    *,
    provider: Provider,
    options: RunOptions,
    config: Config,
    meeting: Meeting,
    inputs: RunInputs,
    log: bool = True,
    read_cache: bool = True,
    reuse: dict[str, StepRecord] | None = None,
    parent_id: str | None = None,
    rerun_step: str | None = None,
    fmt: str | None = None,
    output: Path | None = None,
) -> tuple[Report, str | None]:
    """Structure the meeting through the model, keep the run, and say what it cost.

    If the synthesis fails, the structured steps are kept and written as `fmt`/`output` ask
    (a report without a synthesis), so `sixhats rerun` can finish the run."""
    import asyncio

    from sixhats_ai.cli.local import engine_summary, start_engine
    from sixhats_ai.meeting_minutes.structure import meeting_report
    from sixhats_ai.run.engine import SynthesisFailed
    from sixhats_ai.session import open_session
    from sixhats_ai.store.cache import open_run_store

    start_engine(provider, options)
    store, cache = open_run_store(config, provider.api_key, log=log, read=read_cache)

    async def run() -> Report:
        async with open_session(provider, options, config, cache=cache) as session:
            made = await meeting_report(session, meeting, reuse)
            made.metadata.engine = session.engine_figures()
            return made

    try:
        report = asyncio.run(run())
    except SynthesisFailed as failed:
        from sixhats_ai.cli.app import FailedRun, emit_failed_run

        failed_id, steps, error = None, failed.steps, failed.full_message  # every problem
        if store is not None:
            lineage = {"parent_id": parent_id, "rerun_step": rerun_step}
            failed_id = store.save_failed_run(inputs, steps, error, **lineage)
        kept = FailedRun(failed_id, meeting.topic, meeting.program, error, steps)
        emit_failed_run(kept, pick_format(fmt, output), output, error_in_heading=False)
        if failed_id is not None:
            echo_err(f"saved run {failed_id} (sixhats rerun {failed_id})")
        raise
    run_id = None
    if store is not None:
        run_id = store.save_run(inputs, report, parent_id=parent_id, rerun_step=rerun_step)
        echo_err(f"saved run {run_id} (sixhats show {run_id})")
    usage = report.metadata.usage
    echo_err(
        f"done in {report.metadata.seconds:.1f} s: {usage.requests} requests "
        f"({usage.cached_requests} cached), {usage.total_tokens} tokens, ${usage.cost_usd:.4f}"
    )
    engine_summary(provider)
    return report, run_id


def meeting_inputs(
    meeting: Meeting,
    notes: tuple[str, str],
    votes: tuple[str, str] | None,
    paths: list[Path],
    include_optional: bool,
) -> RunInputs:
    """What the store keeps of a meeting: its notes and votes as the run's documents, so
    `sixhats rerun` can structure a step again."""
    from sixhats_ai.store.records import RunInputs
    from sixhats_ai.text.documents import Document

    documents = [Document(*notes)] + ([Document(*votes)] if votes else [])
    return RunInputs(
        problem=meeting.topic,
        program=meeting.program,
        flow="minutes",
        include_optional=include_optional,
        documents=documents,
        document_paths=paths,
    )


def rerun_meeting(
    run: StoredRun,
    redo: list[str],
    provider: Provider,
    options: RunOptions,
    config: Config,
    log: bool,
    fmt: str | None = None,
    output: Path | None = None,
) -> tuple[Report, str | None]:
    """`sixhats rerun` of a stored meeting: the named steps structured again from its notes."""
    from sixhats_ai.runs import load_document

    notes, *votes = [load_document(d) for d in run.documents]
    meeting = read_meeting(
        notes.text,
        notes.name,
        votes[0].text if votes else None,
        votes[0].name if votes else "votes",
        run.program,
        run.include_optional,
        run.problem,
        fill_gaps=any(s.added is not None or s.origin == "model" for s in run.steps),
    )
    inputs = meeting_inputs(
        meeting,
        (notes.name, notes.text),
        (votes[0].name, votes[0].text) if votes else None,
        [],
        run.include_optional,
    )
    return run_meeting(
        provider=provider,
        options=options,
        config=config,
        meeting=meeting,
        inputs=inputs,
        log=log,
        read_cache=False,
        reuse={s.id: s for s in run.steps if s.status == "ok" and s.id not in redo},
        parent_id=run.id,
        rerun_step=",".join(redo),
        fmt=fmt,
        output=output,
    )


def _with_model(
    params: dict[str, Any],
    meeting: Meeting,
    notes: tuple[str, str],
    votes: tuple[str, str] | None,
    paths: list[Path],
    fmt: str,
) -> tuple[Report, str | None]:
    """The meeting structured by the configured model, and kept in the store."""
    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.config import load_config

    config = load_config()
    provider = resolve_provider(flags_of(params), config)
    options = run_options(params)
    echo_err(f"sixhats minutes: {meeting.program.name} with {provider.model}")
    include_optional = not params["skip_optional"]
    return run_meeting(
        provider=provider,
        options=options,
        config=config,
        meeting=meeting,
        inputs=meeting_inputs(meeting, notes, votes, paths, include_optional),
        log=not params["no_log"],
        read_cache=not params["no_cache"],
        fmt=fmt,
        output=params["output"],
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
    from sixhats_ai.method.programs import find_program
    from sixhats_ai.text.inputs import read_text_file

    chosen = _offline_format(fmt, output) if offline else pick_format(fmt, output)
    if output is not None:
        from sixhats_ai.files import check_writable

        check_writable(output)
    notes_text = read_text_file(notes, what="notes file")
    votes_text = read_text_file(votes, what="votes file") if votes is not None else None
    meeting = read_meeting(
        notes_text,
        notes.name,
        votes_text,
        votes.name if votes else "votes",
        find_program(program, programs_dir()),
        not skip_optional,
        topic,
        fill_gaps,
    )
    if offline:
        from sixhats_ai.meeting_minutes.layout import build_minutes, render_minutes
        from sixhats_ai.prompts import user_library

        made = build_minutes(meeting.topic, meeting.program, meeting.notes, meeting.votes)
        write_output(render_minutes(made, chosen, user_library(prompts_dir)), output)
        return
    notes_doc = (notes.name, notes_text)
    votes_doc = (votes.name, votes_text) if votes is not None and votes_text is not None else None
    paths = [notes, *([votes] if votes else [])]
    report, run_id = _with_model(ctx.params, meeting, notes_doc, votes_doc, paths, chosen)
    emit_report(report, chosen, output, run_id)
