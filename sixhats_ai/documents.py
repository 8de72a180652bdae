"""The user's problem and documents as text, made safe to put in a prompt, and fitted to it.

Inputs are untrusted: invisible and control characters (zero-width spaces, bidi overrides)
are stripped so that nothing hides from a reader what the model is shown. Pure text in, text
out: reading files is `inputs.py`'s business.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sixhats_ai.errors import UsageError

_KEPT_CONTROLS = {"\n", "\t"}
TRUNCATION_MARK = "\n[... truncated]"


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


def fit_to_context(
    problem: str, docs: list[Document], max_tokens: int, *, truncate: bool
) -> tuple[list[Document], list[str]]:
    """Check the input fits the model's context; with `truncate`, cut documents to fit.

    Returns the documents to use and warnings to show. Without `truncate`, an input too large
    is a UsageError naming the sizes, so the user never pays for a request the server refuses
    or (as Ollama does) silently truncates.
    """
    from sixhats_ai.pricing import estimate_tokens

    total = estimate_tokens(problem) + sum(estimate_tokens(d.text) for d in docs)
    if total <= max_tokens:
        return docs, []
    if not truncate:
        raise UsageError(
            f"the input is about {total} tokens, more than the {max_tokens} this model's "
            "context leaves for it",
            hint="pass --truncate to cut it, --context-window if the model's is larger, "
            "or a shorter input",
        )
    room = max_tokens - estimate_tokens(problem)
    if room <= 0:
        raise UsageError(
            f"the problem alone is about {estimate_tokens(problem)} tokens, more than "
            f"the {max_tokens} available",
            hint="put the long text in a --context file, or shorten it",
        )
    kept: list[Document] = []
    warnings = []
    for doc in docs:
        size = estimate_tokens(doc.text)
        if size <= room:
            kept.append(doc)
            room -= size
            continue
        chars = max(room - estimate_tokens(TRUNCATION_MARK), 0) * 4
        warnings.append(f"warning: {doc.name} cut from about {size} to {max(room, 0)} tokens")
        if chars:
            kept.append(Document(doc.name, doc.text[:chars] + TRUNCATION_MARK))
        room = 0
    return kept, warnings
