"""The JSON schemas sent to the model: strict-mode compatible, and snapshotted.

A change to a model changes what every server is asked for; the snapshot makes that change
visible in review. Regenerate with SIXHATS_UPDATE_SNAPSHOTS=1 after a deliberate change.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sixhats_ai.models import HAT_OUTPUTS, Synthesis

SNAPSHOTS = Path(__file__).parent / "snapshots"
SCHEMAS = {cls.__name__: cls for cls in [*HAT_OUTPUTS.values(), Synthesis]}
FORBIDDEN_KEYWORDS = {
    "default",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
}


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


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_strict_mode_compatible(name):
    schema = SCHEMAS[name].model_json_schema()
    objects = list(_objects(schema))
    assert objects
    for obj in objects:
        assert obj.get("additionalProperties") is False, obj.get("title")
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj.get("title")
        for prop in obj["properties"].values():
            assert "additionalProperties" not in prop or prop["additionalProperties"] is False
    assert not FORBIDDEN_KEYWORDS & set(_keywords(schema))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_matches_snapshot(name):
    schema = SCHEMAS[name].model_json_schema()
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("SIXHATS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    assert json.loads(path.read_text()) == schema
