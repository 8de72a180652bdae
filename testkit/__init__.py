"""What the tests and the benchmarks share: stand-in servers and the data they need.

`standin` is an OpenAI-compatible server on 127.0.0.1 (chat completions, and the Batch API in
`batchapi`) answering any schema from `answers`; `tinymodel` writes a random-weight GGUF for
the llama.cpp engine; `stores` fills a run store. None of it ships in the wheel.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: the working directory for the subprocesses, so `testkit` imports."""
