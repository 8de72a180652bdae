"""Scenario 14 (issue 14): the embedded engine on the tiny model.

Figures: how long the model takes to load, how fast it generates, and what the backend adds
around llama.cpp's own generation time when a Quick Feedback program's four steps go through
it (in sequence, and as the parallel flow sends them: blue, black and green at once, blue),
as the wall time over the sum of the steps' generation times; and the same ratio for a whole
`sixhats analyze --local --program quick-feedback`, a fresh process, start-up and all. The tiny
model's figures say what sixhats costs around the engine, not what a real model does: its
tokens are cheap.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from testkit.tinymodel import write_tiny_model

PROBLEM = (
    "Our support team is overloaded since the launch and first replies take two days. "
    "How do we bring them under four hours without hiring?"
)
HAT_SCHEMA = {
    "type": "object",
    "properties": {
        "points": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "summary": {"type": "string"},
    },
    "required": ["points", "summary"],
}


def _request(hat: str, max_tokens: int) -> Any:
    from sixhats_ai.backends.base import CompletionRequest

    return CompletionRequest(
        model="tiny",
        messages=[
            {"role": "system", "content": f"You wear the {hat} hat. Answer with JSON."},
            {"role": "user", "content": PROBLEM},
        ],
        response_format={"type": "json_schema", "json_schema": {"schema": HAT_SCHEMA}},
        max_tokens=max_tokens,
    )


async def _program(backend: Any, max_tokens: int, parallel: bool) -> tuple[float, float]:
    """Quick Feedback's steps through the backend: wall seconds, and the sum of generation."""
    started = time.perf_counter()
    opening = await backend.complete(_request("blue", max_tokens))
    if parallel:
        middle = list(
            await asyncio.gather(
                backend.complete(_request("black", max_tokens)),
                backend.complete(_request("green", max_tokens)),
            )
        )
    else:
        middle = [await backend.complete(_request(h, max_tokens)) for h in ("black", "green")]
    closing = await backend.complete(_request("blue", max_tokens))
    wall = time.perf_counter() - started
    return wall, sum(c.seconds for c in (opening, *middle, closing))


ANALYZE_MAX_TOKENS = 4096  # the synthesis's answer, from the terse tiny model, fits
TERSE = 0.7  # how far the analysed model leans towards closing its strings (tinymodel.py)


def _analyze(ctx: Context, scratch: Path) -> tuple[list[Figure], dict[str, Any]]:
    """`sixhats analyze --local` on Quick Feedback, in a fresh process: its wall time, and the
    run's own, over the sum of the steps' times in the engine (the report's metadata)."""
    model = write_tiny_model(Path(scratch) / "terse.gguf", terse=TERSE)
    run = ctx.process(
        "analyze",
        PROBLEM,
        *("--local", "--model", str(model), "--program", "quick-feedback"),
        *("--max-tokens", str(ANALYZE_MAX_TOKENS), "--format", "json", "--no-progress"),
    )
    metadata = json.loads(run.out)["metadata"]
    generated = metadata["engine"]["engine_seconds"]
    return [
        # The process's start, imports and model load are a fixed cost, bounded as scenario 1
        # bounds a fresh `analyze` beyond its critical path; as a share of the tiny model's few
        # seconds of generation it only measured how fast that model happened to stop.
        Figure("analyze --local: command wall - sum of generation", run.wall - generated, "s", 0.8),
        Figure("analyze --local: command wall / sum of generation", run.wall / generated, "x"),
        Figure(
            "analyze --local: run wall / sum of generation", metadata["seconds"] / generated, "x"
        ),
    ], {"analyze": {"wall": run.wall, "run_seconds": metadata["seconds"], **metadata["engine"]}}


@scenario(14, "local engine (llama.cpp), tiny model: load, tokens/s, overhead per program")
def local_engine(ctx: Context) -> Outcome:
    try:
        from sixhats_ai.backends.llama import LlamaBackend
    except ImportError as exc:
        raise BenchError(f"needs the local extra: {exc}") from None
    max_tokens, runs = ctx.size(128, 16), ctx.size(5, 1)
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        analyzed, analyze_details = ([], {}) if ctx.smoke else _analyze(ctx, Path(scratch))
        model = write_tiny_model(Path(scratch) / "tiny.gguf")
        backend = LlamaBackend(model, n_ctx=4096)
        backend.load()
        results = {
            flow: [
                asyncio.run(_program(backend, max_tokens, flow == "parallel")) for _ in range(runs)
            ]
            for flow in ("sequential", "parallel")
        }
    ratios = {flow: max(wall / generated for wall, generated in r) for flow, r in results.items()}
    stats = backend.stats
    return Outcome(
        figures=[
            Figure("load time", stats.load_seconds, "s"),
            Figure("prompt reading speed", stats.prompt_tokens_per_second, "tokens/s"),
            Figure("generation speed", stats.tokens_per_second, "tokens/s"),
            Figure("sequential: wall / sum of generation", ratios["sequential"], "x", 1.10),
            Figure("parallel flow: wall / sum of generation", ratios["parallel"], "x", 1.10),
            *analyzed,
        ],
        details={
            "engine": stats.to_dict(),
            "runs": results,
            "max_tokens": max_tokens,
            **analyze_details,
        },
        notes=[
            "the tiny random-weight model (2 layers, 6 MB): load and speed are the engine's "
            "floor, not a real model's; ratios are the worst of the runs",
            "analyze --local: the tiny model leaning to short strings (terse), so that the "
            f"synthesis fits --max-tokens {ANALYZE_MAX_TOKENS}; the command's wall holds the "
            "interpreter's start, the imports and the load (not run in --smoke)",
        ],
    )
