"""The user's problem and documents as text, made safe to put in a prompt.

Inputs are untrusted: invisible and control characters (zero-width spaces, bidi overrides)
are stripped so that nothing hides from a reader what the model is shown. Pure text in, text
out: reading files is `inputs.py`'s business.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs"})  # controls, format, private, surrogates
_ASCII_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f]+")  # the ASCII controls but \n and \t
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Where a dropped character can be: format characters are only in planes 0, 1 and the tags
# block of plane 14 so far (a test checks every code point), and the private-use planes 15
# and 16 are Co by Unicode's stability policy. Scanning these once takes a few hundredths of
# a second; all 17 planes would take 0.3 s.
_SCANNED_PLANES = (range(0x0, 0x20000), range(0xE0000, 0xE1000))
_PRIVATE_PLANES = ((0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


@functools.cache
def _dropped_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two compiled classes of the characters `sanitize` drops: those of the Basic
    Multilingual Plane, and the others (kept apart: one class holding both is 2.5x slower
    to match, and most texts hold no character beyond the BMP)."""
    ranges: list[tuple[int, int]] = []
    for plane in _SCANNED_PLANES:
        for code in plane:
            ch = chr(code)
            if ch in "\n\t" or unicodedata.category(ch) not in DROPPED_CATEGORIES:
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    ranges.extend(_PRIVATE_PLANES)
    bmp = [(a, min(b, 0xFFFF)) for a, b in ranges if a <= 0xFFFF]
    astral = [(max(a, 0x10000), b) for a, b in ranges if b > 0xFFFF]
    return re.compile(f"[{_char_class(bmp)}]+"), re.compile(f"[{_char_class(astral)}]+")


# A terminal's escape sequences, whole, so no `]0;title` is left of one: OSC (a window title, a
# hyperlink) to BEL or ST, CSI (cursor, colour, clear screen) in its 7- and 8-bit forms, and
# the two-byte ones (ESC c resets the terminal).
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)


def _clean_line(line: str) -> str:
    if line.isascii():
        return _ASCII_DROPPED.sub("", line)
    bmp, astral = _dropped_patterns()
    line = bmp.sub("", line)
    return astral.sub("", line) if _ASTRAL.search(line) else line


def sanitize(text: str) -> str:
    """Drop control and format characters (Cc, Cf, Co, Cs) except newline and tab;
    normalise newlines.

    No category lookup a character: a printable line (`str.isprintable`, in C) holds none of
    them and is kept whole; the other lines go through compiled classes. 10 MB takes a
    fraction of a second (bench scenario 11).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isprintable():
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if not line.isprintable():
            lines[number] = _clean_line(line)
    return "\n".join(lines)


def without_escapes(text: str) -> str:
    """`sanitize`, after taking out whole any terminal escape sequence: what a model or a
    file name contributes to what is printed or written, so no `]0;title` is left of one."""
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPE_SEQUENCE.sub("", text)
    return sanitize(text)


def safe_line(text: str) -> str:
    """A name made safe to print on one line (a file name, as an index row or a progress line
    shows it): no escape sequence, no control or format character, newlines and tabs as
    spaces."""
    return without_escapes(text).replace("\n", " ").replace("\t", " ")


def safe_strings(value: Any, source: str | None = None) -> Any:
    """A JSON value with every string in it sanitized: a model's answer, before anything
    reads it, so no escape sequence it holds reaches a terminal, a report or an index.

    `source` is the JSON text the value was read from, if it was: one with no escape in it
    (no backslash), no carriage return and nothing unprintable but newlines and tabs can hold
    no string that sanitizing would change, so the value is as safe as it is (walking every
    string of every answer was a twentieth of a batch in rounds)."""
    if source is not None and _plain(source):
        return value
    if isinstance(value, str):
        return without_escapes(value)
    if isinstance(value, list):
        return [safe_strings(item) for item in value]
    if isinstance(value, dict):
        return {safe_strings(key): safe_strings(item) for key, item in value.items()}
    return value


def _plain(text: str) -> bool:
    if "\\" in text or "\r" in text:
        return False
    return text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable()


_HEADING = re.compile(r"#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*")


def split_title(problem: str) -> tuple[str | None, str]:
    """A problem that opens with a Markdown heading (a proposal piped in): the heading as a
    title and the rest as the problem, so a report does not read `Problem: # Proposal...`.
    A problem that is only a heading, or has none, has no title and is kept whole."""
    first, _, rest = problem.strip().partition("\n")
    heading = _HEADING.fullmatch(first.strip())
    if heading is None or not rest.strip():
        return None, problem
    return heading.group(1).strip(), rest.strip()


@dataclass(frozen=True)
class Document:
    name: str
    text: str
