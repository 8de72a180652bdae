"""Calls answered in rounds through the Batch API stand-in: chains of dependent calls become
rounds by themselves, nothing is submitted twice, failures and expiry go into the next round.

A chain parks at its first unanswered call and is started again after each round, as the
batch runner does with a file (`_in_passes`)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import replace

import pytest

from sixhats_ai.backends.base import CompletionRequest, Parked
from sixhats_ai.backends.batchapi import BatchApiTransport
from sixhats_ai.backends.jsonl import JsonlTransport, RoundPending, ingest_results
from sixhats_ai.backends.round_files import LineResult
from sixhats_ai.backends.rounds import OpenBatch, RoundBackend, RoundPolicy
from sixhats_ai.errors import ModelError, UsageError
from sixhats_ai.run.report import HAT_OUTPUTS
from testkit.batchapi import vllm_results

pytestmark = pytest.mark.loopback
SCHEMA = HAT_OUTPUTS["black"].model_json_schema()


class MemoryLedger:
    """The run store's part in rounds, kept in memory (what a second process would read)."""

    def __init__(self) -> None:
        self.results: dict[str, LineResult] = {}
        self.batches: dict[str, OpenBatch] = {}
        self.closed: dict[str, str] = {}
        self.rounds = 0

    def result(self, custom_id: str) -> LineResult | None:
        return self.results.get(custom_id)

    def save_results(self, results: Iterable[LineResult], round_no: int) -> None:
        for result in results:
            self.results[result.custom_id] = result

    def end(self) -> None:
        return None

    def open_batches(self) -> list[OpenBatch]:
        return [b for b in self.batches.values() if b.batch_id not in self.closed]

    def add_batch(self, batch: OpenBatch) -> None:
        self.batches[batch.batch_id] = batch

    def close_batch(self, batch_id: str, status: str) -> None:
        self.closed[batch_id] = status

    def next_round(self) -> int:
        self.rounds += 1
        return self.rounds


def _key(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _request(text: str) -> CompletionRequest:
    return CompletionRequest(
        model="standin",
        messages=[{"role": "user", "content": text}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "BlackOutput", "schema": SCHEMA, "strict": True},
        },
    )


def _backend(standin, tmp_path, ledger: MemoryLedger, **transport: int) -> RoundBackend:
    return RoundBackend(
        identity=standin.url,
        transport=BatchApiTransport(standin.url, "sk-test", tmp_path / "rounds", **transport),
        ledger=ledger,
        key_of=_key,
        policy=RoundPolicy(poll_min=0.01, poll_max=0.05),
    )


async def _chain(backend: RoundBackend, name: str, steps: int) -> list[str]:
    """One file's run in miniature: each call needs the answer before it."""
    answers = []
    for step in range(steps):
        done = await backend.complete(_request(f"{name} step {step} after {answers[-1:]}"))
        answers.append(done.content)
    return answers


async def _in_passes(backend: RoundBackend, chains: dict[str, int]) -> list[list[str]]:
    """Every chain to its end: a pass starts each unfinished one, then its round is sent."""
    answers: dict[str, list[str]] = {}
    todo = list(chains)
    while todo:
        parked = []
        for name in todo:
            try:
                answers[name] = await _chain(backend, name, chains[name])
            except Parked:
                parked.append(name)
        if parked:
            assert backend.waiting
            await backend.answer_round()
        todo = parked
    return [answers[name] for name in chains]


def _files(count: int, steps: int) -> dict[str, int]:
    return {f"file {i}": steps for i in range(count)}


async def test_dependent_calls_go_in_rounds_with_nothing_sent_twice(standin, tmp_path):
    standin.batch_reset()
    ledger = MemoryLedger()
    backend = _backend(standin, tmp_path, ledger)
    results = await _in_passes(backend, _files(5, 3))
    await backend.aclose()
    for answers in results:
        assert len(answers) == 3
        HAT_OUTPUTS["black"].model_validate_json(answers[-1])
    stats = standin.batch_stats()
    assert backend.rounds_submitted == 3
    assert stats.batches_created == 3
    assert len(stats.custom_ids) == 15
    assert stats.duplicate_submissions == 0


