"""Reports of an earlier schema version: `show`, `rerun` and `brief --from-report` still read
them; `batch` treats them as stale and redoes them. The stored report is a real version-1
report (tests/data/report-v1.json, written by the sixhats before version 2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sixhats_ai.run.report import REPORT_SCHEMA_VERSION, Report
from sixhats_ai.store.database import RunStore
from tests.test_batch import write_proposals
from tests.test_store import analyze, run_id_of

OLD_REPORT = Path(__file__).parent / "data" / "report-v1.json"


def _store_old_report(cli) -> str:
    """A run in the store whose report is the version-1 one, byte for byte."""
    run_id = run_id_of(analyze(cli).err)
    with RunStore() as store:
        path = store.path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE runs SET report = ? WHERE id = ?", (OLD_REPORT.read_text(), run_id))
    return run_id


def test_the_stored_report_is_of_the_earlier_version():
    assert json.loads(OLD_REPORT.read_text())["schema_version"] == 1 < REPORT_SCHEMA_VERSION


def test_show_renders_a_report_of_the_earlier_version_in_every_format(cli, fake_llm):
    run_id = _store_old_report(cli)
    for fmt in ("md", "html", "json"):
        shown = cli("show", run_id, "--format", fmt)
        assert shown.code == 0, shown.err
        assert "How will customers react?" in shown.out, fmt
    markdown = cli("show", run_id).out
    assert "Fact (checked, source not recorded): The team has 8 people" in markdown
    assert "Owner: unassigned." in markdown
    assert json.loads(cli("show", run_id, "--format", "json").out)["schema_version"] == 1


def test_rerun_of_a_report_of_the_earlier_version_makes_a_new_version_report(cli, fake_llm):
    run_id = _store_old_report(cli)
    fake_llm.requests.clear()
    result = cli("rerun", run_id, "--step", "black", "--format", "json")
    assert result.code == 0, result.err
    assert fake_llm.steps_requested() == ["5-black", "7-blue"]
    report = Report.model_validate_json(result.out)
    assert report.schema_version == REPORT_SCHEMA_VERSION
    assert report.step("4-yellow").output.benefits[0].likelihood is None  # kept as it was
    assert report.synthesis.closing is not None


def test_brief_reads_a_saved_report_of_the_earlier_version(cli, tmp_path):
    result = cli("brief", "--from-report", str(OLD_REPORT), "--offline")
    assert result.code == 0, result.err
    assert "How will customers react" in result.out


def test_batch_redoes_a_report_of_the_earlier_version(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["a.md"])
    assert cli("batch", str(src), "--out", str(out), "--program", "choose").code == 0
    fake_llm.requests.clear()
    assert cli("batch", str(src), "--out", str(out), "--program", "choose").code == 0
    assert fake_llm.requests == []  # the current version's report is kept
    (out / "a.json").write_text(OLD_REPORT.read_text())
    result = cli("batch", str(src), "--out", str(out), "--program", "choose", "--no-cache")
    assert result.code == 0, result.err
    assert len(fake_llm.requests) == 7  # stale: redone, every step
    assert json.loads((out / "a.json").read_text())["schema_version"] == REPORT_SCHEMA_VERSION
