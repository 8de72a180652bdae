"""The live hat board of `analyze` and `rerun`: a row per planned step, and the totals.

Fed by the engine's `StepEvent`s (`on_event`), as the plain lines are. Each row shows the hat's
colour and the step's label, then its state: waiting, running (a spinner and the seconds so
far), done (tokens, seconds, "cached" when every request was answered by the store), failed
(the one-line reason), reused (a rerun's kept steps). In the parallel flow several rows run at
once. Under the rows: requests, tokens and cost of the steps asked so far, and the elapsed time.
When the run ends the last frame stays on screen as the run's summary.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.console import Console, RenderResult
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from sixhats_ai.display.live import LiveDisplay
from sixhats_ai.errors import first_problems
from sixhats_ai.method.hats import hat_info
from sixhats_ai.run.report import Usage
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sixhats_ai.display.plain import Clock
    from sixhats_ai.method.programs import PlannedStep
    from sixhats_ai.run.report import StepRecord
    from sixhats_ai.run.request import StepEvent

ROLE_NOTES = {"framing": " (opening)", "synthesis": " (closing)"}  # which blue is which
RowState = Literal["waiting", "running", "done", "failed", "reused", "interrupted", "stopped"]


@dataclass
class StepRow:
    """One planned step as the board shows it."""

    step: PlannedStep
    state: RowState = "waiting"
    started: float = 0.0
    record: StepRecord | None = None


class HatBoard(LiveDisplay):
    """The board: `with board:` around the run, `on_event` as the engine's progress callback."""

    def __init__(
        self,
        plan: Sequence[PlannedStep],
        console: Console,
        *,
        auto_refresh: bool = True,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(console, auto_refresh=auto_refresh, clock=clock)
        self.rows = [StepRow(step) for step in plan]
        self._by_id = {row.step.id: row for row in self.rows}
        self._spinner = Spinner("dots", style="cyan")

    def on_event(self, event: StepEvent) -> None:
        """Record the step's new state; the next refresh draws it (from another thread: the
        state is set last, so a frame never shows a state without what it needs)."""
        row = self._by_id.get(event.step.id)
        if row is None:  # a step the plan did not show: still worth a row
            row = self._by_id[event.step.id] = StepRow(event.step)
            self.rows.append(row)
        if event.status == "running":
            row.started = self.clock()
        row.record = event.record
        row.state = event.status

    def close(self) -> None:
        """The last frame: a step still running when the run ended was cut short."""
        for row in self.rows:
            if row.state == "running":
                row.state = "interrupted" if self.interrupted else "stopped"
        super().close()

    def asked(self) -> Usage:
        """What the steps asked this time cost (reused steps cost nothing now)."""
        usage = Usage()
        for row in self.rows:
            if row.record is not None and row.state in ("done", "failed"):
                usage.add(row.record.usage)
        return usage

    def render_frame(self) -> RenderResult:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)  # the hat's colour
        table.add_column(no_wrap=True)  # step id
        table.add_column(no_wrap=True, max_width=28, overflow="ellipsis")  # label
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)  # state
        for row in list(self.rows):
            info = hat_info(row.step.hat)
            table.add_row(
                Text("  ", style=f"on {info.colour}"),
                Text(row.step.id, style="bold"),
                Text(row.step.step.label + ROLE_NOTES.get(row.step.role, "")),
                self._state(row),
            )
        yield table
        usage = self.asked()
        cached = f" ({usage.cached_requests} cached)" if usage.cached_requests else ""
        requests = counted(usage.requests, "request")
        yield Text(
            f"{requests}{cached} · {usage.total_tokens:,} tokens · "
            f"${usage.cost_usd:.4f} · {self.elapsed():.1f} s",
            style="dim",
        )

    def _state(self, row: StepRow) -> RenderableType:
        record = row.record
        if row.state == "running":
            grid = Table.grid(padding=(0, 1))
            grid.add_row(self._spinner, Text(f"running {self.clock() - row.started:.1f} s"))
            return grid
        if row.state == "done" and record is not None:
            usage = record.usage
            cached = usage.requests > 0 and usage.cached_requests == usage.requests
            return Text(
                f"✓ {usage.total_tokens:,} tokens · {record.seconds:.1f} s"
                + (" · cached" if cached else ""),
                style="green",
            )
        if row.state == "failed":
            reason = first_problems(record.error) if record and record.error else "stopped"
            return Text(f"✗ {' '.join(reason.split())}", style="red")
        if row.state == "reused":
            return Text("= reused", style="dim")
        if row.state in ("interrupted", "stopped"):
            return Text(row.state, style="yellow")
        return Text("waiting", style="dim")
