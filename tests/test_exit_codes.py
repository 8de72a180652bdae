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


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:99999/v1", "port out of range"),
        ("http://[::1", "invalid IPv6 URL"),
        ("localhost:8080/v1", "it does not start with http"),
    ],
)
@pytest.mark.parametrize("command", [["analyze", "Four-day week?"], ["batch", "--out", "o"]])
def test_an_invalid_server_url_is_bad_input_in_one_line(cli, tmp_path, url, reason, command):
    (tmp_path / "p.md").write_text("Four-day week?")
    args = [*command, str(tmp_path / "p.md")] if command[0] == "batch" else command
    result = cli(*args, "--base-url", url, "--model", "m")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: the server URL {url!r} is not valid: ")
    assert reason in line


def test_debug_traceback_never_shows_a_key_the_server_echoed(cli, no_network, monkeypatch):
    from tests.fakes import API_KEY, BASE_URL

    echoed = {"error": {"message": f"Incorrect API key provided: {API_KEY}.", "code": "x"}}
    no_network.post(f"{BASE_URL}/chat/completions").respond(401, json=echoed)
    monkeypatch.setenv("SIXHATS_DEBUG", "1")
    result = cli(
        "analyze", "Four-day week?", "--base-url", BASE_URL, "--api-key", API_KEY, "--model", "m"
    )
    assert result.code == 1
    assert "Traceback" in result.err and "AuthenticationError" in result.err
    assert "Incorrect API key provided: ***" in result.err
    assert API_KEY not in result.err + result.out


@pytest.mark.parametrize("command", ["analyze", "brief"])
def test_no_problem_is_one_line_naming_both_ways_to_give_it(cli, command):
    result = cli(command, "--offline" if command == "brief" else "--dry-run")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        'error: no problem given (pass it as text in quotes, e.g. "Should we...?", '
        "or a file with --file)"
    ]
