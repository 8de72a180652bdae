"""The Batch API transport tries a lost call again, and says so in one line when it gives up."""

from __future__ import annotations

import httpx
import pytest

from sixhats_ai.backends import batchapi
from sixhats_ai.backends.batchapi import BatchApiTransport
from sixhats_ai.errors import ModelError

BASE = "http://batch.test/v1"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(batchapi, "wait_exponential", lambda **_: lambda state: 0)


def _batch(status: str) -> dict[str, object]:
    counts = {"total": 4, "completed": 1, "failed": 1}
    return {"id": "batch-1", "status": status, "request_counts": counts}


async def test_a_5xx_or_429_while_polling_is_tried_again(no_network, tmp_path):
    route = no_network.get(f"{BASE}/batches/batch-1").mock(
        side_effect=[
            httpx.Response(500, json={"error": {"message": "busy"}}),
            httpx.Response(429, json={"error": {"message": "slow down"}}),
            httpx.Response(200, json=_batch("in_progress")),
        ]
    )
    transport = BatchApiTransport(BASE, "sk-secret-key", tmp_path)
    state = await transport.state("batch-1")
    await transport.aclose()
    assert route.call_count == 3
    assert (state.status, state.completed, state.total, state.done) == ("in_progress", 2, 4, False)


async def test_a_call_that_keeps_failing_is_one_line_without_the_key(no_network, tmp_path):
    no_network.get(f"{BASE}/batches/batch-1").respond(
        503, json={"error": {"message": "down for sk-secret-key"}}
    )
    transport = BatchApiTransport(BASE, "sk-secret-key", tmp_path)
    with pytest.raises(ModelError, match=r"checking the batch: .* HTTP 503") as failed:
        await transport.state("batch-1")
    await transport.aclose()
    assert "sk-secret-key" not in failed.value.one_line()


async def test_a_batch_the_api_refused_names_its_reason(no_network, tmp_path):
    refused = {**_batch("failed"), "errors": {"data": [{"message": "too many lines"}]}}
    no_network.get(f"{BASE}/batches/batch-1").respond(200, json=refused)
    transport = BatchApiTransport(BASE, None, tmp_path)
    with pytest.raises(ModelError, match="refused batch batch-1: too many lines"):
        await transport.state("batch-1")
    await transport.aclose()
