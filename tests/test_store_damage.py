"""A damaged run store is refused for the whole command, never written, and can be recovered."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from sixhats_ai.config import data_dir
from sixhats_ai.store.database import RunStore
from testkit.stores import RELEASED_STORE, fill_store

PAGE = 4096
RUNS = 26


def _store() -> Path:
    path = data_dir() / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    fill_store(path, RUNS)
    return path


def _damage(path: Path, pages: int = 50, seed: int = 12) -> None:
    """Random bytes over `pages` pages of the middle of the file, as a bad disk or copy does."""
    total = path.stat().st_size // PAGE
    chosen = random.Random(seed).sample(range(total // 4, 3 * total // 4), pages)
    with path.open("r+b") as handle:
        for page in chosen:
            handle.seek(page * PAGE)
            handle.write(random.Random(seed + page).randbytes(PAGE))


def _damage_table(path: Path, table: str, pages: int = 10, seed: int = 12) -> None:
    """Random bytes over `pages` of the pages holding `table` (its b-tree and overflow)."""
    conn = sqlite3.connect(path)
    try:
        held = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    finally:
        conn.close()
    with path.open("r+b") as handle:
        for page in random.Random(seed).sample(held, pages):
            handle.seek((page - 1) * PAGE)  # pages are numbered from 1
            handle.write(random.Random(seed + page).randbytes(PAGE))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged() -> Path:
    path = _store()
    _damage(path)
    return path


def _refused(result, path: Path, before: str) -> None:
    assert result.code == 2, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is corrupt" in errors[0], result.err
    assert "sixhats store recover" in errors[0]
    assert "saved run" not in result.err
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["runs.sqlite3"]


@pytest.mark.parametrize("command", [["history"], ["show", "00000001"], ["analyze", "p"]])
def test_a_store_with_damaged_pages_is_refused_and_left_as_it_was(cli, fake_llm, command):
    path = _store()
    _damage(path)  # the requests' pages, which an analysis reads and writes
    _damage_table(path, "runs")  # which every command reads
    before = _digest(path)
    _refused(cli(*command), path, before)
    assert fake_llm.requests == []


def test_damage_to_the_cache_alone_refuses_analyze_but_not_history_or_show(cli, fake_llm, damaged):
    """`history` and `show` read the runs and write nothing: only the runs' pages are
    checked for them (they checked the whole file, a store of 20,000 runs 1 GB of it)."""
    before = _digest(damaged)
    listed = cli("history", "--limit", "0", "--json")
    assert listed.code == 0, listed.err
    assert len(json.loads(listed.out)) == RUNS
    assert cli("show", "00000001").code == 0
    _refused(cli("analyze", "p"), damaged, before)
    assert fake_llm.requests == []


def test_a_batch_on_a_damaged_store_is_refused_before_any_file(cli, fake_llm, damaged, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for n in range(3):
        (src / f"p{n}.md").write_text(f"# Proposal {n}\n\nDo thing {n}.\n")
    before = _digest(damaged)
    _refused(cli("batch", str(src), "--out", str(out)), damaged, before)
    assert fake_llm.requests == [] and not list(out.glob("p*"))


def test_damage_found_during_a_run_stops_the_whole_command_and_nothing_is_written(
    cli, fake_llm, monkeypatch
):
    path = _store()
    calls = []

    def damaged_read(store: RunStore, key: str) -> None:
        calls.append(key)
        error = sqlite3.DatabaseError("database disk image is malformed")
        error.sqlite_errorcode = 11  # type: ignore[attr-defined]  # SQLITE_CORRUPT
        raise store._failed(error)

    monkeypatch.setattr(RunStore, "cached_response", damaged_read)
    result = cli("analyze", "Four-day week?", "--program", "quick-feedback")
    assert result.code == 2, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is corrupt" in errors[0], result.err
    assert "saved run" not in result.err and result.out == ""
    assert len(calls) == 1 and fake_llm.requests == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == RUNS
    conn.close()


def test_a_store_due_a_migration_is_checked_whole_even_for_history(cli):
    """Migrating it writes into it: `history` then checks every page, as `analyze` does."""
    path = data_dir() / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(RELEASED_STORE, path)  # schema 2: migrations to run
    _damage_table(path, "requests", pages=5)
    before = _digest(path)
    _refused(cli("history"), path, before)


def test_store_check_says_ok_or_names_the_damage(cli, damaged):
    result = cli("store", "check")
    assert result.code == 2 and "is corrupt" in result.err
    damaged.unlink()
    _store()
    result = cli("store", "check")
    assert result.code == 0, result.err
    assert f"{RUNS} runs" in result.out and "ok" in result.out


def test_store_recover_keeps_what_can_be_read_and_the_damaged_file(cli, damaged):
    before = damaged.read_bytes()
    result = cli("store", "recover")
    assert result.code == 0, result.err
    kept = [p for p in damaged.parent.iterdir() if p.name.startswith("runs.sqlite3.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == before
    assert str(kept[0].name) in result.out
    assert cli("store", "check").code == 0
    listed = json.loads(cli("history", "--limit", "0", "--json").out)
    assert 0 < len(listed) <= RUNS
    assert f"recovered {len(listed)} runs" in result.out
    for run in listed[:3]:
        assert cli("show", run["id"], "--format", "json").code == 0
    with RunStore() as store:
        assert store._query("PRAGMA integrity_check")[0][0] == "ok"


def test_store_recover_of_a_healthy_store_changes_nothing(cli):
    path = _store()
    before = _digest(path)
    result = cli("store", "recover")
    assert result.code == 0 and "nothing to recover" in result.out
    assert _digest(path) == before


def test_damage_found_during_a_batch_stops_the_whole_batch(cli, fake_llm, monkeypatch, tmp_path):
    path = _store()
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for n in range(4):
        (src / f"p{n}.md").write_text(f"# Proposal {n}\n\nDo thing {n}.\n")

    def damaged_read(store: RunStore, key: str) -> None:
        error = sqlite3.DatabaseError("database disk image is malformed")
        error.sqlite_errorcode = 11  # type: ignore[attr-defined]  # SQLITE_CORRUPT
        raise store._failed(error)

    monkeypatch.setattr(RunStore, "cached_response", damaged_read)
    result = cli("batch", str(src), "--out", str(out), "--program", "quick-feedback")
    assert result.code == 2, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is corrupt" in errors[0], result.err
    assert "failed: " not in result.err  # not file by file: the batch stopped as a whole
    assert fake_llm.requests == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == RUNS
    conn.close()


def _damage_text(path: Path, marker: bytes, nth: int) -> None:
    """Bad UTF-8 over 64 bytes of the `nth` text starting with `marker`, inside one page:
    damage within a row's text, which no check of the pages can see."""
    data = path.read_bytes()
    starts = []
    at = data.find(marker)
    while at >= 0:
        if at % PAGE < PAGE - 100:  # the bytes stay in the page: its structure is untouched
            starts.append(at)
        at = data.find(marker, at + 1)
    with path.open("r+b") as handle:
        handle.seek(starts[nth] + 20)
        handle.write(b"\xff" * 64)


