"""Running a program with live progress and keeping the run: shared by `analyze` and `rerun`.

The pipeline itself is `runs.run_and_keep` (batch uses it too); this adds the terminal: the
progress lines, the hat outputs of a failed synthesis, and what the run cost (`finish_run`,
which `minutes` shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.cli.app import FailedRun, echo_err, emit_failed_run, pick_format
from sixhats_ai.cli.local import engine_summary, start_engine
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.api import RunOptions
    from sixhats_ai.backends.provider import Provider
    from sixhats_ai.config import Config
    from sixhats_ai.method.emergent import ProcessDecision
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.report import Report, StepRecord
    from sixhats_ai.runs import RunResult
    from sixhats_ai.text.documents import Document


def _saved(run_id: str, next_command: str) -> str:
    echo_err(f"saved run {run_id} (sixhats {next_command} {run_id})")
    return run_id


def run_and_keep(
    *,
    provider: Provider,
    options: RunOptions,
    config: Config,
    problem: str,
    program: Program,
    documents: Sequence[Document],
    document_paths: Sequence[Path] = (),
    problem_path: Path | None = None,
    log: bool = True,
    read_cache: bool = True,
    reuse: dict[str, StepRecord] | None = None,
    parent_id: str | None = None,
    rerun_step: str | None = None,
    no_progress: bool = False,
    replay: Sequence[ProcessDecision] = (),
    fmt: str | None = None,
    output: Path | None = None,
) -> tuple[Report, str | None]:
    """Run the program with live progress, keep it in the store, and say what it cost.

    Progress is the live hat board on a terminal, else (or with `no_progress`) plain lines.

    Steps in `reuse` are not asked again (a rerun). If the synthesis fails, the hat outputs
    are kept and written as `fmt`/`output` ask (a report without a synthesis), so
    `sixhats rerun` can finish the run.
    """
    import asyncio

    from sixhats_ai.api import open_session
    from sixhats_ai.display import for_stderr
    from sixhats_ai.runs import Lineage
    from sixhats_ai.runs import run_and_keep as run_and_keep_in
    from sixhats_ai.store.cache import open_run_store

    start_engine(provider, options)
    reuse = reuse or {}
    store, cache = open_run_store(config, provider.api_key, log=log, read=read_cache)

    plan = program.plan(include_optional=options.include_optional)
    board = for_stderr(no_progress=no_progress).steps(plan[:1] if program.emergent else plan)

    async def run() -> RunResult:
        async with open_session(
            provider, options, config, on_event=board.on_event, cache=cache
        ) as s:
            request = await s.request(problem, program, documents)
            request.replay = list(replay)  # a rerun of an emergent run: the choices kept
            for warning in request.warnings:
                board.echo(warning)  # above the live board, not through it
            return await run_and_keep_in(
                s,
                request,
                store,
                document_paths=document_paths,
                problem_path=problem_path,
                reuse=reuse,
                lineage=Lineage(parent_id, rerun_step),
                on_unkept=lambda exc: board.echo(f"warning: this run was not kept: {exc}"),
            )

    with board:  # stopped, and its last frame drawn, before anything else is printed
        result = asyncio.run(run())
    return finish_run(result, problem, program, provider, reuse, fmt, output)


def finish_run(
    result: RunResult,
    problem: str,
    program: Program,
    provider: Provider,
    reuse: dict[str, StepRecord] | None,
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


def _cost_line(report: Report, reuse: dict[str, StepRecord]) -> str:
    """What the run took, counting only the steps it asked (not those a rerun reused)."""
    from sixhats_ai.run.report import Usage

    asked = Usage()
    asked.add(report.metadata.process_usage)  # blue choosing the hats of an emergent run
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
