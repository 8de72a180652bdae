"""`sixhats batch --via batch-api|jsonl`: a batch answered in rounds by a batch engine.

Real loopback HTTP to the stand-in, which plays the Batch API as documented; the CLI runs
in-process, or as a subprocess where it is killed mid-wait.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from testkit.batchapi import BatchStats, vllm_results
from testkit.standin import StandIn
from tests.test_batch import write_proposals

pytestmark = pytest.mark.loopback
FILES = [f"proposal-{n:03d}.md" for n in range(200)]


@pytest.fixture
def rounds(served, monkeypatch, tmp_path):
    """The stand-in as the Batch API, polled quickly; a price for its model."""
    served.batch_reset()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-batch-test")
    monkeypatch.setenv("SIXHATS_POLL_SECONDS", "0.05")
    config = Path(os.environ["SIXHATS_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("[prices.standin]\ninput = 1.0\noutput = 2.0\n")
    return served


def test_a_200_file_batch_goes_in_three_rounds_at_batch_prices(cli, rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES)
    out = tmp_path / "out"
    result = cli(
        "batch", str(tmp_path / "in"), "--out", str(out), "--program", "quick-feedback",
        "--via", "batch-api", "--no-progress",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "--via batch-api: 3 rounds at least" in result.err
    assert "800 requests (0 cached)" in result.err  # each answered once, none counted parked
    index = json.loads((out / "index.json").read_text())
    assert len(index["rows"]) == 200 and {r["status"] for r in index["rows"]} == {"ok"}
    assert len(list(out.glob("proposal-*.json"))) == 200
    stats = rounds.batch_stats()
    assert stats.batches_created == 3  # framing, the hats at once, the synthesis
    assert len(stats.custom_ids) == 200 * 4 and stats.duplicate_submissions == 0
    assert rounds.stats().requests == 0  # no live chat request at all
    report = json.loads((out / "proposal-000.json").read_text())
    usage = report["metadata"]["usage"]
    live = (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1e6
    assert usage["cost_usd"] == pytest.approx(live / 2)
    status = cli("batch", "--status", str(out))
    assert status.code == 0 and "round 3:" in status.err and "no batch is open" in status.err


def _killed_while_round_1_waits(rounds, inputs: Path, out: Path) -> list[str]:
    """Start `batch --via batch-api` as a process, with round 1 held in progress, and kill it
    once it waits on that round (it has polled); the command, to run it again."""
    rounds.batch_reset(complete_seconds=3600)
    command = [
        sys.executable, "-m", "sixhats_ai", "batch", str(inputs), "--out", str(out),
        "--program", "quick-feedback", "--via", "batch-api", "--no-progress",
    ]  # fmt: skip
    running = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while rounds.batch_stats().polls < 1:  # submitted, and waiting on it
            assert running.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        running.send_signal(signal.SIGKILL)
        running.wait()
    return command


def test_killed_mid_wait_the_same_command_finishes_with_nothing_sent_twice(rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES[:20])
    out = tmp_path / "out"
    command = _killed_while_round_1_waits(rounds, tmp_path / "in", out)
    submitted = rounds.batch_stats().custom_ids
    httpx.post(  # the engine finishes round 1 while no sixhats runs
        f"http://127.0.0.1:{rounds.port}/_bench/batch/reset", json={}
    ).raise_for_status()
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    resubmitted = rounds.batch_stats().custom_ids
    assert not set(submitted) & set(resubmitted)  # round 1 was attached to, not sent again
    assert rounds.batch_stats().batches_created == 2  # only rounds 2 and 3
    index = json.loads((out / "index.json").read_text())
    assert {r["status"] for r in index["rows"]} == {"ok"}


def test_jsonl_rounds_are_written_and_their_results_read_back(cli, rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES[:3])
    out = tmp_path / "out"
    base = ["batch", str(tmp_path / "in"), "--out", str(out), "--program", "quick-feedback",
            "--via", "jsonl", "--no-progress"]  # fmt: skip
    result = cli(*base)
    for round_no in (1, 2, 3):
        assert result.code == 0, result.err
        requests = out / ".sixhats" / "rounds" / f"round-{round_no}.requests.jsonl"
        assert f"vllm run-batch -i {requests}" in result.err
        index = json.loads((out / "index.json").read_text())
        assert {r["status"] for r in index["rows"]} == {"waiting"}
        answers = tmp_path / f"round-{round_no}.results.jsonl"
        answers.write_text(vllm_results(requests, rounds.url))
        result = cli(*base, "--results", str(answers))
    assert result.code == 0, result.err
    index = json.loads((out / "index.json").read_text())
    assert {r["status"] for r in index["rows"]} == {"ok"}
    assert rounds.batch_stats().batches_created == 0  # nothing went to a Batch API


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--via", "carrier-pigeon"], "unknown --via 'carrier-pigeon'"),
        (["--via", "batch-api", "--no-log"], "keeps its rounds in the run store"),
        (["--results", "r.jsonl"], "--results goes with --via jsonl"),
    ],
)
def test_a_bad_via_is_refused_before_anything_runs(cli, rounds, tmp_path, args, message):
    write_proposals(tmp_path / "in", FILES[:1])
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *args)
    assert result.code == 2 and message in result.err
    assert rounds.batch_stats().uploads == 0


def test_status_shows_the_open_round_and_cancel_ends_it(cli, rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES[:3])
    out = tmp_path / "out"
    _killed_while_round_1_waits(rounds, tmp_path / "in", out)
    status = cli("batch", "--status", str(out), "--via", "batch-api")
    assert status.code == 0, status.err
    assert "round 1: batch-" in status.err and "submitted, 3 requests" in status.err
    assert "in_progress, 0/3 answered" in status.err
    cancel = cli("batch", "--cancel", str(out), "--via", "batch-api")
    assert cancel.code == 0 and "cancelled 1 open batch: batch-" in cancel.err
    assert rounds.batch_stats().cancels == 1
    after = cli("batch", "--status", str(out))
    assert "cancelled, 3 requests" in after.err and "no batch is open" in after.err


def test_a_round_the_finished_batch_did_not_need_is_said_to_be_no_longer_wanted(
    cli, rounds, tmp_path
):
    """Resumed with another program, the batch asks other requests: round 1 was never
    waited for, and --status listed it as open for ever, with nothing said of why."""
    write_proposals(tmp_path / "in", FILES[:3])
    out = tmp_path / "out"
    _killed_while_round_1_waits(rounds, tmp_path / "in", out)  # quick-feedback's round 1
    rounds.batch_reset()
    other = cli(
        "batch", str(tmp_path / "in"), "--out", str(out), "--program", "initial-ideas",
        "--via", "batch-api", "--no-progress",
    )  # fmt: skip
    assert other.code == 0, other.err
    assert (
        "note: 1 earlier round of this folder still open, no file waiting for its answers "
        "(its requests changed: another --program, say); --status shows it, --cancel cancels it"
    ) in other.err
    status = cli("batch", "--status", str(out))
    assert status.code == 0, status.err
    rows = [line for line in status.err.splitlines() if line.startswith("  round ")]
    assert rows[0].startswith("  round 1: batch-") and rows[0].endswith(", no longer wanted")
    assert (
        not any(row.endswith("wanted") for row in rows[1:]) and "no batch is open" not in status.err
    )
    assert status.err.rstrip().endswith(
        "1 round open but no longer wanted: the folder's batch finished without its answers "
        "(its requests changed: another --program, say); --cancel with --via batch-api "
        "cancels every open round"
    )
    assert cli("batch", "--cancel", str(out), "--via", "batch-api").code == 0
    assert "no batch is open" in cli("batch", "--status", str(out)).err


def _dry_run_cost(output: str) -> float:
    return float(re.search(r"estimated \$(\d+\.\d+) at most", output).group(1))


def test_a_dry_run_prices_the_whole_batch_at_batch_prices_and_sends_nothing(cli, rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES[:5])
    (tmp_path / "in" / "empty.md").write_text("   \n")
    out = tmp_path / "out"
    base = ["batch", str(tmp_path / "in"), "--out", str(out), "--program", "quick-feedback",
            "--flow", "parallel", "--dry-run"]  # fmt: skip
    live = cli(*base)
    batch_api = cli(*base, "--via", "batch-api", "--max-cost", "0.000001")
    assert live.code == 0 and batch_api.code == 0, live.err + batch_api.err
    assert "5 inputs, 20 requests" in batch_api.out and "at Batch API prices" in batch_api.out
    assert "3 rounds at least" in batch_api.out and "more than --max-cost" in batch_api.out
    assert _dry_run_cost(batch_api.out) == pytest.approx(_dry_run_cost(live.out) / 2, rel=0.01)
    assert "empty.md" in batch_api.err  # an input that cannot run is named
    assert not out.exists()  # nothing written
    assert rounds.stats().requests == 0 and rounds.batch_stats().uploads == 0  # nothing sent


def test_a_dry_run_where_no_input_can_run_is_refused(cli, rounds, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.md").write_text("\n")
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--dry-run")
    assert result.code == 2 and "no input of the batch can run" in result.err


def test_two_servers_numbering_their_batches_alike_keep_their_own_rounds(
    cli, rounds, tmp_path, monkeypatch
):
    """Two Batch API servers (two vLLM instances, a stand-in and a real one) both call their
    first batch batch-000001: the ledger keys rounds by server and batch id."""
    write_proposals(tmp_path / "in", FILES[:3])
    base = ["batch", str(tmp_path / "in"), "--program", "quick-feedback", "--via", "batch-api",
            "--no-progress"]  # fmt: skip
    for n in (1, 2):  # each a new server, numbering from 1
        with StandIn(max_seconds=600) as server:
            monkeypatch.setenv("OPENAI_BASE_URL", server.url)
            result = cli(*base, "--out", str(tmp_path / f"out-{n}"))
            assert result.code == 0, result.err
            assert server.batch_stats().batches_created == 3
    for out in ("out-1", "out-2"):
        index = json.loads((tmp_path / out / "index.json").read_text())
        assert {r["status"] for r in index["rows"]} == {"ok"}
        status = cli("batch", "--status", str(tmp_path / out))
        assert "round 1: batch-000001, completed" in status.err, status.err


def test_status_of_jsonl_rounds_says_they_wait_for_results_and_asks_no_batch_api(
    cli, rounds, tmp_path
):
    write_proposals(tmp_path / "in", FILES[:2])
    out = tmp_path / "out"
    written = cli("batch", str(tmp_path / "in"), "--out", str(out), "--via", "jsonl")
    assert written.code == 0, written.err
    for via in ([], ["--via", "jsonl"]):
        status = cli("batch", "--status", str(out), *via)
        assert status.code == 0, status.err
        assert "round 1: round-1, submitted, 2 requests" in status.err
        assert "24 h" not in status.err
        assert "1 round open; each waits for its results file" in status.err
        assert "(the batch again with --via jsonl --results FILE)" in status.err
    asked = cli("batch", "--status", str(out), "--via", "batch-api")
    assert asked.code == 0, asked.err
    assert f"{out}: its rounds went through --via jsonl, not batch-api" in asked.err
    assert "404" not in asked.err
    cancel = cli("batch", "--cancel", str(out), "--via", "batch-api")
    assert cancel.code == 2 and "its rounds went through --via jsonl" in cancel.err
    assert rounds.batch_stats() == BatchStats()  # the Batch API was asked nothing


def test_an_emergent_batch_goes_through_rounds_to_its_reports(cli, rounds, tmp_path):
    """An emergent run's framing adds fields to Framing: its memo kept them between rounds
    (it stopped with "Extra inputs are not permitted" once read back as plain Framing)."""
    write_proposals(tmp_path / "in", FILES[:3])
    out = tmp_path / "out"
    result = cli(
        "batch", str(tmp_path / "in"), "--out", str(out), "--program", "emergent",
        "--flow", "sequential", "--via", "batch-api", "--no-progress",
    )  # fmt: skip
    assert result.code == 0, result.err
    index = json.loads((out / "index.json").read_text())
    assert [r["status"] for r in index["rows"]] == ["ok"] * 3
    assert rounds.stats().requests == 0


def test_a_report_of_a_run_over_three_rounds_times_its_whole_run(cli, rounds, tmp_path):
    """Its start, its seconds and each step's are those of the whole run: they were those of
    its last pass (a few milliseconds, every step 0.0 s)."""
    rounds.batch_reset(complete_seconds=0.3)  # each round in progress at least this long
    write_proposals(tmp_path / "in", FILES[:2])
    out = tmp_path / "out"
    before = datetime.now(UTC)
    result = cli(
        "batch", str(tmp_path / "in"), "--out", str(out), "--program", "quick-feedback",
        "--via", "batch-api", "--no-progress",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads((out / "proposal-000.json").read_text())
    meta = report["metadata"]
    started, finished = (datetime.fromisoformat(meta[k]) for k in ("started_at", "finished_at"))
    assert before <= started and finished - started >= timedelta(seconds=0.9)  # three rounds
    assert meta["seconds"] == pytest.approx((finished - started).total_seconds(), abs=0.05)
    assert all(step["seconds"] >= 0.3 for step in report["steps"])  # each waited its round


def test_a_batch_in_rounds_warns_of_what_its_boards_left_out_as_a_live_one_does(
    cli, rounds, tmp_path
):
    """Each step's board is made on the pass that first asks it: its warning was gone from
    the report once a later pass finished the run (a sequential run parks at every step)."""
    rounds.reset(record=True, items=8, words=30)  # thorough answers: the boards do not fit
    rounds.batch_reset(items=8, words=30)
    write_proposals(tmp_path / "in", FILES[:1])
    warned = {}
    for via in ("live", "batch-api"):
        out = tmp_path / via
        result = cli(
            "batch", str(tmp_path / "in"), "--out", str(out), "--program", "choose",
            "--flow", "sequential", "--context-window", "4096", "--via", via, "--no-progress",
        )  # fmt: skip
        assert result.code == 0, result.err
        report = json.loads((out / "proposal-000.json").read_text())
        warned[via] = report["metadata"]["warnings"]
    steps = [w.split(" saw ")[0] for w in warned["batch-api"]]
    assert "step 2-white" in steps and "step 7-blue" in steps and len(set(steps)) == len(steps)
    assert warned["batch-api"] == warned["live"]


@pytest.mark.parametrize("via", ["live", "batch-api"])
def test_a_batch_whose_boards_were_cut_names_the_first_file_and_counts_them_all(
    cli, rounds, tmp_path, via
):
    """The boards' warnings reached only the reports: stderr said nothing of what the steps
    did not see. One note on the first file, a count at the close: a small context cuts
    every file's boards, and a line each would bury the rest."""
    rounds.reset(record=True, items=8, words=30)  # thorough answers: the boards do not fit
    rounds.batch_reset(items=8, words=30)
    write_proposals(tmp_path / "in", FILES[:3])
    result = cli(
        "batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--program", "choose",
        "--context-window", "4096", "--via", via, "--no-progress",
    )  # fmt: skip
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if "to fit the model's context" in line]
    assert len(notes) == 2, result.err
    first = re.fullmatch(
        r"note: \S+/(proposal-00\d)\.md: (\d) steps saw the earlier points shortened or some "
        r"left out, to fit the model's context \(4096 tokens\); its JSON report's "
        r"metadata.warnings says which; the closing lines count such files",
        notes[0],
    )
    assert first is not None, notes[0]
    assert notes[1] == (
        "3 files with boards cut to fit the model's context "
        "(see metadata.warnings in their JSON reports)"
    )
    assert result.err.index(notes[1]) > result.err.index("batch: 3 ok")
    report = json.loads((tmp_path / "out" / f"{first[1]}.json").read_text())
    assert len(report["metadata"]["warnings"]) == int(first[2])


