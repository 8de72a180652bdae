"""Scenarios 17 and 18 (issue 24): `sixhats mcp` as a host meets it, a fresh process over stdio.

17: how long from starting the server to its answer to `initialize` (a host waits that long
before it can list the tools); the target is 1 s.
18: 100 `analyze` calls in a row, each a new problem on the stand-in (so each sends its
requests), and the server's resident memory after the first ten and after the last: it must
stay flat, not grow with the calls served.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from bench import ROOT
from bench.harness import BenchError, Context, Figure, Outcome, scenario
from bench.scenarios import PROBLEM

WARM_CALLS = 10
GROWTH_TARGET_MB = 8.0


def server_parameters() -> StdioServerParameters:
    """`sixhats mcp` from this tree, with the harness' environment (the stand-in, fresh dirs)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return StdioServerParameters(
        command=sys.executable, args=["-m", "sixhats_ai", "mcp"], env=env, cwd=str(ROOT)
    )


def server_process() -> Path:
    """/proc/PID of this process's `sixhats mcp` child (Linux)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if parent == os.getpid() and b"mcp" in cmdline:
            return stat.parent
    raise BenchError("the sixhats mcp process was not found under /proc")


def server_rss_mb() -> float:
    for line in (server_process() / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError("no VmRSS for the sixhats mcp process")


def server_open_files() -> int:
    """How many file descriptors the server holds: a store left open by each call would
    show here long before it showed in memory."""
    return len(list((server_process() / "fd").iterdir()))


def server_cpu_seconds() -> float:
    """The CPU the server has used so far (user and system): its own work, which a loaded
    machine does not inflate as it does the wall time."""
    fields = (server_process() / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _initialize_seconds() -> tuple[float, float]:
    """Wall seconds from the start to `initialize` answered, and the server's CPU by then."""
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(server_parameters(), errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return time.perf_counter() - started, server_cpu_seconds()


@scenario(17, "MCP server: start-up to the answer to initialize, fresh process")
def initialize_time(ctx: Context) -> Outcome:
    measured = [anyio.run(_initialize_seconds) for _ in range(ctx.size(5, 1))]
    walls, cpus = [m[0] for m in measured], [m[1] for m in measured]
    return Outcome(
        figures=[
            Figure("initialize answered after (median wall)", statistics.median(walls), "s", 1.0),
            Figure("server CPU until then (median)", statistics.median(cpus), "s"),
        ],
        details={"wall_seconds": walls, "cpu_seconds": cpus},
    )


async def _calls_in_a_row(calls: int) -> tuple[tuple[float, int], tuple[float, int], float]:
    """RSS and open files after the warm-up calls and after the last, and the median call's
    seconds."""
    walls: list[float] = []
    warm = (0.0, 0)
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(server_parameters(), errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for number in range(1, calls + 1):
                started = time.perf_counter()
                problem = f"{PROBLEM} (case {number})"  # a new problem: no cached answer
                result = await session.call_tool(
                    "analyze", {"problem": problem, "program": "quick-feedback"}
                )
                walls.append(time.perf_counter() - started)
                if result.is_error:
                    raise BenchError(f"call {number} failed: {result.content}")
                if number == min(WARM_CALLS, calls):
                    warm = (server_rss_mb(), server_open_files())
            last = (server_rss_mb(), server_open_files())
            return warm, last, statistics.median(walls)


@scenario(18, "MCP server: 100 analyze calls in a row, memory flat, fresh process")
def endurance(ctx: Context) -> Outcome:
    calls = ctx.size(100, WARM_CALLS + 2)
    ctx.server.reset(latency=0.0)
    (warm_mb, warm_files), (last_mb, last_files), median = anyio.run(_calls_in_a_row, calls)
    requests = ctx.server.stats().requests
    if requests != 4 * calls:
        raise BenchError(f"{requests} requests reached the stand-in, expected {4 * calls}")
    span = f"calls {WARM_CALLS} to {calls}"
    return Outcome(
        figures=[
            Figure(f"server RSS after {WARM_CALLS} calls", warm_mb, "MB"),
            Figure(f"server RSS after {calls} calls", last_mb, "MB"),
            Figure(f"RSS growth, {span}", last_mb - warm_mb, "MB", GROWTH_TARGET_MB),
            Figure(f"open files gained, {span}", last_files - warm_files, "", 0),
            Figure("median call (4 requests, no latency)", median, "s"),
        ],
        details={"calls": calls, "requests": requests, "open_files": last_files},
    )
