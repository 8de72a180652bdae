"""runs.run_and_keep: the one pipeline that keeps a run, or the hats of a failed synthesis."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from sixhats_ai.errors import SixhatsError
from sixhats_ai.method.programs import find_program
from sixhats_ai.run.engine import SynthesisFailed
from sixhats_ai.run.request import RunRequest
from sixhats_ai.runs import Lineage, RunOrigin, in_thread_to_the_end, run_and_keep


class FailingSynthesis:
    """An engine whose synthesis fails after its hats ran."""

    async def run(self, request: RunRequest, reuse: Any = None) -> Any:
        raise SynthesisFailed(SixhatsError("the model said no"), steps=[])


class Store:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.kept: list[dict[str, Any]] = []

    def save_failed_run(self, inputs: Any, steps: Any, error: str, **lineage: Any) -> str:
        if self.error is not None:
            raise self.error
        self.kept.append({"problem": inputs.problem, "error": error, **lineage})
        return "0123abcd"


def keep(store: Store, **kwargs: Any) -> Any:
    session = SimpleNamespace(engine=FailingSynthesis(), answers_in_rounds=False)
    request = RunRequest(problem="Four-day week?", program=find_program("choose"))
    return asyncio.run(run_and_keep(session, request, store, **kwargs))  # type: ignore[arg-type]


def test_the_hats_of_a_failed_synthesis_are_kept_with_their_lineage():
    store = Store()
    result = keep(
        store, origin=RunOrigin(lineage=Lineage(parent_id="feedbeef", rerun_step="7-blue"))
    )
    assert isinstance(result.outcome, SynthesisFailed)
    assert result.run_id == "0123abcd"
    assert store.kept == [
        {
            "problem": "Four-day week?",
            "error": "the synthesis failed: the model said no",
            "parent_id": "feedbeef",
            "rerun_step": "7-blue",
        }
    ]


def test_a_store_that_cannot_keep_the_run_is_told_or_raised():
    locked = sqlite3.OperationalError("database is locked")
    told: list[Exception] = []
    result = keep(Store(locked), on_unkept=told.append)
    assert result.run_id is None and told == [locked]
    assert isinstance(result.outcome, SynthesisFailed)
    with pytest.raises(sqlite3.OperationalError):
        keep(Store(locked))


def test_without_a_store_nothing_is_kept():
    assert keep(None).run_id is None  # type: ignore[arg-type]


def test_a_worker_thread_is_awaited_to_its_end_even_when_cancelled():
    started, release = threading.Event(), threading.Event()

    def write() -> str:
        started.set()
        release.wait(10)
        return "written"

    async def cancel_while_writing() -> str:
        task = asyncio.create_task(in_thread_to_the_end(write))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        await asyncio.sleep(0)  # the cancellation reaches the task while the thread works
        release.set()
        return await task

    assert asyncio.run(cancel_while_writing()) == "written"
