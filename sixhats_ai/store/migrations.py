"""The run store's schema, grown by named migrations (as in simonw/llm's `migrations.py`).

A migration is a function given the store's connection inside the opening transaction. Its
name is recorded in `schema_migrations` once it has run, so each runs once and a store made
by any earlier release is brought up to date. A store that records a name this version does
not know was written by a newer one, and is refused. Never edit or rename a released
migration: append a new one. `PRAGMA user_version` counts the migrations applied, so that
releases before named migrations (which compare it with their own count) refuse a newer store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite3.Connection], None]


APPLICATION_ID = 0x53584854  # "SXHT": marks the file as a sixhats store
MIGRATIONS: list[Migration] = []


def migration(name: str) -> Callable[[Callable[[sqlite3.Connection], None]], Migration]:
    """Register the decorated function as the next migration, under `name`."""

    def register(apply: Callable[[sqlite3.Connection], None]) -> Migration:
        step = Migration(name, apply)
        MIGRATIONS.append(step)
        return step

    return register


def schema_version() -> int:
    """What `PRAGMA user_version` reads once every migration has run."""
    return len(MIGRATIONS)


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated statements one by one (executescript would commit the transaction)."""
    for statement in filter(str.strip, script.split(";")):
        conn.execute(statement)


@migration("runs and requests")
def m001_runs_and_requests(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            created TEXT NOT NULL,
            status TEXT NOT NULL,
            problem TEXT NOT NULL,
            program_slug TEXT NOT NULL,
            program_name TEXT NOT NULL,
            program TEXT NOT NULL,
            models TEXT NOT NULL,
            flow TEXT NOT NULL,
            inputs TEXT NOT NULL,
            report TEXT,
            steps TEXT,
            error TEXT,
            usage TEXT NOT NULL,
            cost_usd REAL NOT NULL,
            seconds REAL NOT NULL
        );
        CREATE TABLE requests (
            key TEXT PRIMARY KEY,
            created TEXT NOT NULL,
            model TEXT NOT NULL,
            request TEXT NOT NULL,
            response TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL
        )
        """,
    )


@migration("rerun lineage and history index")
def m002_rerun_lineage(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        ALTER TABLE runs ADD COLUMN parent_id TEXT;
        ALTER TABLE runs ADD COLUMN rerun_step TEXT;
        CREATE INDEX runs_created ON runs (created)
        """,
    )


@migration("large request messages kept as their hash")
def m003_large_request_messages(conn: sqlite3.Connection) -> None:
    """Stores written before kept every request whole, a large context file's text too."""
    import json

    from sixhats_ai.store.kept import INLINE_DOCUMENT_CHARS, kept_request

    rows = conn.execute(
        "SELECT rowid, request FROM requests WHERE length(request) > ?", (INLINE_DOCUMENT_CHARS,)
    ).fetchall()
    for rowid, request in rows:
        kept = json.dumps(kept_request(json.loads(request)))
        conn.execute("UPDATE requests SET request = ? WHERE rowid = ?", (kept, rowid))


@migration("batch rounds")
def m004_batch_rounds(conn: sqlite3.Connection) -> None:
    """What `batch --via batch-api|jsonl` submitted and got back (`batch.ledger`)."""
    _script(
        conn,
        """
        CREATE TABLE batch_rounds (
            batch_id TEXT PRIMARY KEY,
            scope TEXT NOT NULL,
            round INTEGER NOT NULL,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            closed TEXT,
            custom_ids TEXT NOT NULL
        );
        CREATE INDEX batch_rounds_scope ON batch_rounds (scope);
        CREATE TABLE batch_results (
            custom_id TEXT PRIMARY KEY,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            error_code TEXT,
            created TEXT NOT NULL
        )
        """,
    )


@migration("batch rounds keyed by server")
def m005_batch_rounds_by_server(conn: sqlite3.Connection) -> None:
    """Batch ids are unique on one server only: two vLLM instances (or a stand-in and a real
    server) both number their first batch alike. Rounds kept before have no server recorded
    (''); the ledger reads those as any server's."""
    _script(
        conn,
        """
        CREATE TABLE batch_rounds_by_server (
            server TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            round INTEGER NOT NULL,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            closed TEXT,
            custom_ids TEXT NOT NULL,
            PRIMARY KEY (server, batch_id)
        );
        INSERT INTO batch_rounds_by_server
            SELECT '', batch_id, scope, round, status, created, closed, custom_ids
            FROM batch_rounds;
        DROP TABLE batch_rounds;
        ALTER TABLE batch_rounds_by_server RENAME TO batch_rounds;
        CREATE INDEX batch_rounds_scope ON batch_rounds (scope)
        """,
    )


