"""A backend that answers in rounds: calls are collected, sent together, answered together.

The analysis of one file is a chain of dependent steps, so a batch engine (the OpenAI Batch
API, or vLLM's `run-batch` fed a JSONL file) cannot take a whole run at once. `RoundBackend`
needs no plan of the rounds. A call whose answer is not in yet is written into the next
round's request file and raises `Parked`: its run stops there, and holds no memory while the
round runs. Once every run of a pass has finished or parked, `answer_round()` sends the round,
waits for it and keeps its answers; the parked runs then start again, their earlier calls are
answered at once, and they make the next round's calls (a hat after the framing, the
synthesis after the hats, a re-ask after a bad answer).

What was submitted and what came back is kept in a `RoundLedger` (the run store), so a run
started again after Ctrl-C or a crash attaches to the rounds already submitted instead of
sending them twice, and answers already fetched are used without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sixhats_ai.backends.base import Completion, CompletionRequest, Parked
from sixhats_ai.backends.round_files import (
    LineResult,
    RequestBodies,
    RoundLine,
    RoundSpool,
    SpooledPart,
    read_results,
)
from sixhats_ai.errors import ModelError, named, option
from sixhats_ai.text.plural import counted

EXPIRED_CODES = {"batch_expired", "batch_cancelled"}


@dataclass
class OpenBatch:
    """A submitted batch not yet fetched: its id, round and the custom_ids in it."""

    batch_id: str
    round: int
    custom_ids: set[str]


class RoundLedger(Protocol):
    """Where rounds and their answers are kept across processes (the run store)."""

    def result(self, custom_id: str) -> LineResult | None: ...

    def save_results(self, results: Iterable[LineResult], round_no: int) -> None: ...

    def open_batches(self) -> list[OpenBatch]: ...

    def add_batch(self, batch: OpenBatch) -> None: ...

    def close_batch(self, batch_id: str, status: str) -> None: ...

    def next_round(self) -> int: ...

    def end(self) -> None:
        """The batch is over: answers kept so far are another batch's to the next one."""
        ...


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


@dataclass(frozen=True)
class Submitted:
    batch_id: str
    custom_ids: set[str]


