"""Writing files so that nothing is ever left half written."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from sixhats_ai.errors import SixhatsError, UsageError, option

_SURROGATES = re.compile("[\ud800-\udfff]")


def check_writable(path: Path) -> None:
    """Fail now, before any paid work, if `path` cannot be written later."""
    if path.is_dir():
        raise UsageError(f"output path {path} is a directory", hint="name a file")
    parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is a file", hint="choose another path")
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: {parent} is not writable")


def format_of(path: Path, formats: Mapping[str, str]) -> str:
    """The format `path`'s extension names (md without one). An unknown extension is an
    error, so that `-o report.pdf` never gets Markdown under a PDF's name."""
    suffix = path.suffix.lower()
    if not suffix:
        return "md"
    if suffix in formats:
        return formats[suffix]
    first: dict[str, str] = {}
    for ext, fmt in formats.items():
        first.setdefault(fmt, ext)  # one extension a format
    known = ", ".join(first.values())
    raise UsageError(
        f"cannot tell the format of {path.name} from its extension",
        hint=f"name it {known}, or pass {option('format')}",
    )


def _utf8(text: str) -> bytes:
    """The text as UTF-8. A file name's bytes that are not UTF-8 reach it as surrogates (as
    Python decodes names): written as U+FFFD, so the reports and the index naming that file
    are written, not stopped by a UnicodeEncodeError."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text).encode("utf-8")


def atomic_write(path: Path, data: str | bytes, *, folder_checked: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` in one step.

    The new file gets the mode the old one had, or the umask's default for a new file (a
    temporary file from `tempfile` would leave every report readable by its owner only).
    With `folder_checked` (a batch's --out, checked once for its thousands of files) the
    folder is not checked and made again.
    """
    path = Path(path)
    if not folder_checked:
        check_writable(path)
    payload = _utf8(data) if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        if not folder_checked:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            try:
                rest = memoryview(payload)
                while rest:
                    rest = rest[os.write(fd, rest) :]
                os.fdatasync(fd)
            finally:
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):  # a new file keeps the umask's mode
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        if exc.errno == errno.ENOSPC:  # a runtime failure (exit 1), not bad input
            raise SixhatsError(
                f"cannot write {path}: the disk is full",
                hint="free some space and run the same command again",
            ) from None
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
