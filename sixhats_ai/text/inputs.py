"""Reading the user's files: a problem, context documents, a batch's inputs and their text.
`read_problem` and `read_documents` are the library's (`sixhats_ai` exports them).

Binary or non-UTF-8 files are refused with a clear message rather than fed to the model as
noise.

Discovery is a generator: directories are walked lazily (one directory's names at a time) and
paths on stdin are read line by line, so thousands of files cost no more than their names.
A path that cannot be used is yielded as an `InputProblem` rather than raised, so one bad path
never stops the others. Text is extracted only when a file's turn comes (`load_input`).

The text of HTML, PDF and Word files is taken out by `extract.py`, within bounds.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sixhats_ai.errors import UsageError, option
from sixhats_ai.text.documents import Document, safe_line, sanitize
from sixhats_ai.text.extract import MAX_INPUT_BYTES, docx_text, exact_size, html_text, pdf_text
from sixhats_ai.text.extract import MissingExtra as MissingExtra  # where batches look for it

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
DOCS_SUFFIXES = frozenset({".pdf", ".docx"})
EXTRACTED_SUFFIXES = HTML_SUFFIXES | DOCS_SUFFIXES  # text taken out of markup or a binary
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | EXTRACTED_SUFFIXES


@dataclass(frozen=True)
class InputFile:
    """A file to analyse; `path` is as the user gave it, or joined onto a directory they gave."""

    path: Path


@dataclass(frozen=True)
class InputProblem:
    """A path that cannot be analysed, and why; reported in the index, not raised."""

    path: Path
    error: UsageError


Discovered = InputFile | InputProblem


@dataclass(frozen=True)
class LoadedInput:
    text: str
    sha256: str


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path, glob: str | None, skip: Path | None) -> Iterator[Discovered]:
    """Files under `root`, sorted per directory, skipping hidden entries and `skip`."""
    found = False
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if not _hidden(d) and (skip is None or not _same(here / d, skip))
        )
        in_out_dir = skip is not None and _same(here, skip)
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if _hidden(name) or in_out_dir:  # reports and the index are not proposals
                continue
            if glob is not None:
                wanted = fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(name, glob)
            else:
                wanted = path.suffix.lower() in SUPPORTED_SUFFIXES
            if wanted:
                found = True
                yield InputFile(path)
    if not found:
        looked_for = f"files matching {glob!r}" if glob else _suffix_list()
        yield InputProblem(
            root,
            UsageError(
                f"no inputs found in {root} (looked for {looked_for})",
                hint=f"check the folder and the {option('glob')} pattern"
                if glob
                else f"check the folder, or pass {option('glob')}",
            ),
        )


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _suffix_list() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def stdin_paths() -> Iterator[str]:
    """Paths read lazily from stdin, one a line; blank lines are ignored."""
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def discover(
    paths: Iterable[str],
    *,
    glob: str | None = None,
    skip: Path | None = None,
    note: Callable[[str], None] | None = None,
) -> Iterator[Discovered]:
    """Every input named by `paths` (files or directories, `-` for paths on stdin), in order.
    A file named twice (the same path, another spelling of it, a link to it, hard or
    symbolic, or inside a folder also given) is one input, where it first appears; a second
    name of it is told to `note` in one line."""
    first: dict[tuple[int, int] | Path, Path] = {}
    for item in _named(paths, glob, skip):
        if isinstance(item, InputFile):
            same = _file_identity(item.path)
            if same in first:
                kept = first[same]
                if note is not None and kept != item.path:  # another name, not the same again
                    note(
                        f"note: {safe_line(str(item.path))} is the same file as "
                        f"{safe_line(str(kept))}, analysed once"
                    )
                continue
            first[same] = item.path
        yield item


def _file_identity(path: Path) -> tuple[int, int] | Path:
    """What two names of one file share, as `os.path.samefile` compares them: its device and
    file id (a hard link has no other way to tell); its real path where the file system has
    no ids (0); the path itself for a broken link or a loop of them, left to fail when read."""
    try:
        stat = path.stat()
        return (stat.st_dev, stat.st_ino) if stat.st_ino else path.resolve()
    except OSError:
        return path


def _named(paths: Iterable[str], glob: str | None, skip: Path | None) -> Iterator[Discovered]:
    for raw in paths:
        if raw == "-":
            yield from _named(stdin_paths(), glob, skip)
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from _walk(path, glob, skip)
        elif path.exists() and skip is not None and _same(path.parent, skip):
            yield InputProblem(
                path,
                UsageError(
                    f"{path} is in the {option('out')} folder, where its report would overwrite it",
                    hint="write the reports to another folder",
                ),
            )
        elif path.exists():
            yield InputFile(path)
        else:
            yield InputProblem(path, UsageError(f"{path} does not exist", hint="check the path"))


def count_inputs(paths: Iterable[str], *, glob: str | None = None, skip: Path | None = None) -> int:
    """How many inputs `paths` name (names only, no text read); a UsageError if no file.

    Lets the batch show what remains and an ETA, and refuse at once a run with nothing to do.
    """
    total = files = 0
    first: UsageError | None = None
    for item in discover(paths, glob=glob, skip=skip):
        total += 1
        if isinstance(item, InputFile):
            files += 1
        elif first is None:
            first = item.error
    if not files:
        raise first or UsageError("no inputs given", hint="pass files or folders")
    return total


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", hint="check the path") from None
    if size > MAX_INPUT_BYTES:
        raise UsageError(
            f"{path} is {exact_size(size)}, more than the {exact_size(MAX_INPUT_BYTES)} "
            "an input may be",
            hint="split it or pass a shorter version",
        )


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise UsageError(f"{path} is a directory", hint="pass a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None


def load_input(path: Path) -> LoadedInput:
    """The input's text (made safe for a prompt) and the hash of its bytes.

    Raises UsageError when the file cannot be used, MissingExtra when it needs the docs extra.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UsageError(
            f"{path}: unsupported format {suffix or '(no extension)'}",
            hint=f"use one of {_suffix_list()}",
        )
    _check_size(path)
    if suffix in TEXT_SUFFIXES:
        # read_text_file reads the bytes itself; hash the same bytes it decoded.
        text = read_text_file(path, what="input")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    else:
        data = _read_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        if suffix in HTML_SUFFIXES:
            if b"\x00" in data[:8192]:
                raise UsageError(f"{path} is binary, not HTML", hint="pass a text file")
            text = html_text(data)
        elif suffix == ".pdf":
            text = pdf_text(path, data)
        else:
            text = docx_text(path, data)
    text = sanitize(text).strip()
    if not text:
        hint = "a scanned PDF needs OCR first" if suffix == ".pdf" else "pass a proposal with text"
        raise UsageError(f"{path} has no text", hint=hint)
    return LoadedInput(text=text, sha256=digest)


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
    # UTF-16 with its byte-order mark: what Windows Notepad's "Unicode" and PowerShell 5's
    # `>` write. Its NUL bytes made it look binary.
    utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and data[2:4] != b"\x00\x00"
    if not utf16 and b"\x00" in data[:8192]:
        raise UsageError(f"{what} {path} is binary, not text", hint="pass a UTF-8 text file")
    encoding = "UTF-16" if utf16 else "UTF-8"
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not valid {encoding} (byte {exc.start})",
            hint="convert it, e.g. `iconv -t utf-8`",
        ) from None


