"""Checking a run store before it is used, and recovering what a damaged one still holds.

A store is checked when it is opened: its header, that it is ours, that no newer version
wrote it, and `PRAGMA quick_check` over every page. A damaged store is refused for the whole
command with one line, before anything is written to it: writing into a damaged b-tree can
spread the damage, and a run kept there may not be read back. `recover` copies every row
that can still be read and parsed into a new store and keeps the damaged file beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sixhats_ai.errors import StoreDamaged, UsageError
from sixhats_ai.migrations import APPLICATION_ID, schema_version, unknown_migrations

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


def _reader(path: Path) -> sqlite3.Connection:
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
        conn = _reader(path)
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


@dataclass
class Recovery:
    """What `recover` copied: rows kept and rows there were, per table, and where the
    damaged file went (None when the store was sound and left as it was)."""

    kept: dict[str, int] = field(default_factory=dict)
    slots: dict[str, int] = field(default_factory=dict)
    damaged_copy: Path | None = None


def _rowids(conn: sqlite3.Connection, table: str) -> range:
    """Every rowid the table may hold: up to its largest, read from the table or an index."""
    top = 0
    for sql in (
        f"SELECT max(rowid) FROM {table}",
        *(
            f"SELECT max(rowid) FROM {table} INDEXED BY {name}"
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
        ),
    ):
        try:
            top = max(top, conn.execute(sql).fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            continue
    return range(1, top + 1)


def _readable_rows(conn: sqlite3.Connection, table: str, rowids: range) -> Iterator[sqlite3.Row]:
    """Each row that can be read, one lookup a rowid, so damaged pages cost only their rows."""
    for rowid in rowids:
        try:
            row = conn.execute(f"SELECT * FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            yield row


def _usable(table: str, row: sqlite3.Row) -> bool:
    """A row whose JSON parses and whose run reads back; garbage from a damaged page does not."""
    from sixhats_ai.store import RunStore

    try:
        if table == "runs":
            RunStore._run(row)
        else:
            json.loads(row["request"])
            json.loads(row["response"])
    except Exception:  # any damage shows as some parse error: the row is left out
        return False
    return True


def recover(path: Path) -> Recovery:
    """Copy the readable rows of a damaged store into a new one at `path`; keep the damaged
    file as `<name>.damaged-<time>` beside it. A sound store is left as it is."""
    from sixhats_ai.store import RunStore

    try:
        check_file(path)
        return Recovery()
    except StoreDamaged:
        pass
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    fresh = path.with_name(f".{path.name}.recovering-{stamp}")
    result = Recovery(damaged_copy=path.with_name(f"{path.name}.damaged-{stamp}"))
    source = _reader(path)
    source.row_factory = sqlite3.Row
    try:
        with RunStore(fresh) as target:
            for table in TABLES:
                rowids = _rowids(source, table)
                rows = [r for r in _readable_rows(source, table, rowids) if _usable(table, r)]
                target.insert_rows(table, rows)
                result.slots[table], result.kept[table] = len(rowids), len(rows)
    except BaseException:
        for leftover in fresh.parent.glob(f"{fresh.name}*"):
            leftover.unlink()
        raise
    finally:
        source.close()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{result.damaged_copy}{suffix}")
    os.replace(fresh, path)
    return result
