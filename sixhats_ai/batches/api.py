"""The batch as a library call: `batch()` / `batch_async()` analyse every proposal in files
or folders through one session, write a report each and an index in `out`, and keep each
file's run in the store, as `sixhats batch` does (`keep=False`: not this time).

An input that fails has its row in the index (status `failed`), it is not raised:
`missing_reports` says whether some inputs have no report, and what to do about it.
`check_batch` checks a batch before any server is asked (and prices it: `CheckedBatch.estimate`);
`batch_rounds` shows or cancels the rounds of one answered through `via` batch-api or jsonl.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from sixhats_ai.api import ModelArgs, Settings, program_for, settled
from sixhats_ai.backends.provider import Provider, ProviderFlags, planned_provider
from sixhats_ai.batches.estimate import BatchEstimate, estimate_batch
from sixhats_ai.batches.outputs import (
    INDEX_STEM,
    check_out_dir,
    hold_out_dir,
    report_formats,
)
from sixhats_ai.batches.runner import DEFAULT_PROBLEM, BatchRunner, BatchSettings
from sixhats_ai.batches.via import (
    Via,
    batch_backend,
    check_logged,
    check_via,
    other_via,
    round_backend,
    round_prices,
    rounds_note,
    status_lines,
    via_options,
)
from sixhats_ai.config import Config, load_config
from sixhats_ai.errors import SixhatsError, UsageError, check_arguments, option
from sixhats_ai.method.programs import Program
from sixhats_ai.run.options import BATCH_CONCURRENCY, DEFAULT_PROGRAM, RunOptions
from sixhats_ai.run.ranking import BatchIndex
from sixhats_ai.session import (
    CONTEXT_SHARE_FOR_INPUT,
    Session,
    new_session,
    open_session,
    planned_window,
)
from sixhats_ai.store.cache import open_run_store
from sixhats_ai.store.database import RunStore, default_store_path
from sixhats_ai.text.documents import sanitize
from sixhats_ai.text.inputs import count_inputs, discover

if TYPE_CHECKING:
    from sixhats_ai.display import BatchDisplay, StderrDisplay

__all__ = [
    "BatchArgs",
    "BatchSettings",
    "CheckedBatch",
    "batch",
    "batch_async",
    "batch_rounds",
    "check_batch",
    "missing_reports",
]


# What a batch reads: files and folders, or "-" for paths on stdin (one alone as itself).
Paths = str | Path | Sequence[str | Path]


class BatchArgs(Settings, total=False):
    """The keyword arguments of `batch` and `batch_async`, typed once for both."""

    program: str | Program  # a slug, a full name, or a Program (default: choose)
    problem: str  # the question asked of every proposal
    glob: str  # only files in the folders matching this, e.g. "*.md"
    force: bool  # redo every input, even unchanged ones
    formats: Sequence[str]  # also write each report in these formats ("html")
    via: Via  # live, batch-api or jsonl (see `batches.via`)
    results: Path  # with via="jsonl": a round's results file
    total: int  # how many inputs there are, for the progress shown
    echo: Callable[[str], None]  # a line per finished input, and the summary
    display: StderrDisplay  # the progress bar's terminal (default: none shown)


@dataclass(frozen=True)
class BatchCost:
    """What a batch would send and cost (`CheckedBatch.estimate`), and the completion tokens
    each request is priced at."""

    estimate: BatchEstimate
    completion_tokens: int


@dataclass(frozen=True)
class CheckedBatch:
    """A batch checked before any server is asked: its inputs and reports' folder, the
    settings every file's run takes, and how it reaches the model (`via`)."""

    paths: list[str]
    settings: BatchSettings
    via: Via
    options: RunOptions
    config: Config
    glob: str | None = None
    flags: ProviderFlags = field(default_factory=ProviderFlags)

    @property
    def rounds_note(self) -> str | None:
        """How many rounds a batch in rounds takes (None for a live one)."""
        return rounds_note(self.settings.program, self.options, self.via)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the reports' folder (created if need be), or refuse at once if another batch
        is writing to it: `batch_async` run inside it runs in the folder held, so a caller
        that prints or loads anything first is refused before it does."""
        with hold_out_dir(self.settings.out):
            yield

    def count_inputs(self) -> int | None:
        """How many inputs the paths name (names only, no text read), a UsageError if none;
        None when paths come on stdin ("-"), which counting would use up."""
        if "-" in self.paths:
            return None
        return count_inputs(self.paths, glob=self.glob, skip=self.settings.out)

    def estimate(self) -> BatchCost:
        """Every input read and its prompts rendered as the run would render them, priced at
        the prices of the batch's `via`; nothing sent or written, no server asked."""
        provider = planned_provider(self.flags, self.config)
        window = planned_window(provider, self.options, self.config)
        prices = round_prices(self.via, self.config)
        session = new_session(provider, self.options, self.config, prices=prices)
        found = estimate_batch(
            session,
            self.settings.problem,
            self.settings.program,
            discover(self.paths, glob=self.glob, skip=self.settings.out),
            context_budget=int(window.tokens * CONTEXT_SHARE_FOR_INPUT),
        )
        return BatchCost(found, session.completion_estimate)


