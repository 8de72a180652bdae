"""Reading the user's problem and documents, and making them safe to put in a prompt.

Inputs are untrusted: invisible and control characters (zero-width spaces, bidi overrides)
are stripped so that nothing hides from a reader what the model is shown, and binary or
non-UTF-8 files are refused with a clear message rather than fed to the model as noise.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sixhats_ai.errors import UsageError

TRUNCATION_MARK = "\n[... truncated]"
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
