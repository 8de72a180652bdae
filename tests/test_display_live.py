"""The live board and bar, drawn on a Rich console forced into terminal mode."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest
from rich.console import Console

from sixhats_ai.display.board import HatBoard
from sixhats_ai.display.live import REFRESH_PER_SECOND, LiveDisplay
from sixhats_ai.display.progress import BatchBar, TaskBar
from sixhats_ai.run.request import StepEvent
from tests.displays import PLAN, SKIPPED_PDF, failed_row, ok_row, record, usage

SHOW_CURSOR, HIDE_CURSOR = "\x1b[?25h", "\x1b[?25l"


def terminal() -> Console:
    return Console(force_terminal=True, width=100, file=io.StringIO(), record=True)


def frame(display: LiveDisplay) -> list[str]:
    """One frame of the display as plain text lines, without drawing it on its console."""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(display)
    return [line.rstrip() for line in console.export_text().rstrip("\n").splitlines()]


def row_of(lines: list[str], step_id: str) -> str:
    (line,) = [line for line in lines if line.split()[:1] == [step_id]]
    return line


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_row_per_planned_step_in_program_order_with_its_state():
    clock = Clock()
    board = HatBoard(PLAN, terminal(), auto_refresh=False, clock=clock)
    board.on_event(StepEvent(PLAN[0], "reused", record(PLAN[0])))
    board.on_event(StepEvent(PLAN[1], "running"))
    board.on_event(
        StepEvent(PLAN[1], "done", record(PLAN[1], seconds=1.74, usage=usage(788, cost=0.0012)))
    )
    board.on_event(
        StepEvent(PLAN[2], "done", record(PLAN[2], seconds=0.0, usage=usage(600, 2, cached=2)))
    )
    board.on_event(StepEvent(PLAN[3], "running"))
    clock.now += 2.5
    failure = "the model answered 500 twice\n(retry later)"
    board.on_event(StepEvent(PLAN[4], "failed", record(PLAN[4], status="failed", error=failure)))

    lines = frame(board)
    assert [line.split()[0] for line in lines[:7]] == [step.id for step in PLAN]
    assert row_of(lines, "1-blue").endswith("= reused")
    assert "✓ 788 tokens · 1.7 s" in row_of(lines, "2-white")
    assert "cached" not in row_of(lines, "2-white")
    assert "✓ 600 tokens · 0.0 s · cached" in row_of(lines, "3-green")
    assert "running 2.5 s" in row_of(lines, "4-yellow")
    assert "✗ the model answered 500 twice (retry later)" in row_of(lines, "5-black")
    assert "waiting" in row_of(lines, "6-red") and "waiting" in row_of(lines, "7-blue")
    assert "Yellow" in row_of(lines, "4-yellow")  # the step's label beside its hat
    assert "Blue (opening)" in row_of(lines, "1-blue")
    assert "Blue (closing)" in row_of(lines, "7-blue")


def test_parallel_hats_run_on_several_rows_at_once():
    clock = Clock()
    board = HatBoard(PLAN, terminal(), auto_refresh=False, clock=clock)
    board.on_event(StepEvent(PLAN[0], "done", record(PLAN[0], usage=usage(500))))
    for step in PLAN[1:6]:
        board.on_event(StepEvent(step, "running"))
        clock.now += 0.5
    lines = frame(board)
    running = [line for line in lines if "running" in line]
    assert len(running) == 5
    assert "running 2.5 s" in row_of(lines, "2-white")
    assert "running 0.5 s" in row_of(lines, "6-red")


def test_the_totals_count_the_steps_asked_this_time():
    clock = Clock()
    board = HatBoard(PLAN, terminal(), auto_refresh=False, clock=clock)
    board.on_event(StepEvent(PLAN[0], "reused", record(PLAN[0], usage=usage(9999, 5))))
    board.on_event(StepEvent(PLAN[1], "done", record(PLAN[1], usage=usage(1000, 1, cost=0.01))))
    board.on_event(
        StepEvent(PLAN[2], "done", record(PLAN[2], usage=usage(234, 2, cached=1, cost=0.0023)))
    )
    clock.now += 12.25
    assert frame(board)[-1] == "3 requests (1 cached) · 1,234 tokens · $0.0123 · 12.2 s"


def test_an_unplanned_step_still_gets_a_row():
    board = HatBoard(PLAN[:2], terminal(), auto_refresh=False)
    board.on_event(StepEvent(PLAN[6], "running"))
    assert "running" in row_of(frame(board), "7-blue")


def test_events_only_change_state_the_refresh_draws():
    console = terminal()
    board = HatBoard(PLAN, console, auto_refresh=False)
    with board:
        drawn = console.file.getvalue()
        for step in PLAN:
            board.on_event(StepEvent(step, "running"))
        assert console.file.getvalue() == drawn  # no drawing on the events' path
        board.refresh()
        assert len(console.file.getvalue()) > len(drawn)
    assert board._live is not None
    assert board._live.refresh_per_second == REFRESH_PER_SECOND == 10
    with BatchBar(console, concurrency=1, in_flight=int, spent=float) as bar:
        assert bar._live is not None and bar._live.refresh_per_second <= REFRESH_PER_SECOND


def test_the_last_frame_stays_and_nothing_is_drawn_after_the_end():
    console = terminal()
    board = HatBoard(PLAN[:2], console, auto_refresh=False)
    with board:
        board.on_event(StepEvent(PLAN[0], "done", record(PLAN[0], usage=usage(100))))
        board.on_event(StepEvent(PLAN[1], "done", record(PLAN[1], usage=usage(200))))
    output = console.file.getvalue()
    assert output.startswith(HIDE_CURSOR) and output.rstrip("\n").endswith(SHOW_CURSOR)
    last_frame = output.rsplit("\x1b[2K", 1)[-1]  # after the last line cleared for redrawing
    assert "✓ 100 tokens" in last_frame and "✓ 200 tokens" in last_frame
    board.on_event(StepEvent(PLAN[1], "running"))
    board.refresh()
    board.echo("a line after the run")
    assert console.file.getvalue() == output + "a line after the run\n"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, asyncio.CancelledError])
def test_an_interrupt_leaves_the_terminal_clean_and_goes_on(interrupt):
    console = terminal()
    stderr = sys.stderr
    board = HatBoard(PLAN, console, auto_refresh=False)
    with pytest.raises(interrupt), board:
        board.on_event(StepEvent(PLAN[0], "done", record(PLAN[0], usage=usage(100))))
        board.on_event(StepEvent(PLAN[1], "running"))
        board.on_event(StepEvent(PLAN[2], "running"))
        board.refresh()
        raise interrupt
    assert board.interrupted
    assert sys.stderr is stderr  # given back
    output = console.file.getvalue()
    assert output.rstrip("\n").endswith(SHOW_CURSOR)
    assert output.count(SHOW_CURSOR) == 1
    last_frame = output.rsplit("\x1b[2K", 1)[-1]
    assert last_frame.count("interrupted") == 2 and "running" not in last_frame
    assert "7-blue" in last_frame  # whole: every row, then the totals
    assert "1 request ·" in last_frame
    board.on_event(StepEvent(PLAN[3], "running"))
    board.refresh()
    assert console.file.getvalue() == output


def test_a_run_that_fails_marks_its_running_steps_stopped():
    board = HatBoard(PLAN, terminal(), auto_refresh=False)
    with pytest.raises(RuntimeError), board:
        board.on_event(StepEvent(PLAN[1], "running"))
        raise RuntimeError("budget")
    assert not board.interrupted
    assert "stopped" in row_of(frame(board), "2-white")


def test_stderr_lines_during_the_board_print_above_it():
    console = terminal()
    with HatBoard(PLAN[:1], console, auto_refresh=False):
        print("warning: the document was cut to fit", file=sys.stderr)
    text = console.export_text()
    assert text.index("warning: the document was cut") < text.rindex("1-blue")


def batch_bar(console: Console, **kwargs) -> tuple[BatchBar, dict[str, float]]:
    state = {"in_flight": 3, "spent": 0.0123}
    bar = BatchBar(
        console,
        concurrency=4,
        in_flight=lambda: int(state["in_flight"]),
        spent=lambda: state["spent"],
        auto_refresh=False,
        **kwargs,
    )
    return bar, state


def test_the_batch_bar_discovers_then_counts_files():
    bar, state = batch_bar(terminal(), max_cost=0.5)
    assert "discovering…" in frame(bar)[0]
    bar.on_discovered(200)
    bar.on_file_done(ok_row("a.md", tokens=5000, cost_usd=0.01))
    bar.on_file_done(ok_row("b.md", reused=True, tokens=800))  # kept from before: no tokens now
    bar.on_file_done(failed_row("c.pdf", SKIPPED_PDF, "skipped"))
    bar.on_file_done(failed_row("d.md", "the synthesis failed: bad JSON"))
    lines = frame(bar)
    assert "files" in lines[0] and "4/200 files" in lines[0] and "discovering" not in lines[0]
    assert lines[1:3] == [
        "done 2 · failed 1 · skipped 1 · requests in flight 3/4 · 5,000 tokens, $0.0100",
        "spent so far $0.0123 of --max-cost $0.50",
    ]
    assert lines[3:] == [
        f"  skipped: {SKIPPED_PDF}",
        "  failed: d.md: the synthesis failed: bad JSON",
    ]
    state["in_flight"], state["spent"] = 0, 0.25
    assert frame(bar)[1:3] == [
        "done 2 · failed 1 · skipped 1 · requests in flight 0/4 · 5,000 tokens, $0.0100",
        "spent so far $0.2500 of --max-cost $0.50",
    ]


def test_the_bar_counts_the_tokens_and_cost_of_the_same_files():
    """In rounds every file's first rounds are answered before the first file finishes: the
    bar showed the finished files' tokens beside that whole spend. The files' figures are
    theirs; the spend, against --max-cost only, is on a line of its own."""
    for max_cost, spend_line in ((None, []), (2.0, ["spent so far $0.9000 of --max-cost $2.00"])):
        bar, state = batch_bar(terminal(), max_cost=max_cost)
        bar.on_discovered(3)
        state["spent"] = 0.9
        bar.on_file_done(ok_row("a.md", tokens=5000, cost_usd=0.01))
        bar.on_file_done(ok_row("b.md", reused=True, tokens=800, cost_usd=0.5))  # kept: free
        assert frame(bar)[1:] == [
            "done 2 · failed 0 · skipped 0 · requests in flight 3/4 · 5,000 tokens, $0.0100",
            *spend_line,
        ]


def test_the_bar_lists_the_last_five_failures_and_counts_the_rest():
    bar, _ = batch_bar(terminal())
    bar.on_discovered(10)
    for n in range(8):
        bar.on_file_done(failed_row(f"p{n}.md", f"reason {n}"))
    lines = frame(bar)
    assert lines[1].endswith(" · 0 tokens, $0.0000")  # no --max-cost, no budget
    assert lines[2] == "  … and 3 earlier failures (listed at the end)"
    assert lines[3:] == [f"  failed: p{n}.md: reason {n}" for n in range(3, 8)]


def test_the_bar_shows_a_time_left_once_files_finish():
    clock = Clock()
    bar, _ = batch_bar(terminal(), clock=clock)
    bar.on_discovered(4)
    for name in ("a.md", "b.md"):
        clock.now += 10
        bar.on_file_done(ok_row(name, tokens=1))
    clock.now += 0.1
    assert "0:00:2" in frame(bar)[0]  # two files left at ten seconds each


def test_the_same_bar_counts_bytes_and_seconds():
    bar = TaskBar(terminal(), auto_refresh=False)
    download = bar.task("llama-3.2-1b.gguf", total=3_000_000, unit="bytes")
    wait = bar.task("batch API round 2", total=60, unit="seconds")
    download.advance(1_000_000)
    wait.advance(15)
    lines = frame(bar)
    assert "llama-3.2-1b.gguf" in lines[0] and "1.0 MB of 3.0 MB" in lines[0]
    assert "15 s of 60 s" in lines[1]
    download.finish()  # done at what it has: the bar is full, its spinner a tick
    assert "✓ llama-3.2-1b.gguf" in frame(bar)[0] and "1.0 MB of 1.0 MB" in frame(bar)[0]
    with bar:
        pass
    stopped = frame(bar)[1]  # the last frame: the wait never finished
    assert stopped.startswith("■ batch API round 2") and stopped.endswith("15 s of 60 s")
