"""`all_at_once`: calls of one run together; a parked call lets the others park too, so they
all go into one round, while a failure still cancels the rest."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref

import pytest

from sixhats_ai.backends.base import Parked
from sixhats_ai.errors import ModelError
from sixhats_ai.run.together import all_at_once


async def test_the_results_come_in_order():
    async def after(seconds: float, value: str) -> str:
        await asyncio.sleep(seconds)
        return value

    assert await all_at_once([after(0.02, "a"), after(0, "b")]) == ["a", "b"]


async def test_a_parked_call_lets_the_others_make_theirs():
    made: list[str] = []

    async def park(name: str) -> str:
        made.append(name)
        raise Parked(name)

    async def slower(name: str) -> str:
        await asyncio.sleep(0)  # still running when the first parks
        made.append(name)
        raise Parked(name)

    with pytest.raises(Parked):
        await all_at_once([park("black"), slower("green"), slower("yellow")])
    assert sorted(made) == ["black", "green", "yellow"]


async def test_a_failure_cancels_the_others_and_is_raised_as_itself():
    finished: list[str] = []

    async def fail() -> str:
        raise ModelError("the server is down")

    async def long() -> str:
        await asyncio.sleep(10)
        finished.append("long")
        return "long"

    with pytest.raises(ModelError, match="the server is down"):
        await all_at_once([long(), fail()])
    assert finished == []


async def test_parked_calls_leave_their_frames_to_be_freed_at_once():
    """What the parked calls held (a run's request, its prompts) goes when the exception
    does, with no garbage collection: a batch parks thousands of runs a pass."""

    class Held:
        pass

    held: list[weakref.ref[Held]] = []

    async def park(name: str) -> str:
        kept = Held()
        held.append(weakref.ref(kept))
        raise Parked(name)

    gc.disable()
    try:
        with contextlib.suppress(Parked):
            await all_at_once([park("black"), park("green")])
        assert len(held) == 2 and all(ref() is None for ref in held)
    finally:
        gc.enable()
