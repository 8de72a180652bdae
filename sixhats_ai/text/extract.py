"""Text out of markup and binaries: HTML, PDF and Word, within bounds.

HTML goes through BeautifulSoup; PDF and Word files through pypdf and python-docx, from the
optional `docs` extra: without it those files raise `MissingExtra`, and the batch skips them.

A file's size on disk says little of what extracting it costs: a DOCX is a zip, and 700 KB
of it can unpack to 100 MB of XML, three million paragraphs that python-docx takes minutes
and gigabytes to walk. So a Word document is refused from its zip directory alone when its
XML would unpack to more than `MAX_UNPACKED_XML_BYTES`, or, before python-docx parses it, when
its XML holds more than `MAX_WORD_PARAGRAPHS` paragraphs (within the first cap, 23 KB can
still hold 2.6 million); every extraction stops, refused, when it has taken
`MAX_EXTRACT_SECONDS` or made more text than an input may hold.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from sixhats_ai.errors import UsageError
from sixhats_ai.resources import pip_install

MAX_INPUT_BYTES = 20 * 1024 * 1024  # a file as read, and the text taken out of it
MAX_UNPACKED_XML_BYTES = 16 * 1024 * 1024  # a Word document's XML parts, unpacked
MAX_WORD_PARAGRAPHS = 100_000  # about 2,000 pages: python-docx walks 90,000 in 2.6 s and 100 MB
# A paragraph's start tag, whatever prefix names its namespace (found in the bytes, unparsed;
# counted only up to the cap).
_PARAGRAPH = re.compile(rb"<(?:[\w.-]+:)?p[\s/>]")
MAX_EXTRACT_SECONDS = 5.0
DOCS_EXTRA_HINT = f"install the docs extra: {pip_install('docs')}"
_CHECK_EVERY = 256  # pieces (paragraphs, rows, pages) between two looks at the clock


class MissingExtra(UsageError):
    """A format that needs the optional `docs` extra, which is not installed."""


def exact_size(size: int) -> str:
    """`20,971,521 bytes (20.0 MB)`: both exact and readable, so two sizes that round alike
    still read as different."""
    return f"{size:,} bytes ({size / (1024 * 1024):.1f} MB)"


def _bounded(path: Path, pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a file's text, refused once they took too long or grew too large."""
    started = time.monotonic()
    size = 0
    for count, piece in enumerate(pieces, 1):
        size += len(piece)
        if size > MAX_INPUT_BYTES:
            raise UsageError(
                f"{path} holds more than {exact_size(MAX_INPUT_BYTES)} of text",
                hint="split it or pass a shorter version",
            )
        if count % _CHECK_EVERY == 0 and time.monotonic() - started > MAX_EXTRACT_SECONDS:
            raise UsageError(
                f"taking the text out of {path} took more than {MAX_EXTRACT_SECONDS:g} s",
                hint="save it as plain text or Markdown and pass that",
            )
        yield piece


def html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    body = soup.get_text("\n", strip=True)
    return f"{title}\n\n{body}" if title and title not in body else body


def pdf_text(path: Path, data: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise MissingExtra(f"{path} is a PDF", hint=DOCS_EXTRA_HINT) from None
    # pypdf logs what it repairs ("EOF marker not found") to stderr; the error says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UsageError(f"{path} is an encrypted PDF", hint="pass an unencrypted copy")
        pages = (page.extract_text() or "" for page in reader.pages)
        return "\n\n".join(_bounded(path, pages))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise UsageError(f"{path} is not a readable PDF: {exc}", hint="check the file") from None


def _check_unpacked(path: Path, data: bytes) -> None:
    """Refuse a Word document whose XML unpacks to more than we will parse, from the zip's
    directory alone (Python's zipfile never inflates an entry past its stated size), or holds
    more paragraphs than python-docx should walk, counted in its bytes before any parse."""
    import zipfile
    import zlib

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
        unpacked = sum(e.file_size for e in entries if e.filename.endswith((".xml", ".rels")))
        if unpacked > MAX_UNPACKED_XML_BYTES:
            raise UsageError(
                f"{path} unpacks to {exact_size(unpacked)} of XML, more than the "
                f"{exact_size(MAX_UNPACKED_XML_BYTES)} a Word document may hold",
                hint="save it as plain text or Markdown and pass that",
            )
        parts = (archive.read(e) for e in entries if e.filename.endswith(".xml"))
        paragraphs = itertools.chain.from_iterable(_PARAGRAPH.finditer(xml) for xml in parts)
        too_many = next(itertools.islice(paragraphs, MAX_WORD_PARAGRAPHS, None), None)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
        raise UsageError(f"{path} is not a readable .docx file: {exc}") from None
    if too_many is not None:
        raise UsageError(
            f"{path} holds more than the {MAX_WORD_PARAGRAPHS:,} paragraphs a Word document "
            "may hold",
            hint="save it as plain text or Markdown and pass that",
        )


def docx_text(path: Path, data: bytes) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:
        raise MissingExtra(f"{path} is a Word document", hint=DOCS_EXTRA_HINT) from None
    import zipfile

    _check_unpacked(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable .docx file: {exc}") from None

    def pieces() -> Iterator[str]:
        yield from (p.text for p in document.paragraphs)
        for table in document.tables:
            for row in table.rows:
                yield " | ".join(cell.text for cell in row.cells)

    return "\n".join(_bounded(path, pieces()))
