"""Token estimates: tiktoken's count when it can load its encoding, else the calibrated ratio."""

from __future__ import annotations

import math
import sys

from sixhats_ai.text import tokens


def test_without_tiktoken_the_calibrated_ratio_counts(monkeypatch):
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # `import tiktoken` fails
    tokens._encoding.cache_clear()
    try:
        assert tokens.estimate_tokens("x" * 360) == math.ceil(360 / tokens.CHARS_PER_TOKEN)
        assert tokens.estimate_tokens(" " * tokens.chars_for_tokens(100)) <= 100
    finally:
        tokens._encoding.cache_clear()


def test_tiktoken_counts_when_its_encoding_loads(monkeypatch):
    class Encoding:
        def encode_ordinary(self, text: str) -> list[int]:
            return list(range(len(text.split())))

    monkeypatch.setattr(tokens, "_encoding", lambda: Encoding())
    assert tokens.estimate_tokens("three short words") == 3