def check_batch(
    paths: Paths, out: str | Path, *, flow_given: bool = True, **kwargs: Unpack[BatchArgs]
) -> CheckedBatch:
    """The batch `batch_async` would run, every setting checked and nothing run. Without
    `flow_given`, a batch in rounds takes the parallel flow (three rounds, not one a step).
    One path may be given as itself, and paths as text."""
    check_arguments("batch", kwargs, BatchArgs)
    out = Path(out)
    config = kwargs.get("config") or load_config()
    flags = kwargs.get("flags") or ProviderFlags()
    provider = kwargs.get("provider")
    local = flags.local or (provider is not None and provider.local is not None)
    via = check_via(kwargs.get("via", "live"), results=kwargs.get("results"), local=local)
    options = kwargs.get("options") or RunOptions(concurrency=BATCH_CONCURRENCY)
    options = via_options(options, via, flow_given=flow_given)
    problem = sanitize(kwargs.get("problem", DEFAULT_PROBLEM)).strip()
    if not problem:
        raise UsageError(f"{option('problem')} is empty", hint="ask a question, or leave it out")
    settings = BatchSettings(
        out=out,
        program=program_for(kwargs.get("program", DEFAULT_PROGRAM), options),
        problem=problem,
        force=kwargs.get("force", False),
        formats=report_formats(kwargs.get("formats", ())),
        from_store=kwargs.get("use_cache", True),  # no store's answers: no kept run either
    )
    names = [str(paths)] if isinstance(paths, str | Path) else [str(path) for path in paths]
    check_out_dir(out, names)
    check_logged(via, logged=kwargs.get("keep", True) and config.log)
    return CheckedBatch(names, settings, via, options, config, kwargs.get("glob"), flags)


async def batch_async(paths: Paths, out: str | Path, **kwargs: Unpack[BatchArgs]) -> BatchIndex:
    """Analyse every input `paths` name (files, folders searched recursively, "-": paths on
    stdin); write a report each and the index in `out`; return the index. Without `options`,
    `BATCH_CONCURRENCY` requests are in flight at most, across all files."""
    checked = check_batch(paths, out, **kwargs)
    model: BatchArgs = {**kwargs, "options": checked.options, "config": checked.config}
    options, config, provider = await asyncio.to_thread(settled, model)
    with checked.held():  # before the store opens or a round is written
        return await _run_held(checked, options, config, provider, kwargs)