async def test_a_round_over_the_line_limit_is_split(standin, tmp_path):
    standin.batch_reset()
    backend = _backend(standin, tmp_path, MemoryLedger(), max_lines=4)
    await _in_passes(backend, _files(10, 1))
    await backend.aclose()
    assert standin.batch_stats().batches_created == 3  # 4 + 4 + 2 lines
    assert backend.rounds_submitted == 1
    assert list((tmp_path / "rounds").iterdir()) == []  # request and result files cleaned up


async def test_a_second_process_attaches_to_the_open_batch(standin, tmp_path):
    standin.batch_reset(complete_seconds=0.3)
    ledger = MemoryLedger()
    first = _backend(standin, tmp_path, ledger)
    task = asyncio.ensure_future(_in_passes(first, {"file": 2}))
    while not ledger.batches:  # the first round is submitted, then the process "dies"
        await asyncio.sleep(0.01)
    task.cancel()
    await first.aclose()
    second = _backend(standin, tmp_path, ledger)
    [answers] = await _in_passes(second, {"file": 2})
    await second.aclose()
    assert len(answers) == 2
    stats = standin.batch_stats()
    assert stats.batches_created == 2  # round 1 once (attached again), then round 2
    assert stats.duplicate_submissions == 0


async def test_failed_and_expired_lines_go_into_the_next_round(standin, tmp_path):
    standin.batch_reset(error_every=2)
    backend = _backend(standin, tmp_path, MemoryLedger())
    answers = await _in_passes(backend, _files(4, 1))
    await backend.aclose()
    assert all(len(a) == 1 for a in answers)
    # every 2nd line of a batch fails: 4 lines (2 fail), then 2 (1 fails), then 1
    assert standin.batch_stats().batches_created == 3


async def test_a_line_answered_200_with_no_completion_goes_into_the_next_round(standin, tmp_path):
    """Only answers other than HTTP 200 were asked again: a body with no choices failed its
    call, in this batch and every later one."""
    standin.batch_reset()
    ledger = MemoryLedger()
    keep = ledger.save_results

    def hollow_round_1(results: Iterable[LineResult], round_no: int) -> None:
        keep((replace(r, body={"id": "x"}) if round_no == 1 else r for r in results), round_no)

    ledger.save_results = hollow_round_1  # type: ignore[method-assign]
    backend = _backend(standin, tmp_path, ledger)
    answers = await _in_passes(backend, _files(2, 1))
    await backend.aclose()
    assert all(len(a) == 1 for a in answers)
    assert standin.batch_stats().batches_created == 2


async def test_the_unfinished_lines_of_an_expired_batch_are_sent_again(standin, tmp_path):
    standin.batch_reset(expire_seconds=0, expire_done_fraction=0.5, expire_first=1)
    backend = _backend(standin, tmp_path, MemoryLedger())
    answers = await _in_passes(backend, _files(4, 1))
    await backend.aclose()
    assert all(len(a) == 1 for a in answers)
    stats = standin.batch_stats()
    assert stats.expired == 1
    assert stats.batches_created == 2
    assert len(stats.custom_ids) == 6  # 4 lines, then the 2 the expired batch did not finish


