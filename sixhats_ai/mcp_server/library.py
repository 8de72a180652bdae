"""The library calls the tools make, each in one place: `analyze_run`, `brief_async`, the
meeting's `structure`, `Store.history` and `Store.show`, on the model `model_choice` chose
(the client's own, by sampling, through `backend=`).

A run is kept in the store as `sixhats analyze` keeps it. A call the client cancels keeps the
steps that finished, as a failed run that `sixhats rerun ID` can finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sixhats_ai.api import AnalyzeArgs, analyze_run
from sixhats_ai.briefs.api import BriefArgs, brief_async
from sixhats_ai.briefs.model import Brief
from sixhats_ai.config import Config
from sixhats_ai.errors import SixhatsError
from sixhats_ai.mcp_server.model_choice import ChosenModel
from sixhats_ai.meeting_minutes.api import MinutesArgs, meeting_of, structure
from sixhats_ai.method.programs import Program
from sixhats_ai.run.engine import SynthesisFailed
from sixhats_ai.run.options import RunOptions
from sixhats_ai.run.report import Report
from sixhats_ai.run.request import StepEvent
from sixhats_ai.runs import RunOrigin, RunResult, Store
from sixhats_ai.store.records import DamagedRow, StoredRun
from sixhats_ai.text.documents import Document

CANCELLED = "cancelled by the MCP client; the steps that finished are kept"


@dataclass
class Kept:
    """A run's report and its id in the store (None when the store is off)."""

    report: Report
    run_id: str | None


class FailedAndKept(SixhatsError):
    """The synthesis failed; the hats are kept as `run_id`, for `sixhats rerun` to finish."""

    def __init__(self, failed: SynthesisFailed, run_id: str | None) -> None:
        kept = f"; its steps are kept as run {run_id} (sixhats rerun {run_id})" if run_id else ""
        super().__init__(failed.one_line() + kept)


def _kept(result: RunResult) -> Kept:
    """The report and its id; a failed synthesis raised, naming the steps kept."""
    if isinstance(result.outcome, SynthesisFailed):
        raise FailedAndKept(result.outcome, result.run_id)
    return Kept(result.outcome, result.run_id)


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
    """Run the program on the problem and keep it (the library's `analyze_run`)."""
    args: AnalyzeArgs = {
        "program": program,
        "documents": documents,
        "options": options,
        "config": config,
        "provider": chosen.provider,
        "on_event": on_event,
        "origin": RunOrigin(document_paths=document_paths),
        "cancelled": CANCELLED,
    }
    if chosen.sampling is not None:  # the client's own model
        args["backend"] = chosen.sampling
    return _kept(await analyze_run(problem, **args))


def stored_run(run_id: str) -> StoredRun:
    """A kept run by id or unique prefix (`Store.show`)."""
    return Store().show(run_id)


def stored_runs(
    text: str | None, program: str | None, since: date | None, until: date | None, limit: int
) -> list[StoredRun | DamagedRow]:
    """The kept runs, newest first, a damaged one in its place; none when nothing was ever
    kept (`Store.history`)."""
    return Store().history(text, program=program, since=since, until=until, limit=limit)


async def brief(
    chosen: ChosenModel | None, config: Config | None, topic: str, args: BriefArgs
) -> Brief:
    """A brief (the library's `brief`): offline from the question banks when no model is
    given, else with its questions tailored by one model request."""
    if chosen is None or config is None:
        offline: BriefArgs = {**args, "offline": True}
        return await brief_async(topic, **offline)
    on_model: BriefArgs = {**args, "provider": chosen.provider, "config": config}
    if chosen.sampling is not None:
        on_model["backend"] = chosen.sampling
    return await brief_async(topic, **on_model)


async def structured_minutes(
    chosen: ChosenModel, config: Config, notes: str | Path, args: MinutesArgs
) -> Kept:
    """The meeting structured by the model into a report and kept (the library's `minutes`);
    its notes and votes are kept as the run's documents, for `rerun`."""
    meeting, inputs = meeting_of(notes, args)
    options = RunOptions(include_optional=args.get("include_optional", True))
    result = await structure(
        chosen.provider, options, config, meeting, inputs, backend=chosen.sampling
    )
    return _kept(result)
