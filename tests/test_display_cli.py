"""The live displays wired into `analyze`, `rerun` and `batch`, on a stand-in terminal."""

from __future__ import annotations

import io
import json
import re

import pytest

import sixhats_ai.display
from sixhats_ai.run.report import Report
from tests.test_batch import write_proposals


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch) -> Terminal:
    """stderr's live displays draw here, as on a terminal; `--no-progress` still turns them off."""
    screen = Terminal()
    chooser = sixhats_ai.display.for_stderr

    def on_a_terminal(*, no_progress: bool = False) -> sixhats_ai.display.StderrDisplay:
        return chooser(no_progress=no_progress, stream=screen, environ={"TERM": "xterm"})

    monkeypatch.setattr(sixhats_ai.display, "for_stderr", on_a_terminal)
    return screen


def last_frame(screen: Terminal) -> str:
    """What stays on screen: the last frame drawn, then anything printed after it."""
    text = screen.getvalue().rsplit("\x1b[2K", 1)[-1]
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_analyze_draws_the_board_and_prints_the_report_as_today(cli, fake_llm, terminal):
    result = cli("analyze", "Should we?", "--program", "choose", "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    shown = last_frame(terminal)
    for step in report.steps:
        assert re.search(rf"{step.id}\s.*✓ {step.usage.total_tokens:,} tokens", shown)
    assert "7 requests" in shown
    assert "  … " not in result.err and "  ✓ " not in result.err  # no plain lines as well
    assert "done in" in result.err  # the closing line and the saved run follow, as today


def test_a_warning_during_the_run_prints_above_the_board(cli, fake_llm, terminal, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("word " * 20_000)
    args = ("--context", str(big), "--context-window", "8000", "--truncate")
    result = cli("analyze", "p", "--program", "quick-feedback", *args)
    assert result.code == 0, result.err
    screen = terminal.getvalue()
    assert "warning: big.md cut" in screen  # through the display, not under its cursor
    assert screen.index("warning: big.md cut") < screen.rindex("4-blue")


def test_no_progress_keeps_the_plain_lines_on_a_terminal(cli, fake_llm, terminal):
    result = cli("analyze", "Should we?", "--program", "choose", "--no-cache", "--no-progress")
    assert result.code == 0, result.err
    assert "  ✓ 2-white    White: " in result.err
    assert terminal.getvalue() == ""


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_nothing_but_the_report(cli, fake_llm, terminal, tmp_path, flag):
    result = cli("analyze", "Should we?", "--program", "choose", "--format", "json", flag)
    assert result.code == 0 and result.err == "" and terminal.getvalue() == ""
    assert Report.model_validate_json(result.out).steps
    files = tmp_path / "in"
    write_proposals(files, ["a.md"])
    batch = cli("batch", str(files), "--out", str(tmp_path / "out"), flag)
    assert batch.code == 0 and batch.err == "" and terminal.getvalue() == ""
    brief = cli("brief", "Should we?", "--offline", "-o", str(tmp_path / "b.md"), flag)
    assert brief.code == 0 and brief.err == "" and (tmp_path / "b.md").exists()


def test_quiet_still_prints_errors(cli, fake_llm, tmp_path):
    result = cli("analyze", "Should we?", "-q", "--max-tokens", "0")
    assert result.code == 2 and result.err == "error: --max-tokens must be more than 0 (got 0)\n"
    missing = cli("batch", str(tmp_path / "none"), "--out", str(tmp_path / "out"), "-q")
    assert missing.code != 0 and missing.err.startswith("error: ")
    assert len(missing.err.splitlines()) == 1
    usage = cli("analyze", "Should we?", "-q", "--no-such-flag")
    assert usage.code == 2 and "No such option: --no-such-flag" in usage.err


def test_rerun_shows_the_reused_steps(cli, fake_llm, terminal):
    first = cli("analyze", "Should we?", "--format", "json", "--no-progress")
    run_id = re.search(r"saved run (\w+)", first.err).group(1)
    result = cli("rerun", run_id, "--step", "black", "--format", "json")
    assert result.code == 0, result.err
    shown = last_frame(terminal)
    assert re.search(r"1-blue\s.*= reused", shown) and re.search(r"5-black\s.*✓", shown)
    assert "2 requests" in shown


def test_batch_draws_the_bar_and_then_its_summary(cli, fake_llm, terminal, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["a.md", "b.md", "c.md"])
    (src / "d.md").write_bytes(b"")  # an empty proposal fails
    result = cli("batch", str(src), "--out", str(out))
    assert result.code == 1, result.err
    shown = last_frame(terminal)
    assert "4/4 files" in shown
    assert "done 3 · failed 1 · skipped 0 · requests in flight 0/4" in shown
    bar, summary = shown.split("batch: 3 ok, 1 failed")
    assert (
        f"  failed: {src}/d.m" in bar
    )  # listed under the bar (cut to its width), then the summary
    assert "index: " in summary  # the summary is printed under the bar's last frame
    assert "[1/4]" not in result.err + terminal.getvalue()  # no plain per-file lines
    assert len(json.loads((out / "index.json").read_text())["rows"]) == 4


def test_a_note_naming_a_file_brings_no_escape_sequence_to_the_terminal(
    cli, fake_llm, terminal, tmp_path
):
    """Two inputs named alike: the note naming both prints above the bar, without the escape
    sequence in a folder's name (Rich prints ESC as it is given)."""
    write_proposals(tmp_path / "in" / "a", ["x.md"])
    write_proposals(tmp_path / "in" / "b\x1b]0;owned\x07", ["x.md"])
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    screen = terminal.getvalue()
    assert "shares the name 'x'" in screen
    assert "\x1b]" not in screen and "\x07" not in screen
