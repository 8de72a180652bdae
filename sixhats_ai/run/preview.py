"""What a run would send, without sending it: the prompts and schemas `--dry-run` shows.

Each step is rendered on the board the placeholder analysis would leave (see `placeholder`),
so the prompts and their token estimates are close to a real run's. An emergent program shows
the most it may send: a process request and a hat up to `--max-steps` times, blue's choices
a sample sequence within the bounds; `--personas-mode separate` a request per participant.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.prompts import RenderedPrompt
from sixhats_ai.run.emergent import (
    PROCESS_TEMPLATE,
    history_of,
    is_process,
    process_model,
    process_variables,
    sample_plan,
)
from sixhats_ai.run.panel import describe, is_panel, roster_names
from sixhats_ai.run.placeholder import placeholder_records
from sixhats_ai.run.report import StepRecord
from sixhats_ai.run.step_schema import output_schema

if TYPE_CHECKING:
    from sixhats_ai.run.request import RunRequest
    from sixhats_ai.run.steps import StepRunner


def preview_plan(request: RunRequest) -> list[tuple[PlannedStep, list[StepRecord], list[str]]]:
    """Each step a dry run shows, with what it would see (answered by the placeholder
    analysis) and the ids it may cite."""
    plan = request.program.plan(include_optional=request.include_optional)
    if request.program.emergent:
        plan = sample_plan(request.program, request.max_steps)
    hats = [s for s in plan if not is_process(s)]
    records = {r.id: r for r in placeholder_records(hats)}
    parallel = request.flow == "parallel"
    cited = [s.id for s in hats[:-1]]
    done: list[StepRecord] = []
    shown = []
    for step in plan:
        seen = done[: min(len(done), 1)] if parallel and step.role == "hat" else list(done)
        shown.append((step, seen, cited))
        if step.id in records:
            done.append(records[step.id])
    return shown


def preview_prompts(
    engine: StepRunner, request: RunRequest
) -> list[tuple[PlannedStep, RenderedPrompt]]:
    """Every prompt the program would send, in order, without calling a model."""
    previews = []
    for step, seen, cited in preview_plan(request):
        board = engine.board_for(request, step, seen)
        if is_process(step):
            extra = process_variables(history_of(seen), request.max_steps, seen[-1].id)
            prompt = engine.render(
                request, step, board, seen=seen, template=PROCESS_TEMPLATE, extra=extra
            )
            previews.append((step, prompt))
        elif is_panel(request, step) and request.personas_mode == "separate":
            previews += [  # one request per participant
                (step, engine.render(request, step, board, cited, [], seen, extra=voice))
                for voice in ({"participant": describe(request, n)} for n in roster_names(request))
            ]
        else:
            previews.append((step, engine.render(request, step, board, cited, [], seen)))
    return previews


def preview_schema(engine: StepRunner, request: RunRequest, step: PlannedStep) -> tuple[str, int]:
    """The name and size (characters) of the schema `step` would be sent, for --dry-run."""
    seen, cited = next((v, c) for s, v, c in preview_plan(request) if s.id == step.id)
    if is_process(step):
        model: type[Any] = process_model(history_of(seen), request.max_steps)
    else:
        model = output_schema(step, request, seen, cited)
    return model.__name__, len(json.dumps(model.model_json_schema(), separators=(",", ":")))
