"""The library calls the tools make, each in one place.

The tools call these adapters and nothing else of the run machinery, so that when the
library's own entry points land (issue 23: `analyze`, `Store`; the meetings work: `brief()`,
`minutes()`), each tool switches by changing the body of one function here.

A run is kept in the store as `sixhats analyze` keeps it. A call the client cancels keeps the
steps that finished, as a failed run that `sixhats rerun ID` can finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sixhats_ai.api import open_session
from sixhats_ai.briefs.compose import BriefRequest, build_brief
from sixhats_ai.briefs.model import Brief
from sixhats_ai.briefs.plan import tailored_plan
from sixhats_ai.config import Config
from sixhats_ai.errors import SixhatsError
from sixhats_ai.mcp_server.model_choice import ChosenModel
from sixhats_ai.mcp_server.sampling import SAMPLING_MODEL
from sixhats_ai.meeting_minutes.layout import Minutes, build_minutes
from sixhats_ai.meeting_minutes.notes import parse_notes
from sixhats_ai.meeting_minutes.structure import Meeting, meeting_report
from sixhats_ai.meeting_minutes.votes import parse_votes, tally
from sixhats_ai.method.programs import Program
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.engine import SynthesisFailed
from sixhats_ai.run.options import RunOptions
from sixhats_ai.run.report import Report, StepRecord
from sixhats_ai.run.request import StepEvent
from sixhats_ai.runs import run_and_keep
from sixhats_ai.store.cache import StoreCache, open_run_store
from sixhats_ai.store.database import RunStore, default_store_path
from sixhats_ai.store.records import RunInputs, StoredRun
from sixhats_ai.text.documents import Document, sanitize

TITLE_PREFIXES = ("meeting notes:", "meeting brief:", "minutes:")
CANCELLED = "cancelled by the MCP client; the steps that finished are kept"


@dataclass
class Kept:
    """A run's outcome and its id in the store (None when the store is off)."""

    report: Report
    run_id: str | None


class FailedAndKept(SixhatsError):
    """The synthesis failed; the hats are kept as `run_id`, for `sixhats rerun` to finish."""

    def __init__(self, failed: SynthesisFailed, run_id: str | None) -> None:
        kept = f"; its steps are kept as run {run_id} (sixhats rerun {run_id})" if run_id else ""
        super().__init__(failed.one_line() + kept)


def _name_the_model(records: Sequence[StepRecord], chosen: ChosenModel) -> None:
    """Sampling: each step is named after the model the client says answered it."""
    if chosen.sampling is None:
        return
    for record in records:
        if record.model == SAMPLING_MODEL:
            record.model = chosen.sampling.model_name()


Outcome = Report | SynthesisFailed


@contextmanager
def run_store(config: Config, api_key: str) -> Iterator[tuple[RunStore | None, StoreCache | None]]:
    """The store a call keeps its run in and answers repeated requests from, as `analyze`
    opens it; closed when the call ends, since the server outlives many calls."""
    store, cache = open_run_store(config, api_key, log=True, read=True)
    try:
        yield store, cache
    finally:
        if cache is not None:
            cache.store.close()


def _keep(store: RunStore | None, inputs: RunInputs, outcome: Outcome) -> str | None:
    if store is None:
        return None
    if isinstance(outcome, SynthesisFailed):
        return store.save_failed_run(inputs, outcome.steps, outcome.full_message)
    return store.save_run(inputs, outcome)


def _finish(
    store: RunStore | None,
    inputs: RunInputs,
    outcome: Outcome,
    chosen: ChosenModel,
) -> Kept:
    """Name the client's model, keep the outcome, and raise a failed synthesis (kept)."""
    if isinstance(outcome, SynthesisFailed):
        _name_the_model(outcome.steps, chosen)
        raise FailedAndKept(outcome, _keep(store, inputs, outcome))
    _name_the_model(outcome.steps, chosen)
    outcome.metadata.models = sorted({r.model for r in outcome.steps})
    return Kept(outcome, _keep(store, inputs, outcome))


