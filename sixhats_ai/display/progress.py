"""Live progress bars: generic tasks (files, bytes, seconds) and the `batch` bar built on them.

`TaskBar` is the one bar: a row per task with its amount done of its total and an ETA; a task
counts what its caller says (`TaskHandle.advance`), so the same bar serves a batch's files, a
download's bytes and a wait between Batch API rounds. `BatchBar` adds, under the files task,
the batch's counts, its requests in flight against `--concurrency`, the tokens and cost of the
files run so far, the session's spend against `--max-cost`, and the last failures.

The batch runner calls, in this order (the plain `PlainBatch` takes the same calls):
- `on_discovered(total)` once the number of inputs is known (until then: "discovering…");
- `on_file_done(row)` as each input ends, with its index row (ok, degraded, failed, skipped);
- `echo(line)` for any other line (notes, warnings), printed above the bar;
- `close()` (or leaving `with`) before the closing summary: the last frame stays.
Requests in flight and the spend are read from the session (`in_flight`, `spent`) when a
frame is drawn, so a request never waits for the display.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from rich.console import Console, RenderResult
from rich.filesize import decimal
from rich.progress import Progress, Task, TaskID
from rich.spinner import Spinner
from rich.text import Text

from sixhats_ai.display.live import LiveDisplay
from sixhats_ai.display.plain import FileTally

if TYPE_CHECKING:
    from sixhats_ai.display.plain import Clock
    from sixhats_ai.run.ranking import IndexRow

Unit = Literal["files", "bytes", "seconds"]
LISTED_FAILURES = 5
BAR_WIDTH = 30
BAR_REFRESH_PER_SECOND = 2  # a bar moves slowly; each frame costs about a millisecond
SPINNER_FRAMES = Spinner("dots").frames
SPINNER_INTERVAL = 0.08  # seconds a spinner frame shows


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        return decimal(int(value))
    if unit == "seconds":
        return f"{value:.0f} s"
    return f"{value:,.0f}"


def _task_line(task: Task, now: float | None) -> Text:
    """`⠹ files ━━━━━━━━━━━━━━━━━━━━─────────── 120/200 files 0:01:05`: one task, one line.

    Drawn as one `Text`, not through `Progress`'s table: a frame costs half as much, and
    frames are what the display costs a batch. `now` is None in the last frame: a task not
    finished then was stopped, and has neither a spinner nor a time left.
    """
    unit = task.fields.get("unit", "files")
    return _bar_line(
        task.description, task.completed, task.total, unit, task.time_remaining, task.finished, now
    )


def _bar_line(
    description: str,
    completed: float,
    total: float | None,
    unit: str,
    left: float | None,
    finished: bool,
    now: float | None,
) -> Text:
    """A task's line from its figures (see `_task_line`)."""
    if finished:
        line = Text("✓ ", style="green")
    elif now is None:
        line = Text("■ ", style="yellow")
    else:
        line = Text(SPINNER_FRAMES[int(now / SPINNER_INTERVAL) % len(SPINNER_FRAMES)] + " ", "cyan")
    line.append(f"{description} ")
    filled = int(BAR_WIDTH * min(completed / total, 1)) if total else 0
    line.append("━" * filled, style="green" if finished else "magenta")
    line.append("─" * (BAR_WIDTH - filled) + " ", style="bright_black")  # readable uncoloured
    done = _amount(completed, unit)
    if total is None:
        line.append(f"{done} {unit}" if unit == "files" else done)
    else:
        whole = _amount(total, unit)
        line.append(f"{done}/{whole} files" if unit == "files" else f"{done} of {whole}")
    if now is not None and not finished:
        line.append(f" {timedelta(seconds=int(left))}" if left is not None else " -:--:--", "cyan")
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


@dataclass
class TaskHandle:
    """One task on a `TaskBar`: what its caller advances."""

    progress: Progress
    task_id: TaskID

    def advance(self, amount: float = 1) -> None:
        self.progress.advance(self.task_id, amount)

    def finish(self) -> None:
        task = self.progress.tasks[self.task_id]
        self.progress.update(self.task_id, total=task.completed, completed=task.completed)


class TaskBar(LiveDisplay):
    """A live bar of tasks, each with its unit; `task(...)` adds one."""

    # A bar moves slowly: two frames a second keep it live for a fraction of the CPU.
    refresh_per_second = BAR_REFRESH_PER_SECOND

    def __init__(
        self, console: Console, *, auto_refresh: bool = True, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(console, auto_refresh=auto_refresh, clock=clock)
        # Progress keeps the tasks (thread-safe, with their speed for the ETA); the frame is
        # drawn here, by `_task_line`.
        self.progress = Progress(console=console, auto_refresh=False, get_time=clock)

    def task(self, label: str, total: float | None = None, unit: Unit = "files") -> TaskHandle:
        return TaskHandle(self.progress, self.progress.add_task(label, total=total, unit=unit))

    def render_frame(self) -> RenderResult:
        now = None if self.closed else self.clock()
        for task in self.progress.tasks:
            yield _task_line(task, now)


class BatchBar(TaskBar):
    """The `batch` bar: the files task, the batch's figures under it, the last failures."""

    def __init__(
        self,
        console: Console,
        *,
        concurrency: int,
        in_flight: Callable[[], int],
        spent: Callable[[], float],
        max_cost: float | None = None,
        auto_refresh: bool = True,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(console, auto_refresh=auto_refresh, clock=clock)
        self.concurrency = concurrency
        self.in_flight = in_flight
        self.spent = spent
        self.max_cost = max_cost
        # The files are counted here, not as a `Progress` task: an event then only adds to the
        # tally (a task's advance took the file event from about 30 to 75 µs in a batch).
        self.tally = FileTally(clock)
        self.failures: deque[IndexRow] = deque(maxlen=LISTED_FAILURES)
        self.failure_count = 0

    def on_discovered(self, total: int) -> None:
        self.tally.total = total

    def on_file_done(self, row: IndexRow) -> None:
        self.tally.add(row)
        if row.status in ("failed", "skipped"):
            self.failures.append(row)
            self.failure_count += 1

    def render_frame(self) -> RenderResult:
        t = self.tally
        now = None if self.closed else self.clock()
        finished = t.total is not None and t.finished >= t.total
        described = "discovering…" if t.total is None else "files"
        yield _bar_line(described, t.finished, t.total, "files", t.eta(), finished, now)
        yield from super().render_frame()  # any other task (none in a batch today)
        # The tokens and cost of the same files, those run so far, as the plain lines count
        # them; against --max-cost, on a line of its own, the session's whole spend: in
        # rounds it runs well ahead of the finished files'.
        yield Text(
            f"done {t.done} · failed {t.failed} · skipped {t.skipped} · "
            f"requests in flight {self.in_flight()}/{self.concurrency} · "
            f"{t.tokens:,} tokens, ${t.cost:.4f}",
            no_wrap=True,
        )
        if self.max_cost is not None:
            yield Text(f"spent so far ${self.spent():.4f} of --max-cost ${self.max_cost:.2f}")
        earlier = self.failure_count - len(self.failures)
        if earlier:
            yield Text(f"  … and {earlier} earlier failures (listed at the end)", style="dim")
        for row in list(self.failures):
            reason = " ".join((row.error or "").split())
            where = "" if row.input in reason else f"{row.input}: "
            yield Text(
                f"  {row.status}: {where}{reason}", style="red", no_wrap=True, overflow="ellipsis"
            )
