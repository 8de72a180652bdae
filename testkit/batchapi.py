"""The OpenAI Batch API, as the stand-in server plays it (files and batches, as documented).

`POST /v1/files` takes a multipart upload (`purpose=batch`); `POST /v1/batches` creates a
batch over an uploaded file; `GET /v1/batches/{id}` reports it, moving through `validating`,
`in_progress`, `finalizing` and `completed` as time passes (or `expired`, `failed`,
`cancelling`/`cancelled`); `GET /v1/files/{id}/content` returns the output and error files,
one JSON line per request with its `custom_id`. Each line is answered by the same
schema-driven generator as the live chat endpoint.

How it behaves is set by `POST /_bench/batch/reset` (`BatchSettings`); what it saw (uploads,
batches, every custom_id submitted) by `GET /_bench/batch/stats`, so tests can check that a
resumed run submitted nothing twice.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from sixhats_ai.text.tokens import estimate_tokens
from testkit.answers import AnswerMaker, completion_body, requested_schema, valid_step_ids

MAX_LINES = 50_000
MAX_BYTES = 200 * 1024 * 1024


@dataclass
class BatchSettings:
    """How batches behave until the next reset."""

    validate_seconds: float = 0.0  # `validating` this long after creation
    complete_seconds: float = 0.0  # then `in_progress` until this long after creation
    expire_seconds: float | None = None  # expire (partly done) this long after creation
    expire_done_fraction: float = 0.5  # the share of lines answered before expiry
    expire_first: int | None = None  # only the first N batches expire (None: every one)
    error_every: int = 0  # every Nth line of a batch fails with HTTP 500 (0: none)
    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    words: int = 8
    items: int = 2


@dataclass
class BatchStats:
    """What the Batch API stand-in saw since the last reset."""

    uploads: int = 0
    batches_created: int = 0
    cancels: int = 0
    expired: int = 0
    polls: int = 0
    custom_ids: list[str] = field(default_factory=list)

    @property
    def duplicate_submissions(self) -> int:
        return len(self.custom_ids) - len(set(self.custom_ids))


@dataclass
class _Batch:
    record: dict[str, Any]
    lines: list[dict[str, Any]]
    created: float
    cancelled: bool = False


@dataclass
class _BatchState:
    settings: BatchSettings = field(default_factory=BatchSettings)
    stats: BatchStats = field(default_factory=BatchStats)
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids):06d}"


BATCH_STATE = web.AppKey("batch_state", _BatchState)
ROUTES = web.RouteTableDef()  # each handler below says its route


def _answer(body: dict[str, Any], settings: BatchSettings) -> dict[str, Any] | None:
    """A chat completion body answering one request line (None: nothing to answer with)."""
    wanted = requested_schema(body)
    if wanted is None:
        return None
    texts = [str(m.get("content") or "") for m in body.get("messages", [])]
    choices = {"sources": valid_step_ids("\n".join(texts))}
    content = json.dumps(AnswerMaker(settings.words, settings.items, choices).make(wanted[1]))
    return completion_body(content, sum(estimate_tokens(t) for t in texts), body.get("model"))


def _validate(lines: list[dict[str, Any]], size: int, settings: BatchSettings) -> list[str]:
    """What the Batch API would refuse the file for: its documented limits."""
    problems = []
    if len(lines) > settings.max_lines:
        problems.append(f"the file has {len(lines)} requests; the limit is {settings.max_lines}")
    if size > settings.max_bytes:
        problems.append(f"the file has {size} bytes; the limit is {settings.max_bytes}")
    models = {str(line.get("body", {}).get("model")) for line in lines}
    if len(models) > 1:
        problems.append(f"one model per file, this file has {len(models)}")
    ids = [line.get("custom_id") for line in lines]
    if len(ids) != len(set(ids)):
        problems.append("custom_id values must be unique within a file")
    return problems


def _finish(state: _BatchState, batch: _Batch, status: str, done: int) -> None:
    """Answer the first `done` lines, fail the rest as expired or cancelled, write the files."""
    settings, record = state.settings, batch.record
    output, errors = [], []
    for index, line in enumerate(batch.lines):
        request_id = f"req-{record['id']}-{index}"
        entry: dict[str, Any] = {"id": request_id, "custom_id": line["custom_id"]}
        failing = settings.error_every and (index + 1) % settings.error_every == 0
        body = _answer(line.get("body", {}), settings) if index < done else None
        if index >= done:
            code = "batch_expired" if status == "expired" else "batch_cancelled"
            errors.append({**entry, "response": None, "error": {"code": code, "message": code}})
        elif failing or body is None:
            message = "server error" if failing else "response_format with a schema is needed"
            errors.append(
                {
                    **entry,
                    "response": {
                        "status_code": 500 if failing else 400,
                        "request_id": request_id,
                        "body": {"error": {"message": message, "type": "server_error"}},
                    },
                    "error": None,
                }
            )
        else:
            response = {"status_code": 200, "request_id": request_id, "body": body}
            output.append({**entry, "response": response, "error": None})
    for key, rows in (("output_file_id", output), ("error_file_id", errors)):
        if rows:
            file_id = state.new_id("file")
            state.files[file_id] = "".join(json.dumps(r) + "\n" for r in rows).encode()
            record[key] = file_id
    record["request_counts"] = {
        "total": len(batch.lines),
        "completed": len(output),
        "failed": len(errors),
    }
    record["status"] = status
    record[f"{status}_at"] = int(time.time())


def _expires(state: _BatchState) -> bool:
    settings = state.settings
    if settings.expire_seconds is None:
        return False
    return settings.expire_first is None or state.stats.expired < settings.expire_first


def _advance(state: _BatchState, batch: _Batch) -> None:
    """Move a batch along its documented statuses, by the time since it was created."""
    record, settings = batch.record, state.settings
    if record["status"] in ("completed", "failed", "expired", "cancelled"):
        return
    age = time.monotonic() - batch.created
    if batch.cancelled:
        _finish(state, batch, "cancelled", 0)
    elif _expires(state) and age >= (settings.expire_seconds or 0.0):
        state.stats.expired += 1
        _finish(state, batch, "expired", int(len(batch.lines) * settings.expire_done_fraction))
    elif age >= settings.complete_seconds:
        _finish(state, batch, "completed", len(batch.lines))
    elif age >= settings.validate_seconds:
        record["status"] = "in_progress"
        record["in_progress_at"] = record["in_progress_at"] or int(time.time())


@ROUTES.post("/v1/files")
async def _upload(request: web.Request) -> web.Response:
    state = request.app[BATCH_STATE]
    form = await request.post()
    upload = form.get("file")
    if form.get("purpose") != "batch" or not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": {"message": "purpose=batch and a file are required"}}),
            content_type="application/json",
        )
    data = upload.file.read()
    file_id = state.new_id("file")
    state.files[file_id] = data
    state.stats.uploads += 1
    return web.json_response(
        {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": upload.filename,
            "purpose": "batch",
            "status": "processed",
        }
    )


def _not_found(what: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=json.dumps({"error": {"message": f"No such {what}"}}),
        content_type="application/json",
    )


@ROUTES.post("/v1/batches")
async def _create(request: web.Request) -> web.Response:
    state = request.app[BATCH_STATE]
    body = await request.json()
    data = state.files.get(str(body.get("input_file_id")))
    if data is None:
        raise _not_found("file")
    lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    batch_id = state.new_id("batch")
    now = int(time.time())
    record: dict[str, Any] = {
        "id": batch_id,
        "object": "batch",
        "endpoint": body.get("endpoint"),
        "errors": None,
        "input_file_id": body.get("input_file_id"),
        "completion_window": body.get("completion_window", "24h"),
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + 24 * 3600,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
    }
    state.stats.batches_created += 1
    state.stats.custom_ids.extend(str(line.get("custom_id")) for line in lines)
    problems = _validate(lines, len(data), state.settings)
    if problems:
        record.update(status="failed", failed_at=now)
        record["errors"] = {
            "object": "list",
            "data": [{"code": "invalid_file", "message": p, "line": None} for p in problems],
        }
    state.batches[batch_id] = _Batch(record, lines, time.monotonic())
    return web.json_response(record)


def _batch(request: web.Request) -> _Batch:
    batch = request.app[BATCH_STATE].batches.get(request.match_info["batch_id"])
    if batch is None:
        raise _not_found("batch")
    return batch


@ROUTES.get("/v1/batches/{batch_id}")
async def _retrieve(request: web.Request) -> web.Response:
    state, batch = request.app[BATCH_STATE], _batch(request)
    state.stats.polls += 1
    _advance(state, batch)
    return web.json_response(batch.record)


@ROUTES.post("/v1/batches/{batch_id}/cancel")
async def _cancel(request: web.Request) -> web.Response:
    state, batch = request.app[BATCH_STATE], _batch(request)
    state.stats.cancels += 1
    if batch.record["status"] in ("validating", "in_progress", "finalizing"):
        batch.cancelled = True
        batch.record.update(status="cancelling", cancelling_at=int(time.time()))
    return web.json_response(batch.record)


@ROUTES.get("/v1/files/{file_id}/content")
async def _content(request: web.Request) -> web.Response:
    data = request.app[BATCH_STATE].files.get(request.match_info["file_id"])
    if data is None:
        raise _not_found("file")
    return web.Response(body=data, content_type="application/octet-stream")


@ROUTES.post("/_bench/batch/reset")
async def _reset(request: web.Request) -> web.Response:
    state = request.app[BATCH_STATE]
    state.settings, state.stats = BatchSettings(**await request.json()), BatchStats()
    return web.json_response(asdict(state.settings))


@ROUTES.get("/_bench/batch/stats")
async def _stats(request: web.Request) -> web.Response:
    stats = request.app[BATCH_STATE].stats
    duplicates = stats.duplicate_submissions
    return web.json_response({**asdict(stats), "duplicate_submissions": duplicates})


def add_batch_routes(app: web.Application) -> None:
    """Serve the Batch API beside the chat endpoint of the stand-in."""
    app[BATCH_STATE] = _BatchState()
    app.add_routes(ROUTES)


def vllm_results(requests: Path, url: str) -> str:
    """What `vllm run-batch` writes for a requests file: each line answered by the chat
    endpoint at `url` (the stand-in), in vLLM's output format."""
    rows = []
    for raw in requests.read_text().splitlines():
        line = json.loads(raw)
        body = httpx.post(f"{url}/chat/completions", json=line["body"]).json()
        response = {"status_code": 200, "request_id": "vllm-1", "body": body}
        rows.append({"id": "vllm-1", "custom_id": line["custom_id"], "response": response})
    return "".join(json.dumps(row) + "\n" for row in rows)