async def test_a_call_asked_again_under_the_custom_id_it_parked_with_is_not_keyed_again(
    standin, tmp_path
):
    standin.batch_reset(error_every=2)  # the second line fails: it goes again, as it was
    keyed: list[bytes] = []
    backend = _backend(standin, tmp_path, MemoryLedger())
    backend.key_of = lambda body: keyed.append(body) or _key(body)
    requests = [_request(f"file {n}") for n in range(2)]
    answers: dict[int, str] = {}
    parked: dict[int, str] = {}
    while len(answers) < 2:
        for n, request in enumerate(requests):
            try:
                done = await backend.complete(replace(request, custom_id=parked.get(n)))
                answers[n] = done.content
            except Parked as exc:
                parked[n] = exc.custom_id
        if backend.waiting:
            await backend.answer_round()
    await backend.aclose()
    assert len(keyed) == 2  # once each, when it first parked
    stats = standin.batch_stats()
    assert stats.custom_ids == [parked[0], parked[1], parked[1]]


async def test_a_line_that_keeps_failing_fails_its_call_only(standin, tmp_path):
    standin.batch_reset(error_every=1)
    backend = _backend(standin, tmp_path, MemoryLedger())
    with pytest.raises(ModelError, match="HTTP 500"):
        await _in_passes(backend, {"file": 1})
    await backend.aclose()
    assert standin.batch_stats().batches_created == 3  # first try and two retries


async def test_file_rounds_are_written_then_answered_from_the_results(standin, tmp_path):
    """`--via jsonl`: each run writes the next round, the engine's results answer it."""
    ledger = MemoryLedger()
    folder = tmp_path / "rounds"

    def backend() -> RoundBackend:
        return RoundBackend(
            identity="jsonl",
            transport=JsonlTransport(folder, "standin"),
            ledger=ledger,
            key_of=_key,
            policy=RoundPolicy(poll_min=0.01),
        )

    for round_no in (1, 2):
        with pytest.raises(RoundPending, match=f"round-{round_no} waits"):
            await _in_passes(backend(), {"file": 2})
        requests = folder / f"round-{round_no}.requests.jsonl"
        results = tmp_path / f"round-{round_no}.results.jsonl"
        results.write_text(vllm_results(requests, standin.url))
        assert ingest_results(ledger, results) == (f"round-{round_no}", 1)
    [answers] = await _in_passes(backend(), {"file": 2})
    assert len(answers) == 2
    with pytest.raises(UsageError, match="answers no round"):
        ingest_results(ledger, results)


class SilentEngine:
    """A batch engine that finishes every batch at once and answers none of its lines."""

    def __init__(self, folder) -> None:
        self.folder, self.max_lines, self.max_bytes = folder, 100, 10**6
        self.submitted: list[set[str]] = []

    async def submit(self, round_no, parts):
        from sixhats_ai.backends.rounds import Submitted

        self.submitted.extend(part.custom_ids for part in parts)
        return [Submitted(f"silent-{len(self.submitted)}", part.custom_ids) for part in parts]

    async def state(self, batch_id):
        from sixhats_ai.backends.rounds import BatchState

        return BatchState("completed")

    async def download(self, batch_id):
        return []

    async def cancel(self, batch_id):
        return None

    async def aclose(self):
        return None


async def test_a_line_no_result_answers_is_sent_again_a_bounded_number_of_times(tmp_path):
    engine = SilentEngine(tmp_path / "rounds")
    backend = RoundBackend("silent", engine, MemoryLedger(), _key, RoundPolicy(poll_min=0.01))
    with pytest.raises(ModelError, match="missing"):
        await _in_passes(backend, {"file": 1})
    assert len(engine.submitted) == 3  # the first try and two retries, then the call fails


async def test_a_pass_interrupted_before_its_round_leaves_no_request_file(tmp_path):
    engine = SilentEngine(tmp_path / "rounds")
    backend = RoundBackend("silent", engine, MemoryLedger(), _key, RoundPolicy(poll_min=0.01))
    with pytest.raises(Parked):
        await _chain(backend, "file", 1)
    [partial] = (tmp_path / "rounds").iterdir()
    assert partial.name == "round-1.requests.jsonl.partial"  # never taken for a whole round
    await backend.aclose()
    assert list((tmp_path / "rounds").iterdir()) == []
    assert engine.submitted == []
