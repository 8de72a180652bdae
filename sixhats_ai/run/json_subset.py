"""Checking a value against the JSON Schema subset the per-run schemas use.

The answer of a server that enforces the schema (strict `json_schema`, a llama.cpp grammar)
already fits it; an answer in `json_object` or prompt mode may not. Checking every answer
against the very schema that was sent makes local validation and the schema one rule set: an
answer the schema allows is accepted, and one it does not is re-asked with the reason.
Supported: `$ref` to `#/$defs/...`, `anyOf`, `enum`, `const`, `type`, `properties`,
`required`, `additionalProperties: false`, `items`, `minItems`, `maxItems`, `minimum`,
`maximum`.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _type_ok(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Where (`a.0.b`) and why `value` breaks `schema`; empty when it fits."""
    return _errors(value, schema, schema.get("$defs", {}), "")


def _errors(value: Any, node: dict[str, Any], defs: dict[str, Any], at: str) -> list[str]:
    errors: list[str] = []
    _check(value, node, defs, at, errors)
    return errors


def _check(value: Any, node: dict[str, Any], defs: dict[str, Any], at: str, out: list[str]) -> None:
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        tried: list[list[str]] = [_errors(value, option, defs, at) for option in node["anyOf"]]
        if [] not in tried:  # say what the nearest form lacks: that is what a re-ask can fix
            nearest: list[str] = min(tried, key=len)
            out.extend(nearest)
        return
    if "enum" in node and value not in node["enum"]:
        out.append(f"{at}: {value!r} is not one of {node['enum']}")
        return
    if "const" in node and value != node["const"]:
        out.append(f"{at}: must be {node['const']!r}")
        return
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_type_ok(value, k) for k in kinds):
        out.append(f"{at}: expected {' or '.join(kinds)}")
        return
    if isinstance(value, dict):
        _check_object(value, node, defs, at, out)
    elif isinstance(value, list):
        _check_array(value, node, defs, at, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            out.append(f"{at}: must be at least {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            out.append(f"{at}: must be at most {node['maximum']}")


def _check_object(
    value: dict[str, Any], node: dict[str, Any], defs: dict[str, Any], at: str, out: list[str]
) -> None:
    properties = node.get("properties", {})
    missing = [key for key in node.get("required", []) if key not in value]
    if missing:
        out.append(f"{at}: missing {', '.join(missing)}")
    if node.get("additionalProperties") is False:
        extra = [key for key in value if key not in properties]
        if extra:
            out.append(f"{at}: unexpected {', '.join(extra)}")
    for key, sub in properties.items():
        if key in value:
            _check(value[key], sub, defs, f"{at}.{key}" if at else key, out)


def _check_array(
    value: list[Any], node: dict[str, Any], defs: dict[str, Any], at: str, out: list[str]
) -> None:
    if "minItems" in node and len(value) < node["minItems"]:
        out.append(f"{at}: give at least {node['minItems']} items, not {len(value)}")
    if "maxItems" in node and len(value) > node["maxItems"]:
        out.append(f"{at}: give at most {node['maxItems']} items, not {len(value)}")
    if "items" in node:
        for index, item in enumerate(value):
            _check(item, node["items"], defs, f"{at}.{index}" if at else str(index), out)
