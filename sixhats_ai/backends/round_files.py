"""The files a round is made of, in the OpenAI batch format (which vLLM's `run-batch` reads
too): request lines written as the runs park, and the answer lines read back one at a time.
Neither is ever held in memory whole: a round of a large batch has tens of thousands of lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic_core import from_json, to_json


@dataclass(frozen=True)
class RoundLine:
    """One request of a round, as the OpenAI batch input format has it: its body is the JSON
    the request was keyed by (`RequestBodies`), not serialised again."""

    custom_id: str
    body: bytes

    def to_json(self) -> bytes:
        head = b'{"custom_id":' + to_json(self.custom_id)
        return head + b',"method":"POST","url":"/v1/chat/completions","body":' + self.body + b"}"


class RequestBodies:
    """Request bodies as JSON, the bytes `to_json` gives, with the response format's part
    serialised once a format: a step's schema is the same object for every request of that
    step, and it was the most of a body's serialising (a synthesis's schema is 7 KB of small
    objects; its messages are a few strings)."""

    KEPT = 64  # formats at once: the few steps' schemas of a batch

    def __init__(self) -> None:
        self._formats: dict[int, tuple[Any, bytes]] = {}

    def __call__(self, params: dict[str, Any]) -> bytes:
        fmt = params.get("response_format")
        if fmt is None:
            return to_json(params)
        kept = self._formats.get(id(fmt))
        if kept is None or kept[0] is not fmt:
            if len(self._formats) >= self.KEPT:
                self._formats.clear()
            kept = self._formats[id(fmt)] = (fmt, to_json(fmt))
        names = list(params)
        at = names.index("response_format")
        fields = [
            to_json({name: params[name] for name in part})[1:-1]
            for part in (names[:at], names[at + 1 :])
        ]
        fields.insert(1, b'"response_format":' + kept[1])
        return b"{" + b",".join(field for field in fields if field) + b"}"


@dataclass(frozen=True)
class LineResult:
    """One answered line: the HTTP status and body, or the batch engine's error code."""

    custom_id: str
    status: int
    body: dict[str, Any]
    error_code: str | None = None
    reused: bool = False  # kept from another batch, not fetched for this one: a cache hit

    @classmethod
    def from_row(cls, row: Any) -> LineResult:
        """A line of an output or error file (OpenAI's and vLLM's shape); a ValueError
        saying what is off when it has another shape (a results file is the user's)."""
        if not isinstance(row, dict):
            raise ValueError("not a JSON object")
        if not isinstance(row.get("custom_id"), str):
            raise ValueError("it has no custom_id")
        response = row.get("response") or {}
        if not isinstance(response, dict):
            raise ValueError("its response is not a JSON object")
        body = response.get("body") or {}
        if not isinstance(body, dict):
            raise ValueError("its response's body is not a JSON object")
        try:
            status = int(response.get("status_code") or 0)
        except (TypeError, ValueError):
            raise ValueError(
                f"its status_code {response.get('status_code')!r} is not a number"
            ) from None
        error = row.get("error") or {}
        return cls(
            custom_id=row["custom_id"],
            status=status,
            body=body,
            error_code=error.get("code") if isinstance(error, dict) else None,
        )


def read_results(paths: Iterable[Path]) -> Iterator[LineResult]:
    """The lines of output and error files, one at a time; a ValueError names the line."""
    for path in paths:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                try:
                    result = LineResult.from_row(from_json(raw))
                except ValueError as exc:
                    raise ValueError(f"line {number}: {exc}") from None
                yield result


@dataclass
class SpooledPart:
    """One request file of a round and the custom_ids in it."""

    path: Path
    custom_ids: set[str] = field(default_factory=set)
    lines: int = 0
    size: int = 0

    @property
    def partial(self) -> Path:
        """Its name while the round is still being written."""
        return self.path.with_name(self.path.name + ".partial")


class RoundSpool:
    """A round's requests, written to JSONL files a line at a time as the runs park, a new
    file whenever the engine's line or byte limit would be passed. A file is named `*.partial`
    until the round is complete, so a half-written round is never taken for one to run."""

    def __init__(self, folder: Path, stem: str, max_lines: int, max_bytes: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.stem = folder, stem
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.parts: list[SpooledPart] = []
        self._out: IO[bytes] | None = None

    def add(self, line: RoundLine) -> None:
        data = line.to_json() + b"\n"
        part = self.parts[-1] if self.parts else None
        if part is None or self._full(part, len(data)):
            part = self._next_part()
        assert self._out is not None
        self._out.write(data)
        part.lines, part.size = part.lines + 1, part.size + len(data)
        part.custom_ids.add(line.custom_id)

    def _full(self, part: SpooledPart, more: int) -> bool:
        return part.lines + 1 > self.max_lines or part.size + more > self.max_bytes

    def _next_part(self) -> SpooledPart:
        if self._out is not None:
            self._out.close()
        suffix = f"-{len(self.parts)}" if self.parts else ""
        part = SpooledPart(self.folder / f"{self.stem}{suffix}.requests.jsonl")
        self.parts.append(part)
        self._out = part.partial.open("wb")
        return part

    def close(self) -> list[SpooledPart]:
        """The round's files, complete and under their own names."""
        if self._out is not None:
            self._out.close()
        for part in self.parts:
            part.partial.replace(part.path)
        return self.parts

    def discard(self) -> None:
        """Remove the files of a round that will not be sent (its pass was interrupted)."""
        if self._out is not None:
            self._out.close()
        for part in self.parts:
            part.partial.unlink(missing_ok=True)