class RoundTransport(Protocol):
    """How a round reaches the batch engine and how its answers come back."""

    folder: Path  # where the round's request files are written
    max_lines: int  # the engine's limits for one request file
    max_bytes: int

    async def submit(self, round_no: int, parts: list[SpooledPart]) -> list[Submitted]:
        """Send the round's request files: a batch id for each."""
        ...

    async def state(self, batch_id: str) -> BatchState: ...

    async def download(self, batch_id: str) -> list[Path]:
        """The finished batch's output and error files, on disk (JSON lines)."""
        ...

    async def cancel(self, batch_id: str) -> None: ...

    async def aclose(self) -> None: ...


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
    """A `Backend` whose calls are answered by a batch engine, in rounds (see the module)."""

    identity: str
    transport: RoundTransport
    ledger: RoundLedger
    key_of: Callable[[bytes], str]  # a request's custom_id, from its body as sent (JSON)
    policy: RoundPolicy = field(default_factory=RoundPolicy)
    on_progress: Callable[[RoundProgress], None] = lambda progress: None
    is_local: bool = False
    # One probe call would be a round of one, waited on for hours: the caller pins json_schema.
    collects_calls = True
    # Every answer is kept in the ledger, keyed as the cache keys it: the caller need not
    # keep it again.
    keeps_answers = True
    rounds_submitted: int = field(default=0, init=False)
    _waited: set[str] = field(default_factory=set, init=False)  # parked calls of this pass
    _spool: RoundSpool | None = field(default=None, init=False)  # the next round, so far
    _round_no: int = field(default=0, init=False)
    _tries: dict[str, int] = field(default_factory=dict, init=False)
    _open: dict[str, OpenBatch] | None = field(default=None, init=False)
    _open_keys: dict[str, int] = field(default_factory=dict, init=False)  # key: open batches
    _bodies: RequestBodies = field(default_factory=RequestBodies, init=False)

    async def complete(self, request: CompletionRequest) -> Completion:
        body, key = None, request.custom_id  # known when the call parked in an earlier pass
        if key is None:
            body = self._bodies(request.params())  # keyed and written as the same bytes
            key = self.key_of(body)
        if key not in self._waited and not self._is_open(key):
            kept = self.ledger.result(key)
            if kept is not None:
                done, problem = self._read(kept)
                if done is not None:
                    return done
                if not self._retry(key, kept):
                    raise ModelError(
                        f"the batch answered this request with {problem}",
                        hint="run the same command again to retry the failed requests",
                    )
            self._spooled().add(RoundLine(key, body or self._bodies(request.params())))
        self._waited.add(key)
        raise Parked(key)

    @property
    def waiting(self) -> bool:
        """Whether calls of this pass wait for a round."""
        return bool(self._waited)

    def _spooled(self) -> RoundSpool:
        if self._spool is None:
            self._round_no = self.ledger.next_round()
            limits = self.transport.max_lines, self.transport.max_bytes
            self._spool = RoundSpool(self.transport.folder, f"round-{self._round_no}", *limits)
        return self._spool

    async def answer_round(self) -> None:
        """Send the calls parked in this pass as the next round, then wait until every batch
        holding one of them is done, and keep the answers: the parked runs can start again."""
        spool, self._spool = self._spool, None
        if spool is not None:
            await self._submit(self._round_no, spool.close())
        waited, self._waited = self._waited, set()
        await self._wait_for([b for b in self._open_batches().values() if b.custom_ids & waited])

    async def _submit(self, round_no: int, parts: list[SpooledPart]) -> None:
        for part in await self.transport.submit(round_no, parts):
            batch = OpenBatch(part.batch_id, round_no, part.custom_ids)
            self.ledger.add_batch(batch)
            self._opened(batch)
        self.rounds_submitted += 1

    def _open_batches(self) -> dict[str, OpenBatch]:
        """The submitted batches not yet fetched, read from the ledger once (a restart
        attaches to them), then kept here as batches open and close."""
        if self._open is None:
            self._open = {}
            for batch in self.ledger.open_batches():
                self._opened(batch)
        return self._open

    def _opened(self, batch: OpenBatch) -> None:
        self._open_batches()[batch.batch_id] = batch
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
        """Whether a line whose answer cannot be used goes into the next round: while it has
        tries left."""
        expired = result.error_code in EXPIRED_CODES
        limit = self.policy.expiry_retries if expired else self.policy.line_retries
        tries = self._tries.get(key, 0)
        if tries >= limit:
            return False
        self._tries[key] = tries + 1
        return True

    @staticmethod
    def _read(result: LineResult) -> tuple[Completion | None, str]:
        """The line's completion, or what is wrong with its answer: an error, or a body of
        HTTP 200 that is no completion (no choices, or another shape)."""
        if result.status == 200:
            try:
                return Completion.from_dict(result.body, cached=result.reused), ""
            except ModelError as exc:
                return None, f"an answer that cannot be used ({exc})"
        error = result.body.get("error") if result.body else None
        message = error.get("message") if isinstance(error, dict) else None
        return None, f"{result.error_code or f'HTTP {result.status}'}: {message or 'no message'}"

    def end(self) -> str | None:
        """The batch is over (every file finished): the --out folder's next command is a new
        batch, to which the answers fetched for this one are kept from another. A note when
        rounds of the folder are still open: no file waited for them (a resume with another
        program asks other requests), so nothing will fetch them; they run on until cancelled."""
        self.ledger.end()
        if not (left := len(self._open_batches())):
            return None
        return named(
            f"note: {counted(left, 'earlier round')} of this folder still open, no file "
            f"waiting for its answers (its requests changed: another {option('program')}, "
            f"say); {option('status')} shows it, {option('cancel')} cancels it"
        )

    async def _wait_for(self, batches: list[OpenBatch]) -> None:
        """Poll the batches (backing off) until all are done, fetching each as it finishes."""
        started, delay = time.monotonic(), self.policy.poll_min
        states: dict[str, BatchState] = {}
        pending = list(batches)
        while pending:
            for batch in pending:
                states[batch.batch_id] = await self.transport.state(batch.batch_id)
            self.on_progress(
                RoundProgress(
                    round=max(batch.round for batch in batches),
                    completed=sum(state.completed for state in states.values()),
                    total=sum(state.total for state in states.values()),
                    seconds=time.monotonic() - started,
                )
            )
            for batch in [b for b in pending if states[b.batch_id].done]:
                await self._fetch(batch, states[batch.batch_id])
            pending = [b for b in pending if not states[b.batch_id].done]
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.policy.poll_max)

    async def _fetch(self, batch: OpenBatch, state: BatchState) -> None:
        """Keep a finished batch's answers; a line it did not answer has none kept, so its
        call goes into the next round."""
        paths = await self.transport.download(batch.batch_id)
        answered: set[str] = set()

        def results() -> Iterator[LineResult]:
            for result in read_results(paths):
                answered.add(result.custom_id)
                yield result
            for key in batch.custom_ids - answered:
                yield LineResult(key, 0, {}, "missing")

        self.ledger.save_results(results(), batch.round)
        for path in paths:
            path.unlink()
        self.ledger.close_batch(batch.batch_id, state.status)
        self._closed(batch.batch_id)

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
        """Drop a round not sent (its pass was interrupted: the next run writes it again)."""
        if self._spool is not None:
            self._spool.discard()
            self._spool = None
        await self.transport.aclose()
