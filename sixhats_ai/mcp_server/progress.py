"""Each step's start and end as an MCP progress notification.

The engine reports steps through a plain callback (`StepEvent`), called from inside the run;
notifications are sent from a task of their own, in the order the events came, so a slow
client never holds a hat up and no event is lost or reordered.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.request import StepEvent

WORDS = {"running": "started", "done": "done", "failed": "failed", "reused": "reused"}


def progress_total(program: Program, include_optional: bool) -> float | None:
    """Two notifications a step (start and end); unknown for an emergent program, whose
    blue decides the hats as it goes."""
    if program.emergent:
        return None
    return 2.0 * len(program.plan(include_optional=include_optional))


def describe(event: StepEvent) -> str:
    """`3-black (Black hat: risks) failed`: the step and what happened; no text of the run."""
    return f"{event.step.id} ({event.step.step.label}) {WORDS[event.status]}"


@asynccontextmanager
async def step_progress(
    ctx: Context[Any, Any], total: float | None
) -> AsyncIterator[Callable[[StepEvent], None]]:
    """A step-event callback whose events go out as progress notifications while the block
    runs; every one is sent before the block is left, unless the call is cancelled."""
    send, receive = anyio.create_memory_object_stream[str](math.inf)

    async def forward() -> None:
        async with receive:
            async for done, message in aenumerate(receive):
                await ctx.report_progress(done, total, message)

    def on_event(event: StepEvent) -> None:
        if event.status != "reused":  # a step kept from before is no news
            send.send_nowait(describe(event))

    forwarder = asyncio.ensure_future(forward())
    try:
        yield on_event
    except asyncio.CancelledError:
        forwarder.cancel()
        raise
    finally:
        send.close()
    await forwarder


async def aenumerate(stream: AsyncIterator[str]) -> AsyncIterator[tuple[float, str]]:
    done = 0.0
    async for item in stream:
        done += 1
        yield done, item
