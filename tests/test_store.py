"""The run store: runs kept and re-shown, the cache, rerun, migrations, concurrency, bad files."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sixhats_ai.config import config_dir, data_dir
from sixhats_ai.method.programs import find_program
from sixhats_ai.run.report import Report
from sixhats_ai.store.cache import StoreCache
from sixhats_ai.store.database import RunStore
from sixhats_ai.store.migrations import schema_version
from sixhats_ai.store.records import RunInputs
from tests.fakes import API_KEY, CHOOSE_STEPS, error, schema_name

PROBLEM = "Should our team move to a four-day week?"


def run_id_of(err: str) -> str:
    match = re.search(r"saved run ([0-9a-f]{8})", err)
    assert match, err
    return match.group(1)


def analyze(cli, *args: str):
    result = cli("analyze", PROBLEM, "--program", "choose", *args)
    assert result.code == 0, result.err
    return result


def test_a_run_round_trips_and_renders_identically(cli, fake_llm):
    for fmt in ("json", "md", "html"):
        first = analyze(cli, "--format", fmt, "--no-cache")
        run_id = run_id_of(first.err)
        shown = cli("show", run_id, "--format", fmt)
        assert shown.code == 0, shown.err
        assert shown.out == first.out, fmt
    report = Report.model_validate_json(cli("show", run_id, "--format", "json").out)
    assert [s.id for s in report.steps] == CHOOSE_STEPS
    assert len(fake_llm.requests) == 3 * 7


def test_show_takes_a_unique_prefix_and_writes_a_file(cli, fake_llm, tmp_path):
    run_id = run_id_of(analyze(cli).err)
    out = tmp_path / "report.html"
    result = cli("show", run_id[:4], "-o", str(out))
    assert result.code == 0, result.err
    assert out.read_text().startswith("<!doctype html>")


def test_an_identical_rerun_comes_from_the_cache_with_zero_requests(cli, fake_llm):
    first = analyze(cli, "--format", "json")
    assert len(fake_llm.requests) == 7
    second = analyze(cli, "--format", "json")
    assert len(fake_llm.requests) == 7, "the cached run sent a request"
    assert "0 requests (7 cached)" in second.err
    usage = Report.model_validate_json(second.out).metadata.usage
    assert (usage.requests, usage.cached_requests, usage.cost_usd) == (0, 7, 0.0)
    assert json.loads(first.out)["synthesis"] == json.loads(second.out)["synthesis"]
    analyze(cli, "--no-cache")
    assert len(fake_llm.requests) == 14


def test_no_log_and_config_log_false_keep_nothing(cli, fake_llm):
    result = analyze(cli, "--no-log")
    assert "saved run" not in result.err
    assert not (data_dir() / "runs.sqlite3").exists()
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text("log = false\n")
    assert "saved run" not in analyze(cli).err
    assert not (data_dir() / "runs.sqlite3").exists()


def test_the_store_never_holds_the_api_key_or_headers(cli, fake_llm):
    analyze(cli, "--api-key", API_KEY)
    with RunStore() as store:
        assert store.count("requests") == 7
    blob = b"".join(p.read_bytes() for p in data_dir().iterdir())
    assert API_KEY.encode() not in blob
    assert b"Bearer" not in blob and b"authorization" not in blob.lower()


def test_a_secret_inside_a_request_is_redacted_before_it_is_stored(tmp_path):
    store = RunStore(tmp_path / "s.sqlite3")
    cache = StoreCache(store, secrets=["sk-very-secret"])
    cache.put("k", {"messages": [{"content": "my key is sk-very-secret"}]}, {"ok": 1}, 0.5)
    assert "sk-very-secret" not in json.dumps(cache.get("k"))
    row = store._query("SELECT request, seconds FROM requests")[0]
    assert "sk-very-secret" not in row["request"] and row["seconds"] == 0.5


def test_rerun_of_one_step_asks_that_step_and_the_synthesis(cli, fake_llm):
    first = analyze(cli, "--format", "json")
    run_id = run_id_of(first.err)
    fake_llm.requests.clear()
    result = cli("rerun", run_id, "--step", "black", "--format", "json")
    assert result.code == 0, result.err
    assert fake_llm.steps_requested() == ["5-black", "7-blue"]
    new_id = run_id_of(result.err)
    assert new_id != run_id
    old, new = Report.model_validate_json(first.out), Report.model_validate_json(result.out)
    for step in ("1-blue", "2-white", "3-green", "4-yellow", "6-red"):
        assert new.step(step) == old.step(step)
    with RunStore() as store:
        assert store.get(new_id).parent_id == run_id
        assert store.get(new_id).rerun_step == "5-black,7-blue"
    fake_llm.requests.clear()
    assert cli("rerun", run_id, "--step", "3-green").code == 0
    assert fake_llm.steps_requested() == ["3-green", "7-blue"]


def test_rerun_of_a_run_in_which_nothing_failed_says_so_and_spends_nothing(cli, fake_llm):
    run_id = run_id_of(analyze(cli).err)
    fake_llm.requests.clear()
    result = cli("rerun", run_id)
    assert result.code == 0 and result.out == ""
    assert result.err == (
        f"nothing failed in run {run_id}, so nothing is asked again (--step HAT asks one step "
        f"again; sixhats show {run_id} prints its report)\n"
    )
    assert fake_llm.requests == []
    with RunStore() as store:
        assert len(store.history()) == 1  # no new run either


@pytest.mark.parametrize(
    ("step", "message"),
    [("purple", "has no step 'purple'"), ("blue", "has several blue steps (1-blue)")],
)
def test_rerun_with_an_unknown_or_ambiguous_step_is_exit_2(cli, fake_llm, step, message):
    run_id = run_id_of(analyze(cli).err)
    fake_llm.requests.clear()
    result = cli("rerun", run_id, "--step", step)
    if step == "blue":  # choose has only the opening blue besides the synthesis
        assert result.code == 0 and fake_llm.steps_requested() == ["1-blue", "7-blue"]
        return
    assert result.code == 2 and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert fake_llm.requests == []


def test_a_failed_synthesis_keeps_its_steps_and_rerun_finishes_it(cli, fake_llm):
    fake_llm.fail_when(
        lambda body: error(400, "bad synthesis") if schema_name(body) == "Synthesis" else None
    )
    result = cli("analyze", PROBLEM, "--program", "quick-feedback")
    assert result.code == 1 and "synthesis failed" in result.err
    run_id = run_id_of(result.err)
    shown = cli("show", run_id, "--format", "json")
    assert json.loads(shown.out)["kind"] == "sixhats.failed_run"
    page = cli("show", run_id, "--format", "html")  # a page that says it has no synthesis
    assert page.code == 0 and f"sixhats rerun {run_id}" in page.out
    fake_llm.responders.clear()
    fake_llm.requests.clear()
    finished = cli("rerun", run_id, "--format", "json")
    assert finished.code == 0, finished.err
    assert fake_llm.steps_requested() == ["4-blue"]
    assert Report.model_validate_json(finished.out).synthesis.recommendation.decision


def test_history_lists_newest_first_and_filters(cli, fake_llm):
    a = run_id_of(cli("analyze", "Hire a designer?", "--program", "quick-feedback").err)
    b = run_id_of(cli("analyze", "Open an office in Lyon?", "--program", "choose").err)
    listed = cli("history").out.splitlines()
    assert [line.split()[0] for line in listed] == [b, a]
    assert [r["id"] for r in json.loads(cli("history", "lyon", "--json").out)] == [b]
    assert [
        r["id"] for r in json.loads(cli("history", "--program", "Quick Feedback", "--json").out)
    ] == [a]
    assert json.loads(cli("history", "--since", "2999-01-01", "--json").out) == []
    assert len(json.loads(cli("history", "--until", "2999-01-01", "--json").out)) == 2
    assert len(json.loads(cli("history", "--until", "2000-01-01", "--json").out)) == 0
    bad = cli("history", "--since", "yesterday")
    assert bad.code == 2 and "is not a date" in bad.err


# Migrations, concurrency and bad files ---------------------------------------------------------


FIRST_SCHEMA = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY, created TEXT NOT NULL, status TEXT NOT NULL, problem TEXT NOT NULL,
    program_slug TEXT NOT NULL, program_name TEXT NOT NULL, program TEXT NOT NULL,
    models TEXT NOT NULL, flow TEXT NOT NULL, inputs TEXT NOT NULL, report TEXT, steps TEXT,
    error TEXT, usage TEXT NOT NULL, cost_usd REAL NOT NULL, seconds REAL NOT NULL
);
CREATE TABLE requests (
    key TEXT PRIMARY KEY, created TEXT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL,
    response TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL
);
"""


