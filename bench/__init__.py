"""Benchmarks for sixhats: `python -m bench` (full) or `python -m bench --smoke` (tiny, for CI).

They drive the real CLI and engine through the real OpenAI SDK, over real HTTP, against a
local stand-in server (`testkit.standin`, shared with the tests) on 127.0.0.1.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: the working directory for the subprocesses, so `bench` imports."""
