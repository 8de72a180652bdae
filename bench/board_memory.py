"""The board as the meeting's memory, and the run's shared prompt prefix (issue 22).

Scenario 4: at 8k, 32k and 128k context, the share of the earlier steps' points that reached
each step's request, in a `choose` run against the stand-in answering like a thorough model (8
items a list, 30 words an item). At 128k every point reaches every later step; below, the
board keeps what matters most (see `sixhats_ai.run.board`).

Scenario 17: the embedded engine keeps the run's shared prefix (the method, the problem and
the documents) evaluated between steps: a 7-step `choose` on a 20 KB document with the tiny
model, the prompt tokens llama.cpp evaluated over the prompt tokens sent. Target 0.4.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from bench.scenarios import PROBLEM, analyze
from testkit.documents import proposal
from testkit.reach import reach
from testkit.tinymodel import write_tiny_model

CONTEXTS = (8_192, 32_768, 131_072)
THOROUGH = {"items": 8, "words": 30}  # what a model that can think writes for one hat
LOCAL_DOCUMENT_CHARS = 20_000
LOCAL_N_CTX = 32_768  # the tiny model reads a character a token: the document is 20k tokens
LOCAL_MAX_TOKENS = 4_096  # the synthesis's answer, from the terse tiny model, fits
TERSE = 0.7  # the tiny model leaning to short strings, so its answers fit (tinymodel.py)


def _reach_at(ctx: Context, window: int) -> dict[str, Any]:
    ctx.server.reset(record=True, n_ctx=window, **THOROUGH)
    _, report = analyze(ctx, "choose", "sequential", "--context-window", str(window))
    reached = reach(report, ctx.server.stats().exchanges)
    return {
        "lowest": min(r.share for r in reached),
        "all": sum(r.reached for r in reached) / sum(r.earlier for r in reached),
        "steps": {r.step: [r.reached, r.earlier] for r in reached},
        "warnings": report["metadata"].get("warnings", []),
    }


@scenario(4, "what reaches each step: earlier points on the board at 8k, 32k, 128k context")
def board_reach(ctx: Context) -> Outcome:
    found = {window: _reach_at(ctx, window) for window in CONTEXTS}
    figures = []
    for window, result in found.items():
        full = window == CONTEXTS[-1]
        figures += [
            Figure(
                f"{window // 1024}k: earlier points reaching the step that saw fewest",
                result["lowest"],
                "share",
                1.0 if full else None,
                "==" if full else "<=",
            ),
            Figure(
                f"{window // 1024}k: earlier points reaching their later steps, all",
                result["all"],
                "share",
            ),
        ]
    return Outcome(
        figures=figures,
        details={str(window): result for window, result in found.items()},
        notes=[
            "choose, sequential, the stand-in answering 8 items a list of 30 words; a point "
            "reached a step when its first 80 characters are in that step's request",
            "steps: [points reached, earlier points] for each step after the framing",
        ],
    )


def _choose_on_tiny_model(model: Path, document: str) -> tuple[int, int, int, str]:
    """A `choose` run through the library on the tiny model: the requests, the prompt tokens
    sent, those llama.cpp evaluated (its own counters, re-asks included), and how the run
    ended. The random-weight model may fail a schema: the requests it made still count."""
    from sixhats_ai.api import analyze as run_analysis
    from sixhats_ai.backends.llama import LocalModel
    from sixhats_ai.backends.provider import local_engine_provider
    from sixhats_ai.config import Config
    from sixhats_ai.errors import SixhatsError
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.text.documents import Document

    provider = local_engine_provider(LocalModel(model, n_ctx=LOCAL_N_CTX))
    try:
        run_analysis(
            PROBLEM,
            program="choose",
            documents=[Document("proposal.md", document)],
            options=RunOptions(max_tokens=LOCAL_MAX_TOKENS),
            provider=provider,
            config=Config(),
        )
        ended = "ok"
    except SixhatsError as exc:
        ended = exc.one_line()
    stats = provider.engine_stats
    if stats is None:  # a local-engine provider always counts; this would be a harness bug
        raise BenchError("the local engine's provider kept no statistics")
    return stats.requests, stats.prompt_tokens, stats.prompt_eval[0], ended


@scenario(17, "local engine keeps the run's prefix: prompt tokens evaluated / sent, tiny model")
def prefix_reuse(ctx: Context) -> Outcome:
    size = ctx.size(LOCAL_DOCUMENT_CHARS, 4_000)
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        model = write_tiny_model(Path(scratch) / "terse.gguf", terse=TERSE)
        requests, sent, evaluated, ended = _choose_on_tiny_model(model, proposal(size))
    if requests < 7:  # the opening blue, five hats and the synthesis, at least
        raise BenchError(f"the run stopped after {requests} requests: {ended}")
    return Outcome(
        figures=[
            Figure("prompt tokens evaluated / sent", evaluated / sent, "x", 0.4),
            Figure("prompt tokens sent", sent, "tokens"),
            Figure("prompt tokens evaluated", evaluated, "tokens"),
        ],
        details={
            "requests": requests,
            "ended": ended,
            "document_chars": size,
            "n_ctx": LOCAL_N_CTX,
        },
        notes=[
            "evaluated: what llama.cpp's own counters say it read (llama_perf_context "
            "n_p_eval), summed over every request of the run; sent: the prompt tokens of "
            "those requests",
            "the tiny random-weight model may fail a schema (re-asked twice, as by default): "
            "the requests it made count all the same; 'ended' says how the run ended",
        ],
    )
