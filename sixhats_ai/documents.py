"""The user's problem and documents as text, made safe to put in a prompt.

Inputs are untrusted: invisible and control characters (zero-width spaces, bidi overrides)
are stripped so that nothing hides from a reader what the model is shown. Pure text in, text
out: reading files is `inputs.py`'s business.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_KEPT_CONTROLS = {"\n", "\t"}


def sanitize(text: str) -> str:
    """Drop control and format characters (Cc, Cf) except newline and tab; normalise newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )


@dataclass(frozen=True)
class Document:
    name: str
    text: str
