"""Checking a run store before it is used.

A store is checked when it is opened: its header, that it is ours, that no newer version
wrote it, and `PRAGMA quick_check` over every page. A damaged store is refused for the whole
command with one line, before anything is written to it: writing into a damaged b-tree can
spread the damage, and a run kept there may not be read back (`store recover` saves what
it still holds). A command that only reads some tables (`history` and `show` read the runs)
checks only theirs, unless a migration is due: the cache's requests are most of the file
(at 20,000 runs, 890 of its 1,050 MB), and checking them took 190 ms of `history`'s 550.

Damage inside a row's text passes every page check. Rows are read with their text as bytes
and decoded one by one (`decoded_row`), so a damaged row is named where it is met (history,
show, the cache) instead of failing the query; `store check` decodes them all (`check_rows`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sixhats_ai.errors import StoreDamaged, UsageError
from sixhats_ai.store.access import StoreFull, connect, explained, holds_store, is_damage, writable
from sixhats_ai.store.migrations import APPLICATION_ID, schema_version, unknown_migrations
from sixhats_ai.store.records import DamagedRow, stored_run

SQLITE_HEADER = b"SQLite format 3\x00"
RECOVER_HINT = (
    "`sixhats store recover` keeps what can still be read in a new store; or move the file "
    "aside, or set SIXHATS_DATA_DIR to another folder"
)
MAX_MAPPED_BYTES = 2**31
# The tables a store keeps, each with the column that names a row and its JSON columns.
KEY_COLUMNS = {
    "runs": "id",
    "requests": "key",
    "batch_rounds": "batch_id",
    "batch_results": "custom_id",
    "context_windows": "model",
    "batch_starts": "scope",
}
JSON_COLUMNS = {
    "requests": ("request", "response"),
    "batch_rounds": ("custom_ids",),
    "batch_results": ("body",),
}


def store_error(path: Path, what: str) -> UsageError:
    return UsageError(
        f"{path} {what}; it was left untouched",
        hint="move it aside to start a new store, or set SIXHATS_DATA_DIR to another folder",
    )


def damaged(path: Path, detail: object, *, when: str = "it was left untouched") -> StoreDamaged:
    return StoreDamaged(f"the run store {path} is corrupt ({detail}); {when}", hint=RECOVER_HINT)


def refusal(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """Why the store cannot be used: damage, a full or read-only disk, or `exc` itself."""
    if is_damage(exc):
        return damaged(path, exc)
    return explained(path, exc) or exc


def row_problem(table: str, row: dict[str, Any]) -> str | None:
    """What is wrong with a decoded row (its JSON does not parse, its run does not read
    back), or None for a sound one."""
    try:
        if table == "runs":
            stored_run(row)
        for column in JSON_COLUMNS.get(table, ()):
            json.loads(row[column])
    except Exception as exc:  # damage shows as any parse error: the message names it
        return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return None


def decoded_row(table: str, raw: sqlite3.Row) -> dict[str, Any] | DamagedRow:
    """A row read with `text_factory = bytes` (so that bad UTF-8 cannot fail the whole
    query), as its columns, or as the damage found in it."""
    values: dict[str, Any] = {}
    bad: list[str] = []
    for column, value in zip(raw.keys(), tuple(raw), strict=True):
        if isinstance(value, bytes):  # the store keeps no blobs: every byte string is text
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(column)
                value = None
        values[column] = value
    rowid = int(values.pop("rowid"))
    key = values.get(KEY_COLUMNS.get(table, ""))
    key = key if isinstance(key, str) else None
    if bad:
        return DamagedRow(table, rowid, key, f"{', '.join(bad)}: not UTF-8 text")
    problem = row_problem(table, values)
    return values if problem is None else DamagedRow(table, rowid, key, problem)


def raw_rows(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
) -> Iterator[sqlite3.Row]:
    """Rows with every text column as bytes, for `decoded_row` (`sql` selects the rowid);
    the connection reads text as text again once they are all read."""
    saved = conn.text_factory
    conn.text_factory = bytes
    try:
        cursor = conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        yield from cursor
    finally:
        conn.text_factory = saved


def damaged_rows(conn: sqlite3.Connection) -> Iterator[DamagedRow]:
    """Every row of the store's tables that no longer reads as it was written."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in KEY_COLUMNS:
        if table not in present:
            continue
        for raw in raw_rows(conn, f"SELECT rowid, * FROM {table}"):
            if isinstance(row := decoded_row(table, raw), DamagedRow):
                yield row


