"""The schema a step answers in a run: its hat's per-run schema, as this meeting shapes it.

The opening blue of an emergent run also lists the information gaps blue steers by, and with
`--personas N` proposes the roster; a hat step of a meeting with participants answers for each
of them in one request (see `panel`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from sixhats_ai.method.hat_outputs import StepOutput
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.run.panel import is_panel, opening_model, panel_model, roster_names
from sixhats_ai.run.report import StepRecord
from sixhats_ai.run.schemas import RunShape, base_model, output_model, shape_for

if TYPE_CHECKING:
    from sixhats_ai.run.request import RunRequest


def output_schema(
    step: PlannedStep,
    request: RunRequest | None = None,
    seen: list[StepRecord] | None = None,
    cited: list[str] | None = None,
) -> type[Any]:
    """The answer model of `step` in this run: its schema carries this run's ids and choices
    (without a request: the rules every run shares, for callers outside a run)."""
    if request is None:
        return output_model(base_model(step), RunShape(step_ids=tuple(cited or ())))
    shape = shape_for(
        request.program, step, seen or [], cited=cited or [], documents=bool(request.documents)
    )
    base = base_model(step)
    if step.role == "framing":
        wanted = request.roster
        proposes = wanted.count if wanted is not None and wanted.roster is None else None
        base = opening_model(request.program.emergent, proposes)
    elif is_panel(request, step) and request.personas_mode == "together":
        base = panel_model(cast("type[StepOutput]", base), roster_names(request))
    elif step.role == "synthesis":  # each next step is owned by one of the participants
        shape = replace(shape, participants=roster_names(request))
    return output_model(base, shape)