async def _run_held(
    checked: CheckedBatch,
    options: RunOptions,
    config: Config,
    provider: Provider,
    kwargs: BatchArgs,
) -> BatchIndex:
    """The batch `checked`, its folder held, through one session."""
    via, settings, out = checked.via, checked.settings, checked.settings.out
    store, cache = open_run_store(
        config, provider.api_key, log=kwargs.get("keep", True), read=settings.from_store
    )
    echo = kwargs.get("echo") or (lambda line: None)
    try:
        rounds = batch_backend(
            via,
            provider,
            out,
            store,
            results=kwargs.get("results"),
            reuse=settings.from_store,
            echo=echo,
        )
        backend = rounds or kwargs.get("backend")  # None: the provider's server or engine
        prices = round_prices(via, config)
        async with open_session(
            provider, options, config, cache=cache, backend=backend, prices=prices
        ) as session:
            bar = _progress(kwargs.get("display"), session)
            told = bar.echo if bar is not None else echo
            with bar if bar is not None else contextlib.nullcontext():
                runner = BatchRunner(
                    session,
                    settings,
                    told,
                    kwargs.get("total"),
                    store=store,
                    progress=bar,
                    rounds=rounds,
                )
                inputs = discover(checked.paths, glob=checked.glob, skip=out, note=told)
                return await runner.run(inputs)
    finally:
        if cache is not None:  # the store's connections, whether it logs or only answers
            cache.store.close()


def _progress(display: StderrDisplay | None, session: Session) -> BatchDisplay | None:
    """The batch's progress bar on `display`, fed by the session's limiter and budget."""
    if display is None:
        return None
    limiter, budget = session.limiter, session.budget
    return display.batch(
        concurrency=session.options.concurrency,
        in_flight=lambda: limiter.in_flight,
        spent=lambda: budget.spent,
        max_cost=session.options.max_cost,
    )


def batch(paths: Paths, out: str | Path, **kwargs: Unpack[BatchArgs]) -> BatchIndex:
    """Blocking twin of `batch_async`."""
    return asyncio.run(batch_async(paths, out, **kwargs))


def missing_reports(index: BatchIndex, out: Path) -> SixhatsError | None:
    """The error that makes `sixhats batch` exit 1 when some inputs failed or were not
    started, else None. It counts the skipped ones too (a format whose extra is missing: no
    report either); alone they do not fail the batch, as they were never tried."""
    counts = index.counts()
    if not counts.get("failed") and not counts.get("not started"):
        return None
    missing = {s: n for s, n in counts.items() if s in ("failed", "not started", "skipped")}
    retry = "re-run the same command to retry them"
    if "skipped" in missing:
        retry += " (a skipped one once the extra its line names is installed)"
    return SixhatsError(
        f"{sum(missing.values())} of {len(index.rows)} inputs have no report: "
        + ", ".join(f"{n} {status}" for status, n in missing.items()),
        hint=f"see {out / f'{INDEX_STEM}.md'}; {retry}",
    )


class RoundsArgs(ModelArgs, total=False):
    """The keyword arguments of `batch_rounds` beyond the folder."""

    via: str  # the way the rounds went: batch-api or jsonl (live: only the kept rounds)
    cancel: bool  # cancel the open rounds (default False)
    echo: Callable[[str], None]  # a line per kept round, told before any server is asked


async def batch_rounds(out: Path, **kwargs: Unpack[RoundsArgs]) -> list[str]:
    """The rounds of the batch writing to `out`: each kept one told to `echo`; then, with
    `via` batch-api, a line per open round as the API counts it, or with `cancel`, the ids
    of the open rounds cancelled."""
    via, cancel = kwargs.get("via", "live"), kwargs.get("cancel", False)
    checked = check_via(via)
    if not default_store_path().exists():
        raise UsageError(
            "no run store yet, so no rounds",
            hint=f"run a batch with {option('via')} batch-api or jsonl first",
        )
    if cancel and checked == "live":
        raise UsageError(
            f"cancelling rounds needs the {option('via')} they went through",
            hint=f"add {option('via')} batch-api or {option('via')} jsonl",
        )
    echo = kwargs.get("echo") or (lambda line: None)
    with RunStore(create=False) as store:
        for line in status_lines(store, out):
            echo(line)
        if checked == "live":
            return []
        if (elsewhere := other_via(store, out, checked)) is not None:
            if cancel:
                raise UsageError(elsewhere, hint=f"give the {option('via')} they went through")
            echo(elsewhere)
            return []
        _, _, provider = await asyncio.to_thread(settled, kwargs)
        backend = round_backend(checked, provider, out, store, echo=echo)
        try:
            if cancel:
                return await backend.cancel_open()
            return await backend.open_states() if checked == "batch-api" else []
        finally:
            await backend.aclose()