def document_text(path: Path, *, what: str) -> str:
    """A file's text: extracted from HTML, PDF or Word as batch does, else read as UTF-8."""
    if path.suffix.lower() in EXTRACTED_SUFFIXES and path.is_file():
        return load_input(path).text
    if path.is_file():  # the cap batch holds an input to: analyze would condense it for hours
        _check_size(path)
    return read_text_file(path, what=what)


def read_problem(text: str | None, file: Path | None = None) -> str:
    """The problem statement: `text`, or the text of `file` (HTML, PDF and Word read as
    `batch` reads them), or stdin when `text` is "-"; made safe for a prompt."""
    if text is not None and file is not None:
        raise UsageError(f"give the problem either as text or with {option('file')}, not both")
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
        raise UsageError(  # brief reads its topic here too: the hint names no command
            "no problem given",
            hint='pass it as text in quotes, e.g. "Should we...?", or a file with '
            + option("file"),
        )
    problem = sanitize(raw).strip()
    if not problem:
        raise UsageError("the problem is empty", hint="describe the problem in a sentence or more")
    return problem


def read_documents(paths: Sequence[Path]) -> list[Document]:
    """Context documents from files, each named by its file; an empty one is left out."""
    docs = []
    for path in paths:
        text = sanitize(document_text(path, what="context file")).strip()
        if text:
            docs.append(Document(name=safe_line(path.name), text=text))
    return docs
