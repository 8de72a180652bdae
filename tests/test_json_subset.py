"""The answer check: a value against the JSON Schema subset the per-run schemas use, each
rule saying where and why."""

from __future__ import annotations

import pytest

from sixhats_ai.run.json_subset import schema_errors

POINT = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "weight": {"enum": ["low", "high"]},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "kind": {"const": "point"},
        "under": {"anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}]},
    },
    "required": ["text", "weight"],
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "properties": {"points": {"type": "array", "items": {"$ref": "#/$defs/Point"}, "minItems": 1}},
    "required": ["points"],
    "$defs": {"Point": POINT},
}


@pytest.mark.parametrize(
    ("points", "errors"),
    [
        ([{"text": "a", "weight": "low", "score": 3, "kind": "point"}], []),
        ([], ["points: give at least 1 items, not 0"]),
        (
            [{"text": "a", "weight": "mid"}],
            ["points.0.weight: 'mid' is not one of ['low', 'high']"],
        ),
        ([{"text": "a", "weight": "low", "score": True}], ["points.0.score: expected integer"]),
        ([{"text": "a", "weight": "low", "score": 9}], ["points.0.score: must be at most 5"]),
        ([{"text": "a", "weight": "low", "kind": "x"}], ["points.0.kind: must be 'point'"]),
        ([{"weight": "low", "x": 1}], ["points.0: missing text", "points.0: unexpected x"]),
        (  # a definition that refers to itself, checked as deep as the value goes
            [{"text": "a", "weight": "low", "under": {"text": "b", "weight": "no"}}],
            ["points.0.under.weight: 'no' is not one of ['low', 'high']"],
        ),
        # of options as near as each other, the first is named
        ([{"text": "a", "weight": "low", "under": 3}], ["points.0.under: expected object"]),
    ],
)
def test_a_value_is_checked_against_the_schema_rule_by_rule(points, errors):
    for _ in range(2):  # compiled once, the same the second time
        assert schema_errors({"points": points}, SCHEMA) == errors
