"""A report put together from a run's steps: what `analyze` and `minutes` runs share.

The engine (a program run through a model) and the minutes (a meeting's notes structured by
one) end the same way: their step records, the closing blue's synthesis, the comparison built
from the hats' tags, and the run's metadata. Written once here, so both kinds of report carry
the same fields, counted the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sixhats_ai.method.programs import Program
from sixhats_ai.run.comparison import compare
from sixhats_ai.run.report import Framing, Metadata, ProgramRef, Report, StepRecord, Usage
from sixhats_ai.version import __version__


@dataclass(frozen=True)
class RunClock:
    """When a run started: the wall-clock time it reports and the counter it is timed by."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)


def assemble_report(
    *,
    problem: str,
    program: Program,
    records: list[StepRecord],
    synthesis: Any,
    flow: str,
    base_url: str | None,
    clock: RunClock,
    usage: Usage,
    title: str | None = None,
    report_fields: dict[str, Any] | None = None,
    metadata_fields: dict[str, Any] | None = None,
) -> Report:
    """The report of a run whose steps are `records` (the closing blue last)."""
    failed = [r.id for r in records if r.status == "failed"]
    framing = records[0].output
    return Report(
        title=title,
        problem=problem,
        program=ProgramRef(slug=program.slug, name=program.name, sequence=program.sequence),
        framing=framing if isinstance(framing, Framing) else None,
        steps=records,
        synthesis=synthesis,
        # a table of alternatives only where the program compares them (or a meeting voted)
        comparison=compare(records)
        if program.compares_alternatives or any(r.votes for r in records)
        else [],
        metadata=Metadata(
            sixhats_version=__version__,
            flow=flow,
            # the models that answered: a step that asked none (a meeting's step with no
            # notes) names only the one it was planned for, e.g. an MCP host's placeholder
            models=sorted(
                {r.model for r in records if r.status == "ok"} or {r.model for r in records}
            ),
            base_url=base_url,
            started_at=clock.started_at,
            finished_at=datetime.now(UTC),
            seconds=round(time.perf_counter() - clock.started, 3),
            usage=usage,
            degraded=bool(failed),
            failed_steps=failed,
            **(metadata_fields or {}),
        ),
        **(report_fields or {}),
    )
