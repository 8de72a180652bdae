"""Running a program through a model and keeping the run: shared by `analyze` and `rerun`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.cli.app import echo_err, progress, write_output

if TYPE_CHECKING:
    from sixhats_ai.api import RunOptions
    from sixhats_ai.config import Config, Provider
    from sixhats_ai.documents import Document
    from sixhats_ai.models import Report, StepRecord
    from sixhats_ai.programs import Program
    from sixhats_ai.store import RunInputs


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
) -> tuple[Report, str | None]:
    """Run the program with live progress, keep it in the store, and say what it cost.

    Steps in `reuse` are not asked again (a rerun). If the synthesis fails, the hat outputs
    are printed and kept, so `sixhats rerun` can finish the run.
    """
    import asyncio

    from sixhats_ai.api import open_session
    from sixhats_ai.engine import SynthesisFailed
    from sixhats_ai.models import Usage
    from sixhats_ai.store import RunInputs, open_run_store

    reuse = reuse or {}
    store, cache = open_run_store(config, provider.api_key, log=log, read=read_cache)
    inputs: list[RunInputs] = []

    async def run() -> Report:
        async with open_session(provider, options, config, on_event=progress, cache=cache) as s:
            request = await s.request(problem, program, documents)
            for warning in request.warnings:
                echo_err(warning)
            inputs.append(RunInputs.of_request(request, document_paths, problem_path))
            return await s.engine.run(request, reuse=reuse)

    lineage = {"parent_id": parent_id, "rerun_step": rerun_step}
    try:
        report = asyncio.run(run())
    except SynthesisFailed as failed:
        from sixhats_ai.render.markdown import steps_markdown

        lines = ["# Hat outputs (synthesis failed)", *steps_markdown(failed.steps)]
        write_output("\n".join(lines), None)
        if store is not None and inputs:
            failed_id = store.save_failed_run(inputs[0], failed.steps, failed.one_line(), **lineage)
            _saved(failed_id, "rerun")
        raise
    run_id = _saved(store.save_run(inputs[0], report, **lineage), "show") if store else None
    asked = Usage()
    for record in report.steps:
        if record.id not in reuse:
            asked.add(record.usage)
    degraded = report.metadata.failed_steps
    echo_err(
        f"done in {report.metadata.seconds:.1f} s: {asked.requests} requests "
        f"({asked.cached_requests} cached), {asked.total_tokens} tokens, ${asked.cost_usd:.4f}"
        + (f"; reused {len(reuse)} steps" if reuse else "")
        + (f"; DEGRADED: {', '.join(degraded)} failed" if degraded else "")
    )
    return report, run_id
