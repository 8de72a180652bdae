"""Progress on stderr: live on a terminal, today's plain lines everywhere else.

`for_stderr()` decides once per command. The live board and bars are used only when stderr is
a terminal that can redraw (not `TERM=dumb`) and the user did not ask for `--no-progress`
(`--quiet`); logs, pipes and scripts keep the plain lines, byte for byte. `NO_COLOR` keeps the
live display but drops its colours (Rich reads it). Rich is imported only for a live display.

Each display is a context manager: `with display:` around the work, so a live one stops
cleanly however the work ends. Steps: `on_event(StepEvent)`. Batch: `on_discovered`,
`on_file_done`, `echo`, `close` (see `display.progress`). Tasks: `task(label, total, unit)`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO, TypeAlias

from sixhats_ai.display.plain import (
    Echo,
    PlainBatch,
    PlainSteps,
    PlainTasks,
    echo_stderr,
    is_quiet,
)

if TYPE_CHECKING:
    from rich.console import Console

    from sixhats_ai.display.board import HatBoard
    from sixhats_ai.display.progress import BatchBar, TaskBar
    from sixhats_ai.method.programs import PlannedStep

# What `analyze` and `rerun` feed (`on_event`), and what the batch runner feeds
# (`on_discovered`, `on_file_done`); both also take `echo(line)` and `close()`.
StepDisplay: TypeAlias = "PlainSteps | HatBoard"
BatchDisplay: TypeAlias = "PlainBatch | BatchBar"


def live_wanted(
    stream: TextIO, *, no_progress: bool = False, environ: Mapping[str, str] | None = None
) -> bool:
    """A live display only on a terminal that can redraw, and only if not turned off
    (`--no-progress`, or `--quiet`, whose plain lines go nowhere)."""
    environ = os.environ if environ is None else environ
    if no_progress or is_quiet() or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class StderrDisplay:
    """The displays of one command: all live (on `console`) or all plain (`console` None)."""

    console: Console | None = None
    echo: Echo = echo_stderr

    @property
    def live(self) -> bool:
        return self.console is not None

    def steps(self, plan: Sequence[PlannedStep]) -> StepDisplay:
        if self.console is None:
            return PlainSteps(self.echo)
        from sixhats_ai.display.board import HatBoard

        return HatBoard(plan, self.console)

    def batch(
        self,
        *,
        concurrency: int,
        in_flight: Callable[[], int],
        spent: Callable[[], float],
        max_cost: float | None = None,
    ) -> BatchDisplay:
        if self.console is None:
            return PlainBatch(self.echo)
        from sixhats_ai.display.progress import BatchBar

        return BatchBar(
            self.console,
            concurrency=concurrency,
            in_flight=in_flight,
            spent=spent,
            max_cost=max_cost,
        )

    def tasks(self) -> TaskBar | PlainTasks:
        """A bar of generic tasks (a download's bytes, a wait's seconds)."""
        if self.console is None:
            return PlainTasks(self.echo)
        from sixhats_ai.display.progress import TaskBar

        return TaskBar(self.console)


def for_stderr(
    *,
    no_progress: bool = False,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> StderrDisplay:
    """Live displays on a terminal stderr, else (or with `--no-progress`) the plain lines."""
    stream = sys.stderr if stream is None else stream
    if not live_wanted(stream, no_progress=no_progress, environ=environ):
        return StderrDisplay()
    from rich.console import Console

    return StderrDisplay(Console(file=stream))


__all__ = ["BatchDisplay", "StderrDisplay", "StepDisplay", "for_stderr", "live_wanted"]
