"""`sixhats mcp` as a host starts it: a subprocess speaking MCP over stdio (and over HTTP with
--http), configured only by environment variables, its hats on the stand-in server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from sixhats_ai.run.report import Report
from testkit.standin import MODEL, StandIn

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-test-0123456789abcdefSECRET"
PROBLEM = "Should our support team move to a four-day week?"


def server_env(tmp_path: Path, standin: StandIn) -> dict[str, str]:
    """Only what a host's config would give the server: the model, and where to keep runs."""
    return {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": SECRET,
        "SIXHATS_MODEL": MODEL,
        "SIXHATS_CONFIG_DIR": str(tmp_path / "config"),
        "SIXHATS_DATA_DIR": str(tmp_path / "data"),
        "SIXHATS_CACHE_DIR": str(tmp_path / "cache"),
    }


@pytest.mark.loopback
async def test_analyze_over_stdio_runs_on_the_configured_server(tmp_path, served):
    progress: list[str] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(f"{done}/{total} {message}")

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "sixhats_ai", "mcp"],
        env=server_env(tmp_path, served),
        cwd=str(tmp_path),
    )
    errlog = tmp_path / "stderr.log"
    with errlog.open("w") as stderr:
        async with (
            stdio_client(params, errlog=stderr) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = [t.name for t in (await session.list_tools()).tools]
            bad = await session.call_tool("analyze", {"problem": PROBLEM, "program": "x"})
            result = await session.call_tool(
                "analyze",
                {"problem": PROBLEM, "program": "quick-feedback"},
                progress_callback=on_progress,
            )
    assert "analyze" in names
    assert bad.is_error  # and the server went on to answer the next call
    assert not result.is_error, result.content
    report = Report.model_validate(result.structured_content)
    assert report.metadata.models == [MODEL]
    assert report.metadata.base_url == served.url
    assert served.stats().requests == 4
    assert len(progress) == 8 and progress[-1] == "8.0/8.0 4-blue (Blue) done"
    seen = [
        json.dumps(result.structured_content),
        *(block.text for block in result.content),  # type: ignore[union-attr]
        *progress,
        errlog.read_text(encoding="utf-8"),
        *(p.read_bytes().decode("latin-1") for p in (tmp_path / "data").rglob("*")),
    ]
    assert not [text for text in seen if SECRET in text]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], deadline: float) -> None:
    """Until the server accepts connections (it must, within the deadline)."""
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}")


@pytest.mark.loopback
async def test_http_serves_on_the_loopback_port_given(tmp_path, served):
    port = free_port()
    env = {**os.environ, **server_env(tmp_path, served)}
    command = [sys.executable, "-m", "sixhats_ai", "mcp", "--http", str(port)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process, time.monotonic() + 30)
        async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
            result = await client.call_tool(
                "brief", {"topic": "Replace the rota?", "offline": True}
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["topic"] == "Replace the rota?"
    assert process.stderr is not None
    assert f"serving MCP on http://127.0.0.1:{port}/mcp" in process.stderr.read()


def test_a_port_in_use_is_one_line_naming_it(cli):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = cli("mcp", "--http", str(port))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use (pick another --http PORT, or stop what "
        "listens there)"
    ]


def test_without_the_extra_the_command_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if the SDK were not installed
    result = cli("mcp")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "error: sixhats mcp needs the MCP SDK, which is not installed (install the extra: "
        'pip install -e ".[mcp]" in your sixhats clone)'
    ]


def test_the_cli_starts_without_importing_the_mcp_sdk():
    script = (
        "import sys\nfrom sixhats_ai.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
