"""Opening the run store's file, and what SQLite's failures mean for the user.

A store whose folder cannot be written (a read-only disk, a folder of another user) is still
read: `history`, `show`, `store check` and a `--no-log` run's cache need no write. SQLite
cannot open a WAL store read-only without making its `-shm` file beside it, so in such a
folder the file is opened `immutable` (no lock taken, as nothing can write it there). Nor can
it open one on a full disk, where the -shm file cannot grow: there too a store is read
`immutable` (`RunStore`), so that the full disk's error can advise --no-log.

The failures: damage (SQLITE_CORRUPT, SQLITE_NOTADB), a full disk (SQLITE_FULL) and a
read-only store each become their own one-line error, never an "unexpected" one.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sixhats_ai.errors import SixhatsError, UsageError, option

DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
NEARLY_FULL_BYTES = 1 << 20
ELSEWHERE_HINT = f"set SIXHATS_DATA_DIR to another folder, or keep nothing: {option('keep', False)}"


class StoreFull(SixhatsError):
    """The disk holding the run store is full: a runtime failure (exit 1), not bad input."""


def writable(path: Path) -> bool:
    """Whether the store at `path` (and its folder, where SQLite makes its -wal and -shm
    files) can be written. `os.access` answers for this process: a read-only disk even for
    root, a folder's mode for anyone else."""
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), path.parent)
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def holds_store(path: Path) -> bool:
    """Whether there is a store at `path` to read: an empty file is none (SQLite makes the
    file first, and a disk that fills then leaves it empty)."""
    return path.exists() and not (path.is_file() and path.stat().st_size == 0)


def connect(path: Path, *, timeout: float = 5.0, immutable: bool = False) -> sqlite3.Connection:
    """A connection to the store: read-write, or read-only when it cannot be written (or
    `immutable`: a full disk). Not `mode=ro` where it can: a read-only connection to a WAL
    store leaves its -wal and -shm files behind, where this one removes them on closing."""
    if not immutable and writable(path):
        return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    shm_present = Path(f"{path}-shm").exists()
    flag = "mode=ro" if shm_present and not immutable else "immutable=1"
    return sqlite3.connect(
        f"file:{quote(str(path.resolve()))}?{flag}",
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
    )


def _no_space(path: Path) -> bool:
    """Whether the store's disk is (all but) full: SQLite reports a -shm file that cannot
    grow there as a plain I/O error, without the OS's reason."""
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), path.parent)
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB (extended codes included)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised without a code: only a plain DatabaseError means damage
        return type(exc) is sqlite3.DatabaseError
    return code & 0xFF in DAMAGE_CODES


def full(path: Path, detail: object) -> StoreFull:
    return StoreFull(
        f"the disk holding the run store {path} is full ({detail})",
        hint=f"free some space, or {ELSEWHERE_HINT}",
    )


def read_only(path: Path) -> UsageError:
    return UsageError(
        f"the run store {path} is read-only (its folder or file cannot be written)",
        hint=f"make it writable, or {ELSEWHERE_HINT}",
    )


def explained(path: Path, exc: sqlite3.Error | OSError) -> SixhatsError | None:
    """The one-line error a failure of the store's file means, or None for one that is not
    about the file (a bug, a lock held too long)."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return full(path, exc.strerror)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return read_only(path)
        return None
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and _no_space(path)):
        return full(path, exc)
    if code == sqlite3.SQLITE_READONLY:
        return read_only(path)
    if code == sqlite3.SQLITE_CANTOPEN:
        return UsageError(f"cannot open the run store {path} ({exc})", hint=ELSEWHERE_HINT)
    return None
