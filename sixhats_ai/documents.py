"""Reading the user's problem and documents, and making them safe to put in a prompt.

Inputs are untrusted: invisible and control characters (zero-width spaces, bidi overrides)
are stripped so that nothing hides from a reader what the model is shown, and binary or
non-UTF-8 files are refused with a clear message rather than fed to the model as noise.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

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


def read_text_file(path: Path, *, what: str = "file") -> str:
    """A UTF-8 text file's content, or a UsageError saying why it cannot be used."""
    if not path.exists():
        raise UsageError(f"{what} {path} does not exist", hint="check the path")
    if path.is_dir():
        raise UsageError(f"{what} {path} is a directory", hint="pass a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if b"\x00" in data[:8192]:
        raise UsageError(f"{what} {path} is binary, not text", hint="pass a UTF-8 text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not valid UTF-8 (byte {exc.start})",
            hint="convert it, e.g. `iconv -t utf-8`",
        ) from None


def document_text(path: Path, *, what: str) -> str:
    """A file's text: extracted from HTML, PDF or Word as batch does, else read as UTF-8."""
    from sixhats_ai.inputs import EXTRACTED_SUFFIXES, load_input

    if path.suffix.lower() in EXTRACTED_SUFFIXES and path.is_file():
        return load_input(path).text
    return read_text_file(path, what=what)


def read_problem(text: str | None, file: Path | None) -> str:
    """The problem statement from the argument, a file (`-f`), or stdin (`-`)."""
    if text is not None and file is not None:
        raise UsageError("give the problem either as text or with -f, not both")
    if file is not None:
        raw = document_text(file, what="problem file")
    elif text == "-":
        data = sys.stdin.buffer.read()
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"stdin is not valid UTF-8 (byte {exc.start})",
                hint="convert it, e.g. `iconv -t utf-8`",
            ) from None
    elif text is not None:
        raw = text
    else:
        raise UsageError(
            "no problem given", hint='pass it as text, e.g. sixhats analyze "Should we...?"'
        )
    problem = sanitize(raw).strip()
    if not problem:
        raise UsageError("the problem is empty", hint="describe the problem in a sentence or more")
    return problem


def read_documents(paths: list[Path]) -> list[Document]:
    docs = []
    for path in paths:
        text = sanitize(document_text(path, what="context file")).strip()
        if text:
            docs.append(Document(name=path.name, text=text))
    return docs


def fit_to_context(
    problem: str, docs: list[Document], max_tokens: int, *, truncate: bool
) -> tuple[list[Document], list[str]]:
    """Check the input fits the model's context; with `truncate`, cut documents to fit.

    Returns the documents to use and warnings to show. Without `truncate`, an input too large
    is a UsageError naming the sizes, so the user never pays for a request the server refuses
    or (as Ollama does) silently truncates.
    """
    from sixhats_ai.pricing import estimate_tokens

    problem_tokens = estimate_tokens(problem)
    total = problem_tokens + sum(estimate_tokens(d.text) for d in docs)
    if total <= max_tokens:
        return docs, []
    if problem_tokens > max_tokens:  # no cut of the documents can help: say so at once
        raise UsageError(
            f"the problem alone is about {problem_tokens} tokens, more than "
            f"the {max_tokens} available",
            hint="put the long text in a --context file, or shorten it",
        )
    if not truncate:
        raise UsageError(
            f"the input is about {total} tokens, more than the {max_tokens} this model's "
            "context leaves for it",
            hint="pass --truncate to cut it, --context-window if the model's is larger, "
            "or a shorter input",
        )
    room = max_tokens - problem_tokens
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
