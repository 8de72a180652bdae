"""The Python API, and the wiring every model-backed command shares.

`analyze()` / `analyze_async()` return a validated `Report`. `new_session()` builds the
backend, limiter, budget and engine once (`open_session()` also closes the backend); the
CLI's `analyze`, `batch`, `rerun` and `--dry-run` and this API all go through it, so a step
runs, and is priced, the same way whoever asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sixhats_ai.backends.base import Backend
from sixhats_ai.backends.openai import OpenAIBackend
from sixhats_ai.config import Config, load_config
from sixhats_ai.documents import Document, fit_to_context, sanitize
from sixhats_ai.engine import Engine, RunRequest, StepEvent
from sixhats_ai.errors import UsageError
from sixhats_ai.limiter import RequestLimiter
from sixhats_ai.models import Report
from sixhats_ai.pricing import Budget, estimate_tokens
from sixhats_ai.programs import PlannedStep, Program, find_program
from sixhats_ai.prompts import RenderedPrompt, user_library
from sixhats_ai.provider import Provider, ProviderFlags, is_local_url, resolve_provider
from sixhats_ai.run_options import RunOptions
from sixhats_ai.structured import ModeState, OutputMode, ResponseCache, StructuredCaller

REMOTE_CONTEXT_WINDOW = 128_000
LOCAL_CONTEXT_WINDOW = 8_192
CONTEXT_SHARE_FOR_INPUT = 0.6


def input_budget(provider: Provider, options: RunOptions) -> int:
    """Tokens the problem and documents may take: a share of the model's context window."""
    window = (
        options.context_window
        or provider.context_window
        or (
            LOCAL_CONTEXT_WINDOW
            if provider.base_url and is_local_url(provider.base_url)
            else REMOTE_CONTEXT_WINDOW
        )
    )
    return int(window * CONTEXT_SHARE_FOR_INPUT)


@dataclass(frozen=True)
class StepPreview:
    """One request a run would send: its prompt, model, prompt tokens and cost at most."""

    step: PlannedStep
    prompt: RenderedPrompt
    model: str
    tokens: int
    cost_usd: float


@dataclass
class Session:
    """One configured connection to a model server, shared by every run that uses it."""

    provider: Provider
    options: RunOptions
    engine: Engine
    limiter: RequestLimiter
    budget: Budget

    def request(
        self, problem: str, program: Program, documents: Sequence[Document] = ()
    ) -> RunRequest:
        """A run request, with the documents checked against the model's context; what was
        cut to fit is in the request's `warnings`."""
        docs, warnings = fit_to_context(
            problem,
            list(documents),
            input_budget(self.provider, self.options),
            truncate=self.options.truncate,
        )
        return RunRequest(
            problem=problem,
            program=program,
            documents=docs,
            flow=self.options.flow,
            include_optional=self.options.include_optional,
            strict=self.options.strict,
            warnings=warnings,
        )

    @property
    def completion_estimate(self) -> int:
        """The completion tokens a request is priced at: --max-tokens, or a typical answer."""
        return self.engine.caller.completion_estimate

    def price_of(self, step: PlannedStep, prompt_tokens: int) -> float:
        """What one request of `step` may cost, with this many prompt tokens (USD)."""
        return self.engine.caller.price_of(self.engine.model_for(step), prompt_tokens)

    def preview(self, request: RunRequest) -> list[StepPreview]:
        """Every request the run would send, priced; none is sent (what --dry-run shows)."""
        previews = []
        for step, prompt in self.engine.preview(request):
            tokens = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
            model = self.engine.model_for(step)
            previews.append(StepPreview(step, prompt, model, tokens, self.price_of(step, tokens)))
        return previews


def new_session(
    provider: Provider,
    options: RunOptions,
    config: Config,
    *,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    cache: ResponseCache | None = None,
    backend: Backend | None = None,
) -> Session:
    """The session's wiring, built once; `backend` answers its requests (by default the
    provider's OpenAI-compatible server, whose client is built on the first request)."""
    limiter = RequestLimiter(options.concurrency, options.rpm)
    budget = Budget(options.max_cost)
    backend = backend or OpenAIBackend(
        provider, limiter=limiter, timeout=options.timeout, max_retries=options.max_retries
    )
    pinned = options.mode or provider.mode
    caller = StructuredCaller(
        backend=backend,
        limiter=limiter,
        modes=ModeState(OutputMode(pinned), pinned=True) if pinned else ModeState(),
        prices=config.price_table(),
        budget=budget,
        max_reasks=options.max_reasks,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        cache=cache,
    )
    engine = Engine(caller, user_library(options.prompts_dir), provider.model_for_step, on_event)
    return Session(provider, options, engine, limiter, budget)


@asynccontextmanager
async def open_session(
    provider: Provider,
    options: RunOptions,
    config: Config,
    *,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    cache: ResponseCache | None = None,
    backend: Backend | None = None,
) -> AsyncIterator[Session]:
    """A session (see `new_session`) whose backend is closed when the block ends."""
    session = new_session(
        provider, options, config, on_event=on_event, cache=cache, backend=backend
    )
    try:
        yield session
    finally:
        await session.engine.caller.backend.aclose()


async def analyze_async(
    problem: str,
    *,
    program: str | Program = "choose",
    documents: Sequence[Document] = (),
    options: RunOptions | None = None,
    provider: Provider | None = None,
    flags: ProviderFlags | None = None,
    config: Config | None = None,
) -> Report:
    """Run a program on a problem and return the validated report."""
    options = options or RunOptions()
    config = config or load_config()
    if provider is None:
        provider = await asyncio.to_thread(resolve_provider, flags or ProviderFlags(), config)
    if isinstance(program, str):
        program = find_program(program)
    problem = sanitize(problem).strip()
    if not problem:
        raise UsageError("the problem is empty", hint="describe the problem in a sentence or more")
    async with open_session(provider, options, config) as session:
        return await session.engine.run(session.request(problem, program, documents))


def analyze(
    problem: str,
    *,
    program: str | Program = "choose",
    documents: Sequence[Document] = (),
    options: RunOptions | None = None,
    provider: Provider | None = None,
    flags: ProviderFlags | None = None,
    config: Config | None = None,
) -> Report:
    """Blocking twin of `analyze_async`."""
    return asyncio.run(
        analyze_async(
            problem,
            program=program,
            documents=documents,
            options=options,
            provider=provider,
            flags=flags,
            config=config,
        )
    )
