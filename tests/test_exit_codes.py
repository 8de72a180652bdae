"""Exit codes the CLI owes its callers, whatever typer does underneath."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def ctrl_c_handled() -> Iterator[None]:
    """Ctrl-C as a terminal delivers it. A shell starting the suite in the background (`&`,
    no job control) sets SIGINT to ignored, and then a raised SIGINT does nothing at all."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_handled")
def test_ctrl_c_during_a_run_exits_130(cli, fake_llm, no_network):
    async def interrupt(request: httpx.Request) -> httpx.Response:
        signal.raise_signal(signal.SIGINT)
        return fake_llm(request)

    no_network.routes[0].side_effect = interrupt
    result = cli("analyze", "Four-day week?", "--format", "json")
    assert result.code == 130
    assert result.err.strip().splitlines()[-1] == "interrupted"
    assert result.out == ""


def test_debug_shows_the_traceback_and_keeps_the_exit_code(cli, monkeypatch):
    monkeypatch.setenv("SIXHATS_DEBUG", "1")
    result = cli("analyze", "p", "--program", "nope", "--dry-run")
    assert result.code == 2
    assert "Traceback" in result.err and "UsageError" in result.err
    assert result.err.strip().splitlines()[-1].startswith("error: unknown program")
