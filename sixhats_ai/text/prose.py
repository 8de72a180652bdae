"""Model fields joined into sentences a person would write.

A model's fields come with or without a capital and a final stop; glued together as they come
they read "... example., for people (because The pattern ...". `sentence` makes one field a
sentence of its own, `clause` one that goes inside another, and `joined` puts sentences
together: the one place the report and the board compose prose from fields.
"""

from __future__ import annotations

import re

_END = re.compile(r"[\s.;,:]+$")
_STOPS = (".", "!", "?", "…")


def clause(text: str) -> str:
    """`text` to go inside a sentence: one line, no final stop or comma."""
    return _END.sub("", " ".join(text.split()))


def sentence(text: str) -> str:
    """`text` as a sentence: one line and one final stop (its words as the model wrote them:
    a later step or a reader may look for them verbatim)."""
    one_line = " ".join(text.split())
    if not one_line or one_line.endswith(_STOPS):
        return one_line
    return clause(one_line) + "."


def joined(*parts: str) -> str:
    """The non-empty parts as sentences, one after the other."""
    return " ".join(sentence(p) for p in parts if p.strip())


def first_words(text: str, count: int) -> str:
    """The first `count` words of `text`, with "…" when there were more: a table's cell."""
    words = clause(text).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def quoted(text: str) -> str:
    """A quote of the material, in quotation marks, on one line."""
    return f"“{clause(text)}”"
