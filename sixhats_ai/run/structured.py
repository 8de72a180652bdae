"""Structured output: ask for JSON fitting a pydantic model, whatever the server supports.

Three modes, tried in order and remembered for the run once one works:

1. `json_schema`: strict schema enforced by the server (OpenAI, vLLM, LM Studio, Ollama);
2. `json_object`: JSON mode with the schema in the prompt (llama.cpp enforces it by grammar);
3. `prompt`: plain text with the schema in the prompt, the JSON extracted from the answer.

A server that rejects a mode's `response_format` (the backend raises `FormatRejected`) moves
the run down a mode. Every request goes through a `Backend`; nothing here knows HTTP. Whatever the
mode, the answer is validated locally; an invalid answer is re-asked with the error (the
re-ask loop, bounded by `max_reasks`). A truncated answer or a refusal fails the step with
a message saying what to do.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from sixhats_ai.backends.base import (
    Backend,
    Completion,
    CompletionRequest,
    FormatRejected,
    ParameterRejected,
    Parked,
)
from sixhats_ai.backends.output_modes import ModeState, OutputMode
from sixhats_ai.backends.parameters import ModelParameters
from sixhats_ai.errors import ModelError, UsageError, option
from sixhats_ai.method.hats import hat_sampling
from sixhats_ai.pricing import Budget, PriceTable
from sixhats_ai.run.report import Usage
from sixhats_ai.text.documents import safe_strings, without_escapes
from sixhats_ai.text.tokens import estimate_tokens

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sixhats_ai.backends.limiter import RequestLimiter


DEFAULT_COMPLETION_ESTIMATE = 2000


class ResponseCache(Protocol):
    """Where identical requests are answered from, and every exchange is recorded."""

    def get(self, key: str) -> Completion | None: ...

    def put(
        self, key: str, request: dict[str, Any], response: dict[str, Any], seconds: float
    ) -> None: ...


@dataclass
class ValidatedAnswer:
    """A step's answer, validated against its schema, with what it cost to get."""

    output: BaseModel
    usage: Usage
    mode: OutputMode
    seconds: float
    model: str | None = None  # the model that answered, when the backend named it


class InvalidAnswer(Exception):
    """The answer holds no JSON; the re-ask loop reports it back."""


