"""The OpenAI-compatible backend: everything sixhats knows of the OpenAI SDK lives here.

The client is built on first use: importing the SDK takes longer than the rest of a run
answered wholly from the store, so such a run never imports it. It is handed an
`httpx.AsyncClient` that we build, so the transport production uses is the one tests mock
with respx (openai 3.x would otherwise use its own httpx2 client). Retries on
408/409/429/5xx and connection errors are the SDK's own (`max_retries`, honouring
Retry-After); nothing here retries again, so one failing request is never multiplied. A 429
also pauses the shared `RequestLimiter`.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import TYPE_CHECKING, Any, cast

from sixhats_ai.backends import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS, verifies_tls
from sixhats_ai.backends.base import (
    Completion,
    CompletionRequest,
    FormatRejected,
    ParameterRejected,
)
from sixhats_ai.backends.deferred_inits import deferred_inits, without
from sixhats_ai.errors import ModelError, SixhatsError, option, redact

if TYPE_CHECKING:
    from types import ModuleType

    import httpx
    from openai import AsyncOpenAI

    from sixhats_ai.backends.limiter import RequestLimiter
    from sixhats_ai.backends.provider import Provider

# A server refusing a response_format says so with one of these words, in one of these codes.
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "schema", "grammar")
_FORMAT_STATUSES = (400, 415, 422, 500, 501)
RETRY_AFTER_CAP_SECONDS = 60.0
# "Unsupported parameter: 'max_tokens' is not supported ...", "Unsupported value: 'temperature'
# does not support 0.2 ...": OpenAI's 400 for a parameter a model refuses (also in `param`).
_UNSUPPORTED = re.compile(r"unsupported (?:parameter|value)s?\W+(\w+)", re.IGNORECASE)


def _retry_after_seconds(response: httpx.Response) -> float:
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        return float(headers.get("retry-after", "1"))
    except ValueError:
        return 1.0


def import_sdk() -> ModuleType:
    """The SDK, imported without its optional aiohttp transport (we hand it our own httpx
    client, and importing aiohttp, if installed, would add a fifth to the SDK's import time),
    and with the `__init__` of `openai.types` and its packages deferred until something asks
    them for a model (see `deferred_inits`): together more than half of its import time."""
    if "openai" in sys.modules:
        import openai

        return openai
    with without("aiohttp"), deferred_inits("openai.types"):
        import openai
    return openai


def build_client(
    provider: Provider,
    *,
    limiter: RequestLimiter | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> AsyncOpenAI:
    """An AsyncOpenAI client for the provider, on an httpx transport we own."""
    import httpx

    openai = import_sdk()

    async def on_request(request: httpx.Request) -> None:
        # The limiter counts a request once; the SDK's retries of it go over the wire too.
        if limiter is not None and request.headers.get("x-stainless-retry-count", "0") != "0":
            limiter.counts.sent += 1

    async def on_response(response: httpx.Response) -> None:
        if response.status_code == 429 and limiter is not None:
            limiter.pause(min(_retry_after_seconds(response), RETRY_AFTER_CAP_SECONDS))

    http_client = httpx.AsyncClient(
        verify=verifies_tls(provider.base_url),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=max(limiter.concurrency if limiter else 10, 10)),
        event_hooks={"request": [on_request], "response": [on_response]},
    )
    return openai.AsyncOpenAI(
        api_key=provider.api_key,
        base_url=provider.base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_client=cast(Any, http_client),
    )


def _refused_parameter(exc: BaseException, status_error: type[Any]) -> str | None:
    """The request parameter a 400 says the model does not support, if it names one."""
    if not isinstance(exc, status_error) or exc.status_code != 400:
        return None
    match = _UNSUPPORTED.search(_api_message(exc))
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    param = inner.get("param") if isinstance(inner, dict) else None
    if match is None or param == "response_format":
        return None
    return str(param or match.group(1))


def _rejects_format(exc: BaseException, status_error: type[Any]) -> bool:
    """Whether the server refused the request's response_format (not the request itself)."""
    if not isinstance(exc, status_error) or exc.status_code not in _FORMAT_STATUSES:
        return False
    return any(word in str(exc).lower() for word in _FORMAT_WORDS)


class OpenAIBackend:
    """Chat completions from an OpenAI-compatible server, through the OpenAI SDK."""

    collects_calls = False  # each call is answered as it is sent
    keeps_answers = False

    def __init__(
        self,
        provider: Provider,
        *,
        limiter: RequestLimiter | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        from sixhats_ai.backends.provider import is_local_url

        self.identity = provider.display_url
        self.is_local = is_local_url(self.identity)
        self._provider = provider
        self._limiter = limiter
        self._timeout = timeout
        self._max_retries = max_retries
        self._client: AsyncOpenAI | None = None

    def client(self) -> AsyncOpenAI:
        """The SDK client, built on the first request that needs it."""
        if self._client is None:
            self._client = build_client(
                self._provider,
                limiter=self._limiter,
                timeout=self._timeout,
                max_retries=self._max_retries,
            )
        return self._client

    async def complete(self, request: CompletionRequest) -> Completion:
        client = self.client()
        import openai  # imported by client(), without aiohttp

        sent_at = time.perf_counter()
        try:
            # The SDK's plain `post` (its way to any endpoint): the same auth, retries and
            # errors as `chat.completions.create`, without walking the request through its
            # type transforms and the answer through its pydantic models. The body is already
            # the dict the cache keeps, and those two passes were most of a request's CPU.
            body = await client.post("/chat/completions", body=request.params(), cast_to=bytes)
        except openai.OpenAIError as exc:
            raise self._error(exc, request.model) from exc
        seconds = time.perf_counter() - sent_at
        try:
            data = json.loads(body)
        except ValueError:
            raise ModelError(f"{self.identity} answered with a body that is not JSON") from None
        if not isinstance(data, dict):
            raise ModelError(f"{self.identity} answered with a body that is not a JSON object")
        return Completion.from_dict(data, seconds)

    def _error(self, exc: BaseException, model: str) -> SixhatsError:
        """The SDK's exception as a one-line error, with the key never in it."""
        import openai

        error = map_api_error(exc, base_url=self.identity, model=model)
        error.message = redact(error.message, [self._provider.api_key])
        if (name := _refused_parameter(exc, openai.APIStatusError)) is not None:
            return ParameterRejected(error.message, name=name, hint=error.hint)
        if _rejects_format(exc, openai.APIStatusError):
            return FormatRejected(error.message, hint=error.hint)
        return error

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


# The SDK's errors a user can act on: (class names, message, hint). The message is formatted
# with `where` (the server), `model` and `detail` (what the server said); the first class
# the exception is an instance of wins, so subclasses come before their bases.
_ACTIONABLE = (
    (("APITimeoutError",), "the request to {where} timed out",
     f"raise {option('timeout')}, or use a smaller model or a shorter input"),
    (("APIConnectionError",), "cannot reach {where}",
     "is the server running, and does the URL end in /v1?"),
    (("AuthenticationError", "PermissionDeniedError"), "{where} rejected the API key: {detail}",
     f"set OPENAI_API_KEY, pass {option('api_key')}, or set api_key_env in your profile"),
    (("NotFoundError",), "model {model!r} or endpoint not found at {where}: {detail}",
     f"check {option('model')} and that {option('base_url')} ends in /v1"),
    (("RateLimitError",), "rate limited by {where} after retries: {detail}",
     f"lower {option('concurrency')}, set {option('rpm')}, or wait and run again"),
    (("LengthFinishReasonError",), "the answer was cut off at the token limit",
     f"raise {option('max_tokens')}"),
)  # fmt: skip


def map_api_error(exc: BaseException, *, base_url: str, model: str) -> SixhatsError:
    """Translate an OpenAI SDK exception into an actionable message."""
    import openai

    where = base_url or "the OpenAI API"
    for names, message, hint in _ACTIONABLE:
        if isinstance(exc, tuple(getattr(openai, name) for name in names)):
            detail = _api_message(exc) if "{detail}" in message else ""
            return ModelError(message.format(where=where, model=model, detail=detail), hint=hint)
    if isinstance(exc, openai.APIStatusError):
        message = _api_message(exc)
        lowered = message.lower()
        if "context" in lowered and (
            "length" in lowered or "window" in lowered or "long" in lowered
        ):
            return ModelError(
                f"the prompt is longer than the model's context: {message}",
                hint=f"use {option('fit')} truncate, a shorter input, or a model with a larger "
                "context",
            )
        return ModelError(f"{where} answered HTTP {exc.status_code}: {message}")
    return ModelError(f"{type(exc).__name__}: {exc}")
