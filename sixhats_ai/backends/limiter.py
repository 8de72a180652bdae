"""The limiter every model request goes through, whichever backend answers it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class RequestCounts:
    """What a session asked for: requests that went over the wire (a backend's own retries
    included) and requests the store answered. Counted here, where every request passes,
    rather than summed from finished reports, which miss refused, retried, failed and
    interrupted requests and count again the steps a resumed report kept."""

    sent: int = 0
    cached: int = 0

    def from_store(self) -> None:
        """A request counted as sent that the backend answered from its own store."""
        self.sent -= 1
        self.cached += 1


class RequestLimiter:
    """Caps requests in flight (and optionally per minute); backs every caller off on 429.

    One limiter is shared by every step of a run, and by every file of a batch, so the cap
    holds across all of them. When the server answers 429, new requests wait out its
    Retry-After together instead of each worker hammering the server.
    """

    def __init__(self, concurrency: int = 4, rpm: float | None = None) -> None:
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._interval = 60.0 / rpm if rpm else 0.0
        self._next_start = 0.0
        self._paused_until = 0.0
        self._pace = asyncio.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.counts = RequestCounts()

    def pause(self, seconds: float) -> None:
        """Hold every new request back `seconds` (a server's Retry-After on 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def paused_for(self) -> float:
        """Seconds new requests still wait for a 429's Retry-After (0 if none)."""
        return max(0.0, self._paused_until - time.monotonic())

    async def _wait_turn(self) -> None:
        async with self._pace:
            now = time.monotonic()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)

    def slot(self) -> _Slot:
        """A request's place among those in flight, for `async with`."""
        return _Slot(self)


class _Slot:
    """One request's slot: a class rather than a generator's context manager, whose making
    and stepping cost more than the slot itself (every request of a batch takes one)."""

    __slots__ = ("limiter",)

    def __init__(self, limiter: RequestLimiter) -> None:
        self.limiter = limiter

    async def __aenter__(self) -> None:
        limiter = self.limiter
        await limiter._slots.acquire()
        try:
            await limiter._wait_turn()
        except BaseException:
            limiter._slots.release()
            raise
        limiter.in_flight += 1
        limiter.counts.sent += 1
        limiter.peak_in_flight = max(limiter.peak_in_flight, limiter.in_flight)

    async def __aexit__(self, *exc: object) -> None:
        self.limiter.in_flight -= 1
        self.limiter._slots.release()
