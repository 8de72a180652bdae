"""The session: the wiring every model-backed run shares.

`new_session()` builds the backend, limiter, budget and engine once (`open_session()` also
closes the backend); the library's `analyze`, `batch`, `brief` and `minutes`, a rerun and a
dry run all go through it, so a step runs, and is priced, the same way whoever asks for it.
The functions a program calls are in `api.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from pydantic import BaseModel

from sixhats_ai.backends.base import Backend
from sixhats_ai.backends.build import build_backend
from sixhats_ai.backends.context_window import ContextWindow, WindowLookup
from sixhats_ai.backends.limiter import RequestLimiter
from sixhats_ai.backends.provider import Provider
from sixhats_ai.config import Config
from sixhats_ai.method.programs import PlannedStep, Program
from sixhats_ai.pricing import Budget, PriceTable
from sixhats_ai.prompts import RenderedPrompt, user_library
from sixhats_ai.run.condense import (
    Condenser,
    FitPreview,
    fit_documents,
    preview_fit,
    problem_as_document,
)
from sixhats_ai.run.engine import Engine
from sixhats_ai.run.options import RunOptions
from sixhats_ai.run.report import EngineFigures
from sixhats_ai.run.request import RunRequest, StepEvent
from sixhats_ai.run.structured import (
    ModeState,
    OutputMode,
    ResponseCache,
    StructuredCaller,
    ValidatedAnswer,
)
from sixhats_ai.store.cache import StoreCache
from sixhats_ai.store.database import default_store_path
from sixhats_ai.store.windows import WindowCache
from sixhats_ai.text.documents import Document
from sixhats_ai.text.tokens import estimate_tokens

CONTEXT_SHARE_FOR_INPUT = 0.6


def window_lookup(
    provider: Provider,
    options: RunOptions,
    config: Config,
    kept: WindowCache | None,
    *,
    probe: bool = True,
) -> WindowLookup:
    """How a session learns the model's context: flag, profile, config table, the store's
    kept answer, the server (unless `probe` is off), the packaged table (context_window.py)."""
    return WindowLookup(
        provider,
        stated=options.context_window,
        configured=config.context_windows,
        cache=kept,
        probe=probe,
    )


def planned_window(
    provider: Provider, options: RunOptions, config: Config, *, probe: bool = False
) -> ContextWindow:
    """The context a command that runs no model shows: a dry run sends nothing, so it does
    not ask the server (`probe`); `sixhats config` does, and keeps the answer."""
    kept = WindowCache(default_store_path(), write=probe and config.log)
    return asyncio.run(window_lookup(provider, options, config, kept, probe=probe).get())


@dataclass(frozen=True)
class StepPreview:
    """One request a run would send: its prompt, model, prompt tokens and cost at most."""

    step: PlannedStep
    prompt: RenderedPrompt
    model: str
    tokens: int
    cost_usd: float


@dataclass(frozen=True)
class PreviewTotals:
    """What previewed requests add up to: how many, their prompt tokens, their cost at most
    (USD); a batch's are its runs' added up."""

    requests: int = 0
    prompt_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: PreviewTotals) -> PreviewTotals:
        return PreviewTotals(
            self.requests + other.requests,
            self.prompt_tokens + other.prompt_tokens,
            self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class RunPreview:
    """What --dry-run shows of one run: the request as fitted, each step's request priced,
    and the totals with condensing's requests counted in."""

    request: RunRequest
    steps: list[StepPreview]
    fitted: FitPreview
    totals: PreviewTotals