def _ids(cli) -> list[str]:
    return [run["id"] for run in json.loads(cli("history", "--limit", "0", "--json").out)]


def test_a_damaged_row_is_found_by_check_named_by_history_and_show(cli):
    path = _store()
    every = _ids(cli)
    _damage_text(path, b'{"schema_version"', 5)
    check = cli("store", "check")
    assert check.code == 2, check.err
    named = [line.split()[2] for line in check.out.splitlines() if line.startswith("damaged: run")]
    assert len(named) == 1 and named[0] in every, check.out
    assert "1 damaged row" in check.err and "sixhats store recover" in check.err
    listing = cli("history", "--limit", "0")
    assert listing.code == 0, listing.err
    assert len(listing.out.splitlines()) == RUNS - 1 and named[0] not in listing.out
    assert f"run {named[0]} is damaged" in listing.err
    assert _ids(cli) == [run_id for run_id in every if run_id != named[0]]
    shown = cli("show", named[0])
    assert shown.code == 2 and shown.out == ""
    assert len(shown.err.splitlines()) == 1 and f"run {named[0]} is damaged" in shown.err
    other = next(run_id for run_id in every if run_id != named[0])
    assert cli("show", other, "--format", "json").code == 0


def test_the_library_checks_and_recovers_the_store_as_the_commands_do():
    from sixhats_ai import Store
    from sixhats_ai.errors import StoreDamaged

    store = Store()
    assert store.check() is None and store.recover() is None  # no store yet
    path = _store()
    sound = store.check()
    assert sound is not None and (sound.runs, sound.damaged, sound.error()) == (RUNS, [], None)
    before = _digest(path)
    left = store.recover()
    assert left is not None and left.damaged_copy is None and _digest(path) == before
    _damage_text(path, b'{"schema_version"', 5)
    checked = store.check()
    assert checked is not None and len(checked.damaged) == 1
    error = checked.error()
    assert isinstance(error, StoreDamaged) and "1 damaged row" in error.one_line()
    recovered = store.recover()
    assert recovered is not None and recovered.damaged_copy is not None
    assert recovered.kept["runs"] == RUNS - 1
    assert store.check().damaged == []  # type: ignore[union-attr]


def test_a_damaged_request_is_found_by_check(cli):
    path = _store()
    _damage_text(path, b'"messages"', 3)
    check = cli("store", "check")
    assert check.code == 2 and check.out.startswith("damaged: request "), check.out
    assert cli("history", "--limit", "0").code == 0


