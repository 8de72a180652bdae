"""Per-run output schemas: every rule JSON Schema can express, in the schema that is sent.

A step's answer model (`hat_outputs`, `closing`) says what a hat returns; what is allowed in
*this* run depends on the run: the step ids the synthesis may cite, the alternatives the framing
named, the risks a later green may answer, the program's closing shape. `output_model(base,
shape)` gives a class that stands for the base model in this run: its `model_json_schema()` is
the base schema with every property required, no defaults, the `x-run` fields turned into enums
and counts, and only the program's closing shape; its `model_validate` checks an answer against
that same schema (so a server that follows the schema is never re-asked) and then validates it
as the base model, which is what the report keeps.

Classes are cached by their shape (a bounded cache): a batch of files of one program reuses
the same few, and a `choose` batch makes new ones only for new alternatives. Schemas are built
copy-on-write, sharing every part a run does not change.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from sixhats_ai.method.closing import Synthesis
from sixhats_ai.method.hat_outputs import (
    ALL,
    HAT_OUTPUTS,
    MAX_PER_ALTERNATIVE,
    MIN_PER_ALTERNATIVE,
    POINTS,
    SUPPLIED,
    BlackOutput,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import ClosingShape, PlannedStep, Program
from sixhats_ai.run.board import alternatives_of, risk_ref
from sixhats_ai.run.json_subset import schema_errors
from sixhats_ai.run.report import StepRecord

CLOSING_MODELS: dict[ClosingShape, str] = {
    "decision": "Decision",
    "shortlist": "Shortlist",
    "keep-stop-start": "KeepStopStart",
    "direction": "Direction",
    "review": "ReviewClose",
}
SOURCES = ("problem statement", "document", "general knowledge", "assumption")
MODEL_CACHE = 128
AT_MOST = "at_most:"


def dot_total(alternatives: int) -> int:
    """Dots in a red hat's vote: one fewer than twice the options, so two cannot tie."""
    return max(2 * alternatives - 1, 0)


@dataclass(frozen=True)
class RunShape:
    """What this run allows: the values the `x-run` fields of the schema may take."""

    step_ids: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    compares: bool = False
    closing: ClosingShape = "decision"
    risk_refs: tuple[str, ...] = ()
    documents: bool = False
    opv: bool = False
    meeting: bool = False  # `sixhats minutes`: the meeting voted, so the model casts no dots
    participants: tuple[str, ...] = ()  # --personas: who may own a next step

    @property
    def argues_each(self) -> bool:
        """Black and yellow argue every alternative: a model's run that chooses (a meeting's
        notes say what they say)."""
        return self.compares and bool(self.alternatives) and not self.meeting

    def context(self) -> dict[str, Any]:
        """What the base models' own validators check against."""
        context: dict[str, Any] = {"step_ids": set(self.step_ids)} if self.step_ids else {}
        if self.argues_each:
            context["alternatives"] = list(self.alternatives)
        return context


def points_per_alternative(node: dict[str, Any], shape: RunShape) -> dict[str, Any]:
    """Black's or yellow's points: in a run that argues each alternative, enough for two on
    each and one about all of them, and room for a thorough answer (four each and two about
    all, never fewer than a run without alternatives allows); else up to `POINTS`."""
    if not shape.argues_each:
        return {**node, "maxItems": POINTS}
    n = len(shape.alternatives)
    most = max(POINTS, MAX_PER_ALTERNATIVE * n + 2)
    return {**node, "minItems": MIN_PER_ALTERNATIVE * n + 1, "maxItems": most}


def _string_enum(node: dict[str, Any], values: list[str]) -> dict[str, Any]:
    return {**node, "type": "string", "enum": values} if values else node


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if len(options) != 1:
        return {**node, "anyOf": options} if options else node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**options[0], **rest}


