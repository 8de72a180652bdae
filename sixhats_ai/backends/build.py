"""The one place a backend is built: from the provider a run resolved, and for a batch in
rounds, where its rounds go.

A run on the embedded engine gets the engine, one on a server the OpenAI-compatible client
(built on its first request), and a batch `--via batch-api|jsonl` a `RoundBackend` over the
Batch API or JSONL files. Whoever needs a backend (a session, `batch --status` and
`--cancel`) asks here, so a new kind of backend is added in one place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from pydantic_core import to_json

from sixhats_ai.backends import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS
from sixhats_ai.backends.provider import DEFAULT_BASE_URL
from sixhats_ai.prompts import NONCE_PATTERN

if TYPE_CHECKING:
    from sixhats_ai.backends.base import Backend
    from sixhats_ai.backends.limiter import RequestLimiter
    from sixhats_ai.backends.provider import Provider
    from sixhats_ai.backends.rounds import RoundBackend, RoundLedger, RoundPolicy, RoundProgress

_NONCE = re.compile(NONCE_PATTERN.pattern.encode())


@dataclass(frozen=True)
class Rounds:
    """Where a batch answered in rounds sends them (`via`), keeps their files (`folder`) and
    their state (`ledger`), how often it polls, and whom it tells."""

    via: Literal["batch-api", "jsonl"]
    folder: Path
    ledger: RoundLedger
    policy: RoundPolicy
    on_progress: Callable[[RoundProgress], None]


@overload
def build_backend(
    provider: Provider,
    *,
    limiter: RequestLimiter | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_retries: int = DEFAULT_MAX_RETRIES,
    rounds: None = None,
) -> Backend: ...


@overload
def build_backend(provider: Provider, *, rounds: Rounds) -> RoundBackend: ...


def build_backend(
    provider: Provider,
    *,
    limiter: RequestLimiter | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_retries: int = DEFAULT_MAX_RETRIES,
    rounds: Rounds | None = None,
) -> Backend:
    """The backend a run on `provider` asks: with `rounds`, one answering in rounds; else the
    provider's local engine, else its server's client (the limiter backs it off on 429)."""
    if rounds is not None:
        return _round_backend(provider, rounds)
    if provider.local is not None:
        from sixhats_ai.backends.llama import LlamaBackend

        return LlamaBackend.serving(provider.local, provider.engine_stats)
    from sixhats_ai.backends.openai import OpenAIBackend

    return OpenAIBackend(provider, limiter=limiter, timeout=timeout, max_retries=max_retries)


def _round_backend(provider: Provider, rounds: Rounds) -> RoundBackend:
    """The backend answering a batch in rounds, through the Batch API or JSONL files."""
    from sixhats_ai.backends.batchapi import BatchApiTransport
    from sixhats_ai.backends.jsonl import JsonlTransport
    from sixhats_ai.backends.rounds import RoundBackend

    transport = (
        BatchApiTransport(provider.base_url or DEFAULT_BASE_URL, provider.api_key, rounds.folder)
        if rounds.via == "batch-api"
        else JsonlTransport(rounds.folder, provider.model)
    )
    identity = provider.display_url
    return RoundBackend(
        identity=identity,
        transport=transport,
        ledger=rounds.ledger,
        key_of=lambda body: round_key(body, identity),
        policy=rounds.policy,
        on_progress=rounds.on_progress,
    )


def round_key(body: bytes, server: str) -> str:
    """A request's custom_id in a round, from its body as sent (JSON, as pydantic_core
    serialises it): the server and the body, less the random nonce fencing the data, so the
    same request asked again (a restarted run) finds its answer."""
    keyed = _NONCE.sub(b"DATA-nonce", b"[" + to_json(server) + b"," + body + b"]")
    return hashlib.sha256(keyed).hexdigest()
