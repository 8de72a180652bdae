"""The one seam to any model: a `Backend` answers one chat completion request.

Everything above this seam (output modes, validation, re-asks, the cache, the store, flows and
batches) is the same whatever answers: an OpenAI-compatible server over HTTP, llama.cpp in
this process, or the Batch API. A backend knows its transport and nothing of hats or schemas;
the structured-output layer knows schemas and nothing of transports.

A backend raises `SixhatsError` subclasses only (never its SDK's exceptions), and two of them
have meaning for the layer above: `FormatRejected` (the server refused this response_format, so
the run moves down an output mode) and `ParameterRejected` (the server refused one sampling or
limit parameter, so the run drops or renames it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sixhats_ai.errors import ModelError


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion request, in the OpenAI chat shape every backend understands."""

    model: str
    messages: list[dict[str, str]]
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # server-specific body fields
    # Its custom_id in a batch round, when a run started again after the round knows it (the
    # call parked under it): a backend answering in rounds does not key it again.
    custom_id: str | None = None

    def params(self) -> dict[str, Any]:
        """The request body as sent (and as keyed in the cache): only the fields that are set."""
        body: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if self.response_format is not None:
            body["response_format"] = self.response_format
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.top_p is not None:
            body["top_p"] = self.top_p
        body.update(self.extra)
        return body


@dataclass(frozen=True)
class TokenCount:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of the prompt tokens, those the server served from its prefix cache


@dataclass(frozen=True)
class Completion:
    """What a backend returns: the answer's text, why it stopped, its usage and latency."""

    content: str
    finish_reason: str | None = None
    usage: TokenCount = field(default_factory=TokenCount)
    seconds: float = 0.0
    refusal: str | None = None
    # The model that answered, when the backend learns it only then (an MCP host's own model).
    model: str | None = None
    # Answered from the store by the backend itself (a round's answer another batch fetched),
    # not by the server for this run: counted as a cache hit, at no cost.
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI-shaped response body: the form the run store's cache keeps."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.refusal:
            message["refusal"] = self.refusal
        return {
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "total_tokens": self.usage.prompt_tokens + self.usage.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": self.usage.cached_tokens},
            },
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], seconds: float = 0.0, *, cached: bool = False
    ) -> Completion:
        """A completion from an OpenAI-shaped response body (a server's, or the cache's); a
        body of another shape is a `ModelError`, as a body that is not JSON is."""
        try:
            choice = (data.get("choices") or [None])[0]
            if choice is None:
                raise ModelError("the server answered with no choices")
            message = choice.get("message") or {}
            usage = data.get("usage") or {}
            details = usage.get("prompt_tokens_details") or {}
            return cls(
                content=str(message.get("content") or ""),
                finish_reason=choice.get("finish_reason"),
                usage=TokenCount(
                    int(usage.get("prompt_tokens") or 0),
                    int(usage.get("completion_tokens") or 0),
                    int(details.get("cached_tokens") or 0),
                ),
                seconds=seconds,
                refusal=message.get("refusal") or None,
                cached=cached,
            )
        except (AttributeError, LookupError, TypeError, ValueError):
            raise ModelError("the server's answer is not a chat completion") from None


class Parked(Exception):
    """The call's answer comes in a later round of a batch engine: not a failure.

    A backend that answers in rounds raises it once the call is written into the next round.
    The run stops there and is started again after the round, when its earlier calls are
    answered at once; so a run waiting on a round holds no memory meanwhile. Not a
    `SixhatsError`, so no step takes it for a failed one. `custom_id` is the call's key in the
    round: the run keeps it, and asks again under it (`CompletionRequest.custom_id`).
    """

    def __init__(self, custom_id: str) -> None:
        super().__init__(custom_id)
        self.custom_id = custom_id


class FormatRejected(ModelError):
    """The server refused the request's response_format; a lower output mode may work."""


class ParameterRejected(ModelError):
    """The server refused one parameter (`name`); the caller may drop or rename it."""

    def __init__(self, message: str, *, name: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.name = name


@runtime_checkable
class Backend(Protocol):
    """Anything that answers chat completions: what a new backend implements.

    Two methods, `complete` (one request in, one `Completion` out, or one of the errors above)
    and `aclose` (let go of clients, files, models), and four attributes the layers above read
    instead of guessing from the backend's type:

    - `identity` names the server (a base URL, `local:<model file>`, ...): the cache keys
      requests by it, so an answer from one server never answers for another;
    - `is_local` says whether requests stay on this machine (local models are free and need no
      key, so no budget is checked);
    - `collects_calls`: calls are collected and answered later, in rounds (the Batch API, JSONL
      files), raising `Parked` meanwhile. A probe call would wait a whole round, so json_schema
      is pinned; and nothing waits on the event loop, so disk work is done in line;
    - `keeps_answers`: the backend keeps every answer itself, keyed as the cache keys it, so the
      run's cache need not keep it again.
    """

    identity: str
    is_local: bool
    collects_calls: bool
    keeps_answers: bool

    async def complete(self, request: CompletionRequest) -> Completion: ...

    async def aclose(self) -> None: ...
