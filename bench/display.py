"""Scenario 9: what the live display costs a batch, in CPU and on the request path.

The batch bar of issue 17 must take under 2% of a 200-file batch's CPU and never delay a
request. The batch is run for real (stand-in server, in-process, `--no-cache`) with the plain
lines and with the live bar drawn on a terminal that discards its output; the process's CPU
time of each is taken (the stand-in is another process). The two differ by less than the
machine's noise, so the display's own share is measured apart: the same 200 file events are
replayed into a live bar, spread over the batch's wall time, and the CPU the process spends
meanwhile (the refresh thread drawing, the events updating state), less that of the same
replay into no display, is divided by the batch's.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, RenderResult

from bench.harness import Context, Figure, Outcome, scenario
from bench.scenarios import batch_args, check_index, write_proposals
from sixhats_ai.display.progress import BatchBar
from sixhats_ai.render.index import IndexRow


class NullTerminal(io.StringIO):
    """A terminal that shows nothing: what is drawn costs the drawing, not a screen."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return True


@contextmanager
def live_displays() -> Iterator[None]:
    """For the block, commands draw their live displays on a `NullTerminal`."""
    import sixhats_ai.display as display

    chooser = display.for_stderr

    def on_a_terminal(*, no_progress: bool = False) -> display.StderrDisplay:
        return chooser(no_progress=no_progress, stream=NullTerminal(), environ={"TERM": "xterm"})

    display.for_stderr = on_a_terminal  # type: ignore[assignment]
    try:
        yield
    finally:
        display.for_stderr = chooser


def batch_cpu(
    ctx: Context, inputs: Path, out: Path, concurrency: int, live: bool
) -> tuple[float, float]:
    """CPU seconds and wall seconds of one real batch, with the live bar or the plain lines."""
    args = (*batch_args(inputs, out, concurrency), "--no-cache")
    started = time.process_time()
    if live:
        with live_displays():
            wall = ctx.cli(*args).wall
    else:
        wall = ctx.cli(*args).wall
    check_index(out, len(list(inputs.iterdir())))
    return time.process_time() - started, wall


class CountingBar(BatchBar):
    """The batch bar, counting the frames it draws."""

    frames = 0

    def render_frame(self) -> RenderResult:
        self.frames += 1
        yield from super().render_frame()


def file_rows(files: int) -> list[IndexRow]:
    """A batch's rows as they finish: one in forty failed."""
    return [
        IndexRow(input=f"proposals/p{n:04d}.md", status="ok", report=f"p{n:04d}",
                 recommendation="Pilot first", confidence=0.7, tokens=3000, requests=4)
        if n % 40 else IndexRow(input=f"proposals/p{n:04d}.md", status="failed", error="bad JSON")
        for n in range(files)
    ]  # fmt: skip


@dataclass
class Replay:
    cpu: float  # seconds of the process's CPU over the replay
    frames_per_second: float
    event_cpu_us: float  # CPU an event takes on the caller's thread


def replay(files: int, wall: float, live: bool) -> Replay:
    """Finish `files` files over `wall` seconds, into a live bar or into nothing (the loop's
    own cost, taken away from the bar's)."""
    console = Console(file=NullTerminal(), force_terminal=True, width=100)
    bar = CountingBar(console, concurrency=16, in_flight=lambda: 16, spent=lambda: 0.1)
    pause, on_path = wall / files, 0.0
    started_cpu = time.process_time()
    with bar if live else nullcontext():
        bar.on_discovered(files)
        first_frames, started = bar.frames, time.perf_counter()
        for row in file_rows(files):
            time.sleep(pause)
            before = time.thread_time()
            if live:
                bar.on_file_done(row)
            on_path += time.thread_time() - before
        frames, elapsed = bar.frames - first_frames, time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    return Replay(cpu, frames / elapsed, on_path / files * 1e6)


@scenario(9, "live display's CPU during a 200-file batch")
def display_cpu(ctx: Context) -> Outcome:
    files, concurrency, latency = ctx.size(200, 20), ctx.size(16, 4), ctx.size(0.2, 0.02)
    ctx.server.reset(latency=latency)
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        inputs = write_proposals(Path(scratch) / "in", files)
        plain_cpu, wall = batch_cpu(ctx, inputs, Path(scratch) / "plain", concurrency, False)
        live_cpu, live_wall = batch_cpu(ctx, inputs, Path(scratch) / "live", concurrency, True)
    bare, live = replay(files, wall, live=False), replay(files, wall, live=True)
    display = live.cpu - bare.cpu
    return Outcome(
        figures=[
            Figure("display CPU / batch CPU", 100 * display / plain_cpu, "%", 2.0),
            Figure("frames drawn per second", live.frames_per_second, "", 10.0),
            Figure("CPU of a file event on the caller's thread", live.event_cpu_us, "µs"),
            Figure("batch CPU, live bar vs plain lines", 100 * (live_cpu / plain_cpu - 1), "%"),
        ],
        details={
            "files": files,
            "concurrency": concurrency,
            "latency": latency,
            "batch_cpu_plain": plain_cpu,
            "batch_cpu_live": live_cpu,
            "batch_wall_plain": wall,
            "batch_wall_live": live_wall,
            "replay_cpu_bare": bare.cpu,
            "replay_cpu_live": live.cpu,
        },
        notes=[
            f"a real {files}-file batch took {plain_cpu:.2f} s of CPU in {wall:.1f} s with plain "
            f"lines, {live_cpu:.2f} s in {live_wall:.1f} s with the live bar; the bar alone, fed "
            f"the same {files} events over {wall:.1f} s, took {display:.3f} s more than the same "
            "replay without it"
        ],
    )