def extract_json(text: str) -> Any:
    """The JSON value in an answer: the whole text, a fenced block, or the first object. A raw
    control character inside a string (some grammars let a model write one) is read, not
    refused: the answer is sanitized next, and refusing it would send an inner object of
    the answer to validation as if it were the whole."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1].rsplit("```", 1)[0]
    decoder = json.JSONDecoder(strict=False)
    try:
        return decoder.decode(stripped)
    except json.JSONDecodeError:
        pass
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
            return value
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    raise InvalidAnswer("the answer holds no JSON object")


SCHEMA_CACHE_SIZE = 256  # the packaged models and a few runs' own classes


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, built once: pydantic builds it anew on every call, which
    was a seventh of a batch's CPU time. Bounded, because each run builds its own classes
    (enums of its step ids and alternatives), and a 2,000-file batch kept 37 MB of them
    alive. Shared, so never to be changed in place."""
    return model.model_json_schema()


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def response_format(mode: OutputMode, model: type[BaseModel]) -> dict[str, Any] | None:
    """The response_format a request in `mode` sends for `model`, one object a model and mode
    (a batch in rounds serialises it once). Shared, so never to be changed in place."""
    if mode is OutputMode.JSON_SCHEMA:
        schema = {"name": model.__name__, "schema": json_schema(model), "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    if mode is OutputMode.JSON_OBJECT:
        return {"type": "json_object", "schema": json_schema(model)}
    return None


def schema_instruction(model: type[BaseModel]) -> str:
    schema = json.dumps(json_schema(model), separators=(",", ":"))
    return (
        "\n\nReply with one JSON object and nothing else (no prose, no code fence). "
        f"It must match this JSON schema:\n{schema}"
    )


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        parts = []
        for item in error.errors()[:8]:
            where = ".".join(str(p) for p in item["loc"]) or "(root)"
            parts.append(f"{where}: {item['msg']}")
        return "; ".join(parts)
    return str(error)


def cache_key(params: dict[str, Any], server: str) -> str:
    """The request's identity: the server (a backend's `identity`) and the parameters, less
    the random nonce fencing the data, so the same analysis asked of the same server again
    is recognised."""
    from sixhats_ai.prompts import NONCE_PATTERN

    text = NONCE_PATTERN.sub("DATA-nonce", json.dumps([server, params], sort_keys=True))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Exchange:
    """One answered request: what was sent, and what came back (`cached`: from a store)."""

    params: dict[str, Any]
    key: str | None  # its cache key, when a cache is kept
    completion: Completion
    mode: OutputMode


@dataclass
class StructuredCaller:
    """Sends one step's messages and returns a validated model, with usage and cost.

    A step of a hat samples as the hat does (`hats.hat_sampling`, with the profile's
    `sampling` overrides); `temperature`, when set for the run, wins over every hat's. What a
    model does not accept is left out or renamed (`ModelParameters`)."""

    backend: Backend
    limiter: RequestLimiter
    modes: ModeState
    prices: PriceTable
    budget: Budget
    max_reasks: int = 2
    max_tokens: int | None = None
    temperature: float | None = None
    cache: ResponseCache | None = None
    sampling: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    parameters: ModelParameters = field(default_factory=ModelParameters)

    def _sampling(self, hat: str | None) -> tuple[float | None, float | None]:
        """The temperature and top_p a step sends (top_p only when a hat narrows it from
        every server's default of 1)."""
        if hat is None:
            return self.temperature, None
        sampling = hat_sampling(hat, self.sampling)
        top_p = sampling.top_p if sampling.top_p != 1.0 else None
        return (self.temperature if self.temperature is not None else sampling.temperature), top_p

    def _request(
        self,
        model: str,
        messages: list[dict[str, str]],
        schema_model: type[BaseModel],
        hat: str | None = None,
    ) -> CompletionRequest:
        mode = self.modes.mode
        sent = [dict(m) for m in messages]
        if mode is not OutputMode.JSON_SCHEMA:
            # after the step's own part: the method and the material stay a shared prefix
            first_user = next((i for i, m in enumerate(sent) if m["role"] == "user"), 0)
            sent[first_user]["content"] += schema_instruction(schema_model)
        temperature, top_p = self._sampling(hat)
        request = CompletionRequest(
            model=model,
            messages=sent,
            response_format=response_format(mode, schema_model),
            max_tokens=self.max_tokens,
            temperature=temperature,
            top_p=top_p,
        )
        return self.parameters.fit(request)

    def check_priced(self, models: set[str]) -> None:
        """--max-cost can bound only priced models; a remote model without a price is refused."""
        if self.budget.max_usd is None or self.backend.is_local:
            return
        unpriced = sorted(m for m in models if self.prices.price(m) is None)
        if unpriced:
            raise UsageError(
                f"{option('max_cost')} cannot bound {', '.join(unpriced)}: no price is known "
                "for it",
                hint=f'add [prices."{unpriced[0]}"] with input and output (USD per million '
                "tokens) to config.toml",
            )

    @property
    def completion_estimate(self) -> int:
        """The completion tokens a request is priced at before it is sent: its limit, if set."""
        return self.max_tokens or DEFAULT_COMPLETION_ESTIMATE

    def price_of(self, model: str, prompt_tokens: int) -> float:
        """The most a request to `model` with this many prompt tokens is expected to cost."""
        return self.prices.cost(model, prompt_tokens, self.completion_estimate)

    async def _send(self, request: CompletionRequest) -> Completion:
        """One request to the backend, within the budget and the limiter."""
        prompt = sum(estimate_tokens(m["content"]) for m in request.messages)
        estimate = self.price_of(request.model, prompt)
        await self.budget.reserve(estimate)
        actual = 0.0
        try:
            try:
                async with self.limiter.slot():
                    done = await self.backend.complete(request)
            except Parked:  # written into a batch round, not sent: the round's answer counts
                self.limiter.counts.sent -= 1
                raise
            if done.cached:  # the backend's own store answered (another batch's round)
                self.limiter.counts.from_store()
            actual = self._cost(request.model, done)
        finally:
            self.budget.settle(estimate, actual)
        return done

    async def _send_with_fallback(
        self,
        model: str,
        messages: list[dict[str, str]],
        schema_model: type[BaseModel],
        hat: str | None,
        custom_id: str | None = None,
    ) -> Exchange:
        while True:
            async with self.modes.trial():
                mode = self.modes.mode
                request = self._request(model, messages, schema_model, hat)
                if custom_id is not None:  # parked under it before: the same request (the
                    # prompt the run's memo's, the mode pinned), on its first try only
                    request, custom_id = replace(request, custom_id=custom_id), None
                params = request.params()
                cache = self._cache()
                key = cache_key(params, self.backend.identity) if cache is not None else None
                if cache is not None and key is not None and (hit := cache.get(key)) is not None:
                    self.limiter.counts.cached += 1
                    return Exchange(params, key, hit, mode)
                try:
                    done = await self._send(request)
                except FormatRejected:
                    if self.modes.downgrade(mode):
                        continue
                    raise
                except ParameterRejected as exc:
                    if self.parameters.refused(request, exc.name):
                        continue
                    raise
                self.modes.confirm(mode)
                return Exchange(params, key, done, mode)

    async def call(
        self,
        model: str,
        messages: list[dict[str, str]],
        schema_model: type[BaseModel],
        *,
        context: dict[str, Any] | None = None,
        hat: str | None = None,
        asked: dict[int, str] | None = None,
    ) -> ValidatedAnswer:
        """Ask, validate, re-ask with the error if invalid; usage counts every attempt. A
        step of a `hat` samples as that hat does. `asked` keeps the round key of each attempt
        that parked (a batch in rounds), so the call started again is not keyed again."""
        usage = Usage()
        started = time.perf_counter()
        conversation = list(messages)
        error = ""
        asked = {} if asked is None else asked
        for attempt in range(self.max_reasks + 1):
            try:
                exchange = await self._send_with_fallback(
                    model, conversation, schema_model, hat, asked.get(attempt)
                )
            except Parked as parked:
                asked[attempt] = parked.custom_id
                raise
            self._count(usage, model, exchange.completion)
            text = self._answer_text(exchange.completion)
            try:
                answer = safe_strings(extract_json(text), text)  # data, never escapes
                output = schema_model.model_validate(answer, context=context)
            except (InvalidAnswer, ValidationError) as exc:
                error = _error_text(exc)
                conversation = [
                    *conversation,
                    {"role": "assistant", "content": text},
                    {
                        "role": "user",
                        "content": f"Your answer was not valid: {error}. "
                        "Reply again with the corrected JSON object only.",
                    },
                ]
                continue
            await self._remember(exchange)
            seconds = time.perf_counter() - started
            answered = exchange.completion.model
            return ValidatedAnswer(output, usage, exchange.mode, seconds, answered)
        raise ModelError(
            f"the model's answer did not fit the schema after {self.max_reasks} re-asks: {error}",
            hint=f"use a stronger model or raise {option('max_reasks')}",
        )

    def _cache(self) -> ResponseCache | None:
        """The cache, unless the backend keeps its answers itself (a batch round's ledger,
        keyed as the cache keys them): then it is its own cache."""
        return None if self.backend.keeps_answers else self.cache

    async def _remember(self, exchange: Exchange) -> None:
        """Store a valid answer: only answers that passed validation may answer again. In a
        worker thread: the write (and SQLite's wait for a run being kept) stalled every other
        request of the event loop, a batch's sixteen in flight among them."""
        import asyncio  # here: this module is imported by commands that never run a loop

        cache = self._cache()
        if cache is not None and exchange.key is not None and not exchange.completion.cached:
            done = exchange.completion
            await asyncio.to_thread(
                cache.put, exchange.key, exchange.params, done.to_dict(), done.seconds
            )

    def _count(self, usage: Usage, model: str, done: Completion) -> None:
        """Count one exchange; an answer from a store (sixhats' cache, a round's kept one)
        cost nothing and was not served by the server's prefix cache either."""
        spent, cached = done.usage, done.cached
        prefix = 0 if cached else spent.cached_tokens
        usage.add(
            Usage(
                prompt_tokens=spent.prompt_tokens,
                completion_tokens=spent.completion_tokens,
                requests=0 if cached else 1,
                cached_requests=1 if cached else 0,
                cost_usd=self._cost(model, done),
                cached_tokens=prefix,
                saved_usd=self.prices.saved(model, prefix),
            )
        )

    def _cost(self, model: str, done: Completion) -> float:
        """What an answer cost: nothing from a cache (the store's, or a round's kept one)."""
        spent = done.usage
        tokens = spent.prompt_tokens, spent.completion_tokens, spent.cached_tokens
        return 0.0 if done.cached else self.prices.cost(model, *tokens)

    @staticmethod
    def _answer_text(done: Completion) -> str:
        if done.refusal:
            raise ModelError(
                f"the model refused: {without_escapes(done.refusal)}",
                hint="rephrase the problem or use another model",
            )
        if done.finish_reason == "length":
            raise ModelError(
                "the answer was cut off at the token limit (finish_reason=length)",
                hint=f"raise {option('max_tokens')}",
            )
        if done.finish_reason == "content_filter":
            raise ModelError("the answer was withheld by the server's content filter")
        return done.content
