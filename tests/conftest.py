"""Shared fixtures: an isolated config, no network, and a fake model server."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import respx

from sixhats_ai.cli import main
from testkit.standin import MODEL, StandIn
from tests.fakes import API_KEY, BASE_URL, FakeLLM

# A suite started in the background by a non-interactive shell (`cmd &`, nohup) has SIGINT
# ignored, and every process a test starts would inherit that: the Ctrl-C tests would wait
# for a run to finish instead of interrupting it. Handled here, a child starts with the
# default again (exec resets a handled signal, not an ignored one).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> None:
    """Every test gets its own config, data and model-cache dirs and no provider settings."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SIXHATS_MODEL",
        "SIXHATS_PROFILE",
        "SIXHATS_DEBUG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIXHATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SIXHATS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIXHATS_CACHE_DIR", str(tmp_path / "cache"))  # no user's pulled models


@pytest.fixture(autouse=True)
def no_network(request: pytest.FixtureRequest) -> Iterator[respx.MockRouter]:
    """Any HTTP request not mocked by the test fails instead of reaching the network.

    Tests marked `loopback` may also reach servers on 127.0.0.1 for real (the stand-in server).
    """
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        if request.node.get_closest_marker("loopback"):
            router.route(host="127.0.0.1").pass_through()
        yield router


@pytest.fixture(scope="session")
def standin() -> Iterator[StandIn]:
    """The benchmarks' stand-in server, on 127.0.0.1, for tests marked `loopback`."""
    with StandIn(max_seconds=3600) as server:  # outlives a slow machine's whole suite
        yield server


@pytest.fixture
def served(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """The stand-in, zeroed, recording, and configured as the provider; its default settings
    are back after the test (a test may make it refuse things)."""
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("SIXHATS_MODEL", MODEL)
    standin.reset(record=True)
    yield standin
    standin.reset()


@pytest.fixture
def fake_llm(no_network: respx.MockRouter, monkeypatch) -> FakeLLM:
    """A fake server at BASE_URL, configured through the environment."""
    fake = FakeLLM()
    no_network.post(f"{BASE_URL}/chat/completions").mock(side_effect=fake)
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("SIXHATS_MODEL", "fake-model")
    return fake


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys):
    """Run `sixhats ARGS...` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def analyze_json(cli):
    """Run `sixhats analyze PROBLEM --program PROGRAM --flow FLOW --format json`, which must
    succeed; returns the report it printed."""

    def run(problem: str, program: str, flow: str) -> dict[str, Any]:
        result = cli("analyze", problem, "--program", program, "--flow", flow, "--format", "json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    return run
