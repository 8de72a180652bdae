"""The mode ladder on the local engine: every step of every packaged program sends a schema
llama.cpp can hold as a grammar, so a run starts at json_schema and is never moved down."""

from __future__ import annotations

import pytest

from sixhats_ai.backends.provider import Provider
from sixhats_ai.config import Config
from sixhats_ai.method.programs import load_programs
from sixhats_ai.run.options import RunOptions
from sixhats_ai.run.preview import preview_plan
from sixhats_ai.run.step_schema import output_schema
from sixhats_ai.run.structured import OutputMode
from sixhats_ai.session import new_session

pytest.importorskip("llama_cpp")

from sixhats_ai.backends.llama import _grammar

PROBLEM = "Should our team move to a four-day week, or hire two more people?"


@pytest.mark.parametrize("slug", sorted(load_programs()))
def test_every_step_schema_becomes_a_grammar(slug):
    program = load_programs()[slug]
    session = new_session(Provider(None, "", "tiny"), RunOptions(), Config())
    assert session.caller.modes.mode is OutputMode.JSON_SCHEMA
    request = session.run_request(PROBLEM, program, [])
    for step, seen, ids in preview_plan(request):
        schema = output_schema(step, request, seen, ids).model_json_schema()
        json_schema = {"type": "json_schema", "json_schema": {"name": step.id, "schema": schema}}
        assert _grammar(json_schema) is not None, step.id  # a FormatRejected would step down
