"""The scenarios of issue 7, one function each, numbered as in the issue.

Bounds come from the stand-in's latency: a run cannot be faster than the model calls on its
critical path, so each wall time is compared with that path. Start-up, a cached re-run and
memory have fixed targets instead, measured on fresh processes as a user meets them.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from sixhats_ai.method.programs import Program, find_program

PROBLEM = (
    "Our support team is overloaded since the launch and first replies take two days. "
    "How do we bring them under four hours without hiring?"
)


def analyze_args(program: str, flow: str, *extra: str, cache: bool = False) -> tuple[str, ...]:
    """`sixhats analyze` of the benchmark problem, with a JSON report on stdout.

    Without `cache`, `--no-cache`: a scenario that times model calls must make them, not have
    the run store answer a request it has seen before (runs are still logged, as for a user).
    """
    no_cache = () if cache else ("--no-cache",)
    return (
        "analyze",
        PROBLEM,
        "--program",
        program,
        "--flow",
        flow,
        "--format",
        "json",
        *no_cache,
        *extra,
    )


def analyze(ctx: Context, program: str, flow: str, *extra: str) -> tuple[float, dict[str, Any]]:
    """Run `sixhats analyze` in-process; the wall time and the JSON report, checked whole."""
    run = ctx.cli(*analyze_args(program, flow, *extra))
    report = json.loads(run.out)
    if report["metadata"]["degraded"]:
        raise BenchError(f"degraded report: {report['metadata']['failed_steps']} failed")
    return run.wall, report


def timed_analyses(
    ctx: Context, program: Program, flow: str, latency: float, runs: int, *extra: str
) -> tuple[list[float], int]:
    """Wall times of `runs` analyses at `latency`, and the server's peak requests in flight."""
    ctx.server.reset(latency=latency)
    walls = [analyze(ctx, program.slug, flow, *extra)[0] for _ in range(runs)]
    stats = ctx.server.stats()
    expected = runs * len(program.plan())
    if stats.requests != expected:
        raise BenchError(f"{stats.requests} requests reached the server, expected {expected}")
    return walls, stats.peak_in_flight


@scenario(1, "analyze, parallel flow, Solving Problems")
def parallel_flow(ctx: Context) -> Outcome:
    latency = ctx.size(0.5, 0.02)
    program = find_program("solve")
    hats = len(program.plan()) - 2
    critical_path = 3 * latency  # opening blue + slowest hat + closing blue
    concurrency = ("--concurrency", str(hats))
    walls, peak = timed_analyses(ctx, program, "parallel", latency, ctx.size(5, 1), *concurrency)
    fresh = ctx.process(*analyze_args(program.slug, "parallel", *concurrency))
    overhead, cpu_per_request, choose_runs = fresh_choose(ctx, critical_path, ctx.size(5, 1))
    path = f"critical path {critical_path:g} s"
    return Outcome(
        figures=[
            Figure(f"median wall / {path}", statistics.median(walls) / critical_path, "x", 1.10),
            Figure("peak requests in flight", peak, "", hats, "=="),
            Figure(f"fresh process wall / {path}", fresh.wall / critical_path, "x"),
            Figure("fresh process, choose: median wall - critical path", overhead, "s", 0.8),
            Figure(
                "fresh process, choose: CPU a request outside imports",
                cpu_per_request * 1000,
                "ms",
                25,
            ),
        ],
        details={
            "latency": latency,
            "critical_path": critical_path,
            "walls": walls,
            "concurrency": hats,
            "fresh_process_wall": fresh.wall,
            "fresh_process_max_rss_mb": fresh.max_rss_mb,
            "fresh_choose": choose_runs,
        },
        notes=[
            f"analyze runs with --concurrency {hats}, so that all {hats} hats can be in "
            "flight at once; the fresh process adds start-up and imports",
            "fresh process, choose: medians of fresh `analyze --program choose` runs (the "
            "issue's measure); CPU outside imports is the process's CPU less the CPU spent "
            "in import statements (bench.cpuclock), a share of it per request",
        ],
    )


