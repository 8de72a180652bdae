"""When a batch starts its next file: a free file slot, room in the budget, no stop asked.

Inputs are pulled only when a slot frees up, so about `concurrency` texts are held at once;
the session's limiter, not this, caps the requests in flight. Before a file starts, the batch
judges whether it would likely pass `--max-cost`, and on Ctrl-C every file in flight is
cancelled together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sixhats_ai.errors import named, option
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.session import Session

# Files in flight per request slot: while one file is between steps (writing its reports,
# reading the next input), another has a request ready, so no request slot idles.
FILES_PER_REQUEST_SLOT = 2
# A step's prompt before any file has run: instructions, a short proposal and the board.
PROMPT_TOKENS_GUESS = 2000


class Scheduler:
    """Starts files as slots free up and the budget allows; `stop_reason` says why it stopped.

    `files_ran` counts the files that really asked the model, to judge what the next one costs.
    """

    def __init__(
        self,
        session: Session,
        plan: Sequence[PlannedStep],
        echo: Callable[[str], None],
        files_ran: Callable[[], int],
        files_parked: Callable[[], int] = lambda: 0,
    ) -> None:
        self.budget = session.budget
        self.echo = echo
        self.files_ran = files_ran
        self.files_parked = files_parked
        self.stop_reason: str | None = None
        self._slots = asyncio.Semaphore(FILES_PER_REQUEST_SLOT * session.options.concurrency)
        self._running: dict[int, tuple[asyncio.Task[None], str]] = {}
        self._file_estimate = sum(session.price_of(step, PROMPT_TOKENS_GUESS) for step in plan)

    def stop(self, reason: str) -> None:
        """Start no new file (the first reason given is the one kept and shown)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            self.echo(f"{reason}; starting no new files")

    async def admit(self, *, judged: bool = False) -> bool:
        """Wait for a file slot and for the budget to allow one more file; False when the
        batch starts no more files. A file `judged` already (it ran until it parked for a
        batch round) needs only the slot."""
        if self.stop_reason is not None and not judged:
            return False
        await self._slots.acquire()
        self._reap()
        if judged:
            return True
        while self._running and self._over_budget():
            # The files in flight may cost less than feared: wait for one, and judge again
            # by what it really cost.
            tasks = [task for task, _ in self._running.values()]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            self._reap()
        if self._over_budget():
            self.stop(
                named(
                    f"spent ${self.budget.spent:.4f}, and one more file would likely pass "
                    f"{option('max_cost')} ${self.budget.max_usd:.4f}"
                )
            )
        if self.stop_reason is not None:
            self._slots.release()
            return False
        return True

    def start(self, seq: int, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run an admitted file; its slot frees when `work` ends."""
        self._running[seq] = (asyncio.create_task(self._holding_a_slot(work)), name)

    async def _holding_a_slot(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        finally:
            self._slots.release()

    async def wait(self) -> None:
        """Until every file started has ended."""
        await asyncio.gather(*(task for task, _ in self._running.values()))

    async def cancel(self) -> list[tuple[int, str]]:
        """Cancel every file in flight and wait for them; the files that were running."""
        tasks = [task for task, _ in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.stop_reason = "interrupted"
        return [(seq, name) for seq, (_, name) in self._running.items()]

    def _over_budget(self) -> bool:
        """Would one more file likely pass --max-cost? Judged by the files done so far, or,
        before any is done, by a worst-case guess, so the first round cannot overrun. The
        files parked for a batch round will cost as much as the running ones."""
        if self.budget.max_usd is None:
            return False
        ran = self.files_ran()
        per_file = self.budget.spent / ran if ran else self._file_estimate
        started = len(self._running) + self.files_parked()
        return self.budget.spent + per_file * (started + 1) > self.budget.max_usd

    def _reap(self) -> None:
        """Forget finished files; a bug in one of them surfaces here."""
        for done in [n for n, (task, _) in self._running.items() if task.done()]:
            self._running.pop(done)[0].result()
