"""Hypothesis strategies drawing JSON values from the schema subset the per-run schemas use.

hypothesis-jsonschema 0.23 (its latest release) fails on current Hypothesis (it reaches into
Hypothesis internals that changed), so the property tests draw with this small generator of
the keywords a sent schema may hold: `$ref`, `anyOf`, `enum`, `const`, `type`, `properties`
(every one required, as strict mode wants), `items`, `minItems`, `maxItems`, `minimum`,
`maximum`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MAX_ITEMS = 4  # an array without maxItems: enough to vary, small enough to stay fast


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return _strategy(schema, schema.get("$defs", {}))


def _strategy(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in node:
        return st.deferred(lambda: _strategy(defs[node["$ref"].rsplit("/", 1)[-1]], defs))
    if "anyOf" in node:
        return st.one_of([_strategy(option, defs) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_strategy({**node, "type": k}, defs) for k in kind])
    if kind == "object":
        return st.fixed_dictionaries(
            {key: _strategy(sub, defs) for key, sub in node.get("properties", {}).items()}
        )
    if kind == "array":
        low = node.get("minItems", 0)
        high = node.get("maxItems", max(low, MAX_ITEMS))
        return st.lists(_strategy(node.get("items", {}), defs), min_size=low, max_size=high)
    if kind == "string":
        return st.text(max_size=20)
    if kind == "integer":
        return st.integers(node.get("minimum"), node.get("maximum"))
    if kind == "number":
        return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"a schema node the generator does not know: {node}")
