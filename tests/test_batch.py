"""`sixhats batch` end to end through the CLI, the real SDK and respx."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sixhats_ai.batches.outputs import BatchOutputs
from sixhats_ai.batches.runner import BatchRunner
from sixhats_ai.resources import pip_install
from sixhats_ai.run.report import Report
from sixhats_ai.store.database import RunStore
from tests.fakes import error, step_id

CHOOSE_REQUESTS = 7  # Blue, White, (Green), Yellow, Black, Red, Blue


def write_proposals(folder: Path, names: list[str]) -> dict[str, str]:
    """One small proposal per name, each with a marker that shows up in its requests."""
    folder.mkdir(parents=True, exist_ok=True)
    markers = {}
    for n, name in enumerate(names):
        marker = f"MARKER-{n}-X"
        (folder / name).write_text(f"# Proposal {name}\n\nWe propose plan {marker}.\n")
        markers[name] = marker
    return markers


def requests_for(fake_llm, marker: str) -> int:
    return sum(marker in body["messages"][-1]["content"] for body in fake_llm.requests)


def stderr_tail(err: str, n: int = 4) -> str:
    return "\n".join(err.strip().splitlines()[-n:])


def test_batch_writes_a_report_per_input_and_an_index_matching_them(cli, fake_llm, tmp_path):
    src = tmp_path / "proposals"
    write_proposals(src, ["alpha.md", "bêta – plan.txt", "日本語.rst"])
    (src / "page.html").write_text(
        "<html><head><title>Web plan</title><script>evil()</script></head>"
        "<body><h1>Open a shop</h1><p>Sell MARKER-HTML online.</p></body></html>"
    )
    (src / "ignored.png").write_bytes(b"\x89PNG\x00\x00")
    out = tmp_path / "reports"

    result = cli("batch", str(src), "--out", str(out), "--program", "choose")

    assert result.code == 0, result.err
    assert result.out == ""
    html_prompt = next(b for b in fake_llm.requests if "MARKER-HTML" in str(b["messages"]))
    assert "evil()" not in str(html_prompt["messages"])
    assert len(fake_llm.requests) == 4 * CHOOSE_REQUESTS
    stems = ["alpha", "bêta – plan", "page", "日本語"]
    for stem in stems:
        report = Report.model_validate_json((out / f"{stem}.json").read_text())
        assert (out / f"{stem}.md").read_text().startswith("# Six Thinking Hats")
        assert report.synthesis.recommendation.decision
    index = json.loads((out / "index.json").read_text())
    assert index["compares_alternatives"] is True
    assert [row["report"] for row in index["rows"]] == stems
    for row in index["rows"]:
        report = Report.model_validate_json((out / f"{row['report']}.json").read_text())
        assert row["status"] == "ok"
        assert row["recommendation"] == report.synthesis.recommendation.decision
        assert row["confidence"] == report.synthesis.recommendation.confidence
        assert row["tokens"] == report.metadata.usage.total_tokens
        assert row["top_risks"][0].startswith(report.synthesis.risks[0].text)
    rows = list(csv.DictReader(io.StringIO((out / "index.csv").read_text())))
    assert [r["input"] for r in rows] == [r["input"] for r in index["rows"]]
    assert [r["recommendation"] for r in rows] == [r["recommendation"] for r in index["rows"]]
    markdown = (out / "index.md").read_text()
    assert markdown.startswith("# Comparison of proposals")
    assert "[日本語.rst](" in markdown or "日本語" in markdown
    assert "4 ok" in stderr_tail(result.err)
    assert not list(out.rglob("*.tmp"))


def test_a_batch_of_one_counts_in_the_singular(cli, fake_llm, tmp_path):
    write_proposals(tmp_path / "in", ["only.md"])
    out = tmp_path / "out"
    result = cli("batch", str(tmp_path / "in"), "--out", str(out), "--concurrency", "1")
    assert result.code == 0, result.err
    assert ", 1 input, up to 1 request in flight," in result.err
    assert "kept 1 run in the store" in result.err
    assert "1 input: 1 ok." in (out / "index.md").read_text()
    assert not re.search(r"\b1 (inputs|runs|requests)\b", result.err)


def test_the_concurrency_cap_holds_across_files_and_hats(cli, fake_llm, no_network, tmp_path):
    write_proposals(tmp_path / "in", [f"p{n}.md" for n in range(6)])
    state = {"now": 0, "peak": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        try:
            await asyncio.sleep(0.01)
            return fake_llm(request)
        finally:
            state["now"] -= 1

    no_network.routes[0].side_effect = slow
    args = ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--concurrency", "3"]
    result = cli(*args, "--flow", "parallel")

    assert result.code == 0, result.err
    assert len(fake_llm.requests) == 6 * CHOOSE_REQUESTS
    assert state["peak"] == 3  # reached, so the test can see an overshoot, and never passed


def test_resume_requests_only_what_is_missing_and_redoes_changed_inputs(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    markers = write_proposals(src, ["a.md", "b.md", "c.md"])
    fake_llm.fail_when(
        lambda body: error(400, "bad request") if markers["c.md"] in str(body) else None
    )
    first = cli("batch", str(src), "--out", str(out))
    assert first.code == 1, first.err
    assert "failed" in stderr_tail(first.err) and "c.md" in stderr_tail(first.err)
    assert not (out / "c.json").exists()

    fake_llm.responders.clear()
    fake_llm.requests.clear()
    second = cli("batch", str(src), "--out", str(out))
    assert second.code == 0, second.err
    assert requests_for(fake_llm, markers["a.md"]) == 0
    assert requests_for(fake_llm, markers["b.md"]) == 0
    assert requests_for(fake_llm, markers["c.md"]) == CHOOSE_REQUESTS
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [(r["report"], r["reused"]) for r in rows] == [("a", True), ("b", True), ("c", False)]

    (src / "b.md").write_text("# b\n\nA changed plan MARKER-B2.\n")
    fake_llm.requests.clear()
    third = cli("batch", str(src), "--out", str(out))
    assert third.code == 0, third.err
    assert len(fake_llm.requests) == CHOOSE_REQUESTS
    assert requests_for(fake_llm, "MARKER-B2") == CHOOSE_REQUESTS

    fake_llm.requests.clear()
    forced = cli("batch", str(src), "--out", str(out), "--force", "--no-cache")
    assert forced.code == 0
    assert len(fake_llm.requests) == 3 * CHOOSE_REQUESTS


def test_another_program_or_prompt_makes_reports_stale(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["a.md"])
    assert cli("batch", str(src), "--out", str(out)).code == 0
    fake_llm.requests.clear()
    assert cli("batch", str(src), "--out", str(out), "-p", "quick-feedback").code == 0
    assert len(fake_llm.requests) == 4
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    black = cli("prompts", "show", "black").out
    (prompts / "black.j2").write_text(black + "\n{# changed #}\n")
    fake_llm.requests.clear()
    # The changed template renders the same prompts, so only --no-cache shows the redo.
    args = ["batch", str(src), "--out", str(out), "-p", "quick-feedback", "--no-cache"]
    assert cli(*args, "--prompts-dir", str(prompts)).code == 0
    assert len(fake_llm.requests) == 4


def test_bad_inputs_among_good_ones_are_recorded_and_the_rest_go_on(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["good.md", "other.txt"])
    (src / "binary.md").write_bytes(b"\x00\x01\x02binary")
    (src / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    notes = tmp_path / "notes.xyz"
    notes.write_text("text")

    result = cli("batch", str(src), str(tmp_path / "missing"), str(notes), "--out", str(out))

    assert result.code == 1
    assert "Traceback" not in result.err
    rows = {Path(r["input"]).name: r for r in json.loads((out / "index.json").read_text())["rows"]}
    assert rows["good.md"]["status"] == rows["other.txt"]["status"] == "ok"
    assert "binary, not text" in rows["binary.md"]["error"]
    assert "not valid UTF-8" in rows["latin1.txt"]["error"]
    assert "does not exist" in rows["missing"]["error"]
    assert "unsupported format .xyz" in rows["notes.xyz"]["error"]
    assert all(rows[n]["status"] == "failed" for n in ("binary.md", "latin1.txt", "missing"))
    assert (out / "good.json").exists() and not (out / "binary.json").exists()
    assert "2 ok, 4 failed" in result.err
    assert "binary, not text" in result.err


def test_model_failure_of_one_file_does_not_stop_the_others_and_is_kept_for_rerun(
    cli, fake_llm, tmp_path
):
    src, out = tmp_path / "in", tmp_path / "out"
    markers = write_proposals(src, ["a.md", "b.md"])
    fake_llm.fail_when(
        lambda body: (
            error(400, "boom")
            if markers["a.md"] in str(body) and "Synthesis" in json.dumps(body)
            else None
        )
    )
    result = cli("batch", str(src), "--out", str(out))
    assert result.code == 1
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert rows[0]["status"] == "failed" and "synthesis failed" in rows[0]["error"]
    assert rows[1]["status"] == "ok"

    runs = {r["status"]: r for r in json.loads(cli("history", "--json").out)}
    assert set(runs) == {"ok", "failed"}  # the failed file's hats are in the store
    fake_llm.responders.clear()
    fake_llm.requests.clear()
    finished = cli("rerun", runs["failed"]["id"], "--format", "json")
    assert finished.code == 0, finished.err
    assert fake_llm.steps_requested() == ["7-blue"]
    assert requests_for(fake_llm, markers["a.md"]) == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: (p / "empty").mkdir(), "no inputs found in"),
        (lambda p: None, "does not exist"),
    ],
)
def test_nothing_to_analyse_is_a_usage_error(cli, fake_llm, tmp_path, setup, message):
    setup(tmp_path)
    target = tmp_path / "empty"
    result = cli("batch", str(target), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert fake_llm.requests == []


def test_out_that_is_a_file_is_refused_before_any_request(cli, fake_llm, tmp_path):
    write_proposals(tmp_path / "in", ["a.md"])
    (tmp_path / "out").write_text("not a folder")
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert "--out" in result.err and "is a file" in result.err
    assert fake_llm.requests == []


def test_two_inputs_with_one_name_get_distinct_reports(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src / "team-a", ["README.md"])
    write_proposals(src / "team-b", ["README.md"])
    write_proposals(src, ["index.md"])
    result = cli("batch", str(src), "--out", str(out))
    assert result.code == 0, result.err
    assert "shares the name 'README'" in result.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["report"] for r in rows] == ["in__index", "README", "team-b__README"]
    assert json.loads((out / "index.json").read_text())["kind"] == "sixhats.batch-index"
    assert "MARKER-0-X" in (out / "README.json").read_text() or (out / "README.json").exists()


def test_the_same_file_given_twice_is_one_input(cli, fake_llm, tmp_path):
    """By the same path, another spelling of it, a link to it (symbolic or hard: the same
    device and file id), or its folder and itself; another name of it is told in a note."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["p01.md", "p02.md"])
    (tmp_path / "link.md").symlink_to(src / "p01.md")
    os.link(src / "p02.md", tmp_path / "hard.md")
    result = cli(
        "batch", str(src / "p01.md"), str(src / "p01.md"), str(src / "." / "p01.md"),
        str(tmp_path / "link.md"), str(src), str(src / "p02.md"), str(tmp_path / "hard.md"),
        "--out", str(out), "--program", "quick-feedback",
    )  # fmt: skip
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: {tmp_path / 'link.md'} is the same file as {src / 'p01.md'}, analysed once",
        f"note: {tmp_path / 'hard.md'} is the same file as {src / 'p02.md'}, analysed once",
    ]
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["report"] for r in rows] == ["p01", "p02"]
    assert sorted(p.name for p in out.glob("*.json")) == ["index.json", "p01.json", "p02.json"]
    assert requests_for(fake_llm, "MARKER-0-X") == requests_for(fake_llm, "MARKER-1-X") > 0
    assert "2 inputs" in result.err
    with RunStore() as store:
        assert store.count("runs") == 2


