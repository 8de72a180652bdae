"""The OpenAI Batch API as a round transport: upload a JSONL file, create a batch, poll it,
download its output and error files (`POST /v1/files`, `POST /v1/batches`,
`GET /v1/batches/{id}`, `GET /v1/files/{id}/content`).

Plain HTTP through httpx rather than the SDK: five documented endpoints, request files
streamed from disk, result files streamed to disk, so a round of 50,000 requests never sits
in memory. Other providers serve the same endpoints under their own base URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from sixhats_ai.backends import verifies_tls
from sixhats_ai.backends.round_files import SpooledPart
from sixhats_ai.backends.rounds import BatchState, Submitted
from sixhats_ai.errors import ModelError, redact

MAX_LINES = 50_000  # the Batch API's limits for one input file
MAX_BYTES = 200 * 1024 * 1024
COMPLETION_WINDOW = "24h"
RETRIES = 3  # a failed API call is tried this many times more


class _Transient(ModelError):
    """A failure worth trying again: the connection, a 429 or a 5xx."""


@dataclass
class BatchApiTransport:
    """Rounds sent to an OpenAI-compatible Batch API; files kept in `folder` meanwhile."""

    base_url: str
    api_key: str | None
    folder: Path
    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    timeout: float = 120.0
    _http: httpx.AsyncClient | None = field(default=None, init=False)
    _records: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._http = httpx.AsyncClient(
                base_url=self.base_url.rstrip("/") + "/",
                headers=headers,
                timeout=self.timeout,
                verify=verifies_tls(self.base_url),
            )
        return self._http

    def _failed(self, what: str, response: httpx.Response) -> ModelError:
        try:
            error = response.json().get("error") or {}
            detail = error.get("message") if isinstance(error, dict) else str(error)
        except ValueError:
            detail = response.text[:200]
        return ModelError(
            redact(
                f"{what}: {self.base_url} answered HTTP {response.status_code}: {detail}",
                [self.api_key],
            ),
            hint="check the key, the base URL and that the server offers the Batch API",
        )

    async def _call(self, what: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call; a connection error, 429 or 5xx is tried again (backing off), since
        a round's wait is long and one lost poll must not fail every file waiting on it."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(RETRIES + 1),
            wait=wait_exponential(multiplier=0.5, max=8),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        ):
            with attempt:
                response = await self._send(what, method, path, **kwargs)
        if response.status_code >= 400:
            raise self._failed(what, response)
        data: dict[str, Any] = response.json()
        return data

    async def _send(self, what: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        files = kwargs.get("files")
        if files:  # an upload is read again from the start on a retry
            for _, (_, handle, _) in files.items():
                handle.seek(0)
        try:
            response = await self._client().request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _Transient(
                f"{what}: cannot reach {self.base_url} ({type(exc).__name__})",
                hint="is the server running, and does the URL end in /v1?",
            ) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(self._failed(what, response).message)
        return response

    async def submit(self, round_no: int, parts: list[SpooledPart]) -> list[Submitted]:
        submitted = []
        for part in parts:
            with part.path.open("rb") as data:
                uploaded = await self._call(
                    "uploading the batch file",
                    "POST",
                    "files",
                    data={"purpose": "batch"},
                    files={"file": (part.path.name, data, "application/jsonl")},
                )
            batch = await self._call(
                "creating the batch",
                "POST",
                "batches",
                json={
                    "input_file_id": uploaded["id"],
                    "endpoint": "/v1/chat/completions",
                    "completion_window": COMPLETION_WINDOW,
                },
            )
            part.path.unlink()
            self._records[batch["id"]] = batch
            submitted.append(Submitted(batch["id"], part.custom_ids))
        return submitted

    async def state(self, batch_id: str) -> BatchState:
        record = await self._call("checking the batch", "GET", f"batches/{batch_id}")
        self._records[batch_id] = record
        counts = record.get("request_counts") or {}
        status = str(record.get("status"))
        if status == "failed":
            errors = (record.get("errors") or {}).get("data") or [{}]
            raise ModelError(
                f"the Batch API refused batch {batch_id}: {errors[0].get('message', 'no reason')}",
                hint="see the batch's errors; the limits are 50,000 requests and 200 MB a file",
            )
        started = record.get("in_progress_at") or record.get("created_at")
        return BatchState(
            status=status,
            completed=int(counts.get("completed") or 0) + int(counts.get("failed") or 0),
            total=int(counts.get("total") or 0),
            started=float(started) if started else None,
        )

    async def download(self, batch_id: str) -> list[Path]:
        record = self._records.get(batch_id) or await self._call(
            "checking the batch", "GET", f"batches/{batch_id}"
        )
        paths = []
        for kind in ("output_file_id", "error_file_id"):
            file_id = record.get(kind)
            if not file_id:
                continue
            path = self.folder / f"{batch_id}.{kind.split('_')[0]}.jsonl"
            async with self._client().stream("GET", f"files/{file_id}/content") as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self._failed("downloading the batch results", response)
                with path.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
            paths.append(path)
        return paths

    async def cancel(self, batch_id: str) -> None:
        await self._call("cancelling the batch", "POST", f"batches/{batch_id}/cancel")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
