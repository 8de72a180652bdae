"""The batch as a library call: `batch()` / `batch_async()` analyse every proposal in files
or folders through one session, write a report each and an index in `out`, and keep each
file's run in the store, as `sixhats batch` does (`keep=False`: not this time).

An input that fails has its row in the index (status `failed`), it is not raised:
`missing_reports` says whether some inputs have no report, and what to do about it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from sixhats_ai.api import Settings, settled
from sixhats_ai.batches.outputs import (
    INDEX_STEM,
    check_out_dir,
    prepare_out_dir,
    report_formats,
)
from sixhats_ai.batches.runner import DEFAULT_PROBLEM, BatchRunner, BatchSettings
from sixhats_ai.batches.via import (
    Via,
    batch_backend,
    check_logged,
    check_via,
    round_prices,
    via_options,
)
from sixhats_ai.errors import SixhatsError
from sixhats_ai.method.emergent import check_emergent
from sixhats_ai.method.programs import Program, find_program
from sixhats_ai.run.options import BATCH_CONCURRENCY, DEFAULT_PROGRAM, RunOptions
from sixhats_ai.run.ranking import BatchIndex
from sixhats_ai.session import Session, open_session
from sixhats_ai.store.cache import open_run_store
from sixhats_ai.text.documents import sanitize
from sixhats_ai.text.inputs import discover

if TYPE_CHECKING:
    from sixhats_ai.display import BatchDisplay, StderrDisplay

__all__ = ["BatchArgs", "BatchSettings", "batch", "batch_async", "missing_reports"]


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


async def batch_async(
    paths: Sequence[str | Path], out: Path, **kwargs: Unpack[BatchArgs]
) -> BatchIndex:
    """Analyse every input `paths` name (files, folders searched recursively, "-": paths on
    stdin); write a report each and the index in `out`; return the index. Without `options`,
    `BATCH_CONCURRENCY` requests are in flight at most, across all files."""
    defaults = RunOptions(concurrency=BATCH_CONCURRENCY)
    options, config, provider = await asyncio.to_thread(settled, kwargs, defaults)
    via = check_via(kwargs.get("via", "live"), results=kwargs.get("results"))
    options = via_options(options, via, flow_given=True)
    program = kwargs.get("program", DEFAULT_PROGRAM)
    program = find_program(program) if isinstance(program, str) else program
    check_emergent(program, options.flow)
    names = [str(path) for path in paths]
    check_out_dir(out, names)
    keep = kwargs.get("keep", True)
    check_logged(via, logged=keep and config.log)
    settings = BatchSettings(
        out=out,
        program=program,
        problem=sanitize(kwargs.get("problem", DEFAULT_PROBLEM)).strip() or DEFAULT_PROBLEM,
        force=kwargs.get("force", False),
        formats=report_formats(kwargs.get("formats", ())),
        from_store=kwargs.get("use_cache", True),  # no store's answers: no kept run either
    )
    store, cache = open_run_store(
        config, provider.api_key, log=keep, read=kwargs.get("use_cache", True)
    )
    echo = kwargs.get("echo") or (lambda line: None)
    try:
        prepare_out_dir(out)
        rounds = batch_backend(via, provider, out, store, results=kwargs.get("results"), echo=echo)
        backend = rounds or kwargs.get("backend")  # None: the provider's server or engine
        prices = round_prices(via, config)
        async with open_session(
            provider, options, config, cache=cache, backend=backend, prices=prices
        ) as session:
            bar = _progress(kwargs.get("display"), session)
            with bar if bar is not None else contextlib.nullcontext():
                runner = BatchRunner(
                    session,
                    settings,
                    bar.echo if bar is not None else echo,
                    kwargs.get("total"),
                    store=store,
                    progress=bar,
                    rounds=rounds,
                )
                return await runner.run(discover(names, glob=kwargs.get("glob"), skip=out))
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


def batch(paths: Sequence[str | Path], out: Path, **kwargs: Unpack[BatchArgs]) -> BatchIndex:
    """Blocking twin of `batch_async`."""
    return asyncio.run(batch_async(paths, out, **kwargs))


def missing_reports(index: BatchIndex, out: Path) -> SixhatsError | None:
    """The error that makes `sixhats batch` exit 1 when some inputs have no report, else
    None."""
    missing = [r for r in index.rows if r.status in ("failed", "not started")]
    if not missing:
        return None
    return SixhatsError(
        f"{len(missing)} of {len(index.rows)} inputs have no report",
        hint=f"see {out / f'{INDEX_STEM}.md'}; re-run the same command to retry them",
    )
