"""The prompts and the schemas say the same thing, at every step of every packaged program.

Each step is rendered as a dry run renders it (on the placeholder board), with and without a
document, and its instructions are read against the schema that step is sent:
- every field or value an instruction names in quotes ("quote", "checked") is in the schema;
- every count an instruction states ("1 to 12 facts") is that list's minItems/maxItems;
- the example answer has only the schema's fields and this run's values (its alternatives,
  the risk numbers on the board), whatever its number of items;
- no step id that is not in this run, and no instruction that cannot apply yet (green "on
  black" before any black hat).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.emergent import is_process
from sixhats_ai.run.engine import Engine
from sixhats_ai.run.json_subset import schema_errors
from sixhats_ai.run.preview import preview_plan
from sixhats_ai.run.request import RunRequest
from sixhats_ai.run.step_schema import output_schema, schema_terms
from sixhats_ai.text.documents import Document

PROGRAMS = load_programs()
QUOTED_NAME = re.compile(r'"([a-z_]+)"')
COUNT = re.compile(
    r"\b(?:(?P<low>\d+) to (?P<high>\d+)|up to (?P<most>\d+)|exactly (?P<exact>\d+)"
    r"|at least (?P<least>\d+)) (?P<noun>[a-z][a-z\s_-]*)"
)
STEP_ID = re.compile(r"\b\d+-(?:blue|white|red|black|yellow|green)\b")
EXAMPLE = "An example of the form only"
COUNT_ERRORS = re.compile(r"give at (least|most) \d+ items|missing ")


def _rendered(slug: str, documents: bool) -> list[tuple[str, str, dict[str, Any], list[str]]]:
    """Each step's id, instructions (both messages: the hat's task follows the shared prefix
    in the user message), schema and the ids of the steps before it."""
    program = PROGRAMS[slug]
    docs = [Document(name="brief.md", text="The brief says things.")] if documents else []
    request = RunRequest(problem="Should we hire?", program=program, documents=docs)
    engine = Engine(None, PromptLibrary(), lambda step: "m")
    rendered = []
    for step, seen, cited in preview_plan(request):
        if is_process(step):
            continue
        board = engine.board_for(request, step, seen)
        prompt = engine.render(request, step, board, cited, [], seen)
        schema = output_schema(step, request, seen, cited).model_json_schema()
        rendered.append((step.id, f"{prompt.system}\n{prompt.user}", schema, [r.id for r in seen]))
    return rendered


CASES = [
    pytest.param(step_id, system, schema, before, id=f"{slug}-{step_id}{'-doc' * docs}")
    for slug in sorted(PROGRAMS)
    for docs in (False, True)
    for step_id, system, schema, before in _rendered(slug, docs)
]


def _values(node: Any) -> set[str]:
    """Every property name and every enum or const value in the schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        found.update(str(v) for v in node.get("enum", []))
        if "const" in node:
            found.add(str(node["const"]))
        for value in node.values():
            found |= _values(value)
    elif isinstance(node, list):
        for value in node:
            found |= _values(value)
    return found


def _instructions(system: str) -> str:
    """The system message without its example answer (checked on its own)."""
    return "\n".join(line for line in system.splitlines() if not line.startswith("{"))


@pytest.mark.parametrize(("step_id", "system", "schema", "before"), CASES)
def test_every_field_an_instruction_names_is_in_the_schema(step_id, system, schema, before):
    known = _values(schema)
    named = set(QUOTED_NAME.findall(_instructions(system)))
    assert named - known == set(), f"{step_id} names fields or values its schema lacks"


