"""Splitting a long document at its headings and paragraphs into chunks of a given size.

Each chunk knows the sections it covers by their headings, as written in the document
(Markdown `#` and underlined headings, reStructuredText underlines, and the `[§ heading]`
markers a condensed document carries), so whatever is drawn from a chunk can cite the
section it came from. Sections are found with one regular-expression scan and kept as
offsets into the text, so a 10 MB document is split without copying it more than once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sixhats_ai.tokens import chars_for_tokens

OPENING = "opening"  # the reference of the text before the first heading
MAX_REF_CHARS = 100
_HEADING = re.compile(
    r"^(?:"
    r"\#{1,6}[ \t]+(?P<atx>[^\n]*?)[ \t#]*"  # Markdown: ## Title
    r"|\[§[ \t](?P<marker>[^\n\]]+)\]"  # a condensed document: [§ Title]
    r"|(?P<title>[^\s\n][^\n]*)\n(?P<rule>=+|-+|~+|\^+|\*+|\++|\#+)"  # Title\n=====
    r")[ \t]*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Section:
    """A section of a text: its heading (`ref`) and where its body lies."""

    ref: str
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough for one request, with the sections it covers."""

    text: str
    refs: tuple[str, ...]


def _ref(match: re.Match[str]) -> str | None:
    """A heading's text, or None for an underline too short to make one (a table rule)."""
    title = match.group("atx") or match.group("marker")
    if title is None:
        title, rule = match.group("title"), match.group("rule")
        if len(rule) < min(len(title.rstrip()), 3):
            return None
    ref = " ".join(title.replace("\\", "").strip("*_` ").split())
    return ref[:MAX_REF_CHARS] or None


def sections(text: str) -> list[Section]:
    """The text's sections in order; text before the first heading is the `opening`."""
    found: list[Section] = []
    ref, start = OPENING, 0
    for match in _HEADING.finditer(text):
        title = _ref(match)
        if title is None:
            continue
        if text[start : match.start()].strip():
            found.append(Section(ref, start, match.start()))
        ref, start = title, match.end()
    if text[start:].strip():
        found.append(Section(ref, start, len(text)))
    return found


def _pieces(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """(start, end) spans of at most `limit` characters, cut at a paragraph break, else a
    line break, else a space, else anywhere."""
    while end - start > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, start + limit // 2, start + limit)
            if cut != -1:
                break
        cut = start + limit if cut == -1 else cut + 1
        yield start, cut
        start = cut
    if text[start:end].strip():
        yield start, end


def split(text: str, max_tokens: int) -> list[Chunk]:
    """Chunks of about `max_tokens` at most, whole sections together where they fit, each
    section opening with its `[§ heading]` marker."""
    limit = max(chars_for_tokens(max_tokens), 200)
    chunks: list[Chunk] = []
    parts: list[str] = []
    refs: list[str] = []
    size = 0
    for section in sections(text):
        for start, end in _pieces(text, section.start, section.end, limit - len(section.ref) - 8):
            body = text[start:end].strip()
            piece = f"[§ {section.ref}]\n{body}\n"
            if parts and size + len(piece) > limit:
                chunks.append(Chunk("\n".join(parts), tuple(dict.fromkeys(refs))))
                parts, refs, size = [], [], 0
            parts.append(piece)
            refs.append(section.ref)
            size += len(piece) + 1
    if parts:
        chunks.append(Chunk("\n".join(parts), tuple(dict.fromkeys(refs))))
    return chunks
