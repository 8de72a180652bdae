"""What OpenAI's strict structured outputs accept, as a checker every sent schema must pass.

From OpenAI's documented rules for `response_format: json_schema` with `strict: true`: the root
is an object (not `anyOf`); every object lists all its properties in `required` and sets
`additionalProperties: false`; only the supported keywords appear (strings: `pattern`,
`format`; numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`;
arrays: `minItems`, `maxItems`; no `default`, `minLength`, `maxLength`, `allOf`, `oneOf`,
`not`, `uniqueItems`...); at most 10 levels of nesting and 5,000 properties; at most 1,000 enum
values, and 120,000 characters of property names, definition names, enum and const values.
"""

from __future__ import annotations

from typing import Any

SUPPORTED = frozenset(
    {
        *("type", "properties", "required", "additionalProperties", "items", "enum", "const"),
        *("anyOf", "$ref", "$defs", "description", "title", "pattern", "format"),
        *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
        *("minItems", "maxItems"),
    }
)
MAX_DEPTH = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
MAX_NAME_CHARS = 120_000


def strict_mode_problems(schema: dict[str, Any]) -> list[str]:
    """Every way `schema` breaks OpenAI's strict-mode rules; empty when it is accepted."""
    problems: list[str] = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("(root): must be an object, not anyOf")
    counts = {"properties": 0, "enum": 0, "chars": 0}
    defs = schema.get("$defs", {})
    counts["chars"] += sum(len(name) for name in defs)
    _walk({k: v for k, v in schema.items() if k != "$defs"}, "(root)", 1, defs, problems, counts)
    if counts["properties"] > MAX_PROPERTIES:
        problems.append(f"{counts['properties']} properties: more than {MAX_PROPERTIES}")
    if counts["enum"] > MAX_ENUM_VALUES:
        problems.append(f"{counts['enum']} enum values: more than {MAX_ENUM_VALUES}")
    if counts["chars"] > MAX_NAME_CHARS:
        problems.append(f"{counts['chars']} characters of names and values: too many")
    return problems


def _walk(
    node: dict[str, Any],
    at: str,
    depth: int,
    defs: dict[str, Any],
    problems: list[str],
    counts: dict[str, int],
) -> None:
    unsupported = sorted(set(node) - SUPPORTED)
    if unsupported:
        problems.append(f"{at}: unsupported keywords {', '.join(unsupported)}")
    if depth > MAX_DEPTH:
        problems.append(f"{at}: nested deeper than {MAX_DEPTH} levels")
    ref = node.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith("#/$defs/") or name not in defs:
            problems.append(f"{at}: $ref {ref} does not point into $defs")
        elif f"<{name}>" not in at:  # nesting counts through references; recursion stops
            _walk(defs[name], f"{at}<{name}>", depth, defs, problems, counts)
    for value in node.get("enum", []):
        counts["enum"] += 1
        counts["chars"] += len(str(value))
    if "const" in node:
        counts["chars"] += len(str(node["const"]))
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties", {})
        counts["properties"] += len(properties)
        counts["chars"] += sum(len(key) for key in properties)
        if node.get("additionalProperties") is not False:
            problems.append(f"{at}: additionalProperties must be false")
        if sorted(node.get("required", [])) != sorted(properties):
            problems.append(f"{at}: every property must be required")
        for key, sub in properties.items():
            _walk(sub, f"{at}.{key}", depth + 1, defs, problems, counts)
    if isinstance(node.get("items"), dict):
        _walk(node["items"], f"{at}[]", depth + 1, defs, problems, counts)
    for index, option in enumerate(node.get("anyOf", [])):
        _walk(option, f"{at}.anyOf{index}", depth, defs, problems, counts)
