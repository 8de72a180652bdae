"""Scenarios of issue 12: what reading inputs and opening the run store cost at scale.

Both run in this process: the work measured is CPU and file I/O, no model call.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.harness import Context, Figure, Outcome, scenario
from sixhats_ai.text import documents
from testkit.stores import fill_store

PROSE = (
    "Les élèves ont répondu « oui » — à 72 % — et l'équipe a voté. "
    "Plain English prose follows, with a date (2026-11-27) and a price of 12 €.\n"
)
HIDDEN = "\u200b\u202e\x00\ufeff"  # zero-width space, bidi override, NUL, BOM


def _text(megabytes: float, hidden_every: int) -> str:
    """Prose of about `megabytes` million characters, a hidden character every so often."""
    chunk = PROSE * hidden_every + HIDDEN
    size = int(megabytes * 1_000_000)
    return (chunk * (size // len(chunk) + 1))[:size]


def _median_seconds(text: str, runs: int) -> float:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        documents.sanitize(text)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


@scenario(11, "sanitize: 10 MB of text made safe for a prompt")
def sanitize_speed(ctx: Context) -> Outcome:
    megabytes = ctx.size(10, 0.5)
    runs = ctx.size(5, 2)
    documents._dropped_patterns.cache_clear()
    started = time.perf_counter()
    documents.sanitize("é\u200b")  # a line to clean: the classes are built
    table = time.perf_counter() - started
    mixed = _median_seconds(_text(megabytes, 20), runs)
    dense = _median_seconds(_text(megabytes, 1), runs)
    ascii_only = _median_seconds(_text(megabytes, 20).encode("ascii", "ignore").decode(), runs)
    return Outcome(
        figures=[
            Figure(f"{megabytes:g} MB prose, accents, a hidden character a 2 KB", mixed, "s", 0.3),
            Figure(f"{megabytes:g} MB, a hidden character on every line", dense, "s"),
            Figure(f"{megabytes:g} MB of ASCII", ascii_only, "s", 0.3),
            Figure("building the character classes, once a process", table, "s", 0.1),
        ],
        details={"runs": runs},
        notes=[
            "`documents.sanitize`, in this process; the median of the runs. Lines holding a "
            "hidden character go through the slower compiled classes, hence the second figure"
        ],
    )


def _open_seconds(path: Path, runs: int) -> float:
    from sixhats_ai.store.database import RunStore

    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        RunStore(path).close()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


@scenario(12, "opening a run store of 10,000 runs, checked page by page")
def store_open(ctx: Context) -> Outcome:
    import tempfile

    sizes = ctx.size((1_000, 10_000), (20, 200))
    figures, details = [], {}
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        for runs in sizes:
            path = Path(scratch) / f"runs-{runs}.sqlite3"
            fill_store(path, runs)
            _open_seconds(path, 1)  # not timed: reads the file into the OS cache
            wall = _open_seconds(path, ctx.size(5, 2))
            size_mb = path.stat().st_size / 1e6
            target = 1.0 if runs == sizes[1] else None
            figures.append(Figure(f"open, {runs:,} runs ({size_mb:.0f} MB)", wall, "s", target))
            details[str(runs)] = {"seconds": wall, "megabytes": size_mb}
    return Outcome(
        figures=figures,
        details=details,
        notes=[
            "`RunStore(path)` in this process, median of 5: the header and identity checks, "
            "PRAGMA quick_check over every page, and the migrations' look-up; 7 requests a "
            "run, copied from a store made through the CLI; the file in the OS cache"
        ],
    )
