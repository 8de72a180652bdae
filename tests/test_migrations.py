"""The run store's named migrations, and the upgrade of a store made by an earlier release."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from sixhats_ai.config import data_dir
from sixhats_ai.run.report import Report
from sixhats_ai.store import migrations
from sixhats_ai.store.database import RunStore

# Made by sixhats 0.1.0 as released (schema 2: "runs and requests", "rerun lineage and
# history index") through the CLI against the benchmarks' stand-in server: a run with a
# context file, a rerun of its black hat, a parallel `choose` run, and a run whose synthesis
# failed. The context file's path was then set to /home/user/ctx.md.
RELEASED_STORE = Path(__file__).parent / "data" / "store-schema-2.sqlite3"
RELEASED_RUNS = {
    "1888571a": ("ok", "Should our team move to a four-day week?", None),
    "da0b21d6": ("ok", "Should our team move to a four-day week?", "1888571a"),
    "a4ffd6bc": ("ok", "Open an office in Lyon?", None),
    "4ef4e1aa": ("failed", "Hire a designer?", None),
}


@pytest.fixture
def released_store() -> Path:
    path = data_dir() / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(RELEASED_STORE, path)
    return path


def _applied(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY 1")]
    finally:
        conn.close()


def test_migrations_are_functions_recorded_by_name():
    names = [m.name for m in migrations.MIGRATIONS]
    assert names[:2] == ["runs and requests", "rerun lineage and history index"]
    assert len(set(names)) == len(names)
    assert all(callable(m.apply) for m in migrations.MIGRATIONS)


def test_a_store_of_the_released_schema_is_upgraded_and_keeps_every_run(cli, released_store):
    with RunStore() as store:
        runs = {run.id: run for run in store.history()}
        assert {i: (r.status, r.problem, r.parent_id) for i, r in runs.items()} == RELEASED_RUNS
        assert runs["1888571a"].documents[0].text.startswith("Survey: 7 of 8")
        assert [s.id for s in runs["4ef4e1aa"].steps] == ["1-blue", "2-black", "3-green"]
        assert store.count("requests") == 11
    assert sorted(_applied(released_store)) == sorted(m.name for m in migrations.MIGRATIONS)
    for run_id in ("1888571a", "a4ffd6bc"):
        shown = cli("show", run_id, "--format", "json")
        assert shown.code == 0, shown.err
        assert Report.model_validate_json(shown.out).problem == RELEASED_RUNS[run_id][1]
    failed = json.loads(cli("show", "4ef4e1aa", "--format", "json").out)
    assert failed["kind"] == "sixhats.failed_run"


def test_a_released_store_is_finished_by_rerun_after_the_upgrade(cli, fake_llm, released_store):
    result = cli("rerun", "4ef4e1aa", "--format", "json")
    assert result.code == 0, result.err
    assert fake_llm.steps_requested() == ["4-blue"]


def test_a_new_migration_runs_once_and_is_recorded_by_name(released_store, monkeypatch):
    calls: list[str] = []

    def add_notes(conn: sqlite3.Connection) -> None:
        calls.append("ran")
        conn.execute("ALTER TABLE runs ADD COLUMN notes TEXT")

    extra = migrations.Migration("run notes", add_notes)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, extra])
    for _ in range(2):
        with RunStore() as store:
            assert store.count("runs") == 4
    assert calls == ["ran"]
    assert "run notes" in _applied(released_store)


def test_a_store_with_a_migration_this_version_does_not_know_is_refused(cli, released_store):
    RunStore().close()
    conn = sqlite3.connect(released_store)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 'x')")
    conn.commit()
    conn.close()
    before = released_store.read_bytes()
    result = cli("history")
    assert result.code == 2 and "written by a newer sixhats" in result.err
    assert "from the future" in result.err
    assert released_store.read_bytes() == before


def test_rounds_kept_before_servers_were_recorded_are_still_picked_up(monkeypatch):
    """A store whose ledger keyed rounds by batch id alone: after the upgrade an open round is
    still found (as any server's), and another server may use the same batch id."""
    from sixhats_ai.backends.rounds import OpenBatch
    from sixhats_ai.batches.ledger import StoreLedger

    path = data_dir() / "runs.sqlite3"
    names = [m.name for m in migrations.MIGRATIONS]
    before = migrations.MIGRATIONS[: names.index("batch rounds") + 1]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    with RunStore(path) as store:
        store.write_many(
            "INSERT INTO batch_rounds VALUES (?, ?, ?, ?, ?, ?, ?)",
            [("batch-000001", "/reports", 1, "submitted", "2026-01-01", None, '["a", "b"]')],
        )
    monkeypatch.undo()
    with RunStore(path) as store:
        ledger = StoreLedger(store, "/reports", "http://127.0.0.1:8000/v1", "batch-api")
        assert ledger.open_batches() == [OpenBatch("batch-000001", 1, {"a", "b"})]
        other = StoreLedger(store, "/reports", "http://127.0.0.1:9000/v1", "batch-api")
        other.add_batch(OpenBatch("batch-000001", 2, {"c"}))
        ledger.close_batch("batch-000001", "completed")
        assert [b.custom_ids for b in other.open_batches()] == [{"c"}]
    assert sorted(_applied(path)) == sorted(names)


def test_rounds_kept_before_their_via_was_recorded_are_told_apart_by_their_ids(monkeypatch):
    """A jsonl round is named after its file (`round-N`); any other id is the Batch API's."""
    from sixhats_ai.batches.ledger import kept_rounds

    path = data_dir() / "runs.sqlite3"
    names = [m.name for m in migrations.MIGRATIONS]
    before = migrations.MIGRATIONS[: names.index("batch rounds keep their via")]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    with RunStore(path) as store:
        store.write_many(
            "INSERT INTO batch_rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("", batch_id, "/reports", n, "submitted", "2026-01-01", None, '["a"]')
                for n, batch_id in enumerate(["round-1", "batch_abc123", "round-3-2"], 1)
            ],
        )
    monkeypatch.undo()
    with RunStore(path) as store:
        kept = [(r.batch_id, r.via) for r in kept_rounds(store, "/reports")]
    assert kept == [("round-1", "jsonl"), ("batch_abc123", "batch-api"), ("round-3-2", "jsonl")]


