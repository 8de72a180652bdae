"""A backend that answers in rounds: calls are collected, sent together, answered together.

The analysis of one file is a chain of dependent steps, so a batch engine (the OpenAI Batch
API, or vLLM's `run-batch` fed a JSONL file) cannot take a whole run at once. `RoundBackend`
needs no plan of the rounds: every `complete()` call waits on a future; once no new call has
come for a grace period, every live run is waiting on an answer, so the collected calls go out
as one round. When the round's answers arrive the runs move on and make the next round's
calls (a hat after the framing, the synthesis after the hats, a re-ask after a bad answer).

What was submitted and what came back is kept in a `RoundLedger` (the run store), so a run
started again after Ctrl-C or a crash attaches to the rounds already submitted instead of
sending them twice, and answers already fetched are used without waiting.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sixhats_ai.backends.base import Completion, CompletionRequest
from sixhats_ai.errors import ModelError

EXPIRED_CODES = {"batch_expired", "batch_cancelled"}


@dataclass(frozen=True)
class RoundLine:
    """One request of a round, as the OpenAI batch input format has it."""

    custom_id: str
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "custom_id": self.custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": self.body,
        }


@dataclass(frozen=True)
class LineResult:
    """One answered line: the HTTP status and body, or the batch engine's error code."""

    custom_id: str
    status: int
    body: dict[str, Any]
    error_code: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LineResult:
        """A line of an output or error file (OpenAI's and vLLM's shape)."""
        response = row.get("response") or {}
        error = row.get("error") or {}
        return cls(
            custom_id=str(row.get("custom_id")),
            status=int(response.get("status_code") or 0),
            body=response.get("body") or {},
            error_code=error.get("code") if isinstance(error, dict) else None,
        )


@dataclass
class OpenBatch:
    """A submitted batch not yet fetched: its id, round and the custom_ids in it."""

    batch_id: str
    round: int
    custom_ids: set[str]


class RoundLedger(Protocol):
    """Where rounds and their answers are kept across processes (the run store)."""

    def result(self, custom_id: str) -> LineResult | None: ...

    def save_results(self, results: Iterable[LineResult]) -> None: ...

    def open_batches(self) -> list[OpenBatch]: ...

    def add_batch(self, batch: OpenBatch) -> None: ...

    def close_batch(self, batch_id: str, status: str) -> None: ...

    def next_round(self) -> int: ...


@dataclass
class BatchState:
    """Where a submitted batch stands; `done` once its results can be fetched."""

    status: str
    completed: int = 0
    total: int = 0
    started: float | None = None  # when the engine began it (Unix time), if it says

    @property
    def done(self) -> bool:
        return self.status in ("completed", "expired", "cancelled", "failed")


class RoundTransport(Protocol):
    """How a round reaches the batch engine and how its answers come back."""

    async def submit(self, round_no: int, lines: Iterator[RoundLine]) -> list[Submitted]:
        """Send the lines (split as the engine's limits require): a batch id per part."""
        ...

    async def state(self, batch_id: str) -> BatchState: ...

    async def download(self, batch_id: str) -> list[Path]:
        """The finished batch's output and error files, on disk (JSON lines)."""
        ...

    async def cancel(self, batch_id: str) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Submitted:
    batch_id: str
    custom_ids: set[str]


def write_parts(
    folder: Path, stem: str, lines: Iterator[RoundLine], max_lines: int, max_bytes: int
) -> Iterator[tuple[Path, set[str]]]:
    """Write the lines as JSONL files of at most `max_lines` lines and `max_bytes` bytes,
    streamed to disk a line at a time; yields each part once it is complete."""
    folder.mkdir(parents=True, exist_ok=True)
    part, count, size, ids = 0, 0, 0, set[str]()
    path = folder / f"{stem}.requests.jsonl"
    out = path.open("wb")
    try:
        for line in lines:
            data = (json.dumps(line.to_json(), separators=(",", ":")) + "\n").encode()
            if count and (count + 1 > max_lines or size + len(data) > max_bytes):
                out.close()
                yield path, ids
                part += 1
                path = folder / f"{stem}-{part}.requests.jsonl"
                out, count, size, ids = path.open("wb"), 0, 0, set()
            out.write(data)
            count, size = count + 1, size + len(data)
            ids.add(line.custom_id)
        out.close()
        if count:
            yield path, ids
    finally:
        out.close()