def test_two_jsonl_batches_on_one_server_each_keep_their_round_1(cli, rounds, tmp_path):
    """A jsonl round is named after its file (round-1, round-2, ...) in its --out folder, so
    two batches' first rounds share a name: the second batch stopped on the store's
    uniqueness, its round written but not kept."""
    write_proposals(tmp_path / "in", FILES[:2])
    base = ["batch", str(tmp_path / "in"), "--program", "quick-feedback", "--via", "jsonl"]
    for out in ("out-1", "out-2"):
        result = cli(*base, "--out", str(tmp_path / out))
        assert result.code == 0, result.err
        assert "vllm run-batch" in result.err
    for out in ("out-1", "out-2"):
        requests = tmp_path / out / ".sixhats" / "rounds" / "round-1.requests.jsonl"
        answers = tmp_path / f"{out}.results.jsonl"
        answers.write_text(vllm_results(requests, rounds.url))
        result = cli(*base, "--out", str(tmp_path / out), "--results", str(answers))
        assert result.code == 0, result.err
        status = cli("batch", "--status", str(tmp_path / out))
        assert "round 1: round-1, completed" in status.err, status.err
        assert "round 2: round-2, submitted" in status.err, status.err


@pytest.mark.parametrize(
    "line, problem",
    [
        ('[1, 2]', "line 2: not a JSON object"),
        ('{"response": {"status_code": 200, "body": {}}}', "line 2: it has no custom_id"),
        ('{"custom_id": "x", "response": "oops"}', "line 2: its response is not a JSON object"),
        ('{"custom_id": "x", "response": {"status_code": 200, "body": [1]}}',
         "line 2: its response's body is not a JSON object"),
        ('{"custom_id": "x", "response": {"status_code": "abc"}}', "line 2: its status_code"),
        ('{"custom_id": "x", "resp', "line 2: "),
    ],
)  # fmt: skip
def test_a_results_file_with_a_line_of_another_shape_is_refused_naming_the_line(
    cli, rounds, tmp_path, line, problem
):
    write_proposals(tmp_path / "in", FILES[:2])
    out = tmp_path / "out"
    base = ["batch", str(tmp_path / "in"), "--out", str(out), "--via", "jsonl", "--no-progress"]
    assert cli(*base).code == 0
    requests = out / ".sixhats" / "rounds" / "round-1.requests.jsonl"
    good = vllm_results(requests, rounds.url).splitlines()[0]
    answers = tmp_path / "results.jsonl"
    answers.write_text(f"{good}\n{line}\n")
    result = cli(*base, "--results", str(answers))
    assert result.code == 2, result.err
    assert f"cannot read the results file {answers}: {problem}" in result.err
    assert "unexpected" not in result.err and "Traceback" not in result.err


