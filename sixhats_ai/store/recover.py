"""Recovering what a damaged run store still holds (`sixhats store recover`).

The damaged file is read page by page (`salvage`), not through SQLite, which refuses a file
cut short before reading a row. Every record that fits one of the store's tables, decodes and
parses is copied into a new store; the damaged file is kept beside it, so nothing a user made
is lost to the recovery itself.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sixhats_ai.errors import SixhatsError, StoreDamaged
from sixhats_ai.store.check import KEY_COLUMNS, check_file, check_rows, row_problem
from sixhats_ai.store.database import RunStore
from sixhats_ai.store.salvage import Cell, Value, salvage_cells

KEPT_APART = ("schema_migrations",)  # recognised, not copied: the new store has its own
WRITE_CHUNK = 500  # rows copied a transaction at a time
# The Python types a declared column type accepts (text is still bytes here).
_TYPES: dict[str, tuple[type, ...]] = {"TEXT": (bytes,), "INTEGER": (int,), "REAL": (float, int)}


@dataclass
class Recovery:
    """What `recover` copied, per table, how many records found could not be used, and
    where the damaged file went (None when the store was sound and left as it was)."""

    kept: Counter[str] = field(default_factory=Counter)
    unusable: int = 0
    damaged_copy: Path | None = None


def _as_row(values: tuple[Value, ...], columns: list[sqlite3.Row]) -> dict[str, Any] | None:
    """The record as a row of the table with these columns, or None if it cannot be one.
    A record may have fewer values than the table has columns (those added since it was
    written read as NULL)."""
    if len(values) > len(columns):
        return None
    row: dict[str, Any] = {}
    padded = values + (None,) * (len(columns) - len(values))
    for column, value in zip(columns, padded, strict=True):
        if value is None:
            if column["notnull"]:
                return None
        elif not isinstance(value, _TYPES.get(column["type"].upper(), (object,))):
            return None
        elif isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                return None
        row[column["name"]] = value
    return row


def _place(cell: Cell, tables: dict[str, list[sqlite3.Row]]) -> tuple[str, dict[str, Any]] | None:
    """The table a record belongs to and its row, when it fits one and parses there."""
    for table, columns in tables.items():
        row = _as_row(cell.values, columns)
        if row is not None and row_problem(table, row) is None:
            return table, row
    return None


def is_sound(path: Path) -> bool:
    """Every page and every row reads (a store another program wrote is refused as such)."""
    try:
        check_file(path)
    except StoreDamaged:
        return False
    return not check_rows(path)


def recover(path: Path) -> Recovery:
    """Copy the readable rows of a damaged store into a new one at `path`; keep the damaged
    file as `<name>.damaged-<time>` beside it. A sound store is left as it is; so is a file
    no row can be read from (an error says so)."""
    if is_sound(path):
        return Recovery()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    fresh = path.with_name(f".{path.name}.recovering-{stamp}")
    result = Recovery(damaged_copy=path.with_name(f"{path.name}.damaged-{stamp}"))
    try:
        with RunStore(fresh) as target:
            tables = {t: c for t in (*KEY_COLUMNS, *KEPT_APART) if (c := target.columns(t))}
            found: dict[str, list[dict[str, Any]]] = {table: [] for table in KEY_COLUMNS}
            for cell in salvage_cells(path):
                placed = _place(cell, tables)
                if placed is None:
                    result.unusable += 1
                    continue
                table, row = placed
                if table in KEPT_APART:
                    continue
                found[table].append(row)
                if len(found[table]) >= WRITE_CHUNK:  # a large store is not held in memory
                    target.insert_rows(table, found[table])
                    found[table] = []
            for table, rows in found.items():
                target.insert_rows(table, rows)
                if table in tables:
                    result.kept[table] = target.count(table)
        if not result.kept.total():
            raise SixhatsError(
                f"nothing could be recovered from {path}: none of its pages holds a readable "
                "run or request; it was left as it was",
                hint="move it aside, or set SIXHATS_DATA_DIR to another folder",
            )
    except BaseException:
        for leftover in fresh.parent.glob(f"{fresh.name}*"):
            leftover.unlink()
        raise
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{result.damaged_copy}{suffix}")
    os.replace(fresh, path)
    return result
