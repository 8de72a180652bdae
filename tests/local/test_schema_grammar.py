"""The grammar the engine samples under admits only answers the schema validates: free
strings without raw control characters (JSON forbids them), and numbers within their bounds.
llama-cpp-python's converter left both out, and bench scenario 14's closing blue failed its
re-asks on them (issue 25, defect 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from sixhats_ai.backends.grammar import bounded_numbers
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