def read_results(paths: Iterable[Path]) -> Iterator[LineResult]:
    """The lines of output and error files, one at a time."""
    for path in paths:
        with path.open("rb") as lines:
            for raw in lines:
                if raw.strip():
                    yield LineResult.from_row(json.loads(raw))


def _eta(state: BatchState) -> str:
    """`, ETA 0:42` at the pace since the batch started, when the engine says when that was."""
    if state.started is None or not 0 < state.completed < state.total:
        return ""
    pace = (time.time() - state.started) / state.completed
    left = int(pace * (state.total - state.completed))
    return f", ETA {left // 3600}:{left % 3600 // 60:02d}"


@dataclass
class RoundPolicy:
    """Timing and retry bounds of the rounds."""

    grace: float = 0.5  # no new call for this long: every live run is waiting
    poll_min: float = 10.0  # polling backs off from this ...
    poll_max: float = 300.0  # ... to this
    line_retries: int = 2  # a line that failed goes into the next round this often
    expiry_retries: int = 3  # a line of an expired batch is sent again this often


@dataclass
class RoundProgress:
    """What the progress line shows while a round is waited for."""

    round: int
    completed: int
    total: int
    seconds: float


@dataclass
class RoundBackend:
    """A `Backend` whose calls are answered by a batch engine, in rounds."""

    identity: str
    transport: RoundTransport
    ledger: RoundLedger
    key_of: Callable[[CompletionRequest], str]
    policy: RoundPolicy = field(default_factory=RoundPolicy)
    on_progress: Callable[[RoundProgress], None] = lambda progress: None
    is_local: bool = False
    # One probe call would be a round of one, waited on for hours: the caller pins json_schema.
    collects_calls: ClassVar[bool] = True
    rounds_submitted: int = field(default=0, init=False)
    _waiting: dict[str, asyncio.Future[Completion]] = field(default_factory=dict, init=False)
    _requests: dict[str, CompletionRequest] = field(default_factory=dict, init=False)
    _queue: dict[str, CompletionRequest] = field(default_factory=dict, init=False)
    _tries: dict[str, int] = field(default_factory=dict, init=False)
    _open: dict[str, OpenBatch] | None = field(default=None, init=False)
    _open_keys: dict[str, int] = field(default_factory=dict, init=False)  # key: open batches
    _arrivals: int = field(default=0, init=False)
    _driver: asyncio.Task[None] | None = field(default=None, init=False)

    async def complete(self, request: CompletionRequest) -> Completion:
        key = self.key_of(request)
        kept = self.ledger.result(key)
        if kept is not None and not self._retry(key, kept):
            return self._completion(kept)
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
            self._requests[key] = request
            if kept is not None or not self._is_open(key):
                self._queue[key] = request
        self._arrivals += 1
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        return await asyncio.shield(future)

    def _open_batches(self) -> dict[str, OpenBatch]:
        """The submitted batches not yet fetched, read from the ledger once (a restart
        attaches to them), then kept here as batches open and close."""
        if self._open is None:
            self._open = {}
            for batch in self.ledger.open_batches():
                self._opened(batch)
        return self._open

    def _opened(self, batch: OpenBatch) -> None:
        assert self._open is not None
        self._open[batch.batch_id] = batch
        for key in batch.custom_ids:
            self._open_keys[key] = self._open_keys.get(key, 0) + 1

    def _closed(self, batch_id: str) -> None:
        for key in self._open_batches().pop(batch_id).custom_ids:
            if self._open_keys[key] == 1:
                del self._open_keys[key]
            else:
                self._open_keys[key] -= 1

    def _is_open(self, key: str) -> bool:
        self._open_batches()
        return key in self._open_keys

    def _retry(self, key: str, result: LineResult) -> bool:
        """Whether a failed line goes into the next round: while it has tries left."""
        if result.status == 200:
            return False
        expired = result.error_code in EXPIRED_CODES
        limit = self.policy.expiry_retries if expired else self.policy.line_retries
        tries = self._tries.get(key, 0)
        if tries >= limit:
            return False
        self._tries[key] = tries + 1
        return True

    @staticmethod
    def _completion(result: LineResult) -> Completion:
        if result.status == 200:
            return Completion.from_dict(result.body)
        error = result.body.get("error") if result.body else None
        message = error.get("message") if isinstance(error, dict) else None
        raise ModelError(
            "the batch answered this request with "
            f"{result.error_code or f'HTTP {result.status}'}: {message or 'no message'}",
            hint="run the same command again to retry the failed requests",
        )

    async def _settle(self) -> None:
        """Wait until no new call has come for a grace period: every run is waiting."""
        seen = -1
        while seen != self._arrivals:
            seen = self._arrivals
            await asyncio.sleep(self.policy.grace)

    async def _drive(self) -> None:
        """Submit and wait for rounds while any call waits; resolve every waiting call."""
        try:
            while self._waiting:
                await self._settle()
                if self._queue:
                    await self._submit()
                if any(self._is_open(key) for key in self._waiting):
                    await self._wait_for_one()
                self._answer_from_ledger()
        except Exception as exc:  # every waiting call fails with it; the driver ends
            failure = exc
            self._release(lambda future: future.set_exception(failure))
        except BaseException:
            self._release(lambda future: future.cancel())
            raise

    def _release(self, settle: Callable[[asyncio.Future[Completion]], object]) -> None:
        for future in self._waiting.values():
            if not future.done():
                settle(future)
        self._waiting.clear()
        self._requests.clear()

    async def _submit(self) -> None:
        """Send every queued call as the next round (the transport splits it at its limits)."""
        queued, self._queue = self._queue, {}
        round_no = self.ledger.next_round()
        lines = (RoundLine(key, request.params()) for key, request in queued.items())
        for part in await self.transport.submit(round_no, lines):
            batch = OpenBatch(part.batch_id, round_no, part.custom_ids)
            self.ledger.add_batch(batch)
            self._open_batches()
            self._opened(batch)
        self.rounds_submitted += 1

    async def _wait_for_one(self) -> None:
        """Poll the open batches holding waited calls until one is done; keep its results."""
        waited = self._waiting.keys()
        batches = [b for b in self._open_batches().values() if b.custom_ids & waited]
        started, delay = time.monotonic(), self.policy.poll_min
        while True:
            states = [(batch, await self.transport.state(batch.batch_id)) for batch in batches]
            self.on_progress(
                RoundProgress(
                    round=max(batch.round for batch in batches),
                    completed=sum(state.completed for _, state in states),
                    total=sum(state.total for _, state in states),
                    seconds=time.monotonic() - started,
                )
            )
            finished = [(batch, state) for batch, state in states if state.done]
            if finished:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.policy.poll_max)
        for batch, state in finished:
            paths = await self.transport.download(batch.batch_id)
            self.ledger.save_results(read_results(paths))
            for path in paths:
                path.unlink()
            self.ledger.close_batch(batch.batch_id, state.status)
            self._closed(batch.batch_id)

    def _answer_from_ledger(self) -> None:
        """Resolve every waiting call whose answer is in; queue again the ones to retry."""
        for key, future in list(self._waiting.items()):
            if self._is_open(key) or key in self._queue:
                continue
            result = self.ledger.result(key) or LineResult(key, 0, {}, "missing")
            if self._retry(key, result):
                self._queue[key] = self._requests[key]
                continue
            del self._waiting[key], self._requests[key]
            try:
                future.set_result(self._completion(result))
            except ModelError as exc:
                future.set_exception(exc)

    async def open_states(self) -> list[str]:
        """A line per open batch: the engine's counts, and an ETA at the pace so far."""
        lines = []
        for batch in self._open_batches().values():
            state = await self.transport.state(batch.batch_id)
            lines.append(
                f"  {batch.batch_id}: {state.status}, {state.completed}/{state.total} answered"
                f"{_eta(state)}"
            )
        return lines

    async def cancel_open(self) -> list[str]:
        """Cancel every batch still open (the `--cancel` of a batch run)."""
        cancelled = []
        for batch_id in list(self._open_batches()):
            await self.transport.cancel(batch_id)
            self.ledger.close_batch(batch_id, "cancelled")
            self._closed(batch_id)
            cancelled.append(batch_id)
        return cancelled

    async def aclose(self) -> None:
        if self._driver is not None and not self._driver.done():
            self._driver.cancel()
        await self.transport.aclose()