def fresh_choose(ctx: Context, critical_path: float, runs: int) -> tuple[float, float, list[Any]]:
    """A `choose` analysis in the parallel flow as fresh processes: the median wall time over
    the critical path, and the median CPU a request spent outside imports."""
    program = find_program("choose")
    hats = len(program.plan()) - 2
    args = analyze_args(program.slug, "parallel", "--concurrency", str(hats))
    ctx.process(*args)  # not timed: fills the OS file cache and compiles bytecode
    measured = [ctx.process(*args, clock_imports=True) for _ in range(runs)]
    requests = len(program.plan())
    outside = [r.cpu - (r.import_cpu or 0.0) for r in measured]
    details = [
        {"wall": r.wall, "cpu": r.cpu, "import_cpu": r.import_cpu, "max_rss_mb": r.max_rss_mb}
        for r in measured
    ]
    overhead = statistics.median(r.wall for r in measured) - critical_path
    return overhead, statistics.median(outside) / requests, details


@scenario(2, "analyze, sequential flow, Solving Problems")
def sequential_flow(ctx: Context) -> Outcome:
    latency = ctx.size(0.5, 0.02)
    program = find_program("solve")
    total = len(program.plan()) * latency
    walls, peak = timed_analyses(ctx, program, "sequential", latency, ctx.size(3, 1))
    wall = statistics.median(walls)
    return Outcome(
        figures=[
            Figure(f"median wall (sum of latencies {total:g} s)", wall, "s", 1.05 * total + 0.3),
            Figure("median wall / sum of latencies", wall / total, "x"),
            Figure("peak requests in flight", peak, "", 1, "=="),
        ],
        details={"latency": latency, "sum_of_latencies": total, "walls": walls},
    )


BATCH_PROGRAM = "quick-feedback"  # four steps, made for proposals


def write_proposals(folder: Path, count: int) -> Path:
    """`count` small proposals as Markdown files, all different: two identical files would
    send identical requests, and the run store would answer the second."""
    folder.mkdir(parents=True)
    for n in range(1, count + 1):
        text = (
            f"# Proposal {n}\n\nTrial a rota of {n % 5 + 3} people on support queue {n} for "
            f"{n % 8 + 4} weeks, so that first replies come within four hours.\n"
        )
        (folder / f"proposal-{n:04d}.md").write_text(text, encoding="utf-8")
    return folder


def batch_args(inputs: Path, out: Path, concurrency: int) -> tuple[str, ...]:
    """`sixhats batch` of a folder of proposals with the benchmark program."""
    return (
        "batch",
        str(inputs),
        "--out",
        str(out),
        "--program",
        BATCH_PROGRAM,
        "--concurrency",
        str(concurrency),
    )


def check_index(out: Path, files: int) -> None:
    """Every input has a report, none of them degraded, by the batch's own index."""
    rows = json.loads((out / "index.json").read_text(encoding="utf-8"))["rows"]
    ok = sum(row["status"] == "ok" for row in rows)
    if ok != files:
        raise BenchError(f"{ok} of {files} inputs have a complete report")


@scenario(3, "batch of small proposals, --concurrency 16")
def batch_throughput(ctx: Context) -> Outcome:
    files, concurrency, latency = ctx.size(200, 20), ctx.size(16, 4), ctx.size(0.2, 0.02)
    steps = len(find_program(BATCH_PROGRAM).plan())
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        inputs, out = write_proposals(Path(scratch) / "in", files), Path(scratch) / "out"
        ctx.server.reset(latency=latency)
        wall = ctx.cli(*batch_args(inputs, out, concurrency)).wall
        check_index(out, files)
    stats = ctx.server.stats()
    if stats.requests != files * steps:
        raise BenchError(f"{stats.requests} requests reached the server, expected {files * steps}")
    # No schedule beats either: every request held one of `concurrency` slots for `latency`,
    # and each file's steps ran one after another.
    chain = steps * latency
    bound = max(stats.requests * latency / concurrency, chain)
    return Outcome(
        figures=[
            Figure(f"wall / bound {bound:.3g} s", wall / bound, "x", 1.15),
            Figure("peak requests in flight", stats.peak_in_flight, "", concurrency, "=="),
        ],
        details={
            "files": files,
            "steps_per_file": steps,
            "requests": stats.requests,
            "latency": latency,
            "concurrency": concurrency,
            "bound": bound,
            "wall": wall,
        },
        notes=[
            f"{files} files of {steps} sequential steps ({BATCH_PROGRAM}); bound = max("
            f"requests x latency / {concurrency} in flight, {steps} steps x latency) = "
            f"max({stats.requests} x {latency:g} / {concurrency}, {chain:.3g}) s; the batch "
            "runs in-process, as `analyze` does in scenarios 1 and 2"
        ],
    )


