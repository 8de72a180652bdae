"""Checking a run store before it is used.

A store is checked when it is opened: its header, that it is ours, that no newer version
wrote it, and `PRAGMA quick_check` over every page. A damaged store is refused for the whole
command with one line, before anything is written to it: writing into a damaged b-tree can
spread the damage, and a run kept there may not be read back (`store_recover` saves what
it still holds).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from sixhats_ai.errors import StoreDamaged, UsageError
from sixhats_ai.store.migrations import APPLICATION_ID, schema_version, unknown_migrations

SQLITE_HEADER = b"SQLite format 3\x00"
DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
RECOVER_HINT = (
    "`sixhats store recover` keeps what can still be read in a new store; or move the file "
    "aside, or set SIXHATS_DATA_DIR to another folder"
)
MAX_MAPPED_BYTES = 2**31
TABLES: tuple[Literal["runs", "requests"], ...] = ("runs", "requests")


def store_error(path: Path, what: str) -> UsageError:
    return UsageError(
        f"{path} {what}; it was left untouched",
        hint="move it aside to start a new store, or set SIXHATS_DATA_DIR to another folder",
    )


def damaged(path: Path, detail: object, *, when: str = "it was left untouched") -> StoreDamaged:
    return StoreDamaged(f"the run store {path} is corrupt ({detail}); {when}", hint=RECOVER_HINT)


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB (extended codes included)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised without a code: only a plain DatabaseError means damage
        return type(exc) is sqlite3.DatabaseError
    return code & 0xFF in DAMAGE_CODES


def reader(path: Path) -> sqlite3.Connection:
    """A connection that only reads. Not `mode=ro`: a read-only connection to a WAL store
    leaves its -wal and -shm files behind, where this one removes them on closing."""
    return sqlite3.connect(path, isolation_level=None)


def _header(path: Path) -> bytes:
    if path.is_dir():
        raise store_error(path, "is a folder, not a run store")
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"cannot read the run store {path}: {exc.strerror}") from None


def check_file(path: Path) -> None:
    """Refuse anything but no file, an empty one, or a sound store this version can read."""
    if not path.exists() or (header := _header(path)) == b"":
        return
    if header != SQLITE_HEADER:
        raise store_error(path, "is not a sixhats run store (not an SQLite file)")
    try:
        conn = reader(path)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            ours = app_id == APPLICATION_ID
            names = "SELECT name FROM schema_migrations"
            applied = [r[0] for r in conn.execute(names)] if ours else []
            # Mapped, the pages are read in place, not copied: the check takes half the time.
            conn.execute(f"PRAGMA mmap_size = {min(path.stat().st_size, MAX_MAPPED_BYTES)}")
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    if not ours and (app_id != 0 or tables):
        raise store_error(path, "is an SQLite file of another program")
    unknown = unknown_migrations(applied)
    if version > schema_version() or unknown:
        names = f"; unknown migrations: {', '.join(unknown)}" if unknown else ""
        raise UsageError(
            f"the run store {path} was written by a newer sixhats "
            f"(schema {version}, this version reads up to {schema_version()}{names}); "
            "it was left untouched",
            hint="upgrade sixhats-ai, or set SIXHATS_DATA_DIR to use another store",
        )
    if problems != ["ok"]:
        first = problems[0].replace("*** in database main ***", "").strip().splitlines()
        raise damaged(path, first[0][:120] if first else "quick_check failed")
