"""The schema a step answers in a run: its hat's per-run schema, as this meeting shapes it.

The opening blue of an emergent run also lists the information gaps blue steers by, and with
`--personas N` proposes the roster; a hat step of a meeting with participants answers for each
of them in one request (see `panel`).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from sixhats_ai.method.hat_outputs import StepOutput
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.run.panel import is_panel, opening_model, panel_model, roster_names
from sixhats_ai.run.report import StepRecord
from sixhats_ai.run.schemas import (
    MODEL_CACHE,
    RunModel,
    RunShape,
    base_model,
    output_model,
    run_schema,
    shape_for,
)

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


def _resolved(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The node a property's schema stands for: its `$ref` followed, its null option dropped."""
    if "$ref" in node:
        return _resolved(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    return _resolved(options[0], defs) if len(options) == 1 else node


def schema_terms(schema: dict[str, Any]) -> dict[str, Any]:
    """What a prompt may name of the schema its step answers in: every property name
    (`fields`), each list's counts (`limits`: {"min", "max"}) and each field's allowed values
    (`enums`), so an instruction states the schema's own counts, asks only for fields it has
    and gives examples with this run's values (first occurrence of a name wins)."""
    defs = schema.get("$defs", {})
    fields: list[str] = []
    limits: dict[str, dict[str, int | None]] = {}
    enums: dict[str, list[Any]] = {}

    def visit(node: dict[str, Any]) -> None:
        for option in node.get("anyOf", []):
            visit(_resolved(option, defs))
        for name, sub in node.get("properties", {}).items():
            target = _resolved(sub, defs)
            if name not in fields:
                fields.append(name)
                if target.get("type") == "array":
                    limits[name] = {"min": target.get("minItems", 0), "max": target.get("maxItems")}
                values = (target.get("items", {}) if "items" in target else target).get("enum")
                if values:
                    enums[name] = values
            visit(target)
            if target.get("type") == "array":
                visit(_resolved(target.get("items", {}), defs))

    visit(_resolved(schema, defs))
    return {"fields": fields, "limits": limits, "enums": enums}


def answer_terms(answer: type[RunModel]) -> dict[str, Any]:
    """`schema_terms` of an answer model, worked out once: a batch renders thousands of
    prompts on the few models of its steps. Shared, so never to be changed in place."""
    return _terms(answer.base, answer.shape)


@functools.lru_cache(maxsize=MODEL_CACHE)
def _terms(base: type[BaseModel], shape: RunShape) -> dict[str, Any]:
    return schema_terms(run_schema(base, shape))
