"""Inputs made safe and fitted to the model's context: sanitize, and the size hints."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixhats_ai.text.documents import safe_strings, sanitize


@pytest.mark.parametrize("truncate", [["--fit", "refuse"], ["--truncate"]])
def test_a_problem_too_large_alone_says_to_use_a_context_file_first_time(
    cli, fake_llm, tmp_path, truncate
):
    huge = tmp_path / "huge.md"
    huge.write_text("word " * 20_000)
    result = cli("analyze", "-f", str(huge), "--context-window", "8000", *truncate)
    assert result.code == 2, result.err
    assert "the problem alone is about" in result.err and "--context file" in result.err
    assert "--truncate" not in result.err
    assert [line for line in result.err.splitlines() if line.startswith("error:")] == [
        result.err.strip().splitlines()[-1]
    ]
    assert fake_llm.requests == []


def test_a_large_context_file_still_suggests_truncate(cli, fake_llm, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("word " * 20_000)
    args = ["analyze", "p", "--context", str(big), "--context-window", "8000", "--fit", "refuse"]
    result = cli(*args)
    assert result.code == 2 and "--truncate to cut it" in result.err
    assert "problem alone" not in result.err


def _sanitize_one_char_at_a_time(text: str) -> str:
    """The first `sanitize`, kept as the reference the fast one must equal."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in {"\n", "\t"} or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)))
def test_sanitize_equals_the_char_by_char_reference_on_any_unicode(text):
    assert sanitize(text) == _sanitize_one_char_at_a_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii\r\nwith\x00 controls\x7f\ttab\rcr",
        "zero\u200bwidth \u202ebidi\u202c soft\xadhyphen \ufeffbom",
        "private \ue000\U000f0000\U0010fffd astral tag \U000e0041 emoji 😀 surrogate \ud800",
        "Les élèves — “oui” \u0600 \U000110bd \U0001d173",
    ],
)
def test_sanitize_equals_the_reference_on_known_hidden_characters(text):
    assert sanitize(text) == _sanitize_one_char_at_a_time(text)


def test_sanitize_drops_exactly_the_characters_the_reference_drops_in_every_plane():
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert sanitize(every) == _sanitize_one_char_at_a_time(every)


def test_sanitize_looks_up_no_character_category_once_its_table_is_built(monkeypatch):
    sanitize("é\u200b")  # builds what it needs once

    def no_lookup(ch: str) -> str:
        raise AssertionError("sanitize looked a category up character by character")

    monkeypatch.setattr(unicodedata, "category", no_lookup)
    assert sanitize("Les élèves\u200b — 😀\U000e0041 \x00ok") == "Les élèves — 😀 ok"


PROPOSAL = "# Proposal: a four-day week\n\nWe propose a four-day week for the support team.\n"


def test_a_piped_problem_s_first_heading_is_the_report_title(cli, fake_llm, monkeypatch):
    import io
    import json

    for fmt in ("md", "json", "html"):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(PROPOSAL.encode())))
        result = cli("analyze", "-", "--program", "quick-feedback", "--format", fmt)
        assert result.code == 0, result.err
        if fmt == "md":
            lines = result.out.splitlines()
            assert lines[0] == "# Proposal: a four-day week"
            assert "**Problem:** We propose a four-day week for the support team." in lines
            assert "**Problem:** #" not in result.out
        elif fmt == "json":
            report = json.loads(result.out)
            assert report["title"] == "Proposal: a four-day week"
            assert report["problem"] == "We propose a four-day week for the support team."
        else:
            assert "<h1>Proposal: a four-day week</h1>" in result.out
            assert "</strong> # Proposal" not in result.out
    assert "# Proposal: a four-day week" in fake_llm.requests[0]["messages"][1]["content"]


def test_a_problem_without_a_heading_has_no_title(cli, fake_llm):
    import json

    result = cli("analyze", "Four-day week?", "--program", "quick-feedback", "--format", "json")
    report = json.loads(result.out)
    assert report["title"] is None and report["problem"] == "Four-day week?"
    md = cli("analyze", "Four-day week?", "--program", "quick-feedback", "--format", "md").out
    assert md.splitlines()[0] == "# Six Thinking Hats: Quick Feedback"


LONG_PROPOSAL = (
    "# Library options\n\n*Draft 3, for decision in January.*\n\n## 1. Background\n\n"
    + "The branch opened in 1974 and needs **£1.9 million** of works. " * 20
    + "\n\n| | A | B |\n|---|---|---|\n| Cost | £2.5m | £1.6m |\n"
)


def test_a_long_problem_is_named_by_its_title_size_and_start_not_flattened(
    cli, fake_llm, monkeypatch
):
    import io

    for fmt in ("md", "html"):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(LONG_PROPOSAL.encode())))
        result = cli("analyze", "-", "--program", "quick-feedback", "--format", fmt)
        assert result.code == 0, result.err
        line = (
            next(x for x in result.out.splitlines() if "Problem:" in x)
            .split("Problem:")[1]
            .strip("*<>/strong ")
        )
        assert "Library options (1.4 KB, 233 words), which begins: “Draft 3, for decision" in line
        assert "£2.5m" not in line and "|" not in line and "**" not in line and "##" not in line


@settings(max_examples=400, deadline=None)
@given(
    st.recursive(
        st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=8,
    )
)
def test_an_answer_read_from_its_json_is_made_as_safe_as_by_walking_it(value):
    """Given the text the value was read from, its strings are sanitized as without it: a
    plain text is taken as it is only when sanitizing would change none of them."""
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert safe_strings(json.loads(text), text) == safe_strings(json.loads(text))
