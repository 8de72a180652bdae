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


# Markdown that is markup, not words: a heading, list or quote marker at the start of a line, a
# table's rule row, and emphasis, code ticks and table pipes anywhere.
_LINE_MARKER = re.compile(r"^[ \t]*(?:#+|[-*+>]|\d+[.)])[ \t]+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t|:-]*-[ \t|:-]*$", re.MULTILINE)
_INLINE_MARKUP = str.maketrans({c: " " for c in "*`|"})


def unmarked(text: str) -> str:
    """`text`'s words without its Markdown markup, its lines kept (underscores stay: they are
    as often part of a name as emphasis)."""
    text = _TABLE_RULE.sub("", _LINE_MARKER.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.translate(_INLINE_MARKUP).splitlines())


PROBLEM_WORDS = 60  # a problem this short is shown whole; a longer one by its title and start


def problem_summary(problem: str, title: str | None) -> str:
    """The problem as a report's appendix names it: whole when short, else its title (or first
    line), its size and its first words, never a whole document flattened into one paragraph."""
    lines = [line for line in unmarked(problem).splitlines() if line]
    words = " ".join(lines).split()
    if len(words) <= PROBLEM_WORDS:
        return " ".join(words)
    head = clause(title) if title else lines[0]
    rest = lines[1:] if lines[0] == head else lines
    size = f"{len(problem.encode()) / 1024:.1f} KB, {len(words):,} words"
    return f"{head} ({size}), which begins: {quoted(first_words(' '.join(rest), 30))}"


_WORD = re.compile(r"\w+")
RESTATED = 0.75  # the share of a text's words found in another for it to say nothing new


def restates(text: str, other: str) -> bool:
    """Whether `text` says the same as `other` in substance: nearly all its words (case aside)
    are in `other`, as a decision that repeats the recommendation just above it."""
    words = set(_WORD.findall(text.casefold()))
    return not words or len(words & set(_WORD.findall(other.casefold()))) >= RESTATED * len(words)
