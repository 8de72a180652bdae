"""Runs as a user deals with them: running one and keeping it, the steps a rerun asks again,
and the summary `history --json` prints.

`run_and_keep` is the one pipeline `analyze`, `rerun` and `batch` go through, so the rule
"keep the run, or the hats of one whose synthesis failed" is written once. The store only
stores; what a run means (which steps to redo, how it is summarised, how its files are read
back) is decided here.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sixhats_ai.errors import UsageError
from sixhats_ai.run.emergent import emergent_redo
from sixhats_ai.store.database import RunStore
from sixhats_ai.store.records import RunInputs, StoredDocument, StoredRun
from sixhats_ai.text.documents import Document, sanitize
from sixhats_ai.text.inputs import read_text_file

if TYPE_CHECKING:
    from sixhats_ai.api import Session
    from sixhats_ai.run.engine import SynthesisFailed
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.run.request import RunRequest

T = TypeVar("T")


@dataclass(frozen=True)
class Lineage:
    """Where a run comes from: the run it reran, and the steps it asked again."""

    parent_id: str | None = None
    rerun_step: str | None = None


@dataclass
class RunResult:
    """What a run left, its report or the failed synthesis (with the hats), and its id in the
    store when it was kept."""

    outcome: Report | SynthesisFailed
    run_id: str | None


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
    *,
    document_paths: Sequence[Path] = (),
    problem_path: Path | None = None,
    reuse: dict[str, StepRecord] | None = None,
    lineage: Lineage = Lineage(),
    on_unkept: Callable[[Exception], None] | None = None,
    title: str | None = None,
) -> RunResult:
    """Run the request (not asking again the steps in `reuse`) and keep it in `store`.

    If the synthesis fails, the hats are kept instead, so `sixhats rerun` can finish the run;
    the failure is in the result, not raised. Other errors are raised. With `on_unkept`, a
    store that cannot take the run (locked too long, disk full) is told to it and costs the
    run only its id; without, that error is raised.
    """
    from sixhats_ai.run.engine import SynthesisFailed

    inputs = RunInputs.of_request(request, document_paths, problem_path, title)
    try:
        report = await session.engine.run(request, reuse=reuse)
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
    except (sqlite3.Error, UsageError) as exc:
        if on_unkept is None:
            raise
        on_unkept(exc)
        return None


def redo_ids(run: StoredRun, step_ref: str | None) -> list[str]:
    """The steps `rerun` asks again: the one named (by id or hat), or the failed ones; the
    synthesis always, since it must see the new answers."""
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
            hint="name one by its step id, e.g. --step " + matches[0],
        )
    raise UsageError(
        f"run {run.id} has no step {step_ref!r}",
        hint=f"use a hat or a step id: {', '.join(ids)}",
    )


def reused_steps(run: StoredRun, redo: Sequence[str]) -> dict[str, StepRecord]:
    """The steps of `run` a rerun keeps: every good one it does not ask again."""
    return {s.id: s for s in run.steps if s.status == "ok" and s.id not in redo}


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
