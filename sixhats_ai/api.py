"""The Python API, and the wiring every model-backed command shares.

`analyze()` / `analyze_async()` return a validated `Report`. `open_session()` builds the
client, limiter, budget and engine once; the CLI's `analyze`, `batch` and `rerun` and this
API all go through it, so a step runs the same way whoever asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sixhats_ai.client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    LazyClient,
    RequestLimiter,
    build_client,
)
from sixhats_ai.condense import FIT_POLICIES, Condenser, FitPolicy, fit_documents
from sixhats_ai.config import (
    Config,
    Provider,
    ProviderFlags,
    is_local_url,
    load_config,
    resolve_provider,
)
from sixhats_ai.context_window import ContextWindow, WindowCache, WindowLookup
from sixhats_ai.documents import Document, sanitize
from sixhats_ai.engine import Engine, Flow, RunRequest, StepEvent
from sixhats_ai.errors import UsageError
from sixhats_ai.models import Report
from sixhats_ai.pricing import Budget
from sixhats_ai.programs import PlannedStep, Program, find_program
from sixhats_ai.prompts import user_library
from sixhats_ai.store import StoreCache
from sixhats_ai.structured import MODE_ORDER, ModeState, OutputMode, ResponseCache, StructuredCaller
from sixhats_ai.tokens import estimate_tokens

CONTEXT_SHARE_FOR_INPUT = 0.6
# An input this small fits any model's context: no need to ask the server how large it is.
SMALL_INPUT_TOKENS = 1_200


@dataclass
class RunOptions:
    """How to run: everything a command line or API caller can tune."""

    flow: Flow = "sequential"
    concurrency: int = 4
    rpm: float | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int | None = None
    max_reasks: int = 2
    max_cost: float | None = None
    temperature: float | None = None
    strict: bool = False
    include_optional: bool = True
    mode: str | None = None
    context_window: int | None = None
    fit: FitPolicy = "condense"
    truncate: bool = False  # the old spelling of fit="truncate"
    prompts_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if self.max_reasks < 0:
            raise UsageError("--max-reasks cannot be negative")
        if self.max_retries < 0:
            raise UsageError("--retries cannot be negative")
        for flag, value in (("--max-tokens", self.max_tokens), ("--rpm", self.rpm)):
            if value is not None and value <= 0:
                raise UsageError(f"{flag} must be more than 0 (got {value})")
        if self.max_cost is not None and self.max_cost < 0:
            raise UsageError(f"--max-cost cannot be negative (got {self.max_cost})")
        if self.context_window is not None and self.context_window <= 0:
            raise UsageError(f"--context-window must be more than 0 (got {self.context_window})")
        if self.truncate:
            self.fit = "truncate"
        if self.fit not in FIT_POLICIES:
            raise UsageError(f"unknown --fit {self.fit!r}", hint="use condense, truncate or refuse")
        if self.timeout <= 0:
            raise UsageError("--timeout must be more than 0 seconds")
        if self.mode is not None and self.mode not in {m.value for m in MODE_ORDER}:
            raise UsageError(
                f"unknown output mode {self.mode!r}",
                hint="use json_schema, json_object or prompt",
            )


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
        base_url=provider.base_url,
        model=provider.model,
        api_key=provider.api_key,
        stated=options.context_window,
        profile=provider.context_window,
        configured=config.context_windows,
        cache=kept,
        server=provider.display_url,
        local=bool(provider.base_url and is_local_url(provider.base_url)),
        probe=probe,
    )


def planned_window(
    provider: Provider, options: RunOptions, config: Config, *, probe: bool = False
) -> ContextWindow:
    """The context a command that runs no model shows: a dry run sends nothing, so it does
    not ask the server (`probe`); `sixhats config` does, and keeps the answer."""
    from sixhats_ai.store import default_store_path

    kept = WindowCache(default_store_path(), write=probe and config.log)
    return asyncio.run(window_lookup(provider, options, config, kept, probe=probe).get())


@dataclass
class Session:
    """One configured connection to a model server, shared by every run that uses it."""

    provider: Provider
    options: RunOptions
    engine: Engine
    limiter: RequestLimiter
    budget: Budget
    window: WindowLookup

    async def request(
        self, problem: str, program: Program, documents: Sequence[Document] = ()
    ) -> RunRequest:
        """A run request, with the documents fitted to the model's context (condensed, cut or
        refused by --fit); what was done to fit them is in the request's `warnings`."""
        size = estimate_tokens(problem) + sum(estimate_tokens(d.text) for d in documents)
        budget = SMALL_INPUT_TOKENS
        if size > budget or self.options.context_window or self.provider.context_window:
            budget = int((await self.window.get()).tokens * CONTEXT_SHARE_FOR_INPUT)
        caller = self.engine.caller
        condense_model = self.provider.model_for("condense", "white", None)
        fitted = await fit_documents(
            problem,
            documents,
            budget,
            policy=self.options.fit,
            condenser=Condenser(caller, condense_model) if caller else None,
        )
        return RunRequest(
            problem=problem,
            program=program,
            documents=fitted.documents,
            flow=self.options.flow,
            include_optional=self.options.include_optional,
            strict=self.options.strict,
            warnings=self.window.take_warning() + fitted.warnings,
            condensed=fitted.condensed,
        )


@asynccontextmanager
async def open_session(
    provider: Provider,
    options: RunOptions,
    config: Config,
    *,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    cache: ResponseCache | None = None,
) -> AsyncIterator[Session]:
    limiter = RequestLimiter(options.concurrency, options.rpm)
    budget = Budget(options.max_cost)
    client = LazyClient(
        partial(
            build_client,
            provider,
            limiter=limiter,
            timeout=options.timeout,
            max_retries=options.max_retries,
        )
    )
    pinned = options.mode or provider.mode
    caller = StructuredCaller(
        client=client,
        limiter=limiter,
        modes=ModeState(OutputMode(pinned), pinned=True) if pinned else ModeState(),
        prices=config.price_table(),
        budget=budget,
        base_url=provider.display_url,
        max_reasks=options.max_reasks,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        cache=cache,
        secrets=[provider.api_key],
    )

    def model_for(step: PlannedStep) -> str:
        return provider.model_for(step.role, step.hat.value, step.step.model)

    engine = Engine(caller, user_library(options.prompts_dir), model_for, on_event)
    try:
        kept = (
            WindowCache(cache.store.path, write=cache.write)
            if isinstance(cache, StoreCache)
            else None
        )
        window = window_lookup(provider, options, config, kept)
        yield Session(provider, options, engine, limiter, budget, window)
    finally:
        await client.close()


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
        return await session.engine.run(await session.request(problem, program, documents))


def analyze(problem: str, **kwargs: object) -> Report:
    """Blocking twin of `analyze_async`."""
    return asyncio.run(analyze_async(problem, **kwargs))  # type: ignore[arg-type]
