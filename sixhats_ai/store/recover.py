"""Recovering what a damaged run store still holds (`sixhats store recover`).

Every row that can still be read and parsed is copied into a new store, and the damaged file
is kept beside it, so nothing a user made is lost to the recovery itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sixhats_ai.errors import StoreDamaged
from sixhats_ai.store.check import TABLES, check_file, reader
from sixhats_ai.store.database import RunStore


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
    try:
        check_file(path)
        return Recovery()
    except StoreDamaged:
        pass
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    fresh = path.with_name(f".{path.name}.recovering-{stamp}")
    result = Recovery(damaged_copy=path.with_name(f"{path.name}.damaged-{stamp}"))
    source = reader(path)
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
