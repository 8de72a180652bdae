"""`minutes()` and `minutes_async()`: a meeting's notes and dot votes as minutes, offline, or
as the `Report` `analyze` gives, through the model and the same run pipeline
(`runs.keep_run`), so the run is kept in the store by the one rule every run follows and
`sixhats rerun` can finish or redo it.

The CLI's `minutes` and `rerun` of a meeting, and the MCP server, call these; they take plain
text or paths and return the data models, and print nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict, Unpack, overload

from sixhats_ai.errors import UsageError, check_arguments, option
from sixhats_ai.meeting_minutes.layout import Minutes, build_minutes
from sixhats_ai.meeting_minutes.meeting import Meeting, read_meeting
from sixhats_ai.method.programs import Program, find_program
from sixhats_ai.runs import Lineage, RunResult, keep_run, load_document
from sixhats_ai.store.records import RunInputs
from sixhats_ai.text.documents import Document
from sixhats_ai.text.inputs import read_text_file

if TYPE_CHECKING:
    from sixhats_ai.backends.base import Backend
    from sixhats_ai.backends.provider import Provider, ProviderFlags
    from sixhats_ai.config import Config
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.store.records import StoredRun


class MinutesArgs(TypedDict, total=False):
    """The keyword arguments of `minutes` and `minutes_async` beyond the notes."""

    votes: str | Path | None  # the dot votes: CSV text, or a path to the CSV file
    program: str | Program  # a slug, a full name, a program file, or a Program (default choose)
    topic: str | None  # default: the notes' title
    dots: int | None  # each voter's allowance, when the notes do not say ("3 dots each")
    include_optional: bool  # default True: the program's optional steps are in the notes
    fill_gaps: bool  # with a model: let it add points, marked as its own
    prompts_dir: Path | None  # templates overriding the packaged ones
    options: RunOptions  # how to ask the model
    flags: ProviderFlags  # which server and model (else the environment and the config)
    provider: Provider
    config: Config
    keep: bool  # keep the run in the store (default True, as the CLI does)
    use_cache: bool  # answer a request the store has answered before (default True)
    backend: Backend  # what answers, instead of the provider's server or engine (an MCP host)


def _document(source: str | Path, name: str) -> tuple[Document, Path | None]:
    """A Path is read (a clear error if it cannot be); a str is the text itself."""
    if isinstance(source, Path):
        return Document(source.name, read_text_file(source, what=f"{name} file")), source
    return Document(name, source), None


def _meeting(
    notes: Document, votes: Document | None, paths: list[Path], args: MinutesArgs
) -> tuple[Meeting, RunInputs]:
    """The meeting, with what the store keeps of it: its notes and votes as the run's
    documents, so `rerun` can structure a step again."""
    from sixhats_ai.config import user_programs_dir

    program = args.get("program", "choose")
    if isinstance(program, str):
        program = find_program(program, user_programs_dir())
    include_optional = args.get("include_optional", True)
    dots = args.get("dots")
    if dots is not None and dots < 1:  # else every voter is "over" an allowance of 0 or less
        raise UsageError(
            f"{option('dots')} must be at least 1 (got {dots})", hint=f"e.g. {option('dots')} 3"
        )
    meeting = read_meeting(
        notes.text,
        program,
        votes_text=votes.text if votes else None,
        votes_name=votes.name if votes else "votes",
        notes_name=notes.name,
        topic=args.get("topic"),
        include_optional=include_optional,
        dots=dots,
        fill_gaps=args.get("fill_gaps", False),
    )
    inputs = RunInputs(
        problem=meeting.topic,
        program=program,
        flow="minutes",
        include_optional=include_optional,
        documents=[notes, *([votes] if votes else [])],
        document_paths=paths,
    )
    return meeting, inputs


def meeting_of(notes: str | Path, args: MinutesArgs) -> tuple[Meeting, RunInputs]:
    """The meeting from its notes and `args["votes"]`, each text or a Path to read."""
    check_arguments("minutes", args, MinutesArgs)
    if not isinstance(notes, str | Path):
        raise UsageError(f"the notes must be text or a Path, not {type(notes).__name__}")
    notes_doc, notes_path = _document(notes, "notes")
    if not notes_doc.text.strip():  # else a model is paid to write minutes of nothing
        what = f"notes file {notes_path}" if notes_path else "the notes"
        raise UsageError(f"{what} has no text", hint="pass the notes typed during the meeting")
    votes = args.get("votes")
    votes_doc, votes_path = _document(votes, "votes") if votes is not None else (None, None)
    paths = [p for p in (notes_path, votes_path) if p is not None]
    return _meeting(notes_doc, votes_doc, paths, args)


def meeting_of_run(run: StoredRun) -> tuple[Meeting, RunInputs]:
    """A stored meeting read again from its kept notes and votes (`sixhats rerun`)."""
    notes, *votes = [load_document(d) for d in run.documents]
    args: MinutesArgs = {
        "program": run.program,
        "topic": run.problem,
        "include_optional": run.include_optional,
        "fill_gaps": any(s.added is not None or s.origin == "model" for s in run.steps),
    }
    return _meeting(notes, votes[0] if votes else None, [], args)


async def structure(
    provider: Provider,
    options: RunOptions,
    config: Config,
    meeting: Meeting,
    inputs: RunInputs,
    *,
    keep: bool = True,
    read_cache: bool = True,
    reuse: dict[str, StepRecord] | None = None,
    lineage: Lineage | None = None,
    backend: Backend | None = None,
) -> RunResult:
    """The meeting structured by the model (or `backend`, e.g. an MCP host's) and kept: the
    report, or the failed synthesis with the structured steps (kept too, for `rerun`), and
    the run's id."""
    from sixhats_ai.meeting_minutes.structure import meeting_report
    from sixhats_ai.session import open_session
    from sixhats_ai.store.cache import open_run_store

    store, cache = open_run_store(config, provider.api_key, log=keep, read=read_cache)
    try:
        async with open_session(provider, options, config, cache=cache, backend=backend) as s:
            work = meeting_report(s, meeting, reuse)
            return await keep_run(s, store, inputs, work, lineage=lineage or Lineage())
    finally:
        if cache is not None:  # the store's connections: a server makes many calls
            cache.store.close()


@overload
async def minutes_async(
    notes: str | Path, *, offline: Literal[True], **args: Unpack[MinutesArgs]
) -> Minutes: ...
@overload
async def minutes_async(
    notes: str | Path, *, offline: Literal[False] = False, **args: Unpack[MinutesArgs]
) -> Report: ...
async def minutes_async(
    notes: str | Path, *, offline: bool = False, **args: Unpack[MinutesArgs]
) -> Minutes | Report:
    """The minutes of a meeting from its notes (text, or a Path to the file).

    Offline: the `Minutes` as the scribe wrote them (decisions, actions, attendees, votes,
    parking lot), no model. Else: the `Report` `analyze` gives, each hat's points structured
    by the model and the run kept in the store (unless `keep=False`), a request answered
    before answered from it (unless `use_cache=False`); a failed synthesis is raised as
    `SynthesisFailed`, after its steps are kept.
    """
    meeting, inputs = meeting_of(notes, args)
    if offline:
        return build_minutes(meeting)
    provider, options, config = await _model_settings(args)
    result = await structure(
        provider,
        options,
        config,
        meeting,
        inputs,
        keep=args.get("keep", True),
        read_cache=args.get("use_cache", True),
        backend=args.get("backend"),
    )
    return result.report()  # a failed synthesis raised, its run_id naming the kept steps


async def _model_settings(args: MinutesArgs) -> tuple[Provider, RunOptions, Config]:
    """The session's settings, the meeting's steps and templates in its options."""
    from dataclasses import replace

    from sixhats_ai.api import settled

    options, config, provider = await asyncio.to_thread(settled, args)
    options = replace(
        options,
        include_optional=args.get("include_optional", True),
        prompts_dir=args.get("prompts_dir") or options.prompts_dir,
    )
    return provider, options, config


@overload
def minutes(
    notes: str | Path, *, offline: Literal[True], **args: Unpack[MinutesArgs]
) -> Minutes: ...
@overload
def minutes(
    notes: str | Path, *, offline: Literal[False] = False, **args: Unpack[MinutesArgs]
) -> Report: ...
def minutes(
    notes: str | Path, *, offline: bool = False, **args: Unpack[MinutesArgs]
) -> Minutes | Report:
    """Blocking twin of `minutes_async`."""
    if offline:
        meeting, _ = meeting_of(notes, args)
        return build_minutes(meeting)
    return asyncio.run(minutes_async(notes, offline=False, **args))
