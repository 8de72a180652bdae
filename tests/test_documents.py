"""Inputs made safe and fitted to the model's context: sanitize, and the size hints."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("truncate", [[], ["--truncate"]])
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
    result = cli("analyze", "p", "--context", str(big), "--context-window", "8000")
    assert result.code == 2 and "pass --truncate" in result.err
    assert "problem alone" not in result.err
