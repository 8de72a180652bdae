"""Model and user text made safe in Markdown: it is text, never markup.

A model's answer (and a problem statement, a proposal) can hold `<script>`, `<img onerror>`,
a line `# INJECTED HEADING` or a `|` that breaks a table. Every such text goes through `md`:
one line (so it cannot start a heading, a list or a quote of its own), HTML angle brackets as
entities, and the characters that make links and tables escaped.
"""

from __future__ import annotations

import re

_ESCAPES = {"|": "\\|", "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;", "`": "\\`"}
_ESCAPED = re.compile(r"[\\|\[\]<>`]")  # a text holding none is escaped as it is
_LINE_START = re.compile(r"^([#>+*=-]|\d+[.)])")


def md(text: str | None) -> str:
    """`text` as literal Markdown text on one line ("" for None). Most texts hold nothing to
    escape: they are looked at once (a report escapes some seventy of them)."""
    if not text:
        return ""
    text = " ".join(text.split())
    if _ESCAPED.search(text):
        text = text.replace("\\", "\\\\")
        for char, escaped in _ESCAPES.items():
            text = text.replace(char, escaped)
    return "\\" + text if _LINE_START.match(text) else text
