"""Runs as a user deals with them: running one and keeping it, the steps a rerun asks again,
the kept runs read back (`Store`), and the summary `history --json` prints.

`keep_run` is the one pipeline `analyze`, `rerun`, `batch` and `minutes` go through (the
first three by `run_and_keep`), so the rule "keep the run, or the hats of one whose synthesis
failed" is written once. The store only stores; what a run means (which steps to redo, how it
is summarised, how its files are read back) is decided here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from sixhats_ai.errors import UsageError, option
from sixhats_ai.run.emergent import emergent_redo, replay_of
from sixhats_ai.run.panel import kept_roster
from sixhats_ai.store.access import StoreFull, holds_store
from sixhats_ai.store.check import StoreCheck, check_rows
from sixhats_ai.store.database import RunStore, default_store_path
from sixhats_ai.store.records import DamagedRow, RunInputs, StoredDocument, StoredRun
from sixhats_ai.text.documents import Document, sanitize
from sixhats_ai.text.inputs import read_text_file

if TYPE_CHECKING:
    from sixhats_ai.method.emergent import ProcessDecision
    from sixhats_ai.run.engine import SynthesisFailed
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.run.request import RunRequest
    from sixhats_ai.session import Session
    from sixhats_ai.store.recover import Recovery

T = TypeVar("T")


@dataclass(frozen=True)
class Lineage:
    """Where a run comes from: the run it reran, and the steps it asked again."""

    parent_id: str | None = None
    rerun_step: str | None = None


@dataclass(frozen=True)
class RunOrigin:
    """What the store keeps beside a run (the files its text came from, a title, the run it
    redoes) and what a rerun brings along: the good steps it reuses, and an emergent run's
    choices so far (`replay`)."""

    problem_path: Path | None = None
    document_paths: Sequence[Path] = ()
    title: str | None = None
    lineage: Lineage = Lineage()
    reuse: Mapping[str, StepRecord] = field(default_factory=dict)
    replay: Sequence[ProcessDecision] = ()
    resume: str | None = None  # a batch's key for its input, to find the run again


@dataclass
class RunResult:
    """What a run left, its report or the failed synthesis (with the hats), and its id in the
    store when it was kept."""

    outcome: Report | SynthesisFailed
    run_id: str | None

    def report(self) -> Report:
        """The report; or the failed synthesis raised, its `run_id` naming the kept hats."""
        from sixhats_ai.run.engine import SynthesisFailed

        if isinstance(self.outcome, SynthesisFailed):
            self.outcome.run_id = self.run_id
            raise self.outcome
        return self.outcome


async def in_thread_to_the_end(func: Callable[..., T], *args: Any) -> T:
    """`func` in a worker thread, awaited to its end even when Ctrl-C cancels the caller.

    The thread cannot be stopped, so what it writes gets written anyway; waiting for it lets
    the caller say so, and nothing is left half done.
    """
    work = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        return await work


async def off_the_loop(session: Session, func: Callable[..., T], *args: Any) -> T:
    """`func` in a worker thread (`in_thread_to_the_end`), so its disk work stalls no other
    run's requests; but here, at once, when the session answers in batch rounds: then
    nothing waits on the loop, and the thread hop was a tenth of a large batch's CPU."""
    if session.answers_in_rounds:
        return func(*args)
    return await in_thread_to_the_end(func, *args)


async def run_and_keep(
    session: Session,
    request: RunRequest,
    store: RunStore | None,
    origin: RunOrigin = RunOrigin(),
    *,
    on_unkept: Callable[[Exception], None] | None = None,
    cancelled: str | None = None,
) -> RunResult:
    """Run the request (not asking again the steps `origin` reuses) and keep it in `store`
    (see `keep_run`). With `cancelled`, a run cancelled midway keeps the steps that finished,
    as a failed run with that message that `sixhats rerun` can finish."""
    inputs = RunInputs.of_request(
        request, origin.document_paths, origin.problem_path, origin.title, origin.resume
    )
    work = session.engine.run(request, reuse=dict(origin.reuse))
    lineage = origin.lineage
    try:
        return await keep_run(session, store, inputs, work, lineage=lineage, on_unkept=on_unkept)
    except asyncio.CancelledError:
        finished = list(request.memo.steps.values())
        if cancelled is not None and store is not None and finished:
            store.save_failed_run(
                inputs,
                finished,
                cancelled,
                parent_id=lineage.parent_id,
                rerun_step=lineage.rerun_step,
            )
        raise


