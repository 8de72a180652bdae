"""Random entry: the random word a green hat starts from, supplied by the tool.

A model cannot give itself a random word (it picks one that fits the problem, which defeats the
technique), so the tool draws one from a packaged list of concrete nouns. The draw is seeded by
a hash of the run's problem, documents and step id: unpredictable from the problem's meaning,
yet the same for the same request, so a cached rerun or a `batch --force` over unchanged inputs
sends the same prompt again (and is answered from the store). The word is kept in the step's
record in the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parent / "random_words.txt"


@cache
def word_list() -> tuple[str, ...]:
    words = WORDS_FILE.read_text(encoding="utf-8").split()
    return tuple(dict.fromkeys(w.strip().lower() for w in words if w.strip()))


def random_word(texts: Sequence[str], step_id: str) -> str:
    """The random entry word of one green step, drawn from the run's own texts (its problem
    and documents) so that the same run always draws the same word."""
    digest = hashlib.sha256()
    for part in (*texts, step_id):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    words = word_list()
    return words[int.from_bytes(digest.digest()[:8], "big") % len(words)]
