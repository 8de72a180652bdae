"""Running a program with live progress: shared by `analyze` and `rerun`.

The pipeline itself is the library's (`api.analyze_run`, which keeps the run); this adds the
terminal: the progress lines, the hat outputs of a failed synthesis, and what the run cost
(`finish_run`, which `minutes` shares).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.cli.app import FailedRun, echo_err, emit_failed_run, pick_format
from sixhats_ai.cli.local import engine_summary, start_engine
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.api import AnalyzeArgs
    from sixhats_ai.backends.provider import Provider
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.runs import RunResult


def _saved(run_id: str, next_command: str) -> str:
    echo_err(f"saved run {run_id} (sixhats {next_command} {run_id})")
    return run_id


@dataclass(frozen=True)
class Shown:
    """How a run shows itself: progress (live, or plain lines with `no_progress`), and the
    file a failed synthesis's hats are written to (`fmt`, `output`)."""

    no_progress: bool = False
    fmt: str | None = None
    output: Path | None = None
    concurrency: int | None = None  # a --concurrency the user gave (see `start_engine`)


def run_with_progress(
    problem: str, program: Program, provider: Provider, run: AnalyzeArgs, shown: Shown
) -> tuple[Report, str | None]:
    """Run the program through the library (`api.analyze_run`, with `run`'s settings) with
    live progress, and say where it was kept and what it cost.

    If the synthesis fails, the hat outputs (kept for `sixhats rerun`) are written as `shown`
    asks, a report without a synthesis, and the failure raised.
    """
    import asyncio

    from sixhats_ai.api import analyze_run
    from sixhats_ai.display import for_stderr
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.runs import RunOrigin

    options = run.get("options") or RunOptions()
    start_engine(provider, shown.concurrency)
    plan = program.plan(include_optional=options.include_optional)
    board = for_stderr(no_progress=shown.no_progress).steps(plan[:1] if program.emergent else plan)
    # Above the live board (its `echo`), not through it: what was done to fit the documents.
    args: AnalyzeArgs = {**run, "program": program, "provider": provider}
    args["on_event"], args["on_warning"] = board.on_event, board.echo
    with board:  # stopped, and its last frame drawn, before anything else is printed
        result = asyncio.run(analyze_run(problem, **args))
    reuse = (run.get("origin") or RunOrigin()).reuse
    return finish_run(result, problem, program, provider, reuse, shown.fmt, shown.output)


def finish_run(
    result: RunResult,
    problem: str,
    program: Program,
    provider: Provider,
    reuse: Mapping[str, StepRecord] | None,
    fmt: str | None,
    output: Path | None,
) -> tuple[Report, str | None]:
    """What the terminal shows of a kept run (an analysis or a meeting's minutes): its id and
    cost; or, when the synthesis failed, the hats written as `fmt`/`output` ask (a report
    without a synthesis, for `rerun` to finish) and the failure raised."""
    from sixhats_ai.run.engine import SynthesisFailed

    report = result.outcome
    if isinstance(report, SynthesisFailed):
        chosen = pick_format(fmt, output)
        failed = FailedRun(result.run_id, problem, program, report.full_message, report.steps)
        emit_failed_run(failed, chosen, output, error_in_heading=False)
        if result.run_id is not None:
            _saved(result.run_id, "rerun")
        raise report
    run_id = _saved(result.run_id, "show") if result.run_id is not None else None
    echo_err(_cost_line(report, reuse or {}))
    engine_summary(provider)
    return report, run_id


def _cost_line(report: Report, reuse: Mapping[str, StepRecord]) -> str:
    """What the run took, counting only the steps it asked (not those a rerun reused), with
    the documents it condensed, as the report's footer counts them."""
    from sixhats_ai.run.report import Usage

    asked = Usage()
    asked.add(report.metadata.process_usage)  # blue choosing the hats of an emergent run
    for document in report.metadata.condensed:
        asked.add(document.usage)
    for record in report.steps:
        if record.id not in reuse:
            asked.add(record.usage)
    degraded = report.metadata.failed_steps
    return (
        f"done in {report.metadata.seconds:.1f} s: {counted(asked.requests, 'request')} "
        f"({asked.cached_requests} cached), {asked.total_tokens} tokens, ${asked.cost_usd:.4f}"
        + (f"; reused {counted(len(reuse), 'step')}" if reuse else "")
        + (f"; DEGRADED: {', '.join(degraded)} failed" if degraded else "")
    )
