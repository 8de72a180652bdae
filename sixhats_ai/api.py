"""The Python API: what a program calls, and what the command line and the MCP server call.

`analyze()` / `analyze_async()` run a program of hats over a problem and return the
validated `Report`. The run is kept in the store, as `sixhats analyze` keeps it (`keep=False`:
not this time), so it shows in `sixhats history` and `Store().history()`. `analyze_run()` is
the same pipeline for a shell: it also returns a failed synthesis (with the hats) instead of
raising it, and the run's id; `program_for` finds and checks the program a run follows.
Batches are in `batches.api`; the session every run goes through in `session.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypedDict, Unpack

from sixhats_ai.backends.base import Backend
from sixhats_ai.backends.provider import Provider, ProviderFlags, resolve_provider
from sixhats_ai.config import Config, load_config, user_programs_dir
from sixhats_ai.errors import UsageError, check_arguments
from sixhats_ai.method.emergent import check_emergent
from sixhats_ai.method.programs import Program, find_program
from sixhats_ai.run.options import DEFAULT_PROGRAM, RunOptions
from sixhats_ai.run.report import Report
from sixhats_ai.run.request import StepEvent
from sixhats_ai.runs import RunOrigin, RunResult, run_and_keep
from sixhats_ai.session import SessionParts, open_session
from sixhats_ai.store.cache import open_run_store
from sixhats_ai.text.documents import Document, sanitize


class ModelArgs(TypedDict, total=False):
    """Which model answers and how, each part optional: what every library call takes
    (`brief` and `minutes` too), typed once."""

    options: RunOptions  # how to run (default: RunOptions())
    provider: Provider  # else resolved from `flags`, the environment and the config
    flags: ProviderFlags
    config: Config  # default: the config file


class Settings(ModelArgs, total=False):
    """A run's model settings, and whether the store keeps it and answers from it."""

    keep: bool  # keep the run in the store (default True, unless the config says log = false)
    use_cache: bool  # answer a request the store has answered before (default True)
    backend: Backend  # what answers, instead of the provider's server or engine (an MCP host)


class AnalyzeArgs(Settings, total=False):
    """The keyword arguments of `analyze`, `analyze_async` and `analyze_run`."""

    program: str | Program  # a slug, a full name, or a Program (default: choose)
    documents: Sequence[Document]
    on_event: Callable[[StepEvent], None]  # each step's progress (a live board)
    on_warning: Callable[[str], None]  # what was done to fit the documents; a run not kept
    origin: RunOrigin  # kept beside the run: its files, a title, the run it redoes
    cancelled: str  # a run cancelled midway keeps its finished steps, failed with this message


def settled(
    settings: ModelArgs, default: RunOptions | None = None
) -> tuple[RunOptions, Config, Provider]:
    """The options, config and provider a call runs with: given, or `default` (else
    `RunOptions()`), the config file and the provider resolved from `flags` (asking servers:
    call it off the loop)."""
    options = settings.get("options") or default or RunOptions()
    config = settings.get("config") or load_config()
    provider = settings.get("provider") or resolve_provider(
        settings.get("flags") or ProviderFlags(), config
    )
    return options, config, provider


def program_for(program: str | Program, options: RunOptions | None = None) -> Program:
    """The program a run follows: a `Program` as given, else found by slug, name or file (the
    user's programs folder too), checked against how it runs (`options`): an emergent program
    cannot run in the parallel flow."""
    if isinstance(program, str):
        program = find_program(program, user_programs_dir())
    elif not isinstance(program, Program):
        raise UsageError(
            f"program takes a slug, a name, a file or a Program, not {type(program).__name__}"
        )
    check_emergent(program, (options or RunOptions()).flow)
    return program


def _unkept_to(warn: Callable[[str], None]) -> Callable[[Exception], None]:
    """A run the store could not take (disk full, locked too long), told as a warning: the
    report is still returned. Without `on_warning`, that error is raised."""
    return lambda exc: warn(f"warning: this run was not kept: {exc}")


def _checked(problem: str, kwargs: AnalyzeArgs) -> tuple[str, Sequence[Document]]:
    """The problem made safe, and the documents, refused (with any argument `analyze` does
    not take) before anything is read or asked: a wrong type stopped deep inside a run."""
    check_arguments("analyze", kwargs, AnalyzeArgs)
    if not isinstance(problem, str):
        raise UsageError(
            f"the problem must be text, not {type(problem).__name__}",
            hint="pass a string (read_problem reads one from a file)",
        )
    documents = kwargs.get("documents", ())
    if isinstance(documents, str) or not all(isinstance(d, Document) for d in documents):
        raise UsageError(
            "documents takes Document objects", hint="read files with read_documents(paths)"
        )
    problem = sanitize(problem).strip()
    if not problem:
        raise UsageError("the problem is empty", hint="describe the problem in a sentence or more")
    return problem, documents


async def analyze_run(problem: str, **kwargs: Unpack[AnalyzeArgs]) -> RunResult:
    """Run a program on a problem and keep it: the report, or the failed synthesis with the
    hats (kept, for `rerun` to finish), and the run's id in the store (None when not kept)."""
    problem, documents = _checked(problem, kwargs)
    options, config, provider = await asyncio.to_thread(settled, kwargs)
    program = program_for(kwargs.get("program", DEFAULT_PROGRAM), options)
    origin = kwargs.get("origin") or RunOrigin()
    store, cache = open_run_store(
        config, provider.api_key, log=kwargs.get("keep", True), read=kwargs.get("use_cache", True)
    )
    warn = kwargs.get("on_warning")
    try:
        parts: SessionParts = {"on_event": kwargs.get("on_event"), "cache": cache}
        parts["backend"] = kwargs.get("backend")
        async with open_session(provider, options, config, **parts) as session:
            request = await session.request(problem, program, documents)
            request.replay = list(origin.replay)  # a rerun of an emergent run: choices kept
            unkept = None
            if warn is not None:
                for warning in request.warnings:
                    warn(warning)
                unkept = _unkept_to(warn)
            cancelled = kwargs.get("cancelled")
            return await run_and_keep(
                session, request, store, origin, on_unkept=unkept, cancelled=cancelled
            )
    finally:
        if cache is not None:  # the store's connections, whether it keeps runs or only answers
            cache.store.close()


async def analyze_async(problem: str, **kwargs: Unpack[AnalyzeArgs]) -> Report:
    """Run a program on a problem, keep the run, and return the validated report. A failed
    synthesis is raised (`SynthesisFailed`, its `run_id` naming the hats kept)."""
    return (await analyze_run(problem, **kwargs)).report()


def analyze(problem: str, **kwargs: Unpack[AnalyzeArgs]) -> Report:
    """Blocking twin of `analyze_async`."""
    return asyncio.run(analyze_async(problem, **kwargs))
