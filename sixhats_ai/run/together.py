"""Several calls of one run at once (the hats of the parallel flow, the chunks of a long
document, the participants of a panel).

The first failure cancels the others rather than paying for them in vain, and is raised as
itself. A call parked for a batch engine's next round (`Parked`) is not a failure: the others
go on and park too, so all of them go into the same round rather than one round each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar, cast

from sixhats_ai.backends.base import Parked

T = TypeVar("T")


async def all_at_once(works: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """The results of `works`, run together, in their order."""
    parked: list[Parked] = []

    async def one(work: Coroutine[Any, Any, T]) -> T | None:
        try:
            return await work
        except Parked as exc:
            parked.append(exc)
            return None

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(work)) for work in works]
    except ExceptionGroup as errors:
        raise errors.exceptions[0] from None
    if parked:
        try:
            raise parked[0]
        finally:  # kept here, each would hold every frame it passed through in a cycle
            parked.clear()  # through this one, until a garbage collection (a batch's passes)
    return [cast("T", task.result()) for task in tasks]
