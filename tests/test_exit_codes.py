"""Exit codes the CLI owes its callers, whatever typer does underneath."""

from __future__ import annotations

import signal

import httpx


def test_ctrl_c_during_a_run_exits_130(cli, fake_llm, no_network):
    async def interrupt(request: httpx.Request) -> httpx.Response:
        signal.raise_signal(signal.SIGINT)
        return fake_llm(request)

    no_network.routes[0].side_effect = interrupt
    result = cli("analyze", "Four-day week?", "--format", "json")
    assert result.code == 130
    assert result.err.strip().splitlines()[-1] == "interrupted"
    assert result.out == ""