@migration("runs found by their batch resume key")
def m006_runs_by_resume_key(conn: sqlite3.Connection) -> None:
    """A batch looks up the run of an input whose reports could not be written (`RunStore.
    resumable`): indexed, so a batch of thousands does not read every run for each input."""
    conn.execute(
        "CREATE INDEX runs_resume ON runs (json_extract(inputs, '$.resume')) "
        "WHERE json_valid(inputs)"
    )


@migration("batch rounds keep their via")
def m007_batch_rounds_via(conn: sqlite3.Connection) -> None:
    """Which way each round went (batch-api or jsonl), for `--status` to say what it waits
    for. Rounds kept before are told apart by their ids: a jsonl round is named after its
    file (`round-N`), a Batch API round by the API."""
    _script(
        conn,
        """
        ALTER TABLE batch_rounds ADD COLUMN via TEXT NOT NULL DEFAULT 'batch-api';
        UPDATE batch_rounds SET via = 'jsonl' WHERE batch_id GLOB 'round-[0-9]*'
        """,
    )


@migration("batch rounds keyed by their batch too")
def m008_batch_rounds_by_scope(conn: sqlite3.Connection) -> None:
    """A jsonl round is named after its file in its --out folder (`round-1`), so two batches
    on one server both have a `round-1`: rounds are keyed by the batch (`scope`) as well."""
    _script(
        conn,
        """
        CREATE TABLE batch_rounds_by_scope (
            server TEXT NOT NULL, batch_id TEXT NOT NULL, scope TEXT NOT NULL,
            round INTEGER NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, closed TEXT,
            custom_ids TEXT NOT NULL, via TEXT NOT NULL DEFAULT 'batch-api',
            PRIMARY KEY (server, scope, batch_id)
        );
        INSERT INTO batch_rounds_by_scope SELECT * FROM batch_rounds;
        DROP TABLE batch_rounds;
        ALTER TABLE batch_rounds_by_scope RENAME TO batch_rounds;
        CREATE INDEX batch_rounds_scope ON batch_rounds (scope)
        """,
    )


@migration("batch answers kept by the batch that fetched them")
def m009_batch_answers_by_batch(conn: sqlite3.Connection) -> None:
    """A round's answer was kept by its custom_id alone, so another batch (another --out
    folder, or this one's next) took it as its own: not counted as cached, and used even
    with --no-cache. Each answer now records the folder (`scope`) and round it was fetched
    in; answers kept before get those of the latest closed round that held them ('' and 0
    when none did: another batch's). `batch_starts` holds the first round of each folder's
    current batch: a folder without one counts every round kept as its current batch's, so
    one under way when the store is upgraded never pays twice."""
    _script(
        conn,
        """
        CREATE TABLE batch_results_by_batch (
            custom_id TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
            error_code TEXT, created TEXT NOT NULL, scope TEXT NOT NULL, round INTEGER NOT NULL,
            PRIMARY KEY (custom_id, scope)
        );
        INSERT INTO batch_results_by_batch
            SELECT r.custom_id, r.status, r.body, r.error_code, r.created,
                   coalesce(f.scope, ''), coalesce(f.round, 0)
            FROM batch_results r LEFT JOIN (
                SELECT j.value AS custom_id, b.scope, b.round, max(b.closed)
                FROM batch_rounds b, json_each(
                    CASE WHEN json_valid(b.custom_ids) THEN b.custom_ids ELSE '[]' END
                ) j
                WHERE b.closed IS NOT NULL GROUP BY j.value
            ) f USING (custom_id);
        DROP TABLE batch_results;
        ALTER TABLE batch_results_by_batch RENAME TO batch_results;
        CREATE TABLE batch_starts (scope TEXT PRIMARY KEY, first_round INTEGER NOT NULL)
        """,
    )


def unknown_migrations(applied: list[str]) -> list[str]:
    """The recorded migrations this version does not know: a newer one wrote the store."""
    known = {m.name for m in MIGRATIONS}
    return [name for name in applied if name not in known]


def migrate(conn: sqlite3.Connection) -> None:
    """Run every migration the store has not recorded, in order, in one transaction. A
    store already up to date is not written to (it may be on a full disk)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == schema_version():
        return
    conn.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
            )
        applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for step in MIGRATIONS:
            if step.name in applied:
                continue
            step.apply(conn)
            conn.execute(
                "INSERT INTO schema_migrations VALUES "
                "((SELECT coalesce(max(version), 0) + 1 FROM schema_migrations), ?, ?)",
                (step.name, datetime.now(UTC).isoformat(timespec="microseconds")),
            )
            applied.add(step.name)
        conn.execute(f"PRAGMA user_version = {len(applied)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite ends the transaction itself on some errors (disk full)
            conn.execute("ROLLBACK")
        raise
