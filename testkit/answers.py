"""What the stand-in server answers: a valid JSON value for any JSON schema it is sent.

The value is built from the schema alone (objects with every property, `$ref`, `anyOf`,
`enum`, `const`, arrays, scalars), so the stand-in needs no knowledge of sixhats' models.
Strings are `words` words long and arrays hold `items` items (within the schema's `minItems`
and `maxItems`): together they set the size of an answer, and so its token count. A string
list, or a string, whose property name is in `choices` takes its values from there: that is
how a condensing answer cites only sections that the chunk has, and a "quote" copies words of
the problem or a document the prompt fences (`quotes_in`), as a careful model would; the
per-run schemas list the valid step ids as an `enum`, which is how a synthesis cites only
steps that exist.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from sixhats_ai.text.tokens import estimate_tokens

VOCABULARY = (
    *("customer", "coverage", "rota", "pilot", "budget", "risk", "benefit", "retention"),
    *("survey", "quarter", "team", "support", "evidence", "option", "feeling", "idea"),
    *("priority", "morale", "schedule", "cost", "review"),
)
MODEL = "standin"
VALID_IDS = re.compile(r"Valid step ids: ([^\n]*?)\.?$", re.MULTILINE)
SECTION_MARKER = re.compile(r"^\[§ (.+)\]$", re.MULTILINE)
HEADINGS_LABEL = "its section headings>>"
FENCED_MATERIAL = re.compile(
    r"<<(DATA-[0-9a-f]+) (problem|document [^>\n]*)>>\n(.*?)\n<</\1 \2>>", re.DOTALL
)
QUOTE_WORDS = 8


def valid_step_ids(text: str) -> list[str]:
    """The step ids a prompt lists as `Valid step ids: 1-blue, 2-white, ....`."""
    match = VALID_IDS.search(text)
    return [s.strip() for s in match.group(1).split(",") if s.strip()] if match else []


def section_refs(text: str) -> list[str]:
    """The section headings a condensing prompt lists after its chunk."""
    _, _, listed = text.partition(HEADINGS_LABEL)
    return SECTION_MARKER.findall(listed)


def quotes_in(text: str) -> list[str]:
    """Runs of words from the problem and documents a prompt fences: what a quote may copy."""
    quotes = []
    for _, _, material in FENCED_MATERIAL.findall(text):
        words = material.split()
        step = max(len(words) // 12, QUOTE_WORDS)  # a dozen quotes from across each text
        quotes += [" ".join(words[i : i + QUOTE_WORDS]) for i in range(0, len(words), step)]
    return [q for q in quotes if q]


@dataclass
class AnswerMaker:
    """Makes sample values for schemas; `words` and `items` set the size of each answer."""

    words: int = 8
    items: int = 2
    choices: dict[str, list[str]] = field(default_factory=dict)
    markup: str = ""  # added to every free text: a model that writes HTML or Markdown
    first: int = 0  # where the count starts: the stand-in starts each request further on
    _counter: itertools.count[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._counter = itertools.count(self.first)

    def make(self, schema: dict[str, Any]) -> Any:
        return self._value(schema, schema.get("$defs", {}), None)

    def _text(self) -> str:
        """A sentence of `words` words, as a model writes one (a capital, a final stop), and
        different from every other this maker wrote (its first words spell the counter)."""
        start, size = next(self._counter), len(VOCABULARY)
        digits = [(start // size**i) % size for i in range(4)]
        words = [VOCABULARY[(d + i) % size] for i, d in enumerate(digits)]
        words += [VOCABULARY[(start + i) % size] for i in range(4, self.words)]
        text = " ".join(words[: self.words])
        return text[0].upper() + text[1:] + "." + (f" {self.markup}" if self.markup else "")

    def _value(
        self, schema: dict[str, Any], defs: dict[str, Any], name: str | None, at: int | None = None
    ) -> Any:
        """A value for `schema`; `at` is the position in the array it is an item of (or in),
        so that the items of an array take different enum values (one per alternative)."""
        if "$ref" in schema:
            return self._value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, name, at)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            choice = next(self._counter) if at is None else at
            return schema["enum"][choice % len(schema["enum"])]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            typed = [o for o in options if o.get("type") != "null"] or options
            return self._value(typed[0], defs, name, at)
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            properties = schema.get("properties", {})
            return {key: self._value(sub, defs, key, at) for key, sub in properties.items()}
        if kind == "array":
            count = max(schema.get("minItems", 0), min(self.items, schema.get("maxItems", 10**6)))
            pool = self.choices.get(name or "")
            if pool:
                return pool[:count]
            return [self._value(schema.get("items", {}), defs, None, i) for i in range(count)]
        if kind == "string":
            pool = self.choices.get(name or "")
            return pool[next(self._counter) % len(pool)] if pool else self._text()
        if kind in ("number", "integer"):
            low, high = schema.get("minimum", 0), schema.get("maximum", 1)
            middle = (low + high) / 2
            return round(middle) if kind == "integer" else middle
        if kind == "boolean":
            return True
        return None


def requested_schema(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The schema name and schema a request asks for, in json_schema or json_object mode."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        return str(spec.get("name", "")), spec.get("schema") or {}
    if fmt.get("type") == "json_object" and fmt.get("schema"):
        schema = fmt["schema"]
        return str(schema.get("title", "")), schema
    return None


def completion_body(
    content: str, prompt_tokens: int, model: str | None = None, cached_tokens: int = 0
) -> dict[str, Any]:
    """A chat completion answering with `content`, its usage counted from the text."""
    completion_tokens = estimate_tokens(content)
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
        },
    }


PROMPT_SCHEMA_LABEL = "It must match this JSON schema:\n"


def prompt_schema(messages: list[str]) -> dict[str, Any]:
    """The schema a request in `prompt` mode carries at the end of its first user message,
    after the step's own part (as the model of an MCP client's sampling receives it, with no
    response_format)."""
    carrying = next(m for m in messages if PROMPT_SCHEMA_LABEL in m)
    return dict(json.loads(carrying.split(PROMPT_SCHEMA_LABEL, 1)[1]))


def answer_in_prompt_mode(system: str, texts: list[str], maker: AnswerMaker) -> str:
    """A valid answer, as JSON text, to a request whose schema is in its first user message;
    cited step ids and sections are those the prompt lists, as the stand-in server's are."""
    prompt = "\n".join([system, *texts])
    maker.choices = {"sources": valid_step_ids(prompt), "section": section_refs(prompt)}
    return json.dumps(maker.make(prompt_schema(texts)))
