"""A batch in rounds and the store's answers: an answer kept from another batch (another
--out folder, or this folder's batch finished before) counts as cached and costs nothing this
run, `--no-cache` asks the engine again, and a resume of the same batch uses what its earlier
rounds fetched, with or without the cache. Real loopback HTTP to the stand-in's Batch API."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from sixhats_ai.store.database import default_store_path
from testkit.batchapi import vllm_results
from tests.test_batch import write_proposals
from tests.test_batch_via import FILES
from tests.test_batch_via import rounds as rounds  # the fixture: the stand-in's Batch API

pytestmark = pytest.mark.loopback


def _base(tmp_path, out: str = "out", via: str = "batch-api") -> list[str]:
    return ["batch", str(tmp_path / "in"), "--out", str(tmp_path / out), "--program",
            "quick-feedback", "--via", via, "--no-progress"]  # fmt: skip


def _summary(err: str) -> tuple[str, float]:
    """The closing line's counts ("20 requests (0 cached)") and its cost this run."""
    found = re.search(r"(\d+ requests? \(\d+ cached\)), \d+ tokens, \$(\d+\.\d+) this run", err)
    assert found, err
    return found.group(1), float(found.group(2))


def test_a_second_batch_into_another_folder_takes_the_answers_as_cached(cli, rounds, tmp_path):
    """It submitted nothing, yet said "20 requests (0 cached), $0.0179 this run"."""
    write_proposals(tmp_path / "in", FILES[:5])
    first = cli(*_base(tmp_path, "out-1"))
    assert first.code == 0, first.err
    assert _summary(first.err)[0] == "20 requests (0 cached)" and _summary(first.err)[1] > 0
    rounds.batch_reset()
    second = cli(*_base(tmp_path, "out-2"))
    assert second.code == 0, second.err
    assert rounds.batch_stats().batches_created == 0
    assert _summary(second.err) == ("0 requests (20 cached)", 0.0)
    usage = json.loads((tmp_path / "out-2" / "proposal-000.json").read_text())["metadata"]
    assert usage["usage"]["cached_requests"] == 4 and usage["usage"]["cost_usd"] == 0


@pytest.mark.parametrize("out", ["out-1", "out-2"])
def test_no_cache_submits_again_what_another_batch_fetched(cli, rounds, tmp_path, out):
    """Into another folder, or --force into the same one once its batch finished: the store's
    answers answered it all the same, against what --no-cache promises."""
    write_proposals(tmp_path / "in", FILES[:5])
    assert cli(*_base(tmp_path, "out-1")).code == 0
    rounds.batch_reset()
    again = cli(*_base(tmp_path, out), "--force", "--no-cache")
    assert again.code == 0, again.err
    stats = rounds.batch_stats()
    assert stats.batches_created == 3 and len(stats.custom_ids) == 20
    assert _summary(again.err)[0] == "20 requests (0 cached)"


def test_a_forced_rerun_of_a_finished_batch_counts_its_answers_as_cached(cli, rounds, tmp_path):
    write_proposals(tmp_path / "in", FILES[:5])
    assert cli(*_base(tmp_path)).code == 0
    rounds.batch_reset()
    again = cli(*_base(tmp_path), "--force")
    assert again.code == 0, again.err
    assert rounds.batch_stats().batches_created == 0
    assert _summary(again.err) == ("0 requests (20 cached)", 0.0)


def test_jsonl_rounds_with_no_cache_use_their_own_earlier_rounds(cli, rounds, tmp_path):
    """Each --results run starts the files again from their first step: the answers of the
    batch's earlier rounds answer them, never written into a round again, and counted as
    requests of the batch (its reports cost what the rounds did)."""
    write_proposals(tmp_path / "in", FILES[:2])
    out = tmp_path / "out"
    base = [*_base(tmp_path, via="jsonl"), "--no-cache"]
    result = cli(*base)
    for round_no in (1, 2, 3):
        assert result.code == 0, result.err
        requests = out / ".sixhats" / "rounds" / f"round-{round_no}.requests.jsonl"
        answers = tmp_path / f"round-{round_no}.results.jsonl"
        answers.write_text(vllm_results(requests, rounds.url))
        result = cli(*base, "--results", str(answers))
    assert result.code == 0, result.err
    assert not (out / ".sixhats" / "rounds" / "round-4.requests.jsonl").exists()
    assert _summary(result.err)[0] == "8 requests (0 cached)"
    index = json.loads((out / "index.json").read_text())
    assert {r["status"] for r in index["rows"]} == {"ok"}


def test_an_answer_with_no_choices_is_asked_again_in_the_next_round(cli, rounds, tmp_path):
    """HTTP 200 with a body that is no completion: it stayed in the store and failed its
    request in every later batch (only answers other than 200 were asked again)."""
    write_proposals(tmp_path / "in", FILES[:2])
    assert cli(*_base(tmp_path)).code == 0
    with sqlite3.connect(default_store_path()) as conn:
        conn.execute("""UPDATE batch_results SET body = '{"id": "chatcmpl-1"}'""")
    rounds.batch_reset()
    again = cli(*_base(tmp_path), "--force")
    assert again.code == 0, again.err
    assert rounds.batch_stats().batches_created == 3
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert {r["status"] for r in index["rows"]} == {"ok"}


def test_each_progress_line_counts_tokens_and_cost_of_the_same_files(cli, rounds, tmp_path):
    """The cost was every answered request's (all files' first rounds), the tokens the
    finished files': the first line said 5,721 tokens, $0.0114."""
    write_proposals(tmp_path / "in", FILES[:6])
    result = cli(*_base(tmp_path))
    assert result.code == 0, result.err
    lines = re.findall(r"\[(\d)/6\] ok (\S+):.*\n.*; (\d+) tokens, \$(\d+\.\d+)", result.err)
    assert len(lines) == 6
    tokens, cost = 0, 0.0
    for _, name, shown_tokens, shown_cost in lines:
        stem = name.rsplit("/", 1)[-1].removesuffix(".md")
        usage = json.loads((tmp_path / "out" / f"{stem}.json").read_text())["metadata"]["usage"]
        tokens += usage["prompt_tokens"] + usage["completion_tokens"]
        cost += usage["cost_usd"]
        assert (int(shown_tokens), float(shown_cost)) == (tokens, pytest.approx(cost, abs=1e-4))
