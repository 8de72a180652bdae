"""Off a terminal, progress is today's plain lines, byte for byte; the mode is picked once.

The expected strings were captured from the code on main before the display package existed
(`cli.app.progress` for steps, `BatchRunner._progress` for files), fed the same events; since,
a batch line counts skipped files apart from done ones (they have no report).
"""

from __future__ import annotations

import io

import pytest

from sixhats_ai.display import for_stderr, live_wanted
from sixhats_ai.display.plain import PlainBatch, PlainSteps, PlainTasks, duration
from sixhats_ai.render.index import IndexRow
from sixhats_ai.run.report import Usage
from sixhats_ai.run.request import StepEvent
from tests.displays import PLAN, SKIPPED_PDF, failed_row, record

STEP_LINES_ON_MAIN = (
    "  = 1-blue     Blue: reused\n"
    "  … 2-white    White\n"
    "  ✓ 2-white    White: 788 tokens, 1.7 s\n"
    "  … 3-green    Green\n"
    "  ✓ 3-green    Green: 600 tokens, 0.1 s, 1 cached\n"
    "  … 4-yellow   Yellow\n"
    "  ✗ 4-yellow   Yellow: the model answered 500 twice (retry later)\n"
)
BATCH_LINES = (
    "[1/5] ok a.md: unchanged, report kept: Go ahead (80%)\n"
    "    done 1, failed 0, skipped 0, remaining 4; 0 tokens, $0.0000\n"
    "[2/5] ok b.md: Pilot first (66%)\n"
    "    done 2, failed 0, skipped 0, remaining 3; 5000 tokens, $0.0123, ETA 0:45\n"
    f"[3/5] skipped c.pdf: {SKIPPED_PDF}\n"
    "    done 2, failed 0, skipped 1, remaining 2; 5000 tokens, $0.0123, ETA 0:20\n"
    "[4/5] failed d.md: d.md: the synthesis failed: bad JSON\n"
    "    done 2, failed 1, skipped 1, remaining 1; 5000 tokens, $0.0123, ETA 0:12\n"
    "[5/5] degraded e.md: Wait (40%)\n"
    "    done 3, failed 1, skipped 1, remaining 0; 9200 tokens, $0.0200, ETA 0:00\n"
)
STREAMED_LINE = (
    "[1/?] ok b.md: Pilot first (66%)\n"
    "    done 1, failed 0, skipped 0, remaining ?; 5000 tokens, $0.0123\n"
)


def test_step_lines_are_byte_for_byte_those_of_main(capsys):
    white = Usage(prompt_tokens=700, completion_tokens=88, requests=1, cost_usd=0.0012)
    green = Usage(prompt_tokens=500, completion_tokens=100, requests=2, cached_requests=1)
    failure = "the model answered 500 twice (retry later)"
    with PlainSteps() as steps:
        for event in [
            StepEvent(PLAN[0], "reused", record(PLAN[0])),
            StepEvent(PLAN[1], "running"),
            StepEvent(PLAN[1], "done", record(PLAN[1], usage=white, seconds=1.74)),
            StepEvent(PLAN[2], "running"),
            StepEvent(PLAN[2], "done", record(PLAN[2], usage=green, seconds=0.05)),
            StepEvent(PLAN[3], "running"),
            StepEvent(PLAN[3], "failed", record(PLAN[3], status="failed", error=failure)),
        ]:
            steps.on_event(event)
    captured = capsys.readouterr()
    assert captured.err.encode() == STEP_LINES_ON_MAIN.encode()
    assert captured.out == ""


def batch_rows() -> list[tuple[IndexRow, float]]:
    """(row, clock when it finished): the batch started at clock 100."""
    return [
        (IndexRow(input="a.md", status="ok", reused=True, report="a",
                  recommendation="Go ahead", confidence=0.8, tokens=900, cost_usd=0.01), 110.0),
        (IndexRow(input="b.md", status="ok", report="b", recommendation="Pilot first",
                  confidence=0.655, tokens=5000, requests=7, cost_usd=0.0123), 130.0),
        (failed_row("c.pdf", SKIPPED_PDF, "skipped"), 131.0),
        (failed_row("d.md", "d.md: the synthesis failed: bad JSON"), 150.0),
        (IndexRow(input="e.md", status="degraded", report="e", recommendation="Wait",
                  confidence=0.4, tokens=4200, requests=7, cost_usd=0.0077), 200.0),
    ]  # fmt: skip


def test_batch_lines_are_byte_for_byte_these(capsys):
    """Tokens and cost are those of the files run (a report kept costs nothing this time),
    whatever else the batch has asked meanwhile."""
    now = [100.0]
    with PlainBatch(clock=lambda: now[0]) as progress:
        progress.on_discovered(5)
        for row, finished_at in batch_rows():
            now[0] = finished_at
            progress.on_file_done(row)
    assert capsys.readouterr().err.encode() == BATCH_LINES.encode()


def test_a_streamed_batch_has_no_total_and_no_eta(capsys):
    now = [0.0]
    progress = PlainBatch(clock=lambda: now[0])
    now[0] = 3725.0
    progress.on_file_done(batch_rows()[1][0])
    assert capsys.readouterr().err == STREAMED_LINE


def test_durations_read_as_minutes_then_hours():
    assert [duration(s) for s in (0, 59.9, 61, 3725)] == ["0:00", "0:59", "1:01", "1:02:05"]


def test_a_plain_task_prints_one_line_when_it_ends():
    lines: list[str] = []
    task = PlainTasks(lines.append).task("llama-3.2-1b.gguf", total=3_000_000, unit="bytes")
    task.advance(1_000_000)
    task.advance(2_000_000)
    assert lines == []
    task.finish()
    assert lines == ["llama-3.2-1b.gguf: 3,000,000 bytes"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "no_progress", "environ", "live"),
    [
        (Tty(), False, {"TERM": "xterm-256color"}, True),
        (Tty(), False, {"TERM": "xterm", "NO_COLOR": "1"}, True),  # live, without colour
        (Tty(), True, {"TERM": "xterm"}, False),  # --no-progress / --quiet
        (Tty(), False, {"TERM": "dumb"}, False),  # cannot redraw
        (io.StringIO(), False, {"TERM": "xterm"}, False),  # a pipe, a log file
    ],
)
def test_live_only_on_a_terminal_that_can_redraw_unless_turned_off(
    stream, no_progress, environ, live
):
    assert live_wanted(stream, no_progress=no_progress, environ=environ) is live
    chosen = for_stderr(no_progress=no_progress, stream=stream, environ=environ)
    assert chosen.live is live
    assert isinstance(chosen.steps(PLAN), PlainSteps) is not live


def test_no_color_keeps_the_live_display_but_drops_its_colours(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    chosen = for_stderr(stream=Tty())
    assert chosen.console is not None and chosen.console.no_color
    monkeypatch.delenv("NO_COLOR")
    coloured = for_stderr(stream=Tty())
    assert coloured.console is not None and not coloured.console.no_color


def test_the_plain_displays_are_chosen_off_a_terminal():
    chosen = for_stderr(stream=io.StringIO(), environ={})
    assert not chosen.live
    assert isinstance(
        chosen.batch(concurrency=4, in_flight=lambda: 0, spent=lambda: 0.0), PlainBatch
    )
    assert isinstance(chosen.tasks(), PlainTasks)
