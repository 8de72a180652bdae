"""Finding a batch's inputs and extracting their text."""

from __future__ import annotations

import os
import re

import pytest

from sixhats_ai.errors import UsageError
from sixhats_ai.resources import pip_install
from sixhats_ai.text.inputs import (
    InputFile,
    InputProblem,
    MissingExtra,
    count_inputs,
    discover,
    load_input,
)


def test_discovery_walks_folders_in_order_skipping_hidden_unsupported_and_out(tmp_path):
    for rel in [
        "b.md",
        "a/z.txt",
        "a/y.rst",
        ".git/x.md",
        "a/.hidden.md",
        "img.png",
        "out/report.md",
    ]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("text")
    found = list(discover([str(tmp_path)], skip=tmp_path / "out"))
    assert all(isinstance(item, InputFile) for item in found)
    assert [item.path.relative_to(tmp_path).as_posix() for item in found] == [
        "b.md",
        "a/y.rst",
        "a/z.txt",
    ]


def test_discovery_is_lazy_and_reports_bad_paths_in_place(tmp_path):
    (tmp_path / "a.md").write_text("a")
    items = discover([str(tmp_path / "missing"), str(tmp_path / "a.md")])
    first = next(items)
    assert isinstance(first, InputProblem) and "does not exist" in first.error.message
    assert isinstance(next(items), InputFile)


def test_two_names_of_one_file_are_one_input_and_the_second_is_told(tmp_path):
    """A hard link resolves to itself: only the device and file id say it is the same file."""
    (tmp_path / "a.md").write_text("a")
    os.link(tmp_path / "a.md", tmp_path / "b.md")
    (tmp_path / "c.md").write_text("a")  # the same text in another file is another input
    notes: list[str] = []
    found = [i.path.name for i in discover([str(tmp_path)], note=notes.append)]
    assert found == ["a.md", "c.md"]
    assert notes == [
        f"note: {tmp_path / 'b.md'} is the same file as {tmp_path / 'a.md'}, analysed once"
    ]
    assert count_inputs([str(tmp_path / "b.md"), str(tmp_path)]) == 2
    assert list(discover([str(tmp_path / "a.md")] * 2, note=notes.append))  # the same name again
    assert len(notes) == 1  # ... is no other name: nothing told


def test_glob_matches_paths_inside_the_folder(tmp_path):
    for rel in ["2025/a.md", "2026/b.md", "2026/c.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = [i.path.name for i in discover([str(tmp_path)], glob="2026/*")]
    assert found == ["b.md", "c.txt"]
    assert [i.path.name for i in discover([str(tmp_path)], glob="*.md")] == ["a.md", "b.md"]


def test_an_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="no inputs found in"):
        count_inputs([str(tmp_path)])


def test_html_text_drops_markup_scripts_and_styles(tmp_path):
    page = tmp_path / "p.html"
    page.write_bytes(
        b"<html><head><title>Plan</title><style>p{}</style></head><body>"
        b"<h1>Open&nbsp;a shop</h1><script>steal()</script><p>caf\xc3\xa9 &amp; bar</p></body>"
    )
    loaded = load_input(page)
    assert "Open\xa0a shop" in loaded.text and "café & bar" in loaded.text
    assert "steal" not in loaded.text and "p{}" not in loaded.text and "<" not in loaded.text
    assert loaded.text.startswith("Plan")


def test_same_bytes_same_hash_and_invisible_characters_removed(tmp_path):
    (tmp_path / "a.md").write_text("Plan\u200b with\u202e tricks")
    (tmp_path / "b.md").write_text("Plan\u200b with\u202e tricks")
    a, b = load_input(tmp_path / "a.md"), load_input(tmp_path / "b.md")
    assert a.sha256 == b.sha256 and a.text == "Plan with tricks"


def test_docx_needs_the_extra(tmp_path, monkeypatch):
    import sys

    (tmp_path / "a.docx").write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(MissingExtra, match=re.escape(pip_install("docs"))):
        load_input(tmp_path / "a.docx")


def test_a_broken_pdf_is_a_usage_error(tmp_path):
    pytest.importorskip("pypdf")
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(UsageError, match="not a readable PDF"):
        load_input(tmp_path / "a.pdf")


def test_the_no_inputs_hint_does_not_suggest_a_glob_already_given(tmp_path):
    (tmp_path / "a.md").write_text("text")
    with pytest.raises(UsageError) as given:
        count_inputs([str(tmp_path)], glob="*.rst")
    assert "'*.rst'" in given.value.message
    # the library names its `glob` parameter; the command line names --glob (test_batch)
    assert "pass glob" not in str(given.value) and "the glob pattern" in str(given.value)
    (tmp_path / "a.md").unlink()
    with pytest.raises(UsageError, match="or pass glob"):
        count_inputs([str(tmp_path)])
