"""The stand-in's Batch API plays the documented lifecycle: upload, create, poll, download."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from sixhats_ai.run.report import HAT_OUTPUTS
from testkit.standin import MODEL, StandIn

pytestmark = pytest.mark.loopback


def _line(custom_id: str, model: str = MODEL) -> dict[str, object]:
    schema = HAT_OUTPUTS["black"].model_json_schema()
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": model,
            "messages": [{"role": "user", "content": "Risks of a four-day week?"}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "BlackOutput", "schema": schema, "strict": True},
            },
        },
    }


@pytest.fixture
def api(standin: StandIn) -> Iterator[httpx.Client]:
    standin.batch_reset()
    with httpx.Client(base_url=standin.url, timeout=10) as client:
        yield client


def _submit(api: httpx.Client, lines: list[dict[str, object]]) -> dict[str, object]:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    upload = api.post(
        "/files", data={"purpose": "batch"}, files={"file": ("in.jsonl", data)}
    ).raise_for_status()
    body = {
        "input_file_id": upload.json()["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    return api.post("/batches", json=body).raise_for_status().json()


def _rows(api: httpx.Client, file_id: object) -> list[dict[str, object]]:
    text = api.get(f"/files/{file_id}/content").raise_for_status().text
    return [json.loads(line) for line in text.splitlines()]


def test_a_batch_completes_with_a_valid_answer_per_line(api, standin):
    batch = _submit(api, [_line("a"), _line("b"), _line("c")])
    assert batch["status"] == "validating"
    done = api.get(f"/batches/{batch['id']}").json()
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    rows = _rows(api, done["output_file_id"])
    assert [r["custom_id"] for r in rows] == ["a", "b", "c"]
    content = rows[0]["response"]["body"]["choices"][0]["message"]["content"]  # type: ignore[index]
    HAT_OUTPUTS["black"].model_validate_json(content)
    assert done["error_file_id"] is None
    assert standin.batch_stats().custom_ids == ["a", "b", "c"]


def test_line_errors_go_to_the_error_file(api, standin):
    standin.batch_reset(error_every=2)
    done = api.get(f"/batches/{_submit(api, [_line(str(i)) for i in range(4)])['id']}").json()
    assert done["request_counts"] == {"total": 4, "completed": 2, "failed": 2}
    errors = _rows(api, done["error_file_id"])
    assert [e["custom_id"] for e in errors] == ["1", "3"]
    assert {e["response"]["status_code"] for e in errors} == {500}  # type: ignore[index]


def test_an_expired_batch_keeps_what_it_finished(api, standin):
    standin.batch_reset(complete_seconds=60, expire_seconds=0, expire_done_fraction=0.5)
    done = api.get(f"/batches/{_submit(api, [_line(str(i)) for i in range(4)])['id']}").json()
    assert done["status"] == "expired"
    assert len(_rows(api, done["output_file_id"])) == 2
    expired = _rows(api, done["error_file_id"])
    assert {e["error"]["code"] for e in expired} == {"batch_expired"}  # type: ignore[index]


def test_cancel_moves_a_running_batch_to_cancelled(api, standin):
    standin.batch_reset(complete_seconds=60)
    batch = _submit(api, [_line("a")])
    assert api.get(f"/batches/{batch['id']}").json()["status"] == "in_progress"
    assert api.post(f"/batches/{batch['id']}/cancel").json()["status"] == "cancelling"
    assert api.get(f"/batches/{batch['id']}").json()["status"] == "cancelled"


def test_a_file_over_the_limits_fails_validation(api, standin):
    standin.batch_reset(max_lines=2)
    batch = _submit(api, [_line("a"), _line("b", model="other"), _line("a")])
    assert batch["status"] == "failed"
    messages = " ".join(e["message"] for e in batch["errors"]["data"])  # type: ignore[index]
    assert "limit is 2" in messages
    assert "one model per file" in messages
    assert "unique" in messages
    assert standin.batch_stats().duplicate_submissions == 1
