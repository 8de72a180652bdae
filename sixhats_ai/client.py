"""The one place that builds the OpenAI client, and the limiter every request goes through.

The client is built on first use (`LazyClient`): importing the SDK takes longer than the rest
of a run answered wholly from the store, so such a run never imports it. It is handed an
`httpx.AsyncClient` that we build, so the transport production uses is the one tests mock
with respx (openai 3.x would otherwise use its own httpx2 client).
Retries on 408/409/429/5xx and connection errors are the SDK's own (`max_retries`, honouring
Retry-After); nothing here retries again, so one failing request is never multiplied.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from sixhats_ai.config import Provider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    import httpx
    from openai import AsyncOpenAI

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_RETRIES = 2


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

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def _wait_turn(self) -> None:
        async with self._pace:
            now = time.monotonic()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            await self._wait_turn()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


def _retry_after_seconds(response: httpx.Response) -> float:
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        return float(headers.get("retry-after", "1"))
    except ValueError:
        return 1.0


def build_client(
    provider: Provider,
    *,
    limiter: RequestLimiter | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> AsyncOpenAI:
    """An AsyncOpenAI client for the provider, on an httpx transport we own."""
    import httpx
    from openai import AsyncOpenAI

    async def on_response(response: httpx.Response) -> None:
        if response.status_code == 429 and limiter is not None:
            limiter.pause(min(_retry_after_seconds(response), 60.0))

    http_client = httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=max(limiter.concurrency if limiter else 10, 10)),
        event_hooks={"response": [on_response]},
    )
    return AsyncOpenAI(
        api_key=provider.api_key,
        base_url=provider.base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_client=cast(Any, http_client),
    )


class LazyClient:
    """A client built by `build` when a request first needs it, and closed only if built."""

    def __init__(self, build: Callable[[], AsyncOpenAI]) -> None:
        self._build = build
        self._client: AsyncOpenAI | None = None

    def get(self) -> AsyncOpenAI:
        if self._client is None:
            self._client = self._build()
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