def _resolve(rule: str, node: dict[str, Any], shape: RunShape) -> dict[str, Any]:
    """One `x-run` field made concrete for this run."""
    alternatives = list(shape.alternatives)
    if rule == "step_ids":
        return {**node, "items": _string_enum(node["items"], list(shape.step_ids))}
    if rule == "alternative":
        return _string_enum(node, [*alternatives, ALL])
    if rule == "alternative_names":
        return _string_enum(node, alternatives)
    if rule == "alternatives_count":
        return {**node, "minItems": 2} if shape.compares else node
    if rule == "alternatives_compared":
        return {**node, "minItems": len(alternatives), "maxItems": len(alternatives)}
    if rule == "points_per_alternative":
        return points_per_alternative(node, shape)
    if rule == "views_count":
        return {**node, "minItems": 1} if shape.opv else {**node, "maxItems": 0}
    if rule == "dots":
        dots = 0 if shape.meeting else dot_total(len(alternatives))
        items = _string_enum(node["items"], alternatives)
        return {**node, "items": items, "minItems": dots, "maxItems": dots}
    if rule == "risks":
        refs = list(shape.risk_refs)
        only = [{"type": "string", "enum": refs}, {"type": "null"}] if refs else [{"type": "null"}]
        return {**{k: v for k, v in node.items() if k != "type"}, "anyOf": only}
    if rule == "closing":
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return {**rest, "$ref": f"#/$defs/{CLOSING_MODELS[shape.closing]}"}
    if rule == "owner":
        return _string_enum(node, list(shape.participants))
    if rule == "not_null":
        return _without_null(node)
    if rule.startswith(AT_MOST):  # a list the report's first screen shows whole: its best few
        return {**node, "maxItems": int(rule.removeprefix(AT_MOST))}
    raise ValueError(f"unknown run rule {rule!r}")


def _fact_variants(node: dict[str, Any], shape: RunShape) -> dict[str, Any]:
    """ "checked" only for a fact found in the supplied material: two forms of a fact."""
    sources = [s for s in SOURCES if shape.documents or s != "document"]
    supplied = [s for s in SUPPLIED if s in sources]

    def form(status: str, allowed: Sequence[str]) -> dict[str, Any]:
        properties = dict(node["properties"])
        properties["status"] = {**properties["status"], "enum": [status]}
        properties["source"] = {**properties["source"], "type": "string", "enum": list(allowed)}
        quote = {"type": "string"} if status == "checked" else {"type": "null"}
        properties["quote"] = {**_without_null(properties["quote"]), **quote}
        return {**node, "properties": properties}

    return {"anyOf": [form("checked", supplied), form("believed", sources)]}


RULE_READS: dict[str, tuple[str, ...]] = {
    "step_ids": ("step_ids",),
    "alternative": ("alternatives",),
    "alternative_names": ("alternatives",),
    "alternatives_compared": ("alternatives",),
    "dots": ("alternatives", "meeting"),
    "alternatives_count": ("compares",),
    "views_count": ("opv",),
    "points_per_alternative": ("alternatives", "compares", "meeting"),
    "risks": ("risk_refs",),
    "closing": ("closing",),
    "owner": ("participants",),
    "not_null": (),
    "fact": ("documents",),
}


@functools.cache
def _reads(node_id: int) -> tuple[str, ...]:
    """The shape fields a base-schema node's rules read, in its whole subtree."""
    node = _NODES[node_id]
    fields: set[str] = set()
    if isinstance(node, dict):
        fields.update(RULE_READS.get(node.get("x-run", ""), ()))
        children = list(node.values())
    else:
        children = list(node)
    for child in children:
        if isinstance(child, dict | list):
            fields.update(_reads(_register(child)))
    return tuple(sorted(fields))


_NODES: dict[int, Any] = {}  # the nodes of the cached base schemas, which live as long


def _register(node: Any) -> int:
    _NODES[id(node)] = node
    return id(node)


@functools.lru_cache(maxsize=4096)
def _concrete_node(node_id: int, key: tuple[Any, ...], shape: RunShape) -> Any:
    """One node made concrete, shared by every shape that agrees on what it reads (`key`):
    a choose batch's schemas differ only where the alternatives are, and share the rest."""
    node = _NODES[node_id]
    if isinstance(node, list):
        return [_concrete(item, shape) for item in node]
    made = {k: _concrete(v, shape) for k, v in node.items() if k != "default"}
    if "properties" in made:
        made["required"] = list(made["properties"])
    rule = made.pop("x-run", None)
    if rule == "fact":
        return _fact_variants(made, shape)
    return _resolve(rule, made, shape) if rule else made