async def keep_run(
    session: Session,
    store: RunStore | None,
    inputs: RunInputs,
    work: Awaitable[Report],
    *,
    lineage: Lineage = Lineage(),
    on_unkept: Callable[[Exception], None] | None = None,
) -> RunResult:
    """Await the run `work` makes (an analysis, or a meeting's minutes) and keep it in `store`.

    If the synthesis fails, the hats are kept instead, so `sixhats rerun` can finish the run;
    the failure is in the result, not raised. Other errors are raised. With `on_unkept`, a
    store that cannot take the run (locked too long, disk full) is told to it and costs the
    run only its id; without, that error is raised.
    """
    from sixhats_ai.run.engine import SynthesisFailed

    try:
        report = await work
    except SynthesisFailed as failed:
        return RunResult(failed, await _keep(session, store, inputs, failed, lineage, on_unkept))
    report.metadata.engine = session.engine_figures()
    return RunResult(report, await _keep(session, store, inputs, report, lineage, on_unkept))


async def _keep(
    session: Session,
    store: RunStore | None,
    inputs: RunInputs,
    outcome: Report | SynthesisFailed,
    lineage: Lineage,
    on_unkept: Callable[[Exception], None] | None,
) -> str | None:
    if store is None:
        return None
    from sixhats_ai.run.engine import SynthesisFailed

    def save() -> str:
        if isinstance(outcome, SynthesisFailed):
            return store.save_failed_run(
                inputs,
                outcome.steps,
                outcome.full_message,
                parent_id=lineage.parent_id,
                rerun_step=lineage.rerun_step,
            )
        return store.save_run(
            inputs, outcome, parent_id=lineage.parent_id, rerun_step=lineage.rerun_step
        )

    try:
        return await off_the_loop(session, save)
    except (sqlite3.Error, UsageError, StoreFull) as exc:
        if on_unkept is None:
            raise
        on_unkept(exc)
        return None


def redo_ids(run: StoredRun, step_ref: str | None) -> list[str]:
    """The steps `rerun` asks again: the one named (by id or hat), or the failed ones; the
    synthesis always, since it must see the new answers. Empty when no step is named and
    nothing failed: there is nothing to ask again, and nothing should be spent."""
    if step_ref is None and run.status == "ok":
        return []
    if run.program.emergent:
        return emergent_redo(run.id, run.steps, step_ref)
    plan = run.program.plan(include_optional=run.include_optional)
    synthesis = plan[-1].id
    if step_ref is None:
        return [s.id for s in run.steps if s.status == "failed"] + [synthesis]
    wanted = step_ref.strip().lower()
    ids = [s.id for s in plan]
    if wanted in ids:
        return [wanted] if wanted == synthesis else [wanted, synthesis]
    matches = [s.id for s in plan[:-1] if s.hat.value == wanted]
    if len(matches) == 1:
        return [matches[0], synthesis]
    if matches:
        raise UsageError(
            f"run {run.id} has several {wanted} steps ({', '.join(matches)})",
            hint=f"name one by its step id, e.g. {option('step')} {matches[0]}",
        )
    raise UsageError(
        f"run {run.id} has no step {step_ref!r}",
        hint=f"use a hat or a step id: {', '.join(ids)}",
    )


def reused_steps(run: StoredRun, redo: Sequence[str]) -> dict[str, StepRecord]:
    """The steps of `run` a rerun keeps: every good one it does not ask again."""
    return {s.id: s for s in run.steps if s.status == "ok" and s.id not in redo}


def rerun_options(options: RunOptions, run: StoredRun) -> RunOptions:
    """A rerun's options: the kept run decides the flow, the steps, the participants and an
    emergent run's --max-steps (the default for one kept before the bound was, as then);
    `options` how to ask."""
    return dataclasses.replace(
        options,
        flow=run.flow,  # type: ignore[arg-type]
        include_optional=run.include_optional,
        personas=kept_roster(run.steps, run.report.roster if run.report else None),
        max_steps=run.max_steps or options.max_steps,
    )