@dataclass
class Session:
    """One configured connection to a model server, shared by every run that uses it."""

    provider: Provider
    options: RunOptions
    engine: Engine
    caller: StructuredCaller
    limiter: RequestLimiter
    budget: Budget
    window: WindowLookup

    @property
    def server(self) -> str:
        """Who answers, as a report and the cache name it (the backend's identity)."""
        return self.caller.backend.identity

    @property
    def answers_in_rounds(self) -> bool:
        """The backend collects calls into rounds: nothing waits on the event loop."""
        return self.caller.backend.collects_calls

    def model_for(self, step: PlannedStep) -> str:
        """The model a program's step runs on."""
        return self.engine.model_for(step)

    async def ask(
        self, model: str, prompt: RenderedPrompt, answer: type[BaseModel], **context: Any
    ) -> ValidatedAnswer:
        """The prompt's answer from `model`, validated as `answer` (re-asked when it does not
        fit), through the session's limiter, budget and cache; the validators see `context`."""
        return await self.caller.call(model, prompt.messages(), answer, context=context or None)

    async def aclose(self) -> None:
        """Let go of the backend's clients and files."""
        await self.caller.backend.aclose()

    async def request(
        self, problem: str, program: Program, documents: Sequence[Document] = ()
    ) -> RunRequest:
        """A run request, with the documents fitted to the model's context (condensed, cut or
        refused by --fit); what was done to fit them is in the request's `warnings`."""
        window = (await self.window.get()).tokens  # the board's share is a part of it too
        budget = int(window * CONTEXT_SHARE_FOR_INPUT)
        condense_model = self.provider.model_for("condense", "white", None)
        problem, documents, notes = problem_as_document(
            problem, documents, budget, self.options.fit
        )
        fitted = await fit_documents(
            problem,
            documents,
            budget,
            policy=self.options.fit,
            condenser=Condenser(self.caller, condense_model),
        )
        request = self.run_request(problem, program, fitted.documents)
        notes = [f"note: {note}" for note in notes]
        request.context_tokens = window
        request.warnings = self.window.take_warning() + notes + fitted.warnings
        request.condensed = fitted.condensed
        return request

    def run_request(
        self, problem: str, program: Program, documents: Sequence[Document]
    ) -> RunRequest:
        """A run request with this session's options, for documents already fitted."""
        return RunRequest(
            problem=problem,
            program=program,
            documents=list(documents),
            flow=self.options.flow,
            include_optional=self.options.include_optional,
            strict=self.options.strict,
            max_steps=self.options.max_steps,
            roster=self.options.personas,
            personas_mode=self.options.personas_mode,
        )

    def engine_figures(self) -> EngineFigures | None:
        """The local engine's load time and speeds so far, for a report's metadata."""
        stats = self.provider.engine_stats
        return None if stats is None else EngineFigures.model_validate(stats.to_dict())

    @property
    def completion_estimate(self) -> int:
        """The completion tokens a request is priced at: --max-tokens, or a typical answer."""
        return self.caller.completion_estimate

    def price_of(self, step: PlannedStep, prompt_tokens: int) -> float:
        """What one request of `step` may cost, with this many prompt tokens (USD)."""
        return self.caller.price_of(self.engine.model_for(step), prompt_tokens)

    def preview_run(
        self, problem: str, program: Program, documents: Sequence[Document], budget: int
    ) -> RunPreview:
        """A run previewed, none of it sent: the documents fitted to `budget` input tokens as
        condensing would leave them, and every request priced, condensing's included."""
        problem, documents, notes = problem_as_document(
            problem, documents, budget, self.options.fit
        )
        fitted = preview_fit(problem, documents, budget, policy=self.options.fit)
        fitted.notes[:0] = notes
        request = self.run_request(problem, program, fitted.documents)
        request.context_tokens = int(budget / CONTEXT_SHARE_FOR_INPUT)
        steps = self.preview(request)
        condensing = self.caller.prices.cost(
            self.provider.model_for("condense", "white", None),
            fitted.prompt_tokens,
            self.completion_estimate * fitted.requests,
        )
        totals = PreviewTotals(
            requests=len(steps) + fitted.requests,
            prompt_tokens=fitted.prompt_tokens + sum(p.tokens for p in steps),
            cost_usd=condensing + sum(p.cost_usd for p in steps),
        )
        return RunPreview(request, steps, fitted, totals)

    def preview(self, request: RunRequest) -> list[StepPreview]:
        """Every request the run would send, priced; none is sent (what --dry-run shows)."""
        previews = []
        for step, prompt in self.engine.preview(request):
            tokens = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
            model = self.engine.model_for(step)
            previews.append(StepPreview(step, prompt, model, tokens, self.price_of(step, tokens)))
        return previews


def preload_engine(provider: Provider) -> None:
    """Load the provider's local engine now, if it has one: before a run's event loop starts,
    since a load cannot be interrupted (else the first request loads it)."""
    if provider.local is not None:
        from sixhats_ai.backends.llama import preload

        preload(provider.local, provider.engine_stats)


def _ignore(event: StepEvent) -> None:
    """No progress shown: a session nobody watches."""


class SessionParts(TypedDict, total=False):
    """What a caller may give a session instead of its defaults, typed once for both
    `new_session` and `open_session`."""

    on_event: Callable[[StepEvent], None] | None  # progress of each step (the live board)
    cache: ResponseCache | None  # where identical requests are answered from
    backend: Backend | None  # what answers (default: the provider's engine or server)
    prices: PriceTable | None  # what requests cost (default: the config's live prices)


def new_session(
    provider: Provider, options: RunOptions, config: Config, **parts: Unpack[SessionParts]
) -> Session:
    """The session's wiring, built once; `backend` answers its requests (by default the
    provider's local engine, else its OpenAI-compatible server, whose client is built on the
    first request) at `prices` (by default the config's live prices)."""
    backend, cache, prices = parts.get("backend"), parts.get("cache"), parts.get("prices")
    on_event = parts.get("on_event") or _ignore
    limiter = RequestLimiter(options.concurrency, options.rpm)
    budget = Budget(options.max_cost)
    backend = backend or build_backend(
        provider, limiter=limiter, timeout=options.timeout, max_retries=options.max_retries
    )
    # A backend collecting calls into rounds (the Batch API) cannot be probed one call at a
    # time; json_schema is what those engines take.
    pinned = options.mode or provider.mode or ("json_schema" if backend.collects_calls else None)
    caller = StructuredCaller(
        backend=backend,
        limiter=limiter,
        modes=ModeState(OutputMode(pinned), pinned=True) if pinned else ModeState(),
        prices=prices or config.price_table(),
        budget=budget,
        max_reasks=options.max_reasks,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        cache=cache,
        sampling=provider.sampling,
    )
    engine = Engine(caller, user_library(options.prompts_dir), provider.model_for_step, on_event)
    kept = (
        WindowCache(cache.store.path, write=cache.write) if isinstance(cache, StoreCache) else None
    )
    window = window_lookup(provider, options, config, kept)
    return Session(provider, options, engine, caller, limiter, budget, window)


@asynccontextmanager
async def open_session(
    provider: Provider, options: RunOptions, config: Config, **parts: Unpack[SessionParts]
) -> AsyncIterator[Session]:
    """A session (see `new_session`) whose backend is closed when the block ends."""
    session = new_session(provider, options, config, **parts)
    try:
        yield session
    finally:
        await session.aclose()
