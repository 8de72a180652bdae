"""Run stores of a given size, for the tests and the benchmarks of opening and checking one."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from testkit import ROOT

RELEASED_STORE = ROOT / "tests" / "data" / "store-schema-2.sqlite3"
REQUESTS_PER_RUN = 7  # a Choosing analysis


def fill_store(path: Path, runs: int) -> None:
    """A run store at `path` holding `runs` runs and 7 requests each, copied from the runs and
    requests of a store made through the CLI (about 50 KB a run, as real ones take)."""
    from sixhats_ai.store.database import RunStore

    shutil.copyfile(RELEASED_STORE, path)
    RunStore(path).close()  # upgraded to this version's schema
    conn = sqlite3.connect(path)
    try:
        model_runs = conn.execute("SELECT * FROM runs").fetchall()
        model_requests = conn.execute("SELECT * FROM requests").fetchall()
        conn.execute("DELETE FROM runs")
        conn.execute("DELETE FROM requests")
        run_columns = ", ".join("?" * len(model_runs[0]))
        request_columns = ", ".join("?" * len(model_requests[0]))
        for n in range(runs):
            run = list(model_runs[n % len(model_runs)])
            run[0], run[1] = f"{n:08x}", f"2026-01-01T00:00:00.{n:06d}+00:00"
            conn.execute(f"INSERT INTO runs VALUES ({run_columns})", run)
            for k in range(REQUESTS_PER_RUN):
                request = list(model_requests[(n * REQUESTS_PER_RUN + k) % len(model_requests)])
                request[0] = f"{n:08x}-{k}"
                conn.execute(f"INSERT INTO requests VALUES ({request_columns})", request)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