def test_paths_on_stdin_and_glob(cli, fake_llm, tmp_path, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src / "deep" / "er", ["a.md", "b.txt"])
    write_proposals(tmp_path / "other", ["c.md"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{src}\n\n{tmp_path / 'other' / 'c.md'}\n"))
    result = cli("batch", "-", "--glob", "*.md", "--out", str(out))
    assert result.code == 0, result.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [Path(r["input"]).name for r in rows] == ["a.md", "c.md"]


def test_a_batch_refused_before_it_wrote_anything_leaves_no_folder_it_made(
    cli, fake_llm, tmp_path, monkeypatch
):
    """Its lock's folder was made first: a refusal after it left an empty `--out/.sixhats`
    behind; a folder the user had, and what is in it, stay."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    for out in (tmp_path / "new" / "reports", mine):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no input streamed in
        result = cli("batch", "-", "--out", str(out))
        assert result.code == 2 and "no inputs given" in result.err
    assert not (tmp_path / "new").exists()
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def price_fake_model_output_at_2000_per_million(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[prices."fake-model"]\ninput = 0.0\noutput = 2000.0\n')


def test_max_cost_stops_starting_new_files(cli, fake_llm, tmp_path):
    price_fake_model_output_at_2000_per_million(tmp_path)
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(5)])
    # a request: 50 completion tokens x $2000 per million = $0.10; a file, 7 requests: $0.70
    args = ["batch", str(src), "--out", str(out), "--concurrency", "1", "--max-tokens", "1"]
    result = cli(*args, "--max-cost", "1.6")
    assert result.code == 1
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["ok", "ok", "not started", "not started", "not started"]
    assert "--max-cost" in stderr_tail(result.err)
    assert "3 inputs not started" in result.err
    assert len(fake_llm.requests) == 2 * CHOOSE_REQUESTS


def test_ctrl_c_keeps_finished_reports_and_leaves_no_partial_files(
    cli, fake_llm, tmp_path, monkeypatch
):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(4)])

    write, original_run = BatchOutputs.write, BatchRunner.run
    running_loop: asyncio.AbstractEventLoop | None = None
    interrupted: list[bool] = []

    def write_then_interrupt(self, *args, **kwargs):
        """Ctrl-C as the first file's reports are written: --concurrency 1 runs two files
        at once, so the third and fourth are still waiting for a slot."""
        write(self, *args, **kwargs)
        if not interrupted:
            interrupted.append(True)
            assert running_loop is not None
            running_loop.call_soon_threadsafe(signal.raise_signal, signal.SIGINT)

    async def run_noting_the_loop(self, inputs):
        nonlocal running_loop
        running_loop = asyncio.get_running_loop()
        return await original_run(self, inputs)

    monkeypatch.setattr(BatchOutputs, "write", write_then_interrupt)
    monkeypatch.setattr(BatchRunner, "run", run_noting_the_loop)
    result = cli("batch", str(src), "--out", str(out), "--concurrency", "1")

    assert result.code == 130, result.err
    assert "interrupted" in result.err
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    finished = sorted(out.glob("p*.json"))
    assert 1 <= len(finished) <= 2, (
        result.err
    )  # a file whose last answer was in hand may still finish
    for report in finished:
        assert Report.model_validate_json(report.read_text())
        assert report.with_suffix(".md").is_file()
    rows = json.loads((out / "index.json").read_text())["rows"]
    statuses = {Path(r["input"]).name: r["status"] for r in rows}
    assert len(rows) == 4, statuses  # every input has its row, also those never started
    assert statuses["p2.md"] == statuses["p3.md"] == "not started"
    for name, status in statuses.items():  # a report on disk is never listed as interrupted
        assert (status == "ok") == (out / name).with_suffix(".json").is_file(), statuses
    asked_before = len(fake_llm.requests)

    monkeypatch.setattr(BatchOutputs, "write", write)
    monkeypatch.setattr(BatchRunner, "run", original_run)
    fake_llm.requests.clear()
    again = cli("batch", str(src), "--out", str(out))
    assert again.code == 0, again.err
    assert len(list(out.glob("p*.json"))) == 4
    # Finished files are kept, and the interrupted files' answers come from the store: only
    # what was never answered is asked again (and at most one cut-off request per file).
    never_answered = 4 * CHOOSE_REQUESTS - asked_before
    assert never_answered <= len(fake_llm.requests) <= never_answered + 4 - len(finished)


def test_pdf_and_docx_are_read_or_skipped_without_the_extra(cli, fake_llm, tmp_path, monkeypatch):
    docx = pytest.importorskip("docx")
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    document = docx.Document()
    document.add_paragraph("Word plan MARKER-DOCX")
    document.save(src / "plan.docx")
    assert cli("batch", str(src), "--out", str(out)).code == 0
    assert requests_for(fake_llm, "MARKER-DOCX") == CHOOSE_REQUESTS

    monkeypatch.setitem(sys.modules, "docx", None)
    result = cli("batch", str(src), "--out", str(tmp_path / "out2"))
    assert result.code == 0
    row = json.loads((tmp_path / "out2" / "index.json").read_text())["rows"][0]
    assert row["status"] == "skipped" and pip_install("docs") in row["error"]
    assert "skipped" in result.err


def test_the_summary_counts_failed_and_skipped_inputs_apart(cli, fake_llm, tmp_path, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["good.md"])
    (src / "binary.md").write_bytes(b"\x00\x01\x02binary")
    for name in ("plan.docx", "scan.pdf"):
        (src / name).write_bytes(b"not read: the docs extra is missing")
    monkeypatch.setitem(sys.modules, "docx", None)
    monkeypatch.setitem(sys.modules, "pypdf", None)
    result = cli("batch", str(src), "--out", str(out), "--no-progress")
    assert result.code == 1
    assert "3 of 4 inputs have no report: 1 failed, 2 skipped" in result.err
    assert "install the docs extra" in result.err  # what the skipped ones need, not a retry
    last = [line for line in result.err.splitlines() if line.startswith("    done")][-1]
    assert last.startswith("    done 1, failed 1, skipped 2, remaining 0;")


def test_a_degraded_report_is_resumed_by_asking_only_its_failed_hats(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    markers = write_proposals(src, ["a.md", "b.md"])
    fake_llm.fail_when(
        lambda body: (
            error(400, "no")
            if markers["a.md"] in str(body) and step_id(body) == "5-black"
            else None
        )
    )
    first = cli("batch", str(src), "--out", str(out))
    assert first.code == 0, first.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert rows[0]["status"] == "degraded" and "5-black" in rows[0]["error"]

    fake_llm.responders.clear()
    fake_llm.requests.clear()
    second = cli("batch", str(src), "--out", str(out))
    assert second.code == 0, second.err
    assert fake_llm.steps_requested() == ["5-black", "7-blue"]
    report = Report.model_validate_json((out / "a.json").read_text())
    assert not report.degraded


def test_index_markdown_escapes_names_and_links_to_the_reports(cli, fake_llm, tmp_path):
    from urllib.parse import unquote

    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["we|ird [x] <b>.md"])
    assert cli("batch", str(src), "--out", str(out), "-p", "quick-feedback").code == 0
    markdown = (out / "index.md").read_text()
    assert markdown.startswith("# Batch index: Quick Feedback")
    row = next(line for line in markdown.splitlines() if "we" in line and "ird" in line)
    assert "we\\|ird \\[x\\] &lt;b&gt;.md" in row
    target = row.split("](", 1)[1].split(")", 1)[0]
    assert (out / unquote(target)).read_text().startswith("# Six Thinking Hats")


def test_batch_help_has_an_example(cli):
    result = cli("batch", "--help")
    assert result.code == 0 and "Example: sixhats batch" in result.out


def test_a_429_pauses_every_file_not_just_the_one_that_met_it(cli, fake_llm, no_network, tmp_path):
    write_proposals(tmp_path / "in", [f"p{n}.md" for n in range(4)])
    loop_time = {"429": None}
    sent_after: list[float] = []

    async def rate_limited_once(request: httpx.Request) -> httpx.Response:
        now = asyncio.get_running_loop().time()
        if loop_time["429"] is None:
            loop_time["429"] = now
            return error(429, "slow down", {"retry-after-ms": "300"})
        sent_after.append(now - loop_time["429"])
        await asyncio.sleep(0.005)
        return fake_llm(request)

    no_network.routes[0].side_effect = rate_limited_once
    args = ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--concurrency", "4"]
    result = cli(*args)

    assert result.code == 0, result.err
    assert len(sent_after) == 4 * CHOOSE_REQUESTS
    # Only the three requests already in flight when the 429 came back went out during the
    # pause; no file started another one until Retry-After had passed.
    assert len([t for t in sent_after if t < 0.29]) <= 3


def test_reports_never_overwrite_the_proposals(cli, fake_llm, tmp_path):
    src = tmp_path / "same"
    write_proposals(src, ["hire.md", "office.md"])
    before = {p.name: p.read_text() for p in src.iterdir()}
    result = cli("batch", str(src), "--out", str(src))
    assert result.code == 2 and "also an input folder" in result.err
    assert {p.name: p.read_text() for p in src.iterdir()} == before
    assert fake_llm.requests == []

    result = cli("batch", str(src / "hire.md"), str(src / "office.md"), "--out", str(src))
    assert "is in the --out folder" in result.err
    assert {p.name: p.read_text() for p in src.iterdir() if p.suffix == ".md"} == before
    assert fake_llm.requests == []


def test_reports_inside_the_input_folder_are_not_read_as_proposals(cli, fake_llm, tmp_path):
    src = tmp_path / "in"
    write_proposals(src, ["hire.md"])
    assert cli("batch", str(src), "--out", str(src / "reports")).code == 0
    fake_llm.requests.clear()
    again = cli("batch", str(src), "--out", str(src / "reports"), "--force", "--no-cache")
    assert again.code == 0
    assert len(fake_llm.requests) == CHOOSE_REQUESTS  # one proposal, not its reports too


def test_truncated_inputs_are_reported(cli, fake_llm, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "big.md").write_text("word " * 20_000)
    result = cli(
        "batch", str(src), "--out", str(tmp_path / "out"), "--context-window", "8000", "--truncate"
    )
    assert result.code == 0, result.err
    assert "big.md: warning: big.md cut from about" in result.err


def test_max_cost_holds_back_the_first_round_until_real_costs_are_known(cli, fake_llm, tmp_path):
    price_fake_model_output_at_2000_per_million(tmp_path)
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(8)])
    # Feared: 7 requests x 2000 completion tokens x $2000 per million = $28 a file (a request
    # reserves $4). Real: 7 x 50 tokens = $0.70 a file. Eight files started at once would
    # reserve $32 and some would be cut off part-way; held back until the first file shows
    # what files really cost, all eight run.
    args = ["batch", str(src), "--out", str(out), "--concurrency", "8", "--max-cost", "30"]
    result = cli(*args)
    assert result.code == 0, result.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["ok"] * 8
    assert len(fake_llm.requests) == 8 * CHOOSE_REQUESTS


@pytest.mark.loopback
def test_sigterm_writes_the_index_and_exits_143(served, tmp_path):
    """A real process, terminated once the stand-in holds its first request (the output-mode
    probe: the others wait for its answer, which does not come before the signal)."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(5)])
    served.reset(latency=60.0)  # no answer comes back before the signal
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    command = [sys.executable, "-m", "sixhats_ai", "batch", str(src), "--out", str(out)]
    with subprocess.Popen(
        [*command, "--concurrency", "2", "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 60
        while served.stats().requests < 1 and proc.poll() is None:
            assert time.monotonic() < deadline, "the batch sent no requests"
            time.sleep(0.05)  # polling the stand-in's count, not racing the scheduler
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)

    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    rows = json.loads((out / "index.json").read_text())["rows"]
    statuses = [r["status"] for r in rows]
    assert len(rows) == 5 and set(statuses) <= {"interrupted", "not started"}, statuses
    assert "not started" in statuses  # two request slots: at most four files had begun
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.loopback
def test_a_second_batch_on_the_same_out_is_refused_while_the_first_runs(cli, served, tmp_path):
    """Both used to run every input: twice the runs, and an index contradicting the reports.
    The second is refused in one line, before it prints its header."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [f"p{n}.md" for n in range(3)])
    served.reset(latency=60.0)  # the first batch holds the folder until it is stopped
    command = ["batch", str(src), "--out", str(out), "--program", "quick-feedback"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    with subprocess.Popen(
        [sys.executable, "-m", "sixhats_ai", *command, "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as first:
        deadline = time.monotonic() + 60
        while served.stats().requests < 1 and first.poll() is None:
            assert time.monotonic() < deadline, "the first batch sent no requests"
            time.sleep(0.05)  # polling the stand-in's count, not racing the scheduler
        second = cli(*command)
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    assert second.code == 1, second.err
    assert second.err.splitlines() == [  # refused before its header or any progress
        f"error: another sixhats batch is writing to {out} (wait for it to finish, "
        "or give this one another --out folder)"
    ]
    served.reset()
    again = cli(*command)  # the folder is free once the first has ended
    assert again.code == 0, again.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    for row in rows:
        report = Report.model_validate_json((out / f"{row['report']}.json").read_text())
        assert row["recommendation"] == report.synthesis.recommendation.decision
    with RunStore() as store:
        assert store.count("runs") == 3


def test_a_report_kept_from_an_earlier_batch_is_never_listed_as_interrupted(
    cli, fake_llm, tmp_path, monkeypatch
):
    import threading

    from sixhats_ai.batches.scheduler import Scheduler

    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["p0.md", "p1.md", "p2.md"])
    assert cli("batch", str(src), "--out", str(out)).code == 0

    reusable, cancel = BatchOutputs.reusable, Scheduler.cancel
    cancelling = threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    def reusable_then_interrupt(self, *args):
        """Ctrl-C while the first input's earlier report is being checked, answered only
        once the batch is cancelling its files."""
        earlier = reusable(self, *args)
        if len(loops) == 1:
            loops.append(loops[0])
            loops[0].call_soon_threadsafe(signal.raise_signal, signal.SIGINT)
            assert cancelling.wait(10)
        return earlier

    async def cancel_noted(self):
        cancelling.set()
        return await cancel(self)

    async def run_noting_the_loop(self, inputs, run=BatchRunner.run):
        loops.append(asyncio.get_running_loop())
        return await run(self, inputs)

    monkeypatch.setattr(BatchOutputs, "reusable", reusable_then_interrupt)
    monkeypatch.setattr(Scheduler, "cancel", cancel_noted)
    monkeypatch.setattr(BatchRunner, "run", run_noting_the_loop)
    result = cli("batch", str(src), "--out", str(out), "--concurrency", "1")

    assert result.code == 130, result.err
    rows = json.loads((out / "index.json").read_text())["rows"]
    statuses = {Path(r["input"]).name: r["status"] for r in rows}
    assert statuses["p0.md"] == "ok", statuses  # its report is on disk, whole
    assert statuses["p2.md"] == "not started"


def test_the_index_balance_weighs_the_heaviest_points_not_their_number(cli, fake_llm):
    """One high risk outweighs five low ones, and adding more low risks changes nothing: the
    index ranks by the mean of each side's heaviest points (method.balance), not a sum."""
    from sixhats_ai.run.ranking import row_for_report
    from sixhats_ai.run.report import Report

    result = cli("analyze", "Should our team move to a four-day week?", "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    point = report.synthesis.risks[0]

    def balance_with(benefits: list[str], risks: list[str]) -> float | None:
        s = report.synthesis
        s.benefits = [point.model_copy(update={"weight": w}) for w in benefits]
        s.risks = [point.model_copy(update={"weight": w}) for w in risks]
        return row_for_report("p.md", "p", report, reused=False).balance

    assert balance_with(["medium"], ["low"] * 5) == 1.0
    assert balance_with(["medium"], ["low"] * 3) == balance_with(["medium"], ["low"] * 9)
    assert balance_with(["medium"], ["high"]) < balance_with(["medium"], ["low"] * 5)


def test_a_file_whose_name_is_not_utf8_gets_its_report_and_its_row(cli, fake_llm, tmp_path):
    """A name's bytes that are not UTF-8 (Python keeps them as surrogates) stopped the batch
    with an unexpected UnicodeEncodeError once its reports were written, on its sidecar and
    the index: they are written as U+FFFD (the index, which drops such characters from any
    text, shows the name without them)."""
    src = tmp_path / "in"
    write_proposals(src, ["good.md"])
    with open(os.fsencode(src) + b"/bad\xffname.md", "w") as bad:
        bad.write("# Bad name\n\nWe propose plan B.\n")
    out = tmp_path / "out"
    result = cli("batch", str(src), "--out", str(out), "--program", "quick-feedback")
    assert result.code == 0, result.err
    rows = json.loads((out / "index.json").read_text(encoding="utf-8"))["rows"]
    assert sorted((Path(r["input"]).name, r["status"]) for r in rows) == [
        ("badname.md", "ok"),
        ("good.md", "ok"),
    ]
    sidecar = json.loads((out / ".sixhats" / "bad_name.json").read_text(encoding="utf-8"))
    assert Path(sidecar["input"]).name == "bad\ufffdname.md"
    assert (out / "bad_name.json").is_file()
