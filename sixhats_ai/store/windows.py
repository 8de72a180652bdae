"""Context windows found by probing a server, remembered in the run store for a day."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sixhats_ai.backends.context_window import CACHE_SECONDS, ContextWindow
from sixhats_ai.store.migrations import APPLICATION_ID


class WindowCache:
    """Context windows found by probing, kept in their own table of the run store.

    The table is created here, idempotently, in a store that `RunStore` has already opened
    and checked (never in a file of its own making), so it needs no migration step.
    """

    def __init__(self, path: Path, *, write: bool = True, ttl: float = CACHE_SECONDS) -> None:
        self.path = path
        self.write = write
        self.ttl = timedelta(seconds=ttl)

    def _connect(self) -> sqlite3.Connection | None:
        if not self.path.is_file():
            return None
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.close()
            return None
        conn.execute(
            "CREATE TABLE IF NOT EXISTS context_windows (server TEXT NOT NULL, "
            "model TEXT NOT NULL, tokens INTEGER NOT NULL, source TEXT NOT NULL, "
            "warning TEXT, checked TEXT NOT NULL, PRIMARY KEY (server, model))"
        )
        return conn

    def get(self, server: str, model: str) -> ContextWindow | None:
        """The kept figure, if younger than the time limit."""
        try:
            conn = self._connect()
            if conn is None:
                return None
            with conn:
                row = conn.execute(
                    "SELECT tokens, source, warning, checked FROM context_windows "
                    "WHERE server = ? AND model = ?",
                    (server, model),
                ).fetchone()
            conn.close()
        except sqlite3.Error:
            return None
        if row is None or datetime.fromisoformat(row[3]) + self.ttl < datetime.now(UTC):
            return None
        return ContextWindow(int(row[0]), f"{row[1]}, cached", row[2])

    def put(self, server: str, model: str, window: ContextWindow) -> None:
        if not self.write:
            return
        try:
            conn = self._connect()
            if conn is None:
                return
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO context_windows VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        server,
                        model,
                        window.tokens,
                        window.source,
                        window.warning,
                        datetime.now(UTC).isoformat(),
                    ),
                )
            conn.close()
        except sqlite3.Error:
            return  # the figure is only a convenience: losing it costs one probe next time


# Deciding --------------------------------------------------------------------------------
