"""The JSON schemas sent to the model: strict-mode compatible, faithful, and snapshotted.

Every schema a run sends is built for the run (`run_schema`): checked here against OpenAI's
strict-mode rules for every step of every packaged program, and drawn from (hypothesis-
jsonschema) to show that local validation accepts every answer the schema allows. The
snapshots make a change to what servers are asked for visible in review. Regenerate with
SIXHATS_UPDATE_SNAPSHOTS=1 after a deliberate change.
"""

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sixhats_ai.method.closing import PROMPT_ONLY_RULE
from sixhats_ai.method.hat_outputs import ARGUE_EACH_RULE
from sixhats_ai.method.programs import load_programs
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.engine import Engine
from sixhats_ai.run.placeholder import placeholder_records
from sixhats_ai.run.report import HAT_OUTPUTS
from sixhats_ai.run.request import RunRequest
from sixhats_ai.run.schemas import RunShape, output_model, run_schema
from sixhats_ai.run.step_schema import output_schema
from sixhats_ai.run.strict_mode import strict_mode_problems
from tests.schema_strategies import from_schema

SNAPSHOTS = Path(__file__).parent / "snapshots"
PROGRAMS = load_programs()
FORBIDDEN_KEYWORDS = {"default", "minLength", "maxLength", "pattern", "format", "x-run"}


def _sent(slug: str, documents: bool = False) -> list[tuple[str, Any]]:
    """Each step of the program with the answer model it sends, after a placeholder run."""
    program = PROGRAMS[slug]
    plan = program.plan()
    records = placeholder_records(plan)
    request = RunRequest(problem="p", program=program, documents=[])
    if documents:
        from sixhats_ai.text.documents import Document

        request.documents = [Document(name="brief.md", text="x")]
    return [
        (step.id, output_schema(step, request, records[:index], [s.id for s in plan[:index]]))
        for index, step in enumerate(plan)
    ]


SENT = [(slug, step_id, model) for slug in PROGRAMS for step_id, model in _sent(slug)]
SENT_WITH_DOCUMENTS = [
    (slug, step_id, model)
    for slug in ("choose", "process-improvement")
    for step_id, model in _sent(slug, True)
]

# `sixhats minutes`: the notes are the supplied material and the meeting's votes replace the
# model's dot vote (see `Meeting.answer_model`)
SENT_IN_A_MEETING = [
    (slug, step_id, output_model(model.base, replace(model.shape, meeting=True, documents=True)))
    for slug in ("choose", "solve")
    for step_id, model in _sent(slug)
]


def _objects(node: Any):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _keywords(node: Any):
    if isinstance(node, dict):
        yield from node
        for key, value in node.items():
            if key != "properties":
                yield from _keywords(value)
            else:
                for prop in value.values():
                    yield from _keywords(prop)
    elif isinstance(node, list):
        for value in node:
            yield from _keywords(value)


@pytest.mark.parametrize(
    ("slug", "step_id", "model"), SENT + SENT_IN_A_MEETING, ids=lambda v: str(v)
)
def test_every_sent_schema_is_strict_mode_compatible(slug, step_id, model):
    schema = model.model_json_schema()
    assert strict_mode_problems(schema) == []
    objects = list(_objects(schema))
    assert objects
    for obj in objects:
        assert obj.get("additionalProperties") is False, obj.get("title")
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj.get("title")
    assert not FORBIDDEN_KEYWORDS & set(_keywords(schema))


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": []},
        {"type": "object", "properties": {}, "required": [], "additionalProperties": True},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"type": "string", "maxLength": 3}},
            "required": ["a"],
        },
        {"anyOf": [{"type": "object"}]},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"$ref": "#/definitions/A"}},
            "required": ["a"],
        },
    ],
)
def test_the_strict_mode_checker_finds_each_broken_rule(schema):
    assert strict_mode_problems(schema)


def test_run_rules_are_in_the_schema_sent():
    shape = RunShape(step_ids=("1-blue", "4-yellow"), alternatives=("A", "B"), compares=True)
    synthesis = dict(_sent("choose"))["7-blue"].model_json_schema()
    text = json.dumps(synthesis)
    assert '"enum": ["1-blue", "2-white", "3-green", "4-yellow", "5-black", "6-red"]' in text
    assert synthesis["properties"]["alternatives"]["minItems"] == 2
    assert set(synthesis["$defs"]) >= {"Decision"} and "Shortlist" not in synthesis["$defs"]
    dots = run_schema(HAT_OUTPUTS["red"], shape)["properties"]["dots"]
    assert (dots["minItems"], dots["maxItems"], dots["items"]["enum"]) == (3, 3, ["A", "B"])
    tagged = run_schema(HAT_OUTPUTS["black"], shape)["$defs"]["Risk"]["properties"]
    assert tagged["alternative"]["enum"] == ["A", "B", "all"]
    plain = output_model(HAT_OUTPUTS["black"], RunShape())
    assert plain.model_json_schema()["$defs"]["Risk"]["properties"]["alternative"]["enum"] == [
        "all"
    ]


def _accepts(model: Any, answer: dict[str, Any]) -> None:
    """Local validation accepts the answer, unless it breaks a rule the schema cannot state
    (those are in the prompt, and re-asked): such a draw is left out."""
    try:
        model.model_validate(answer)
    except ValidationError as exc:
        assert PROMPT_ONLY_RULE in str(exc) or ARGUE_EACH_RULE in str(exc), exc
        assume(False)


@pytest.mark.parametrize(
    ("slug", "step_id", "model"),
    SENT + SENT_WITH_DOCUMENTS + SENT_IN_A_MEETING,
    ids=lambda v: str(v),
)
def test_local_validation_accepts_every_answer_the_sent_schema_allows(slug, step_id, model):
    schema = model.model_json_schema()

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        database=None,
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        _accepts(model, data.draw(from_schema(schema)))

    check()


@pytest.mark.parametrize(("step_id", "model"), _sent("choose"), ids=lambda v: str(v))
def test_sent_schema_matches_snapshot(step_id, model):
    schema = model.model_json_schema()
    path = SNAPSHOTS / f"{model.__name__}-{step_id}.json"
    if os.environ.get("SIXHATS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    assert json.loads(path.read_text()) == schema


def test_dry_run_engine_reports_each_schema_name_and_size():
    engine = Engine(None, PromptLibrary(), lambda step: "m")
    request = RunRequest(problem="p", program=PROGRAMS["choose"])
    named = [engine.preview_schema(request, step) for step in PROGRAMS["choose"].plan()]
    assert named[0][0] == "Framing" and named[-1][0] == "Synthesis"
    assert all(size > 300 for _, size in named)


@pytest.mark.parametrize("slug", sorted(PROGRAMS))
def test_a_step_outside_a_run_gets_the_rules_every_run_shares(slug):
    for step in PROGRAMS[slug].plan():
        schema = output_schema(step).model_json_schema()
        assert strict_mode_problems(schema) == []
        assert "x-run" not in json.dumps(schema)
