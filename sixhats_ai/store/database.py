"""The run store: every run, request and response kept in one SQLite file in the data dir.

Why SQLite: one file, safe for several writers (WAL mode, a busy timeout, one connection per
thread, writes in `BEGIN IMMEDIATE` transactions), and queryable for `history`. The schema
grows by named migrations (`migrations.py`), so a store made by an older version opens in a
newer one. A file that is not our store, is corrupt, or comes from a newer version is refused
with one line and left as it was: nothing is written before the file has been checked.

The records it keeps are in `records.py`; answering repeated requests from it is
`cache.py`'s. The API key and headers never reach it: requests are stored as the
parameters the SDK is given, and any secret that still appears in them is replaced before it
is written.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sixhats_ai.errors import SixhatsError, StoreDamaged, UsageError, option, redact
from sixhats_ai.run.report import Report, StepRecord, Usage
from sixhats_ai.store.access import connect, explained, holds_store, is_damage, read_only
from sixhats_ai.store.check import damaged, decoded_row, opened, raw_rows
from sixhats_ai.store.kept import kept_request
from sixhats_ai.store.migrations import migrate
from sixhats_ai.store.records import DamagedRow, RunInputs, RunStatus, StoredRun, stored_run

STORE_FILENAME = "runs.sqlite3"
BUSY_TIMEOUT_SECONDS = 30.0


def default_store_path() -> Path:
    from sixhats_ai.config import data_dir

    return data_dir() / STORE_FILENAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class RunStore:
    """The runs and requests of one SQLite file; safe to share between threads. Opened to
    read only the tables `reads` names (`history`, `show`), only their pages are checked."""

    def __init__(
        self, path: Path | None = None, *, create: bool = True, reads: Sequence[str] = ()
    ) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        if not create and not holds_store(self.path):
            raise UsageError(
                f"no run is stored yet (no store at {self.path})",
                hint="`sixhats analyze` keeps each run",
            )
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._damage: StoreDamaged | None = None  # once found, nothing more is written
        # Read, not written: no migration, and any write is refused with one line.
        self.read_only, self.full = opened(self.path, reads)
        if not self.read_only:
            try:
                migrate(self._conn())
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from None

    def unwritable(self) -> SixhatsError:
        """Why nothing can be written here: a full disk, or a read-only store."""
        return self.full or read_only(self.path)

    # Opening -----------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must not cross threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(
                    f"cannot create the run store's folder {self.path.parent}: "
                    f"{exc.strerror or exc}",
                    hint="set SIXHATS_DATA_DIR to a folder, or keep nothing: "
                    + option("keep", False),
                ) from None
            # Never shared: each thread gets its own; any thread may close them all.
            conn = connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, immutable=bool(self.full))
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            if not self.read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA secure_delete = ON")  # text dropped is overwritten
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        if self._damage is not None:
            raise self._damage
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None

    def _write(self, sql: str, params: Sequence[Any] = (), *, many: bool = False) -> None:
        if self._damage is not None:
            raise self._damage
        if self.read_only:
            raise self.unwritable()
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._failed(exc) from None
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Read a table kept here by another module (the batch rounds' ledger)."""
        return self._query(sql, params)

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Write rows of a table kept here by another module, in one transaction."""
        self._write(sql, rows, many=True)

    def _failed(self, exc: sqlite3.DatabaseError) -> BaseException:
        """Damage found after opening becomes the one-line error and stops every later
        read and write of this store; a full or read-only disk its own; others pass."""
        if not is_damage(exc):
            return explained(self.path, exc) or exc
        self._damage = damaged(self.path, exc, when="nothing more was written to it")
        return self._damage

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Runs --------------------------------------------------------------------------------

    def save_run(
        self,
        inputs: RunInputs,
        report: Report,
        *,
        parent_id: str | None = None,
        rerun_step: str | None = None,
    ) -> str:
        """Keep a finished run (complete or degraded); returns its id."""
        meta = report.metadata
        return self._insert(
            inputs,
            status="degraded" if report.degraded else "ok",
            models=meta.models,
            report=report.model_dump_json(),
            steps=None,
            error=None,
            usage=meta.usage,
            seconds=meta.seconds,
            parent_id=parent_id,
            rerun_step=rerun_step,
        )

    def save_failed_run(
        self,
        inputs: RunInputs,
        steps: Sequence[StepRecord],
        error: str,
        *,
        parent_id: str | None = None,
        rerun_step: str | None = None,
    ) -> str:
        """Keep the steps of a run whose synthesis failed, so `rerun` can finish it."""
        usage = Usage()
        for step in steps:
            usage.add(step.usage)
        return self._insert(
            inputs,
            status="failed",
            models=sorted({s.model for s in steps}),
            report=None,
            steps=json.dumps([s.model_dump(mode="json") for s in steps]),
            error=error,
            usage=usage,
            seconds=round(sum(s.seconds for s in steps), 3),
            parent_id=parent_id,
            rerun_step=rerun_step,
        )

    def _insert(
        self,
        inputs: RunInputs,
        *,
        status: RunStatus,
        models: list[str],
        report: str | None,
        steps: str | None,
        error: str | None,
        usage: Usage,
        seconds: float,
        parent_id: str | None,
        rerun_step: str | None,
    ) -> str:
        program = inputs.program
        inputs_json = inputs.as_json()
        while True:
            run_id = secrets.token_hex(4)
            try:
                self._write(
                    "INSERT INTO runs (id, created, status, problem, program_slug, program_name,"
                    " program, models, flow, inputs, report, steps, error, usage, cost_usd,"
                    " seconds, parent_id, rerun_step)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        _now(),
                        status,
                        inputs.problem,
                        program.slug,
                        program.name,
                        program.model_dump_json(),
                        json.dumps(models),
                        inputs.flow,
                        inputs_json,
                        report,
                        steps,
                        error,
                        usage.model_dump_json(),
                        usage.cost_usd,
                        seconds,
                        parent_id,
                        rerun_step,
                    ),
                )
            except sqlite3.IntegrityError:  # the random id is taken: draw another
                continue
            return run_id

    def get(self, ref: str) -> StoredRun:
        """A run by its id or a unique prefix of it."""
        ref = ref.strip().lower()
        if not ref or not all(c in "0123456789abcdef" for c in ref):
            raise UsageError(
                f"{ref!r} is not a run id", hint="run ids are hex, see `sixhats history`"
            )
        rows = self._raw("SELECT rowid, * FROM runs WHERE id LIKE ? || '%' LIMIT 6", (ref,))
        if not rows:
            raise UsageError(f"no run with id {ref!r}", hint="see `sixhats history` for run ids")
        if len(rows) > 1:
            ids = ", ".join(r["id"].decode("utf-8", "replace") for r in rows)
            raise UsageError(f"run id {ref!r} is ambiguous ({ids})", hint="give more characters")
        run = self._stored(rows[0])
        if isinstance(run, DamagedRow):
            raise StoreDamaged(
                f"{run.describe()} in the run store {self.path}; it cannot be read",
                hint="`sixhats store check` lists every damaged row; `sixhats store recover` "
                "keeps the others in a new store",
            )
        return run

    def history(
        self,
        *,
        text: str | None = None,
        program: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int | None = None,
    ) -> list[StoredRun | DamagedRow]:
        """Runs, newest first; `until` includes the whole of that (UTC) day. A row that no
        longer reads is listed as a `DamagedRow` in its place, so the others still show."""
        where: list[str] = []
        params: list[Any] = []
        if text:
            where.append(  # json_valid first: damaged JSON would fail the whole query
                "(problem LIKE ? ESCAPE '\\' OR CASE WHEN json_valid(inputs) THEN "
                "json_extract(inputs, '$.title') END LIKE ? ESCAPE '\\')"
            )
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += [f"%{escaped}%"] * 2
        if program:
            where.append("(program_slug = ? COLLATE NOCASE OR program_name = ? COLLATE NOCASE)")
            params += [program, program]
        if since:
            where.append("created >= ?")
            params.append(since.isoformat())
        if until:
            where.append("created < ?")
            params.append((until + timedelta(days=1)).isoformat())
        sql = "SELECT rowid, * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._stored(row) for row in self._raw(sql, params)]

    def _raw(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows whose text is still bytes, so that a damaged row cannot fail the query."""
        if self._damage is not None:
            raise self._damage
        try:
            return list(raw_rows(self._conn(), sql, params))
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None

    @staticmethod
    def _stored(raw: sqlite3.Row) -> StoredRun | DamagedRow:
        row = decoded_row("runs", raw)
        return row if isinstance(row, DamagedRow) else stored_run(row)

    # Requests ----------------------------------------------------------------------------

    def cached_response(self, key: str) -> dict[str, Any] | None:
        """The kept answer, or None; a damaged one is not an answer (asked again, and the new
        answer written over it)."""
        rows = self._raw("SELECT rowid, * FROM requests WHERE key = ?", (key,))
        row = decoded_row("requests", rows[0]) if rows else None
        return None if row is None or isinstance(row, DamagedRow) else json.loads(row["response"])

    def log_request(
        self,
        key: str,
        request: dict[str, Any],
        response: dict[str, Any],
        seconds: float,
        *,
        secrets: Sequence[str | None] = (),
    ) -> None:
        """Keep one exchange; every secret is taken out of its text before it is written."""
        usage = response.get("usage") or {}
        self._write(
            "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                _now(),
                redact(str(request.get("model", "")), list(secrets)),
                redact(json.dumps(kept_request(request)), list(secrets)),
                redact(json.dumps(response), list(secrets)),
                int(usage.get("prompt_tokens", 0)),
                int(usage.get("completion_tokens", 0)),
                round(seconds, 3),
            ),
        )

    def columns(self, table: str) -> list[sqlite3.Row]:
        """`PRAGMA table_info` of one of the store's tables (none if it has no such table)."""
        return self._query("SELECT * FROM pragma_table_info(?)", (table,))

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Rows read from another store (a recovery), by column name, in one transaction; a
        row whose key is already here is left out (the same row found twice)."""
        if not rows:
            return
        columns = list(rows[0])
        self._write(
            f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [tuple(row.values()) for row in rows],
            many=True,
        )

    def resumable(self, resume: str) -> StoredRun | None:
        """The newest run with a report made for this batch input and resume key (`RunInputs.
        resume`): a rerun writes its reports, asking nothing, when they were not written."""
        rows = self._raw(
            "SELECT rowid, * FROM runs WHERE json_valid(inputs) AND "
            "json_extract(inputs, '$.resume') = ? AND report IS NOT NULL "
            "ORDER BY created DESC LIMIT 1",
            (resume,),
        )
        run = self._stored(rows[0]) if rows else None
        return run if isinstance(run, StoredRun) else None

    def count(self, table: str) -> int:
        return int(self._query(f"SELECT count(*) FROM {table}")[0][0])