async def analyze(
    chosen: ChosenModel,
    config: Config,
    problem: str,
    program: Program,
    documents: Sequence[Document],
    options: RunOptions,
    *,
    on_event: Callable[[StepEvent], None],
    document_paths: Sequence[Path] = (),
) -> Kept:
    """Run the program on the problem and keep it (issue 23's `analyze` with a store)."""
    provider = chosen.provider
    with run_store(config, provider.api_key) as (store, cache):
        async with open_session(
            provider, options, config, on_event=on_event, cache=cache, backend=chosen.sampling
        ) as session:
            request = await session.request(problem, program, documents)
            inputs = RunInputs.of_request(request, document_paths, None)
            try:
                result = await run_and_keep(session, request, None)
            except asyncio.CancelledError:
                finished = list(request.memo.steps.values())
                if store is not None and finished:
                    _name_the_model(finished, chosen)
                    store.save_failed_run(inputs, finished, CANCELLED)
                raise
        return _finish(store, inputs, result.outcome, chosen)


def stored_run(run_id: str) -> StoredRun:
    """A kept run by id or unique prefix (issue 23's `Store.get`)."""
    with RunStore(create=False) as store:
        return store.get(run_id)


def stored_runs(
    text: str | None, program: str | None, since: date | None, until: date | None, limit: int
) -> list[StoredRun]:
    """The kept runs, newest first; none when nothing was ever kept (`Store.history`)."""
    if not default_store_path().exists():
        return []
    with RunStore() as store:
        return store.history(text=text, program=program, since=since, until=until, limit=limit)


def offline_brief(request: BriefRequest, library: PromptLibrary) -> Brief:
    """A brief from the question banks, no model (the meetings work's `brief(offline=True)`)."""
    return build_brief(library, request)


async def tailored_brief(
    chosen: ChosenModel, config: Config, request: BriefRequest, library: PromptLibrary
) -> Brief:
    """A brief whose questions one model request tailors (the meetings work's `brief()`)."""
    with run_store(config, chosen.provider.api_key) as (_, cache):
        async with open_session(
            chosen.provider, RunOptions(), config, cache=cache, backend=chosen.sampling
        ) as session:
            plan = await tailored_plan(
                session, library, request.topic, request.program, request.agenda()
            )
    return build_brief(library, request, plan=plan)


def read_meeting(
    notes: Document,
    votes: Document | None,
    program: Program,
    topic: str | None,
    fill_gaps: bool = False,
) -> Meeting:
    """The meeting from its notes (a heading a step) and dot votes (a CSV)."""
    parsed = parse_notes(sanitize(notes.text), program.plan())
    ballots = parse_votes(sanitize(votes.text), votes.name) if votes is not None else []
    title = parsed.title or ""
    for prefix in TITLE_PREFIXES:  # "# Meeting notes: X" is about X
        if title.lower().startswith(prefix):
            title = title[len(prefix) :].strip()
    return Meeting(
        topic=topic or title or Path(notes.name).stem,
        program=program,
        notes=parsed,
        votes=tally(ballots),
        fill_gaps=fill_gaps,
    )


def offline_minutes(meeting: Meeting) -> Minutes:
    """The notes laid out by hat, with the votes; no model (`minutes(offline=True)`)."""
    return build_minutes(meeting.topic, meeting.program, meeting.notes, meeting.votes)


async def structured_minutes(
    chosen: ChosenModel, config: Config, meeting: Meeting, documents: list[Document]
) -> Kept:
    """The meeting structured by the model into a report, kept (the meetings work's
    `minutes()`); its notes and votes are kept as the run's documents, for `rerun`."""
    provider = chosen.provider
    inputs = RunInputs(
        problem=meeting.topic,
        program=meeting.program,
        flow="minutes",
        include_optional=True,
        documents=documents,
        document_paths=[],
    )
    with run_store(config, provider.api_key) as (store, cache):
        async with open_session(
            provider, RunOptions(), config, cache=cache, backend=chosen.sampling
        ) as session:
            try:
                outcome: Outcome = await meeting_report(session, meeting)
            except SynthesisFailed as failed:
                outcome = failed
        return _finish(store, inputs, outcome, chosen)