STARTUP_COMMANDS: list[tuple[str, ...]] = [
    ("--help",),
    ("programs",),
    ("brief", PROBLEM, "--program", "choose", "--offline"),
]


@scenario(5, "start-up of the light commands, fresh process")
def startup(ctx: Context) -> Outcome:
    runs = ctx.size(10, 2)
    figures, details = [], {}
    for command in STARTUP_COMMANDS:
        ctx.process(*command)  # not timed: fills the OS file cache and compiles bytecode
        measured = [ctx.process(*command) for _ in range(runs)]
        name = " ".join(c if c != PROBLEM else "PROBLEM" for c in command)
        figures.append(
            Figure(
                f"sixhats {name}: median wall",
                statistics.median(r.wall for r in measured),
                "s",
                0.3,
            )
        )
        details[name] = {
            "walls": [r.wall for r in measured],
            "max_rss_mb": max(r.max_rss_mb for r in measured),
        }
    return Outcome(figures=figures, details=details)


@scenario(6, "re-running an analysis already in the store, fresh process")
def cached_rerun(ctx: Context) -> Outcome:
    program = find_program("choose")
    steps = len(program.plan())
    args = analyze_args(program.slug, "sequential", cache=True)
    ctx.server.reset(latency=ctx.size(0.05, 0.01))
    first = ctx.process(*args)  # fills the store (and the OS file cache, and bytecode)
    if ctx.server.stats().requests != steps:
        raise BenchError(f"the first run sent {ctx.server.stats().requests} requests, not {steps}")
    ctx.server.reset()
    reruns = [ctx.process(*args) for _ in range(ctx.size(10, 2))]
    for run in reruns:
        report = json.loads(run.out)
        if report["metadata"]["usage"]["cached_requests"] != steps:
            raise BenchError(f"a re-run was not answered wholly from the store: {run.err[-200:]}")
        if report["synthesis"] != json.loads(first.out)["synthesis"]:
            raise BenchError("a re-run's synthesis differs from the stored run's")
    walls = [run.wall for run in reruns]
    return Outcome(
        figures=[
            Figure("requests reaching the server", ctx.server.stats().requests, "", 0, "=="),
            Figure("median wall of a re-run", statistics.median(walls), "s", 0.5),
        ],
        details={"steps": steps, "first_run_wall": first.wall, "walls": walls},
        notes=[
            "the same `sixhats analyze` command run again in a fresh process, once the "
            "first run has put its requests in the store; median of the re-runs"
        ],
    )


@scenario(7, "memory: batch over 2,000 inputs, fresh process")
def batch_memory(ctx: Context) -> Outcome:
    sizes = ctx.size((200, 2000), (10, 50))
    ctx.server.reset()  # no latency: memory is the point, and the run stays short
    runs = {}
    for files in sizes:
        with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
            inputs, out = write_proposals(Path(scratch) / "in", files), Path(scratch) / "out"
            runs[files] = ctx.process(*batch_args(inputs, out, 16))
            check_index(out, files)
    small, large = (runs[n].max_rss_mb for n in sizes)
    return Outcome(
        figures=[
            Figure(f"peak RSS, {sizes[1]:,} inputs", large, "MB", 150),
            Figure(f"peak RSS, {sizes[1]:,} vs {sizes[0]:,} inputs", large / small, "x"),
        ],
        details={
            str(n): {"max_rss_mb": run.max_rss_mb, "wall": run.wall} for n, run in runs.items()
        },
        notes=[
            f"`sixhats batch` of {BATCH_PROGRAM} over small Markdown proposals, "
            "--concurrency 16, no latency; the peak resident memory of the process"
        ],
    )