def test_a_damaged_answer_in_the_cache_is_asked_again_not_fatal(cli, fake_llm):
    command = ("analyze", "Four-day week?", "--program", "quick-feedback", "--format", "json")
    assert cli(*command).code == 0
    asked = len(fake_llm.requests)
    path = data_dir() / "runs.sqlite3"
    conn = sqlite3.connect(path)  # every page into the file, where a bad disk would damage it
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _damage_text(path, b'"choices"', 0)
    again = cli(*command)
    assert again.code == 0, again.err
    assert asked < len(fake_llm.requests) < 2 * asked  # the damaged answer only


def test_recover_copies_every_readable_row_of_a_store_with_a_damaged_row(cli):
    path = _store()
    every = _ids(cli)
    _damage_text(path, b'{"schema_version"', 5)
    damaged_id = cli("store", "check").out.split()[2]
    result = cli("store", "recover")
    assert result.code == 0, result.err
    assert f"recovered {RUNS - 1} runs, {RUNS * 7} requests" in result.out
    assert "; 1 damaged record left out;" in result.out  # the damaged run, counted in English
    assert cli("store", "check").code == 0
    assert _ids(cli) == [run_id for run_id in every if run_id != damaged_id]


@pytest.mark.parametrize("share", [0.3, 0.6, 0.95])
def test_recover_keeps_what_the_pages_of_a_truncated_store_hold(cli, share):
    path = _store()
    every = _ids(cli)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])
    assert cli("history").code == 2  # cut short: refused as corrupt, left as it was
    result = cli("store", "recover")
    assert result.code == 0, result.err
    assert "recovered " in result.out and "damaged file is kept" in result.out
    kept = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == data[: int(len(data) * share)]
    assert cli("store", "check").code == 0
    recovered = _ids(cli)
    assert recovered and set(recovered) <= set(every)
    for run_id in recovered:
        assert cli("show", run_id, "--format", "json").code == 0


def test_recover_says_in_one_line_when_nothing_can_be_recovered(cli):
    path = _store()
    head = path.read_bytes()[:PAGE]
    path.write_bytes(head)
    result = cli("store", "recover")
    assert result.code == 1 and result.out == ""
    assert len(result.err.splitlines()) == 1 and "nothing could be recovered" in result.err
    assert path.read_bytes() == head
    assert sorted(p.name for p in path.parent.iterdir()) == ["runs.sqlite3"]


def test_recover_keeps_the_runs_a_stopped_process_left_in_the_write_ahead_log(
    cli, tmp_path, monkeypatch
):
    path = _store()
    writer = sqlite3.connect(path)  # a process that kept a run, then was stopped
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the run stays in the -wal file
    columns = [r[1] for r in writer.execute("PRAGMA table_info(runs)")]
    row = list(writer.execute("SELECT * FROM runs WHERE id = '00000003'").fetchone())
    row[columns.index("id")] = "feedface"
    writer.execute(f"INSERT INTO runs VALUES ({', '.join('?' * len(row))})", row)
    writer.commit()
    left = tmp_path / "left"
    left.mkdir()
    for suffix in ("", "-wal"):  # the files as the stopped process left them
        (left / f"runs.sqlite3{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    writer.close()
    monkeypatch.setenv("SIXHATS_DATA_DIR", str(left))
    cut = left / "runs.sqlite3"  # and its copy cut short: SQLite will not open it at all
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    result = cli("store", "recover")
    assert result.code == 0, result.err
    assert "feedface" in _ids(cli)


@pytest.mark.parametrize(
    "kept", ["{", "[]", '{"choices": "abc"}', '{"choices": [{"message": "text"}]}']
)
def test_a_kept_answer_that_is_no_completion_is_asked_again(cli, fake_llm, kept):
    """Text that reads, but not as an answer (cut JSON, another shape): it stopped the run
    with an unexpected JSONDecodeError or AttributeError."""
    command = ("analyze", "Four-day week?", "--program", "quick-feedback", "--format", "json")
    assert cli(*command).code == 0
    asked = len(fake_llm.requests)
    with sqlite3.connect(data_dir() / "runs.sqlite3") as conn:
        conn.execute("UPDATE requests SET response = ?", (kept,))
    again = cli(*command)
    assert again.code == 0, again.err
    assert len(fake_llm.requests) == 2 * asked  # every answer asked again


def test_store_check_names_the_first_damaged_rows_and_counts_the_rest(cli):
    """A badly damaged store has hundreds: a line each buried the answer and its hint."""
    path = _store()
    for nth in range(0, 60, 5):
        _damage_text(path, b'"messages"', nth)
    check = cli("store", "check")
    assert check.code == 2, check.err
    every = cli("store", "check", "--all")
    assert every.code == 2 and every.err == check.err
    damaged = every.out.splitlines()
    assert len(damaged) > 7 and all(line.startswith("damaged: request ") for line in damaged)
    lines = check.out.splitlines()
    assert lines[:-1] == damaged[:5], check.out
    more = len(damaged) - 5
    assert lines[-1] == f"… and {more} more damaged rows (`--all` names every one)"
    assert f"has {len(damaged)} damaged rows" in check.err and "sixhats store recover" in check.err
