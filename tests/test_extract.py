"""Text out of Word and PDF files, within bounds: a bomb is refused, not walked for minutes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")
pytest.importorskip("pypdf")


def _word_file(path: Path, paragraphs: int) -> Path:
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"paragraph {number}")
    document.save(str(path))
    return path


def test_a_word_file_that_unpacks_too_far_is_refused_from_its_directory(cli, tmp_path, monkeypatch):
    bomb = _word_file(tmp_path / "bomb.docx", 3_000)
    monkeypatch.setattr("sixhats_ai.text.extract.MAX_UNPACKED_XML_BYTES", 50_000)
    result = cli("analyze", "-f", str(bomb), "--dry-run")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {bomb} unpacks to ")
    assert "of XML, more than the 50,000 bytes (0.0 MB) a Word document may hold" in line


def test_a_word_file_of_too_many_paragraphs_is_refused_before_it_is_parsed(
    cli, tmp_path, monkeypatch
):
    """A bomb within the unpacked cap (23 KB zipped, 2.6 million empty paragraphs, 15.6 MB of
    XML) took python-docx 6 s and 900 MB before the deadline stopped it: the paragraphs are
    counted in the XML first."""
    bomb = _word_file(tmp_path / "many.docx", 3_000)
    monkeypatch.setattr("sixhats_ai.text.extract.MAX_WORD_PARAGRAPHS", 1_000, raising=False)
    monkeypatch.setattr("docx.Document", lambda *a: pytest.fail("parsed"))  # refused before
    result = cli("analyze", "-f", str(bomb), "--dry-run")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line == (
        f"error: {bomb} holds more than the 1,000 paragraphs a Word document may hold "
        "(save it as plain text or Markdown and pass that)"
    )


def test_taking_text_out_stops_at_the_deadline(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("sixhats_ai.text.extract.MAX_EXTRACT_SECONDS", 0.0)
    slow = _word_file(tmp_path / "slow.docx", 600)
    result = cli("batch", str(slow), "--out", str(tmp_path / "out"), "--dry-run")
    assert result.code == 2
    assert f"taking the text out of {slow} took more than 0 s" in result.err


def test_a_word_file_within_bounds_reads_whole(cli, tmp_path):
    fine = _word_file(tmp_path / "fine.docx", 600)
    result = cli("analyze", "-f", str(fine), "--dry-run")
    assert result.code == 0, result.err


def test_a_corrupt_pdf_is_one_line_on_stderr(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n")
    env = {**os.environ, "SIXHATS_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run(
        [sys.executable, "-m", "sixhats_ai", "analyze", "-f", "broken.pdf", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: broken.pdf is not a readable PDF: ")


def test_an_input_over_the_size_cap_says_both_sizes_exactly(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("sixhats_ai.text.inputs.MAX_INPUT_BYTES", 1_000_000)
    (tmp_path / "big.md").write_text("a" * 1_000_001)
    result = cli("batch", str(tmp_path / "big.md"), "--out", str(tmp_path / "out"), "--dry-run")
    assert (
        "big.md is 1,000,001 bytes (1.0 MB), more than the 1,000,000 bytes (1.0 MB) "
        "an input may be" in result.err
    )


@pytest.mark.parametrize("flag", ["--file", "--context"])
def test_analyze_holds_a_problem_or_context_file_to_the_same_cap(cli, fake_llm, tmp_path, flag):
    """It condensed a 25 MB file in 1,800 requests without asking; batch refused it."""
    big = tmp_path / "big.md"
    with big.open("wb") as sparse:  # the size is what counts: no need to write 20 MB
        sparse.truncate(20 * 1024 * 1024 + 1)
    problem = [] if flag == "--file" else ["Should we ship it?"]
    result = cli("analyze", *problem, flag, str(big))
    assert result.code == 2, result.err
    assert "big.md is 20,971,521 bytes (20.0 MB), more than the 20,971,520 bytes" in result.err
    assert fake_llm.requests == []
