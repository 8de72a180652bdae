"""Checking a value against the JSON Schema subset the per-run schemas use.

The answer of a server that enforces the schema (strict `json_schema`, a llama.cpp grammar)
already fits it; an answer in `json_object` or prompt mode may not. Checking every answer
against the very schema that was sent makes local validation and the schema one rule set: an
answer the schema allows is accepted, and one it does not is re-asked with the reason.
Supported: `$ref` to `#/$defs/...`, `anyOf`, `enum`, `const`, `type`, `properties`,
`required`, `additionalProperties: false`, `items`, `minItems`, `maxItems`, `minimum`,
`maximum`.

A schema is compiled once into a checker a node (the per-run schemas are few and cached, and
every answer is checked): looking each rule up in each node again for every value was most of
an answer's check.
"""

from __future__ import annotations

from collections.abc import Callable
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

# Where a value is: None at the root, else (where its parent is, its key or index). Spelled
# out only for an error: every answer is checked, and most fit.
Path = tuple[Any, str | int] | None
Check = Callable[[Any, Path, list[str]], None]

SCHEMAS_KEPT = 256  # compiled schemas at once: the few steps' schemas of a few runs' shapes
_COMPILED: dict[int, tuple[dict[str, Any], Check]] = {}


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Where (`a.0.b`) and why `value` breaks `schema`; empty when it fits."""
    kept = _COMPILED.get(id(schema))
    if kept is None or kept[0] is not schema:  # the schema kept beside, so its id is its own
        if len(_COMPILED) >= SCHEMAS_KEPT:
            _COMPILED.clear()
        kept = _COMPILED[id(schema)] = (schema, _Compiler(schema.get("$defs", {})).node(schema))
    errors: list[str] = []
    kept[1](value, None, errors)
    return errors


def _where(at: Path) -> str:
    keys: list[str] = []
    while at is not None:
        at, key = at
        keys.append(str(key))
    return ".".join(reversed(keys))


class _Compiler:
    """A schema's nodes as checkers, each made once (a `$ref` is followed when first checked:
    a definition may refer to itself)."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.made: dict[int, Check] = {}

    def node(self, node: dict[str, Any]) -> Check:
        made = self.made.get(id(node))
        if made is None:
            made = self.made[id(node)] = self._make(node)
        return made

    def _make(self, node: dict[str, Any]) -> Check:
        if "$ref" in node:
            target = self.defs[node["$ref"].rsplit("/", 1)[-1]]
            return lambda value, at, out: self.node(target)(value, at, out)
        if "anyOf" in node:
            return self._any_of([self.node(option) for option in node["anyOf"]])
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        rules = [rule for rule in (self._enum(node), self._kinds(kinds)) if rule is not None]
        made = (self._object(node), self._array(node), self._bounds(node))
        shapes = [shape for shape in made if shape is not None]

        def check(value: Any, at: Path, out: list[str]) -> None:
            for rule in rules:
                if rule(value, at, out):
                    return
            for shape in shapes:
                shape(value, at, out)

        return check

    def _any_of(self, options: list[Check]) -> Check:
        """No errors if an option fits; else what the nearest option lacks: that is what a
        re-ask can fix."""

        def check(value: Any, at: Path, out: list[str]) -> None:
            tried: list[list[str]] = []
            for option in options:
                errors: list[str] = []
                option(value, at, errors)
                if not errors:
                    return
                tried.append(errors)
            nearest: list[str] = min(tried, key=len)
            out.extend(nearest)

        return check

    @staticmethod
    def _enum(node: dict[str, Any]) -> Callable[[Any, Path, list[str]], bool] | None:
        """`enum`, then `const`: an error ends the value's check (True)."""
        if "enum" not in node and "const" not in node:
            return None
        values, const = node.get("enum"), node.get("const", ...)

        def wrong(value: Any, at: Path, out: list[str]) -> bool:
            if values is not None and value not in values:
                out.append(f"{_where(at)}: {value!r} is not one of {values}")
                return True
            if const is not ... and value != const:
                out.append(f"{_where(at)}: must be {const!r}")
                return True
            return False

        return wrong

    @staticmethod
    def _kinds(kinds: list[str]) -> Callable[[Any, Path, list[str]], bool] | None:
        """`type`: a value of none of its kinds ends the value's check (True)."""
        if not kinds:
            return None
        # A bool is an int to isinstance, but neither an integer nor a number here.
        types = tuple(t for k in kinds for t in _TYPES[k])
        bools = "boolean" in kinds

        def wrong(value: Any, at: Path, out: list[str]) -> bool:
            if (bools if isinstance(value, bool) else isinstance(value, types)) is True:
                return False
            out.append(f"{_where(at)}: expected {' or '.join(kinds)}")
            return True

        return wrong

    def _object(self, node: dict[str, Any]) -> Check | None:
        properties = node.get("properties", {})
        required, closed = node.get("required", []), node.get("additionalProperties") is False
        if not (properties or required or closed):
            return None
        subs = [(key, self.node(sub)) for key, sub in properties.items()]

        def check(value: Any, at: Path, out: list[str]) -> None:
            if not isinstance(value, dict):
                return
            missing = [key for key in required if key not in value]
            if missing:
                out.append(f"{_where(at)}: missing {', '.join(missing)}")
            if closed:
                extra = [key for key in value if key not in properties]
                if extra:
                    out.append(f"{_where(at)}: unexpected {', '.join(extra)}")
            for key, sub in subs:
                if key in value:
                    sub(value[key], (at, key), out)

        return check

    def _array(self, node: dict[str, Any]) -> Check | None:
        least, most = node.get("minItems"), node.get("maxItems")
        items = self.node(node["items"]) if "items" in node else None
        if least is None and most is None and items is None:
            return None

        def check(value: Any, at: Path, out: list[str]) -> None:
            if not isinstance(value, list):
                return
            if least is not None and len(value) < least:
                out.append(f"{_where(at)}: give at least {least} items, not {len(value)}")
            if most is not None and len(value) > most:
                out.append(f"{_where(at)}: give at most {most} items, not {len(value)}")
            if items is not None:
                for index, item in enumerate(value):
                    items(item, (at, index), out)

        return check

    @staticmethod
    def _bounds(node: dict[str, Any]) -> Check | None:
        least, most = node.get("minimum"), node.get("maximum")
        if least is None and most is None:
            return None

        def check(value: Any, at: Path, out: list[str]) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            if least is not None and value < least:
                out.append(f"{_where(at)}: must be at least {least}")
            if most is not None and value > most:
                out.append(f"{_where(at)}: must be at most {most}")

        return check
