"""What a batch tells the user on stderr: a line per finished input, and the closing summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sixhats_ai.display.plain import PlainBatch, duration
from sixhats_ai.pricing import Budget
from sixhats_ai.run.ranking import BatchIndex, IndexRow
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.limiter import RequestCounts
    from sixhats_ai.display import BatchDisplay

MAX_LISTED_FAILURES = 10


@dataclass
class Totals:
    """What the closing summary and the scheduler count (the display counts the statuses)."""

    started: float = field(default_factory=time.perf_counter)
    ran: int = 0
    tokens: int = 0
    kept: int = 0
    cut: int = 0  # files whose steps saw a board cut to fit the model's context

    def count(self, row: IndexRow) -> None:
        if not row.reused and row.report is not None:
            self.ran += 1
            self.tokens += row.tokens


class Progress:
    """Counts the inputs as they finish and shows each on the display (plain lines unless a
    live bar is given); `total` is None for paths from stdin. The request counts are the
    session's (`RequestCounts`), what went over the wire."""

    def __init__(
        self,
        echo: Callable[[str], None],
        total: int | None,
        budget: Budget,
        counts: RequestCounts,
        display: BatchDisplay | None = None,
    ) -> None:
        self.echo = echo
        self.budget = budget
        self.counts = counts
        self.totals = Totals()
        self.display = display or PlainBatch(echo)
        if total is not None:
            self.display.on_discovered(total)

    def finished(self, row: IndexRow) -> None:
        """Count the row and show it (plain: its outcome, then the running totals)."""
        self.totals.count(row)
        self.display.on_file_done(row)

    def cut_to_fit(self, name: str, steps: int, context_tokens: int | None) -> None:
        """Count a file whose boards were cut to fit the context, and name the first: a
        small context cuts every file's, and a line each would bury the rest."""
        self.totals.cut += 1
        if self.totals.cut == 1:
            self.echo(
                f"note: {name}: {counted(steps, 'step')} saw the earlier points shortened or "
                f"some left out, to fit the model's context ({context_tokens or 'unknown'} "
                "tokens); its JSON report's metadata.warnings says which; the closing lines "
                "count such files"
            )

    def summary(
        self, index: BatchIndex, stop_reason: str | None, *, logged: bool, index_files: list[str]
    ) -> list[str]:
        """The closing lines: counts, spend, each failure, and why the batch stopped."""
        t = self.totals
        counts = ", ".join(f"{n} {status}" for status, n in index.counts().items())
        reused = sum(r.reused for r in index.rows)
        self.display.close()  # the bar's last frame stays above the summary
        lines = [
            f"batch: {counts}"
            + (f" ({reused} unchanged, reports kept)" if reused else "")
            + f"; {counted(self.counts.sent, 'request')} ({self.counts.cached} cached), "
            f"{t.tokens} tokens, "
            f"${self.budget.spent:.4f} this run, "
            f"{duration(time.perf_counter() - t.started)}"
        ]
        lines += _problems(index)
        if t.cut:
            lines.append(
                f"{counted(t.cut, 'file')} with boards cut to fit the model's context "
                "(see metadata.warnings in their JSON reports)"
            )
        not_started = index.counts().get("not started", 0)
        if stop_reason == "interrupted":
            lines.append("interrupted: finished reports are kept; run the same command to resume")
        elif stop_reason:
            lines.append(f"{stop_reason}; {counted(not_started, 'input')} not started")
        if logged:
            lines.append(f"kept {counted(t.kept, 'run')} in the store (see `sixhats history`)")
        lines.append("index: " + ", ".join(index_files))
        return lines


def _problems(index: BatchIndex) -> list[str]:
    """A line per failed or skipped input, the first few of them."""
    problems = [r for r in index.rows if r.status in ("failed", "skipped")]
    lines = []
    for row in problems[:MAX_LISTED_FAILURES]:
        error = row.error or ""
        lines.append(
            f"  {row.status}: {error}"
            if row.input in error
            else f"  {row.status}: {row.input}: {error}"
        )
    if len(problems) > MAX_LISTED_FAILURES:
        lines.append(f"  ... and {len(problems) - MAX_LISTED_FAILURES} more (see the index)")
    return lines
