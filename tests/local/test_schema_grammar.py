"""The grammar the engine samples under admits only answers the schema validates: free
strings without raw control characters (JSON forbids them), and numbers within their bounds.
llama-cpp-python's converter left both out, and bench scenario 14's closing blue failed its
re-asks on them (issue 25, defect 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, model_validator

from sixhats_ai.backends.grammar import bounded_numbers, names_once
from sixhats_ai.method.closing import Synthesis
from sixhats_ai.run.schemas import RunShape, run_schema
from tests.local.test_engine import ask, json_schema_format

pytest.importorskip("llama_cpp")

from sixhats_ai.backends.llama import LlamaBackend
from testkit.tinymodel import write_tiny_model

ANSWERS = 6  # the converter's grammar let the tiny model write a control character in most


class Notes(BaseModel):
    points: list[str] = Field(max_length=4)
    confidence: float = Field(ge=0, le=1)
    votes: int = Field(ge=1, le=5)


@pytest.fixture(scope="module")
def terse_backend(tmp_path_factory: pytest.TempPathFactory) -> LlamaBackend:
    """The model bench scenario 14 analyses with: short strings, a whole answer in a few
    hundred tokens."""
    model = write_tiny_model(tmp_path_factory.mktemp("terse") / "terse.gguf", terse=0.7)
    return LlamaBackend(Path(model), n_ctx=4096, n_threads=1)


async def test_every_answer_is_json_the_schema_validates(terse_backend):
    request = ask(response_format=json_schema_format(Notes), max_tokens=1024, temperature=1.0)
    for _ in range(ANSWERS):
        completion = await terse_backend.complete(request)
        assert completion.finish_reason == "stop"
        Notes.model_validate(json.loads(completion.content))  # strict JSON: no raw controls


def test_a_bounded_number_is_the_enum_of_its_range():
    schema = bounded_numbers(Notes.model_json_schema())
    confidence = schema["properties"]["confidence"]["enum"]
    assert confidence[0] == 0 and confidence[-1] == 1 and len(confidence) == 101
    assert schema["properties"]["votes"]["enum"] == [1, 2, 3, 4, 5]


class Option(BaseModel):
    name: str = Field(json_schema_extra={"enum": ["tabs", "spaces", "both"]})
    verdict: str = Field(json_schema_extra={"enum": ["keep", "drop"]})


class Compared(BaseModel):
    """The closing's shape in small: each of three alternatives compared once."""

    options: list[Option] = Field(min_length=3, max_length=3)

    @model_validator(mode="after")
    def _each_once(self) -> Compared:
        names = [o.name for o in self.options]
        assert len(set(names)) == len(names), f"named twice: {names}"
        return self


async def test_each_alternative_is_compared_once_whatever_the_weights(terse_backend):
    """The tiny model named one alternative twice in bench 17's closing, at every re-ask; the
    grammar now gives each position its own name."""
    request = ask(response_format=json_schema_format(Compared), max_tokens=1024, temperature=1.0)
    for _ in range(ANSWERS):
        completion = await terse_backend.complete(request)
        answer = Compared.model_validate(json.loads(completion.content))
        assert [o.name for o in answer.options] == ["tabs", "spaces", "both"]


def test_the_closing_schema_names_each_alternative_in_its_own_place():
    schema = run_schema(Synthesis, RunShape(alternatives=("A", "B", "C"), compares=True))
    compared = names_once(schema)["properties"]["alternatives"]
    assert [item["properties"]["name"] for item in compared["prefixItems"]] == [
        {"enum": ["A"]},
        {"enum": ["B"]},
        {"enum": ["C"]},
    ]
    assert "items" not in compared and "minItems" not in compared
    fewer = run_schema(Synthesis, RunShape(alternatives=(), compares=False))
    assert names_once(fewer)["properties"]["alternatives"] == fewer["properties"]["alternatives"]
