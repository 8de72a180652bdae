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
    return _errors(value, schema, schema.get("$defs", {}), None)


# Where a value is: None at the root, else (where its parent is, its key or index). Spelled
# out only for an error: every answer is checked, and most fit.
Path = tuple[Any, str | int] | None


def _where(at: Path) -> str:
    keys: list[str] = []
    while at is not None:
        at, key = at
        keys.append(str(key))
    return ".".join(reversed(keys))


def _errors(value: Any, node: dict[str, Any], defs: dict[str, Any], at: Path) -> list[str]:
    errors: list[str] = []
    _check(value, node, defs, at, errors)
    return errors


def _any_of(value: Any, options: list[Any], defs: dict[str, Any], at: Path) -> list[str]:
    """No errors if an option fits; else what the nearest option lacks: that is what a
    re-ask can fix."""
    tried: list[list[str]] = []
    for option in options:
        errors = _errors(value, option, defs, at)
        if not errors:
            return errors
        tried.append(errors)
    return min(tried, key=len)


def _check(
    value: Any, node: dict[str, Any], defs: dict[str, Any], at: Path, out: list[str]
) -> None:
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        out.extend(_any_of(value, node["anyOf"], defs, at))
        return
    if "enum" in node and value not in node["enum"]:
        out.append(f"{_where(at)}: {value!r} is not one of {node['enum']}")
        return
    if "const" in node and value != node["const"]:
        out.append(f"{_where(at)}: must be {node['const']!r}")
        return
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_type_ok(value, k) for k in kinds):
        out.append(f"{_where(at)}: expected {' or '.join(kinds)}")
        return
    if isinstance(value, dict):
        _check_object(value, node, defs, at, out)
    elif isinstance(value, list):
        _check_array(value, node, defs, at, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            out.append(f"{_where(at)}: must be at least {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            out.append(f"{_where(at)}: must be at most {node['maximum']}")


def _check_object(
    value: dict[str, Any], node: dict[str, Any], defs: dict[str, Any], at: Path, out: list[str]
) -> None:
    properties = node.get("properties", {})
    missing = [key for key in node.get("required", []) if key not in value]
    if missing:
        out.append(f"{_where(at)}: missing {', '.join(missing)}")
    if node.get("additionalProperties") is False:
        extra = [key for key in value if key not in properties]
        if extra:
            out.append(f"{_where(at)}: unexpected {', '.join(extra)}")
    for key, sub in properties.items():
        if key in value:
            _check(value[key], sub, defs, (at, key), out)


def _check_array(
    value: list[Any], node: dict[str, Any], defs: dict[str, Any], at: Path, out: list[str]
) -> None:
    if "minItems" in node and len(value) < node["minItems"]:
        out.append(f"{_where(at)}: give at least {node['minItems']} items, not {len(value)}")
    if "maxItems" in node and len(value) > node["maxItems"]:
        out.append(f"{_where(at)}: give at most {node['maxItems']} items, not {len(value)}")
    if "items" in node:
        items = node["items"]
        for index, item in enumerate(value):
            _check(item, items, defs, (at, index), out)