def _concrete(node: Any, shape: RunShape) -> Any:
    """The node with every object fully required, no defaults, and `x-run` rules applied."""
    if not isinstance(node, dict | list):
        return node
    node_id = _register(node)
    key = tuple(getattr(shape, field) for field in _reads(node_id))
    return _concrete_node(node_id, key, _relevant(shape, _reads(node_id)))


def _relevant(shape: RunShape, fields: tuple[str, ...]) -> RunShape:
    """The shape with only `fields` kept, so the memo is keyed by what a node reads."""
    kept = {name: getattr(shape, name) for name in fields}
    return RunShape(**kept)


def _prune(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the definitions nothing refers to any more (the closing shapes not used)."""
    defs = schema.get("$defs", {})
    used: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (name := ref.rsplit("/", 1)[-1]) not in used:
                used.add(name)
                visit(defs.get(name))
            for key, value in node.items():
                if key != "$defs":
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(schema)
    kept = {name: sub for name, sub in defs.items() if name in used}
    return {**schema, "$defs": kept} if kept else {k: v for k, v in schema.items() if k != "$defs"}


@functools.cache
def _base_schema(base: type[BaseModel]) -> dict[str, Any]:
    return base.model_json_schema()


def run_schema(base: type[BaseModel], shape: RunShape) -> dict[str, Any]:
    """The schema sent for `base` in a run of this shape."""
    return _prune(_concrete(_base_schema(base), shape))


class RunModel:
    """Stands for `base` in one run: the schema sent, and validation by that schema."""

    base: ClassVar[type[BaseModel]]
    shape: ClassVar[RunShape]

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return _schema(cls.base, cls.shape)

    @classmethod
    def model_validate(cls, data: Any, *, context: dict[str, Any] | None = None) -> BaseModel:
        # the base model's own checks first: their messages say how to correct (valid ids)
        output = cls.base.model_validate(data, context={**cls.shape.context(), **(context or {})})
        errors = schema_errors(data, cls.model_json_schema())
        if errors:
            details = [
                InitErrorDetails(
                    type=PydanticCustomError("schema", message),
                    loc=tuple(where.split(".")) if where else (),
                    input=data,
                )
                for where, message in (_split(error) for error in errors[:8])
            ]
            raise ValidationError.from_exception_data(cls.__name__, details)
        return output


def _split(error: str) -> tuple[str, str]:
    where, _, message = error.partition(": ")
    return where, message


@functools.lru_cache(maxsize=MODEL_CACHE)
def _schema(base: type[BaseModel], shape: RunShape) -> dict[str, Any]:
    return run_schema(base, shape)


def shape_for(
    program: Program,
    step: PlannedStep,
    seen: Sequence[StepRecord],
    *,
    cited: Sequence[str] = (),
    documents: bool = False,
) -> RunShape:
    """What `step` may answer, given the steps it has seen and the ids it may cite."""
    alternatives = (
        tuple(dict.fromkeys(alternatives_of(seen))) if program.compares_alternatives else ()
    )
    risks = tuple(
        risk_ref(r.id, n)
        for r in seen
        if isinstance(r.output, BlackOutput)
        for n in range(1, len(r.output.risks) + 1)
    )
    return RunShape(
        step_ids=tuple(cited),
        alternatives=alternatives,
        compares=program.compares_alternatives,
        closing=program.closing,
        risk_refs=risks if step.hat is Hat.GREEN else (),
        documents=documents,
        opv=step.step.focus is not None and "other people" in step.step.focus.lower(),
    )


def base_model(step: PlannedStep) -> type[BaseModel]:
    """The answer model of a step, whatever the run."""
    if step.role == "synthesis":
        return Synthesis
    return HAT_OUTPUTS["framing" if step.role == "framing" else step.hat.value]


def output_model(base: type[BaseModel], shape: RunShape) -> type[RunModel]:
    """The class standing for `base` in a run of this shape (named like it, for the server).
    Runs that differ only in what `base` does not read share one class."""
    reads = _reads(_register(_base_schema(base)))
    return _output_model(base, _relevant(shape, (*reads, "step_ids")))


@functools.lru_cache(maxsize=MODEL_CACHE)
def _output_model(base: type[BaseModel], shape: RunShape) -> type[RunModel]:
    return type(base.__name__, (RunModel,), {"base": base, "shape": shape})