def test_a_damaged_answer_in_the_store_is_asked_again_in_a_round(cli, rounds, tmp_path):
    """An answer the store keeps for a round that no longer reads is no answer, as a damaged
    cached request is not: it stopped the batch with an unexpected JSONDecodeError."""
    import sqlite3

    from sixhats_ai.store.database import default_store_path

    write_proposals(tmp_path / "in", FILES[:2])
    base = ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--program",
            "quick-feedback", "--via", "batch-api", "--no-progress"]  # fmt: skip
    assert cli(*base).code == 0
    with sqlite3.connect(default_store_path()) as conn:
        conn.execute("UPDATE batch_results SET body = '{'")
    rounds.batch_reset()
    again = cli(*base, "--force")
    assert again.code == 0, again.err
    assert rounds.batch_stats().batches_created == 3  # every answer asked again
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert {r["status"] for r in index["rows"]} == {"ok"}


def test_a_jsonl_round_whose_file_was_deleted_is_written_again(cli, rounds, tmp_path):
    """The --out folder removed (or its rounds) while a round waited: the batch waited on
    for a file no longer there, naming it as the one to run."""
    import shutil

    write_proposals(tmp_path / "in", FILES[:2])
    out = tmp_path / "out"
    base = ["batch", str(tmp_path / "in"), "--out", str(out), "--program", "quick-feedback",
            "--via", "jsonl", "--no-progress"]  # fmt: skip
    assert cli(*base).code == 0
    shutil.rmtree(out)
    again = cli(*base)
    assert again.code == 0, again.err
    requests = out / ".sixhats" / "rounds" / "round-2.requests.jsonl"
    assert f"vllm run-batch -i {requests}" in again.err and requests.is_file()
    answers = tmp_path / "round-2.results.jsonl"
    answers.write_text(vllm_results(requests, rounds.url))
    result = cli(*base, "--results", str(answers))
    assert result.code == 0, result.err
    assert "round 1: round-1, cancelled" in cli("batch", "--status", str(out)).err


@pytest.mark.parametrize("value", ["0", "nan"])
def test_a_poll_interval_not_above_0_is_refused(cli, rounds, tmp_path, monkeypatch, value):
    """NaN parses as a float, and passed a `<= 0` check."""
    monkeypatch.setenv("SIXHATS_POLL_SECONDS", value)
    (tmp_path / "a.md").write_text("Should we?")
    result = cli(
        "batch", str(tmp_path / "a.md"), "--out", str(tmp_path / "out"), "--via", "batch-api"
    )
    assert result.code == 2
    assert result.err.splitlines()[-1] == "error: SIXHATS_POLL_SECONDS must be more than 0"
