"""The scenarios of issue 7, one function each, numbered as in the issue.

Bounds come from the stand-in's latency: a run cannot be faster than the model calls on its
critical path, so each wall time is compared with that path. Scenarios 3 (batch), 6 (cached
re-run) and 7 (batch memory) need commands that are not here yet; each will be one more
function.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from sixhats_ai.config import user_programs_dir
from sixhats_ai.engine import Engine, RunRequest
from sixhats_ai.pricing import estimate_tokens
from sixhats_ai.programs import Program, find_program, load_programs
from sixhats_ai.prompts import PromptLibrary

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
    path = f"critical path {critical_path:g} s"
    return Outcome(
        figures=[
            Figure(f"median wall / {path}", statistics.median(walls) / critical_path, "x", 1.10),
            Figure("peak requests in flight", peak, "", hats, "=="),
            Figure(f"fresh process wall / {path}", fresh.wall / critical_path, "x"),
        ],
        details={
            "latency": latency,
            "critical_path": critical_path,
            "walls": walls,
            "concurrency": hats,
            "fresh_process_wall": fresh.wall,
            "fresh_process_max_rss_mb": fresh.max_rss_mb,
        },
        notes=[
            f"analyze runs with --concurrency {hats}, so that all {hats} hats can be in "
            "flight at once; the fresh process adds start-up and imports"
        ],
    )


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


def naive_prompt_tokens(program: Program, answers: list[str]) -> list[int]:
    """Prompt tokens per step of a client that resends the whole transcript at each step.

    Each step sends its own prompt without the board, after every earlier prompt and answer
    verbatim: the same prompts and answers as the real run, only in a growing conversation.
    """
    engine = Engine(None, PromptLibrary(), lambda step: "naive")
    request = RunRequest(problem=PROBLEM, program=program)
    plan = program.plan()
    transcript, tokens = 0, []
    for index, (step, answer) in enumerate(zip(plan, answers, strict=True)):
        ids = [s.id for s in plan[:index]] if step.role == "synthesis" else []
        prompt = engine.render(request, step, [], ids, [])
        own = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
        tokens.append(transcript + own)
        transcript += own + estimate_tokens(answer)
    return tokens


ANSWER_SIZE = {"items": 4, "words": 12}  # about what a model writes for one hat
MIDDLE_HATS = ("white", "green", "red", "yellow", "black")
GROWTH_STEPS = (8, 12, 16)


@dataclass
class ProgramTokens:
    """Prompt tokens of each step of one sequential analysis, ours and the naive baseline's."""

    program: str
    ours: list[int]
    naive: list[int]

    @property
    def steps(self) -> int:
        return len(self.ours)


def measure_tokens(ctx: Context, program: Program) -> ProgramTokens:
    """Run the program sequentially; count each request's prompt tokens and the naive ones."""
    ctx.server.reset(record=True, **ANSWER_SIZE)
    _, report = analyze(ctx, program.slug, "sequential")
    exchanges = sorted(ctx.server.stats().exchanges, key=lambda e: e["started"])
    ours = [sum(estimate_tokens(m["content"]) for m in e["messages"]) for e in exchanges]
    if sum(ours) != report["metadata"]["usage"]["prompt_tokens"]:
        raise BenchError(f"{program.slug}: the report's prompt tokens disagree with the server")
    return ProgramTokens(
        program.slug, ours, naive_prompt_tokens(program, [e["answer"] for e in exchanges])
    )


def long_program(steps: int) -> Program:
    """A program of `steps` steps (blue, the other hats in turn, blue), saved as a user file."""
    hats = ["blue", *(MIDDLE_HATS[i % len(MIDDLE_HATS)] for i in range(steps - 2)), "blue"]
    path = user_programs_dir() / f"bench-{steps}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["format = 1", f'slug = "bench-{steps}"', f'name = "Bench {steps}"']
    lines += [f'[[steps]]\nhat = "{hat}"' for hat in hats]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return find_program(f"bench-{steps}", path.parent)


def growth(totals: list[int]) -> float:
    """What the last steps added cost over what the steps before them did: 1 if linear."""
    return (totals[-1] - totals[-2]) / (totals[-2] - totals[-3])


@scenario(4, "prompt tokens per analysis, sequential flow")
def prompt_tokens(ctx: Context) -> Outcome:
    programs = [measure_tokens(ctx, p) for p in list(load_programs().values())[: ctx.size(None, 2)]]
    longer = [measure_tokens(ctx, long_program(n)) for n in GROWTH_STEPS]
    figures = [
        Figure(
            f"{r.program}, {r.steps} steps ({sum(r.ours):,} vs {sum(r.naive):,} tok): ours / naive",
            sum(r.ours) / sum(r.naive),
            "x",
            1,
        )
        for r in programs
    ]
    span = "{1}->{2} vs {0}->{1} steps".format(*GROWTH_STEPS)
    figures += [
        Figure(f"tokens added {span}: ours", growth([sum(r.ours) for r in longer]), "x", 1.1),
        Figure(f"tokens added {span}: naive", growth([sum(r.naive) for r in longer]), "x"),
        Figure(
            "largest hat prompt, {2} vs {0} steps: ours".format(*GROWTH_STEPS),
            max(longer[-1].ours[:-1]) / max(longer[0].ours[:-1]),
            "x",
        ),
    ]
    return Outcome(
        figures=figures,
        details={
            "programs": [asdict(r) for r in programs],
            "tokens_by_steps": {
                r.steps: {"ours": sum(r.ours), "naive": sum(r.naive)} for r in longer
            },
        },
        notes=[
            "tokens are counted as characters / 4, the same way for ours and the naive "
            "baseline; the response schema (sent in response_format) is left out of both",
            "growth: what 4 more steps add to the tokens of an analysis, compared with what "
            "the 4 before them added; 1 if linear, 1.4 if quadratic (a transcript resent at "
            "each step)",
        ],
    )


STARTUP_COMMANDS: list[tuple[str, ...]] = [("--help",), ("programs",)]
BRIEF_COMMAND = ("brief", PROBLEM, "--program", "choose", "--offline")


@scenario(5, "start-up of the light commands, fresh process")
def startup(ctx: Context) -> Outcome:
    runs = ctx.size(10, 2)
    commands = list(STARTUP_COMMANDS)
    notes = []
    brief_help = ctx.process("brief", "--help", check=False)
    if brief_help.code == 0 and "--offline" in brief_help.out:
        commands.append(BRIEF_COMMAND)
    else:
        notes.append("`sixhats brief --offline` skipped: this build has no such command")
    figures, details = [], {}
    for command in commands:
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
            "max_rss_mb": max(r.max_rss_mb or 0 for r in measured),
        }
    return Outcome(figures=figures, details=details, notes=notes)
