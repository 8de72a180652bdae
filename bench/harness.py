"""What every scenario runs on: the stand-in server, the `sixhats` command, and figures.

A scenario is one function registered with `@scenario(number, title)`. It gets a `Context`
(the stand-in server; `smoke` for tiny sizes) while the environment points sixhats at the
stand-in and at a config and data directory of its own, fresh for each scenario (so the run
store of one cannot answer for another), and returns an `Outcome`: figures, each with its
target, and the details worth keeping in the JSON.
`Context.cli` runs the real CLI in this process (what a command costs once started; start-up
is scenario 5's); `Context.process` runs it as a fresh process and also reports its peak RSS.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from bench import ROOT
from testkit.standin import MODEL, StandIn


class BenchError(Exception):
    """A scenario could not produce its figures (a command failed, a check did not hold)."""


@dataclass
class Figure:
    """One measured value and, if it has one, its target: `value <= target` or `== target`."""

    name: str
    value: float
    unit: str = ""
    target: float | None = None
    op: Literal["<=", "=="] = "<="

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.op == "<=" else self.value == self.target


@dataclass
class Outcome:
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    """One `sixhats` invocation: wall seconds, exit code, output."""

    wall: float
    code: int
    out: str
    err: str

    def checked(self, args: tuple[str, ...]) -> Self:
        """The run, if `sixhats ARGS` exited 0; else a BenchError with the last lines it said."""
        if self.code != 0:
            tail = " | ".join(self.err.strip().splitlines()[-3:])
            raise BenchError(f"sixhats {' '.join(args)[:80]} exited {self.code}: {tail}")
        return self


@dataclass
class ProcessRun(Run):
    """An invocation as a fresh process, with its peak RSS and CPU seconds (with
    `clock_imports`: of the command, without the interpreter's start and finalization, and
    `import_cpu`, those inside imports)."""

    max_rss_mb: float
    cpu: float
    import_cpu: float | None = None


@dataclass
class Scenario:
    number: int
    title: str
    run: Callable[[Context], Outcome]


SCENARIOS: list[Scenario] = []


def scenario(number: int, title: str) -> Callable[[Callable[[Context], Outcome]], Any]:
    """Register a scenario function under its number in the issue."""

    def register(run: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        SCENARIOS.append(Scenario(number, title, run))
        return run

    return register


def sixhats_command() -> list[str]:
    """The installed `sixhats` script beside this interpreter, else `python -m sixhats_ai`."""
    script = Path(sys.executable).with_name("sixhats")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sixhats_ai"]


@dataclass
class Context:
    server: StandIn
    smoke: bool

    def size(self, full: Any, smoke: Any) -> Any:
        """The full-size value, or the tiny one in a smoke run."""
        return smoke if self.smoke else full

    def cli(self, *args: str) -> Run:
        """Run `sixhats ARGS` in this process through `main()`; a failure raises."""
        from sixhats_ai.cli import main

        out, err = io.StringIO(), io.StringIO()
        code = 0
        started = time.perf_counter()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
        run = Run(time.perf_counter() - started, code, out.getvalue(), err.getvalue())
        return run.checked(args)

    def process(self, *args: str, check: bool = True, clock_imports: bool = False) -> ProcessRun:
        """Run `sixhats ARGS` as a fresh process (see `bench.measure`), with its peak RSS and
        CPU; `clock_imports` also splits out the CPU spent importing (see `bench.cpuclock`)."""
        with tempfile.TemporaryDirectory() as scratch:
            out, err, report, clock = (
                Path(scratch) / name for name in ("out", "err", "report", "clock")
            )
            command = sixhats_command()
            if clock_imports:
                command = [sys.executable, "-m", "bench.cpuclock", str(clock), command[-1]]
            with out.open("w") as stdout, err.open("w") as stderr:
                subprocess.run(
                    [sys.executable, "-m", "bench.measure", str(report), *command, *args],
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    cwd=ROOT,
                    check=True,
                )
            measured = json.loads(report.read_text())
            clocked = json.loads(clock.read_text()) if clock_imports else {}
            run = ProcessRun(
                measured["wall"],
                measured["code"],
                out.read_text(),
                err.read_text(),
                measured["max_rss_mb"],
                clocked.get("cpu", measured["cpu"]),
                clocked.get("import_cpu"),
            )
        return run.checked(args) if check else run


def _warm_imports() -> None:
    """Import what `analyze` and `batch` import: in-process timings hold the command's work."""
    for name in ("openai", "sixhats_ai.api", "sixhats_ai.batches", "sixhats_ai.render.markdown"):
        importlib.import_module(name)


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then restore the environment as it was."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def open_context(smoke: bool) -> Iterator[Context]:
    """A stand-in server, wired through the environment as sixhats' provider."""
    with StandIn() as server, _environ(OPENAI_BASE_URL=server.url, SIXHATS_MODEL=MODEL):
        for name in ("OPENAI_API_KEY", "SIXHATS_PROFILE", "SIXHATS_DEBUG"):
            os.environ.pop(name, None)
        # Fresh processes are timed as a user meets them, with the bytecode an install
        # compiles; where the shell sets this, each would compile this tree's modules again (a
        # sixth of a fresh `analyze`'s CPU, a quarter of an offline brief's): the untimed first
        # runs could not write the bytecode they are there to write.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        _warm_imports()
        yield Context(server, smoke)


def run_scenario(item: Scenario, ctx: Context) -> Outcome:
    """Run one scenario in a fresh, empty sixhats home (config, data and cache dirs): no run
    store, cached response, compiled template or user program left by another scenario, or by
    the user, can serve it."""
    with (
        tempfile.TemporaryDirectory(prefix="sixhats-bench-") as home,
        _environ(
            SIXHATS_CONFIG_DIR=str(Path(home) / "config"),
            SIXHATS_DATA_DIR=str(Path(home) / "data"),
            SIXHATS_CACHE_DIR=str(Path(home) / "cache"),
        ),
    ):
        return item.run(ctx)
