"""Quotes of the supplied material: how a hat is asked for one, and how one is shown.

The tool, not the model, says whether a quote was found in the material (`run/quotes.py`
looks), so a quote it did not find is never shown as the source's words.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from sixhats_ai.text.prose import quoted


def quote_field(what: str) -> Any:
    """A short verbatim quote of the supplied material; the tool looks for it there."""
    return Field(
        None,
        description=f"{what}: a short quote (at most 25 words) copied word for word from the "
        "problem statement or a document; else null",
    )


# Set by the tool, never by the model (not in the schema sent): whether a quote was found in
# the supplied material (ignoring case and whitespace); None when there was nothing to check.
QuoteFound = SkipJsonSchema[bool | None]


def quote_note(quote: str | None, found: bool | None) -> str:
    """A quote as the board and the report show it: never as the source's words when the tool
    looked for it there and did not find it."""
    if not quote:
        return ""
    if found is False:
        return f"Quote not found in the source: {quoted(quote)}"
    return f"Quote: {quoted(quote)}" + (" (found in the source)" if found else "")
