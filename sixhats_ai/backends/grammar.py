"""A schema as the llama.cpp grammar that admits only answers the schema validates.

llama-cpp-python's converter (`json_schema_to_gbnf`) builds the grammar the embedded engine
samples under, and leaves two things out that a random-weight or a small model finds at once:

- its string characters admit raw control characters (U+0000 to U+001F), which JSON forbids:
  the answer does not parse, and every re-ask can fail the same way. Its own grammar for any
  JSON object excludes them; a schema's grammar here does too.
- it drops a number's `minimum` and `maximum` (a confidence of 7 fits the grammar, not the
  schema). A number bounded on both sides is given as the enum of its hundredths of the
  range, an integer as the enum of its values, so the grammar holds the bounds.

- it cannot say "each item names a different one" (JSON Schema's `uniqueItems`, which strict
  mode lacks too): the closing's alternatives compared, one for each of the run's n
  alternatives, could name one twice, and the tiny model did at every re-ask (bench 17). An
  array of exactly n objects whose `name` is one of n values becomes a tuple, its i-th item
  naming the i-th.

Everything else our schemas use ($ref and $defs, anyOf, const, enum, minItems and maxItems,
maxLength, required properties, no others) the converter expresses; a test converts every
step's schema of every packaged program.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, TypeGuard

# A JSON string's character: anything but a quote, a backslash or a control character, or an
# escape (the converter's own rule, less the control characters).
JSON_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
NUMBER_STEPS = 100  # a bounded number is one of this many steps of its range (and its ends)
MAX_ENUMERATED_INTEGERS = 1_000


def _enumerated(low: float, high: float, integer: bool) -> list[float] | list[int] | None:
    """The values a bounded number may take, as an enum the converter can hold."""
    if integer:
        first, last = int(low), int(high)
        return list(range(first, last + 1)) if last - first <= MAX_ENUMERATED_INTEGERS else None
    span = high - low
    return sorted({round(low + span * k / NUMBER_STEPS, 6) for k in range(NUMBER_STEPS + 1)})


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def bounded_numbers(node: Any) -> Any:
    """The schema with every number bounded on both sides given as an enum of its values."""
    if isinstance(node, list):
        return [bounded_numbers(item) for item in node]
    if not isinstance(node, dict):
        return node
    low, high = node.get("minimum"), node.get("maximum")
    kind = node.get("type")
    if kind in ("number", "integer") and _is_number(low) and _is_number(high):
        values = _enumerated(low, high, kind == "integer")
        if values is not None:
            kept = {k: v for k, v in node.items() if k in ("title", "description")}
            return {**kept, "enum": values}
    return {key: bounded_numbers(value) for key, value in node.items()}


def names_once(node: Any, defs: dict[str, Any] | None = None) -> Any:
    """The schema with every array of exactly n objects whose `name` is one of n values given
    as a tuple that names each once, in the order of the enum."""
    if isinstance(node, list):
        return [names_once(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    defs = node.get("$defs", {}) if defs is None else defs
    made = {key: names_once(value, defs) for key, value in node.items()}
    item = made.get("items")
    if isinstance(item, dict) and "$ref" in item:
        item = defs.get(item["$ref"].rsplit("/", 1)[-1])
    if not isinstance(item, dict):
        return made
    names = item.get("properties", {}).get("name", {}).get("enum") or []
    distinct = len(set(names))
    if not names or not made.get("minItems") == made.get("maxItems") == distinct == len(names):
        return made
    rest = {k: v for k, v in made.items() if k not in ("items", "minItems", "maxItems")}
    properties = item["properties"]
    named = [{**item, "properties": {**properties, "name": {"enum": [n]}}} for n in names]
    return {**rest, "prefixItems": named}


def _json_strings(grammar: str) -> str:
    """The grammar with its string characters those JSON allows."""
    return "\n".join(
        f"char ::= {JSON_CHAR}" if line.startswith("char ::= ") else line
        for line in grammar.split("\n")
    )


@lru_cache(maxsize=64)
def schema_grammar(schema_json: str | None) -> str:
    """GBNF for a schema (given as JSON text, so it can be cached), or for any JSON object:
    built once per schema."""
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    if schema_json is None:
        return JSON_GBNF
    schema = names_once(bounded_numbers(json.loads(schema_json)))
    return _json_strings(json_schema_to_gbnf(json.dumps(schema)))
