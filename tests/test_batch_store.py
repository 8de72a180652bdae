"""`sixhats batch` with the run store and HTML: every file's run kept, the cache, `--format html`.

End to end through the CLI, the real SDK and respx, like tests/test_batch.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from sixhats_ai.config import config_dir, data_dir
from sixhats_ai.run.report import Report
from sixhats_ai.store.database import RunStore
from tests.fakes import API_KEY
from tests.test_batch import CHOOSE_REQUESTS, write_proposals
from tests.test_html import SCRIPT, hostile_black, parse

NAMES = ["alpha.md", "beta.txt", "gamma.rst"]


def batch(cli, src: Path, out: Path, *args: str):
    result = cli("batch", str(src), "--out", str(out), *args)
    assert result.code == 0, result.err
    return result


def history(cli) -> list[dict]:
    result = cli("history", "--json", "--limit", "0")
    assert result.code == 0, result.err
    return json.loads(result.out or "[]")


def test_each_file_of_a_batch_is_a_run_in_history_and_shows_as_its_report(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, NAMES)

    result = batch(cli, src, out)

    assert "kept 3 runs in the store" in result.err
    runs = history(cli)
    assert len(runs) == 3
    assert {r["status"] for r in runs} == {"ok"} and {r["program"] for r in runs} == {"choose"}
    sidecars = {p.stem: json.loads(p.read_text()) for p in (out / ".sixhats").glob("*.json")}
    assert {s["run_id"] for s in sidecars.values()} == {r["id"] for r in runs}
    for stem, sidecar in sidecars.items():
        shown = cli("show", sidecar["run_id"], "--format", "json").out
        assert Report.model_validate_json(shown) == Report.model_validate_json(
            (out / f"{stem}.json").read_text()
        )
    with RunStore() as store:
        assert store.count("requests") == 3 * CHOOSE_REQUESTS
    blob = b"".join(p.read_bytes() for p in data_dir().iterdir())
    assert API_KEY.encode() not in blob and b"Bearer" not in blob

    again = batch(cli, src, out)  # unchanged inputs: reports kept, no new runs
    assert "3 unchanged" in again.err
    assert len(history(cli)) == 3


def test_a_redone_batch_is_answered_by_the_store_unless_no_cache(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, NAMES)
    batch(cli, src, out)
    first = {n: (out / f"{Path(n).stem}.json").read_text() for n in NAMES}

    fake_llm.requests.clear()
    forced = batch(cli, src, out, "--force")
    assert fake_llm.requests == []
    assert f"0 requests ({3 * CHOOSE_REQUESTS} cached)" in forced.err
    assert len(history(cli)) == 6
    for name, text in first.items():
        redone = Report.model_validate_json((out / f"{Path(name).stem}.json").read_text())
        assert redone.synthesis == Report.model_validate_json(text).synthesis
        assert redone.metadata.usage.cached_requests == CHOOSE_REQUESTS

    shutil.rmtree(out / ".sixhats")  # the resume state lost: the store still has the answers
    batch(cli, src, out)
    assert fake_llm.requests == []

    uncached = batch(cli, src, out, "--force", "--no-cache")
    assert len(fake_llm.requests) == 3 * CHOOSE_REQUESTS
    assert f"{3 * CHOOSE_REQUESTS} requests (0 cached)" in uncached.err


def test_no_log_and_config_log_false_keep_nothing(cli, fake_llm, tmp_path):
    src = tmp_path / "in"
    write_proposals(src, NAMES[:2])
    store_file = data_dir() / "runs.sqlite3"

    result = batch(cli, src, tmp_path / "a", "--no-log")
    assert "kept" not in result.err
    assert not store_file.exists()

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text("log = false\n")
    batch(cli, src, tmp_path / "b")
    assert not store_file.exists()
    assert len(fake_llm.requests) == 2 * 2 * CHOOSE_REQUESTS

    (config_dir() / "config.toml").write_text("log = true\n")
    batch(cli, src, tmp_path / "c")
    with RunStore() as store:
        counts = store.count("runs"), store.count("requests")
    fake_llm.requests.clear()
    batch(cli, src, tmp_path / "d", "--no-log")  # may read the cache, never writes to it
    assert fake_llm.requests == []
    with RunStore() as store:
        assert (store.count("runs"), store.count("requests")) == counts


def test_format_html_writes_each_report_and_an_index_that_match(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, [*NAMES, "日本 <b>.md"])
    fake_llm.fail_when(hostile_black)

    result = batch(cli, src, out, "--format", "html")

    assert "index.html" in result.err.strip().splitlines()[-1]
    index = json.loads((out / "index.json").read_text())
    assert index["report_formats"] == ["json", "md", "html"]
    run_ids = {r["id"] for r in history(cli)}
    for row in index["rows"]:
        html = (out / f"{row['report']}.html").read_text()
        doc = parse(html)
        assert list(doc.cards) == ["1-blue", "2-white", "3-green", "4-yellow", "5-black", "6-red"]
        assert SCRIPT not in html and "&lt;script&gt;" in html
        assert len([a for tag, a in doc.tags if tag == "script"]) == 1  # its own print helper
        assert row["recommendation"] in html
        assert any(f"run {run_id}" in html for run_id in run_ids)
    page = (out / "index.html").read_text()
    table = parse(page.split("All inputs", 1)[1])
    shown = [a["data-input"] for tag, a in table.tags if tag == "tr" and "data-input" in a]
    links = [a["href"] for tag, a in table.tags if tag == "a"]
    assert shown == [row["input"] for row in index["rows"]]
    assert links == [quote(f"{row['report']}.html") for row in index["rows"]]
    assert "日本 &lt;b&gt;.md" in page and "<b>.md" not in page
    assert page.startswith("<!doctype html>") and "Comparison of proposals" in page
    assert not list(out.rglob("*.tmp"))


def test_html_asked_for_later_is_rendered_from_kept_reports_and_dropped_when_redone(
    cli, fake_llm, tmp_path
):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, NAMES)
    batch(cli, src, out)
    assert not (out / "index.html").exists()
    fake_llm.requests.clear()

    result = batch(cli, src, out, "--format", "html")

    assert fake_llm.requests == [] and "3 unchanged" in result.err
    assert all((out / f"{Path(n).stem}.html").is_file() for n in NAMES)
    assert (out / "index.html").is_file()
    assert len(history(cli)) == 3

    batch(cli, src, out, "--force")  # new reports without html: no page shows the old ones
    assert not list(out.glob("*.html"))
    assert sorted(p.name for p in out.glob("index.*")) == ["index.csv", "index.json", "index.md"]


def test_an_unknown_batch_format_is_one_line_exit_2(cli, fake_llm, tmp_path):
    write_proposals(tmp_path / "in", NAMES[:1])
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert result.code == 2
    assert "unknown batch format 'pdf'" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert fake_llm.requests == [] and not (tmp_path / "out").exists()


def test_batch_runs_are_titled_by_their_input_and_found_by_it(cli, fake_llm, tmp_path):
    src = tmp_path / "in"
    write_proposals(src, ["pep-0572.md", "pep-0008.md"])
    assert cli("batch", str(src), "--out", str(tmp_path / "out")).code == 0

    assert {r["title"] for r in history(cli)} == {"pep-0572.md", "pep-0008.md"}
    found = cli("history", "pep-0572")
    assert found.code == 0, found.err
    lines = found.out.strip().splitlines()
    assert len(lines) == 1 and "pep-0572.md" in lines[0] and "Assess this proposal" in lines[0]
    assert cli("analyze", "Should we?").code == 0  # a run with no input file has no title
    assert history(cli)[0]["title"] is None


@pytest.mark.parametrize("sidecar", ["[]", '"a key"', '{"key": 5, "run_id": [1]}', "{broken"])
def test_a_damaged_resume_file_redoes_its_input_only(cli, fake_llm, tmp_path, sidecar):
    """A `.sixhats/<name>.json` holding JSON of another shape stopped the whole batch with an
    unexpected AttributeError; like one that does not read, it is written again (from the
    run the store kept: nothing is asked)."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, NAMES)
    batch(cli, src, out)
    stem = Path(NAMES[0]).stem
    (out / ".sixhats" / f"{stem}.json").write_text(sidecar)
    fake_llm.requests.clear()
    again = batch(cli, src, out)
    assert "unexpected" not in again.err
    assert f"{len(NAMES)} ok ({len(NAMES)} unchanged, reports kept)" in again.err
    assert fake_llm.requests == []
    kept = json.loads((out / ".sixhats" / f"{stem}.json").read_text())
    assert isinstance(kept, dict) and kept["key"]["sha256"]