def _first_schema_store(path: Path) -> None:
    """A store exactly as the first schema made it, with one run in it."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA application_id = 1398294612;"
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied TEXT NOT NULL);"
        + FIRST_SCHEMA
        + "INSERT INTO schema_migrations VALUES (1, 'runs and requests', '2025-01-01');"
        "PRAGMA user_version = 1;"
    )
    program = find_program("quick-feedback")
    conn.execute(
        "INSERT INTO runs VALUES (?, ?, 'failed', 'old problem', ?, ?, ?, '[]', 'sequential',"
        " ?, NULL, '[]', 'boom', ?, 0, 0)",
        (
            "0123abcd",
            "2025-01-01T00:00:00+00:00",
            program.slug,
            program.name,
            program.model_dump_json(),
            json.dumps({"include_optional": True, "problem_path": None, "documents": []}),
            '{"requests": 0}',
        ),
    )
    conn.commit()
    conn.close()


def test_a_store_from_the_first_schema_opens_and_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite3"
    _first_schema_store(path)
    with RunStore(path) as store:
        run = store.get("0123")
        assert (run.problem, run.status, run.parent_id) == ("old problem", "failed", None)
        assert [r.id for r in store.history()] == ["0123abcd"]
        versions = store._query("SELECT version FROM schema_migrations ORDER BY version")
        assert [v[0] for v in versions] == list(range(1, schema_version() + 1))
        assert store._query("PRAGMA user_version")[0][0] == schema_version()


def _save_many(store: RunStore, worker: int, count: int) -> None:
    cache = StoreCache(store)
    program = find_program("quick-feedback")
    for i in range(count):
        store.save_failed_run(RunInputs(f"problem {worker}-{i}", program), [], "none")
        cache.put(f"{worker}-{i}", {"model": "m"}, {"usage": {"prompt_tokens": 1}}, 0.1)


def _process_worker(path: str, worker: int, count: int) -> None:
    with RunStore(Path(path)) as store:
        _save_many(store, worker, count)


def test_concurrent_writers_lose_nothing(tmp_path):
    """Workers of one batch share a store; a second terminal is another process."""
    path = str(tmp_path / "busy.sqlite3")
    with RunStore(Path(path)) as shared, ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda w: _save_many(shared, w, 25), range(6)))
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_process_worker, args=(path, 100 + w, 25)) for w in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    with RunStore(Path(path)) as store:
        assert store.count("runs") == 9 * 25
        assert store.count("requests") == 9 * 25
        assert store._query("PRAGMA integrity_check")[0][0] == "ok"
        assert store._query("PRAGMA journal_mode")[0][0] == "wal"


def _newer(path: Path) -> None:
    RunStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    conn.commit()
    conn.close()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()


BAD_STORES = {
    "newer": (_newer, "written by a newer sixhats"),
    "foreign sqlite": (_foreign, "an SQLite file of another program"),
    "not sqlite": (lambda p: p.write_text("hello, I am a text file\n"), "not an SQLite file"),
    "corrupt": (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), "is corrupt"),
}


@pytest.mark.parametrize("case", list(BAD_STORES))
@pytest.mark.parametrize("command", [["history"], ["show", "abcd"], ["analyze", "p"]])
def test_a_bad_store_is_refused_with_exit_2_and_left_untouched(cli, fake_llm, case, command):
    make, message = BAD_STORES[case]
    path = data_dir() / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = cli(*command)
    assert result.code == 2, result.err
    assert message in result.err and "left untouched" in result.err
    assert len(result.err.strip().splitlines()) == 1 + (command[0] == "analyze")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    ("ref", "message"), [("abcd1234", "no run with id"), ("zz", "not a run id")]
)
def test_an_unknown_run_id_is_exit_2(cli, fake_llm, ref, message):
    analyze(cli)
    for command in (["show", ref], ["rerun", ref]):
        result = cli(*command)
        assert result.code == 2 and message in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_store_commands_have_help_with_examples_and_need_no_store(cli):
    for command in ("history", "show", "rerun"):
        result = cli(command, "--help")
        assert result.code == 0 and "Example: sixhats" in result.out
    assert cli("history").err.strip() == "no runs stored yet"
    result = cli("show", "abcd")
    assert result.code == 2 and "no run is stored yet" in result.err
    assert not (data_dir() / "runs.sqlite3").exists()


def test_only_valid_answers_are_cached_and_only_for_their_server(cli, fake_llm, no_network):
    import httpx

    from tests.fakes import FakeLLM, completion

    fake_llm.fail_when(
        lambda b: httpx.Response(200, json=completion('{"fr', finish_reason="length"))
    )
    assert cli("analyze", "q", "--program", "quick-feedback").code == 1
    fake_llm.responders.clear()
    fake_llm.requests.clear()
    assert cli("analyze", "q", "--program", "quick-feedback").code == 0
    assert len(fake_llm.requests) == 4  # the cut-off answer was not kept to be served again

    other = FakeLLM()
    no_network.post("http://other.test/v1/chat/completions").mock(side_effect=other)
    result = cli(
        "analyze", "q", "--program", "quick-feedback", "--base-url", "http://other.test/v1"
    )
    assert result.code == 0
    assert len(other.requests) == 4  # another server's answers are not this one's


def test_rerun_of_a_truncated_run_with_its_context_window(cli, fake_llm, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("word " * 20_000)
    first = analyze(cli, "--context", str(big), "--context-window", "8000", "--truncate")
    fake_llm.requests.clear()
    again = cli("rerun", run_id_of(first.err), "--step", "black", "--context-window", "8000")
    assert again.code == 0, again.err
    assert len(fake_llm.requests) == 2
    assert "[... truncated]" in fake_llm.requests[0]["messages"][1]["content"]


def test_history_says_when_more_runs_are_stored_than_it_lists(cli, tmp_path):
    with RunStore() as store:
        program = find_program("quick-feedback")
        for i in range(4):
            store.save_failed_run(RunInputs(f"problem {i}", program), [], "none")
    listed = cli("history", "--limit", "3")
    assert len(listed.out.splitlines()) == 3
    assert "more runs are stored" in listed.err and "--limit 0" in listed.err
    everything = cli("history", "--limit", "4")
    assert len(everything.out.splitlines()) == 4 and "more" not in everything.err