def rerun_origin(run: StoredRun, redo: Sequence[str]) -> RunOrigin:
    """What a rerun keeps beside it: the run's files, the run it redoes and the steps it asks
    again, the good steps it reuses, and an emergent run's choices so far."""
    return RunOrigin(
        problem_path=Path(run.problem_path) if run.problem_path else None,
        document_paths=[Path(d.path) for d in run.documents if d.path],
        lineage=Lineage(parent_id=run.id, rerun_step=",".join(redo)),
        reuse=reused_steps(run, redo),
        replay=replay_of(run.steps, run.report.process_log if run.report else []),
    )


def load_document(document: StoredDocument) -> Document:
    """A kept document's text, re-read from its path (and checked) when it was not kept."""
    if document.text is not None:
        return Document(document.name, document.text)
    if document.path is None:
        raise UsageError(f"context file {document.name} was not kept and has no path")
    text = sanitize(read_text_file(Path(document.path), what="context file")).strip()
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != document.sha256:
        raise UsageError(
            f"context file {document.path} changed since the run",
            hint="restore it, or run `sixhats analyze` again",
        )
    return Document(document.name, text)


def history_summary(run: StoredRun) -> dict[str, Any]:
    """The run as one entry of `history --json`."""
    return {
        "id": run.id,
        "created": run.created.isoformat(),
        "status": run.status,
        "problem": run.problem,
        "program": run.program.slug,
        "program_name": run.program.name,
        "models": run.models,
        "flow": run.flow,
        "usage": run.usage.model_dump(),
        "seconds": run.seconds,
        "parent_id": run.parent_id,
        "rerun_step": run.rerun_step,
        "title": run.title,
        "recommendation": run.report.synthesis.recommendation.decision if run.report else None,
    }


class HistoryFilters(TypedDict, total=False):
    """Which kept runs `Store.history` lists besides those matching a text."""

    program: str | None  # of this program (a slug or a name)
    since: date | None  # on or after this day (UTC)
    until: date | None  # on or before this day (UTC)
    limit: int | None  # at most this many, newest first (None: all)


class Store:
    """The runs kept on this machine, as `sixhats history` and `sixhats show` read them, and
    the store's own care (`check`, `recover`).

    Each call opens the store and closes it again, so a `Store` may be kept around; `path`
    defaults to the one every run is kept in.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    def history(
        self, text: str | None = None, **filters: Unpack[HistoryFilters]
    ) -> list[StoredRun | DamagedRow]:
        """Kept runs, newest first, whose problem or title contains `text` (see
        `HistoryFilters` for the others); none kept: []. A run that no longer reads is a
        `DamagedRow` in its place, so the others still list."""
        if not holds_store(self.path):
            return []
        with RunStore(self.path, reads=("runs",)) as store:
            return store.history(text=text, **filters)

    def show(self, run_id: str) -> StoredRun:
        """One kept run, by its id or a prefix of it, with its report (None when its
        synthesis failed: then its hats are in `steps`)."""
        with RunStore(self.path, create=False, reads=("runs",)) as store:
            return store.get(run_id)

    def check(self) -> StoreCheck | None:
        """Every page and every row checked (None: no store yet). Damaged pages are raised
        (`StoreDamaged`); damaged rows are listed, and `StoreCheck.error` is the failure."""
        if not holds_store(self.path):
            return None
        with RunStore(self.path) as store:  # opening checks its pages, refusing damaged ones
            runs, requests = store.count("runs"), store.count("requests")
            immutable = store.full is not None
        size = self.path.stat().st_size
        damaged = check_rows(self.path, immutable=immutable)
        return StoreCheck(self.path, runs, requests, size, damaged)

    def recover(self) -> Recovery | None:
        """Copy what a damaged store still holds into a new one, the damaged file kept beside
        it (`Recovery.damaged_copy`); a sound store is left as it is. None: no store yet."""
        if not holds_store(self.path):
            return None
        from sixhats_ai.store.recover import recover  # the salvage reader: only when asked

        return recover(self.path)