def test_answers_kept_before_their_batch_was_recorded_stay_their_batchs(monkeypatch):
    """Each answer gets the folder and round of the latest closed round holding it, so a
    batch under way at the upgrade still uses its answers with --no-cache (never paying
    twice); an answer no round held is another batch's; a damaged round list is skipped."""
    from sixhats_ai.batches.ledger import StoreLedger

    path = data_dir() / "runs.sqlite3"
    names = [m.name for m in migrations.MIGRATIONS]
    before = migrations.MIGRATIONS[: names.index("batch rounds keyed by their batch too") + 1]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    body = json.dumps({"choices": [{"message": {"content": "{}"}}]})
    with RunStore(path) as store:
        store.write_many(
            "INSERT INTO batch_rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("", "b-1", "/reports", 1, "completed", "2026-01-01", "2026-01-01", '["a"]', "x"),
                ("", "b-2", "/reports", 2, "completed", "2026-01-02", "2026-01-02", '["b"', "x"),
                ("", "b-3", "/other", 1, "submitted", "2026-01-02", None, '["c"]', "x"),
            ],
        )
        store.write_many(
            "INSERT INTO batch_results VALUES (?, ?, ?, ?, ?)",
            [(key, 200, body, None, "2026-01-01") for key in ("a", "b", "c")],
        )
    monkeypatch.undo()
    with RunStore(path) as store:
        kept = store.query("SELECT custom_id, scope, round FROM batch_results ORDER BY 1")
        assert [tuple(row) for row in kept] == [("a", "/reports", 1), ("b", "", 0), ("c", "", 0)]
        resumed = StoreLedger(store, "/reports", "", "batch-api", others=False)
        assert resumed.result("a") is not None and resumed.result("b") is None
        answer = StoreLedger(store, "/reports", "", "batch-api").result("b")
        assert answer is not None and answer.reused
    assert sorted(_applied(path)) == sorted(names)