def _header(path: Path) -> bytes:
    if path.is_dir():
        raise store_error(path, "is a folder, not a run store")
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"cannot read the run store {path}: {exc.strerror}") from None


def _page_checks(reads: Sequence[str], version: int) -> list[str]:
    """Every page checked, or only the tables `reads` names when nothing will be written."""
    if not reads or version != schema_version():
        return ["PRAGMA quick_check(3)"]
    return [f"PRAGMA quick_check({table})" for table in reads]


def check_file(path: Path, *, immutable: bool = False, reads: Sequence[str] = ()) -> None:
    """Refuse anything but no file, an empty one, or a sound store this version can read
    (every page of it, or those of the tables `reads` names, see `_page_checks`)."""
    if not path.exists() or (header := _header(path)) == b"":
        return
    if header != SQLITE_HEADER:
        raise store_error(path, "is not a sixhats run store (not an SQLite file)")
    try:
        conn = connect(path, immutable=immutable)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            ours = app_id == APPLICATION_ID
            names = "SELECT name FROM schema_migrations"
            applied = [r[0] for r in conn.execute(names)] if ours else []
            # Mapped, the pages are read in place, not copied: the check takes half the time.
            conn.execute(f"PRAGMA mmap_size = {min(path.stat().st_size, MAX_MAPPED_BYTES)}")
            checks = _page_checks(reads, version) if ours else ["PRAGMA quick_check(3)"]
            problems = [r[0] for sql in checks for r in conn.execute(sql) if r[0] != "ok"]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise refusal(path, exc) from None
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
    if problems:
        first = problems[0].replace("*** in database main ***", "").strip().splitlines()
        raise damaged(path, first[0][:120] if first else "quick_check failed")


@dataclass(frozen=True)
class StoreCheck:
    """What checking every page and row of a store found: what it holds, and its damaged
    rows (each naming the run id or request key it had)."""

    path: Path
    runs: int
    requests: int
    size_bytes: int
    damaged: list[DamagedRow]

    def error(self) -> StoreDamaged | None:
        """The failure damaged rows make of the check (exit 2), or None for a sound store."""
        if not self.damaged:
            return None
        rows = "row" if len(self.damaged) == 1 else "rows"
        return StoreDamaged(
            f"the run store {self.path} has {len(self.damaged)} damaged {rows}; the others read",
            hint=RECOVER_HINT,
        )


def opened(path: Path, reads: Sequence[str] = ()) -> tuple[bool, StoreFull | None]:
    """Check the store at `path` before it is used (`check_file`), and say whether it is
    read, not written: when it cannot be written, or is read on a full disk (then with the
    full disk's error, which every write raises)."""
    read_only = holds_store(path) and not writable(path)
    try:
        check_file(path, reads=reads)
    except StoreFull as full:
        readable_when_full(path, full)
        return True, full
    return read_only, None


def readable_when_full(path: Path, full: StoreFull) -> None:
    """Raise `full` unless the store on this full disk can be read as it is (immutable):
    SQLite cannot open a WAL store there even to read it, as its -shm file cannot grow. It
    can when nothing waits in its -wal and no migration is due; then history, show, check
    and --no-log runs work, and every write is refused with `full`."""
    wal = Path(f"{path}-wal")
    if not holds_store(path) or (wal.exists() and wal.stat().st_size > 0):
        raise full
    check_file(path, immutable=True)
    conn = connect(path, immutable=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if version != schema_version():
        raise full


def check_rows(path: Path, *, immutable: bool = False) -> list[DamagedRow]:
    """The damaged rows of a store whose pages are sound (`check_file` passed): damage
    inside a row's text, which no page check sees."""
    conn = connect(path, immutable=immutable)
    try:
        return list(damaged_rows(conn))
    except sqlite3.DatabaseError as exc:
        raise refusal(path, exc) from None
    finally:
        conn.close()
