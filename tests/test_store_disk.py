"""Read-only and full disks: read-only commands still read a read-only store, the rest say
what is wrong in one line; a batch whose store fills up still writes every report and its
index, and one whose --out fills up exits 1 and, run again, makes nothing twice.

The disks are real: small tmpfs mounts, remounted read-only. Root ignores a folder's mode,
but not a read-only mount, so this is what a read-only data dir is for every user. Mounting
needs root (or CAP_SYS_ADMIN); where it is refused these tests are skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sixhats_ai.store.database import RunStore
from testkit.stores import RELEASED_STORE, fill_store
from tests.test_batch import write_proposals

RUNS = 3


@pytest.fixture
def small_disk(tmp_path, monkeypatch) -> Iterator[Callable[[int], Path]]:
    """Mount a tmpfs of that many KiB (as the data dir, unless `data` is False); unmounted
    after the test."""
    mounted: list[Path] = []

    def mount(kib: int, *, data: bool = True) -> Path:
        where = tmp_path / f"disk-{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(where)],
            capture_output=True,
        )
        if done.returncode:
            pytest.skip("a small disk is a tmpfs mount, which needs root")
        mounted.append(where)
        if data:
            monkeypatch.setenv("SIXHATS_DATA_DIR", str(where))
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=True)


def _read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def _fill(where: Path) -> None:
    """Take every free byte of the disk."""
    fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, bytes(size)):
                    pass
    finally:
        os.close(fd)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error(result) -> str:
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "unexpected" not in errors[0], result.err
    return errors[0]


@pytest.mark.parametrize(
    ("disk_state", "code", "error"), [("read-only", 2, "is read-only"), ("full", 1, "is full")]
)
def test_read_only_commands_and_no_log_work_on_a_read_only_or_full_disk(
    cli, fake_llm, small_disk, disk_state, code, error
):
    """history, show, check and a --no-log run read the store; a run to keep is refused
    before any request, naming the disk. On a full disk SQLite cannot open a WAL store even to
    read it (its -shm file cannot grow), so there too it is read as it is, as the full disk's
    error advises --no-log."""
    disk = small_disk(1024)
    fill_store(disk / "runs.sqlite3", RUNS)
    before = _digest(disk / "runs.sqlite3")
    if disk_state == "read-only":
        _read_only(disk)
    else:
        _fill(disk)
    listing = cli("history")
    assert listing.code == 0, listing.err
    assert len(listing.out.splitlines()) == RUNS
    assert cli("show", "00000001", "--format", "json").code == 0
    check = cli("store", "check")
    assert check.code == 0 and f"{RUNS} runs" in check.out, check.err
    no_log = cli("analyze", "Four-day week?", "--program", "quick-feedback", "--no-log")
    assert no_log.code == 0, no_log.err
    assert fake_llm.requests
    asked = len(fake_llm.requests)
    logged = cli("analyze", "Four-day week?", "--program", "quick-feedback")
    assert logged.code == code
    assert error in _one_error(logged) and "--no-log" in logged.err
    assert len(fake_llm.requests) == asked  # refused before any request
    if disk_state == "read-only":
        assert sorted(p.name for p in disk.iterdir()) == ["runs.sqlite3"]
    assert _digest(disk / "runs.sqlite3") == before


def test_an_empty_store_file_holds_no_runs_on_a_full_or_read_only_disk(cli, fake_llm, small_disk):
    """A disk that fills as the store is made leaves it an empty file: it holds no run, so
    history, check and --no-log go on as with no store, however the disk is."""
    disk = small_disk(256)
    (disk / "runs.sqlite3").touch()
    _fill(disk)
    for state in ("full", "read-only"):
        if state == "read-only":
            _read_only(disk)
        listing = cli("history")
        assert listing.code == 0 and "no runs stored yet" in listing.err, (state, listing.err)
        check = cli("store", "check")
        assert check.code == 0 and "no store yet" in check.out, (state, check.err)
        no_log = cli("analyze", "Four-day week?", "--program", "quick-feedback", "--no-log")
        assert no_log.code == 0, (state, no_log.err)


def test_a_full_disk_is_named_when_an_older_store_cannot_be_upgraded(cli, small_disk):
    disk = small_disk(300)
    path = disk / "runs.sqlite3"
    shutil.copyfile(RELEASED_STORE, path)
    before = _digest(path)
    reading = sqlite3.connect(path)  # another process reading it: its -wal and -shm exist
    reading.execute("PRAGMA journal_mode = WAL")
    reading.execute("SELECT count(*) FROM runs").fetchall()
    _fill(disk)
    try:
        result = cli("history")
    finally:
        reading.close()
    assert result.code == 1
    error = _one_error(result)
    assert f"the disk holding the run store {path} is full" in error, error
    assert "rollback" not in result.err
    assert _digest(path) == before


def test_a_store_that_fills_up_mid_batch_still_gives_every_report_and_the_index(
    cli, fake_llm, small_disk, tmp_path
):
    disk = small_disk(1024)
    fill_store(disk / "runs.sqlite3", 1)
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(4)])
    reading = sqlite3.connect(disk / "runs.sqlite3")  # keeps its -wal and -shm in place
    reading.execute("SELECT count(*) FROM runs").fetchall()
    _fill(disk)
    filler = disk / "filler"
    os.truncate(filler, filler.stat().st_size - 64 * 1024)  # room for the first few writes
    try:
        result = cli("batch", str(src), "--out", str(out), "--program", "quick-feedback")
    finally:
        reading.close()
    assert result.code == 0, result.err
    assert "unexpected" not in result.err
    notes = [line for line in result.err.splitlines() if "is full" in line]
    assert len(notes) == 1 and "not kept in the run store" in notes[0], result.err
    assert re.search(r"\n[1-4] runs were not kept in the run store", result.err), result.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert all((out / f"p{n}.md").is_file() for n in range(4))


def test_a_full_out_disk_exits_1_and_the_rerun_makes_nothing_twice(
    cli, fake_llm, small_disk, tmp_path
):
    out_disk = small_disk(48, data=False)
    src, out = tmp_path / "in", out_disk / "reports"
    inputs = [f"p{n}.md" for n in range(6)]
    write_proposals(src, inputs)
    command = ("batch", str(src), "--out", str(out), "--program", "quick-feedback")
    first = cli(*command)
    assert first.code == 1, first.err
    assert "the disk is full" in _one_error(first)
    assert len([p for p in out.glob("p*.json")]) < len(inputs)
    subprocess.run(["mount", "-o", "remount,size=4m", str(out_disk)], check=True)
    again = cli(*command)
    assert again.code == 0, again.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["ok"] * len(inputs)
    assert sorted(p.name for p in out.glob("p*.json")) == [f"p{n}.json" for n in range(6)]
    with RunStore() as store:
        assert store.count("runs") == len(inputs)