@pytest.mark.parametrize(("step_id", "system", "schema", "before"), CASES)
def test_every_count_an_instruction_states_is_the_schemas_own(step_id, system, schema, before):
    limits = schema_terms(schema)["limits"]
    alternatives = schema_terms(schema)["enums"].get("alternative", [])
    for match in COUNT.finditer(_instructions(system)):
        noun = " ".join(match["noun"].split())
        field = next((f for f in limits if noun.startswith(f.replace("_", " "))), None)
        assert field is not None, f"{step_id}: {match[0]!r} counts no list of the schema"
        low, high = limits[field]["min"], limits[field]["max"]
        if "about each alternative" in noun:  # at least N each, and one about "all"
            named = [a for a in alternatives if a != "all"]
            assert int(match["least"]) * len(named) + 1 == low, (step_id, match[0])
        elif match["exact"]:
            assert (low, high) == (int(match["exact"]),) * 2, (step_id, match[0])
        elif match["most"]:
            assert (low, high) == (0, int(match["most"])), (step_id, match[0])
        elif match["least"]:
            assert (low, high) == (int(match["least"]), None), (step_id, match[0])
        else:
            assert (low, high) == (int(match["low"]), int(match["high"])), (step_id, match[0])


@pytest.mark.parametrize(("step_id", "system", "schema", "before"), CASES)
def test_the_example_fits_the_schema_and_this_run(step_id, system, schema, before):
    lines = system.splitlines()
    if not any(line.startswith(EXAMPLE) for line in lines):
        assert step_id.endswith("blue"), f"{step_id} shows no example"  # the closing has none
        return
    example = json.loads(lines[next(i for i, x in enumerate(lines) if x.startswith(EXAMPLE)) + 1])
    errors = [e for e in schema_errors(example, schema) if not COUNT_ERRORS.search(e)]
    assert errors == [], step_id


@pytest.mark.parametrize(("step_id", "system", "schema", "before"), CASES)
def test_no_instruction_that_cannot_apply_yet(step_id, system, schema, before):
    for named in STEP_ID.findall(system):
        assert named in {*before, step_id}, f"{step_id} names {named}, not a step before it"
    hats = {earlier.split("-")[1] for earlier in before}
    assert ("green on black" in system) == ("black" in hats and step_id.endswith("green"))
    assert ("green on yellow" in system) == ("yellow" in hats and step_id.endswith("green"))
    fields = schema_terms(schema)["fields"]
    assert ("Name the alternative each point is about" in system) <= ("alternative" in fields)


def test_the_checks_find_a_count_typed_by_hand():
    """The count check is not vacuous: a hand-typed count that the schema contradicts fails."""
    step_id, system, schema, before = next(c.values for c in CASES if c.id == "choose-2-white")
    typed = system.replace("1 to 12 facts", "4 to 10 facts")
    assert typed != system
    with pytest.raises(AssertionError):
        test_every_count_an_instruction_states_is_the_schemas_own(step_id, typed, schema, before)


@pytest.mark.parametrize(("step_id", "system", "schema", "before"), CASES)
def test_the_example_gives_a_list_of_exact_length_that_length(step_id, system, schema, before):
    """The red hat's example once ended `"dots": []` when the schema asked for exactly 3."""
    lines = system.splitlines()
    if not any(line.startswith(EXAMPLE) for line in lines):
        return
    example = json.loads(lines[next(i for i, x in enumerate(lines) if x.startswith(EXAMPLE)) + 1])
    limits = schema_terms(schema)["limits"]
    for name, value in example.items():
        if name in limits and limits[name]["min"] == limits[name]["max"]:
            assert len(value) == limits[name]["min"], (step_id, name)


@pytest.mark.parametrize(
    ("low", "high", "said"),
    [
        (1, 1, "exactly 1 dot"),
        (3, 3, "exactly 3 dots"),
        (0, 1, "up to 1 priority"),
        (1, None, "at least 1 priority"),
        (1, 4, "1 to 4 priorities"),
    ],
)
def test_a_count_of_one_is_singular(low, high, said):
    noun = "dots" if "dot" in said else "priorities"
    template = '{% import "_macros.j2" as m with context %}{{ m.count("' + noun + '") }}'
    limits = {noun: {"min": low, "max": high}}
    assert PromptLibrary().env.from_string(template).render(limits=limits) == said
