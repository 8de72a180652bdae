"""Plain progress lines on stderr: what logs, pipes and `--no-progress` get.

These are the lines sixhats has always printed; scripts read them, so their format is pinned
byte for byte by a test. The live displays (`board`, `progress`) are the terminal's variant of
the same events.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from sixhats_ai.display.base import Display
from sixhats_ai.errors import first_problems
from sixhats_ai.text.documents import sanitize

if TYPE_CHECKING:
    from sixhats_ai.run.ranking import IndexRow
    from sixhats_ai.run.request import StepEvent

Echo = Callable[[str], None]
Clock = Callable[[], float]


def echo_stderr(message: str) -> None:
    """One line on stderr, written at once (what `typer.echo(..., err=True)` writes), with no
    escape sequence a file name or a model's answer may have brought into it."""
    sys.stderr.write(sanitize(message) + "\n")
    sys.stderr.flush()


class _Quiet(io.TextIOBase):
    """stderr under `--quiet`: every note, warning and progress line is dropped, wherever in
    the package (or a library it uses) it is written; errors go through `echo_error`."""

    def __init__(self, errors: TextIO) -> None:
        self.real = errors

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return False


def quiet(on: bool = True) -> None:
    """`--quiet`: from now on stderr shows errors only; `quiet(False)` puts it back."""
    if on and not isinstance(sys.stderr, _Quiet):
        sys.stderr = _Quiet(sys.stderr)
    elif not on and isinstance(sys.stderr, _Quiet):
        sys.stderr = sys.stderr.real


def is_quiet() -> bool:
    return isinstance(sys.stderr, _Quiet)


def error_stream() -> TextIO:
    """Where errors go: stderr, even under `--quiet`."""
    return sys.stderr.real if isinstance(sys.stderr, _Quiet) else sys.stderr


def echo_error(message: str) -> None:
    """An error line: the one kind of line `--quiet` keeps."""
    stream = error_stream()
    stream.write(message + "\n")
    stream.flush()


def duration(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour up."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class PlainSteps(Display):
    """One stderr line as each step of a run starts, ends or fails."""

    def __init__(self, echo: Echo = echo_stderr) -> None:
        self.echo = echo

    def on_event(self, event: StepEvent) -> None:
        record = event.record
        label = f"{event.step.id:<10} {event.step.step.label}"
        if event.status == "running":
            self.echo(f"  … {label}")
        elif record is not None and event.status == "done":
            usage = record.usage
            cached = f", {usage.cached_requests} cached" if usage.cached_requests else ""
            self.echo(f"  ✓ {label}: {usage.total_tokens} tokens, {record.seconds:.1f} s{cached}")
        elif record is not None and event.status == "reused":
            self.echo(f"  = {label}: reused")
        elif record is not None:
            self.echo(f"  ✗ {label}: {first_problems(record.error or '')}")


class FileTally:
    """A batch's counts as files finish: what both the lines and the bar show."""

    def __init__(self, clock: Clock = time.perf_counter) -> None:
        self.clock = clock
        self.started = clock()
        self.total: int | None = None
        self.done = 0  # every finished file with a report
        self.failed = 0
        self.skipped = 0  # a format whose extra is missing: no report, and not tried
        self.ran = 0  # files the model was asked about this time (not kept from before)
        self.tokens = 0  # their tokens and cost: of the same files, whatever else was asked
        self.cost = 0.0

    def add(self, row: IndexRow) -> None:
        if row.status == "failed":
            self.failed += 1
        elif row.status == "skipped":
            self.skipped += 1
        else:
            self.done += 1
        if not row.reused and row.report is not None:
            self.ran += 1
            self.tokens += row.tokens
            self.cost += row.cost_usd

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped

    def eta(self) -> float | None:
        """Seconds left at the pace so far; None until the total and one real run are known."""
        if self.total is None or not self.ran:
            return None
        per_file = (self.clock() - self.started) / self.finished
        return per_file * max(self.total - self.finished, 0)


class PlainBatch(Display):
    """Two stderr lines per finished file: its outcome, then the batch's counts, the tokens
    and cost of the files run so far, and the ETA. Not the spend so far: in rounds that is
    every file's first rounds long before the first file finishes."""

    def __init__(self, echo: Echo = echo_stderr, clock: Clock = time.perf_counter) -> None:
        self.echo = echo
        self.tally = FileTally(clock)

    def on_discovered(self, total: int) -> None:
        self.tally.total = total

    def on_file_done(self, row: IndexRow) -> None:
        t = self.tally
        t.add(row)
        remaining = "?" if t.total is None else str(max(t.total - t.finished, 0))
        left = t.eta()
        eta = "" if left is None else f", ETA {duration(left)}"
        if row.status in ("ok", "degraded"):
            what = f"{row.recommendation} ({row.confidence:.0%})"
            if row.reused:
                what = f"unchanged, report kept: {what}"
        else:
            what = row.error or ""
        self.echo(
            f"[{t.finished}/{t.total or '?'}] {row.status} {row.input}: {what}\n"
            f"    done {t.done}, failed {t.failed}, skipped {t.skipped}, remaining {remaining}; "
            f"{t.tokens} tokens, ${t.cost:.4f}{eta}"
        )


class PlainTask:
    """A task off the terminal: silent while it runs, one line when it ends."""

    def __init__(self, label: str, total: float | None, unit: str, echo: Echo) -> None:
        self.label, self.total, self.unit, self.echo = label, total, unit, echo
        self.completed = 0.0

    def advance(self, amount: float = 1) -> None:
        self.completed += amount

    def finish(self) -> None:
        self.echo(f"{self.label}: {self.completed:,.0f} {self.unit}")


class PlainTasks(Display):
    """`TaskBar`'s plain twin: the same `task(...)` calls, a line per finished task."""

    def __init__(self, echo: Echo = echo_stderr) -> None:
        self.echo = echo

    def task(self, label: str, total: float | None = None, unit: str = "files") -> PlainTask:
        return PlainTask(label, total, unit, self.echo)
