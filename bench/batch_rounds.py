"""Scenario 15: a batch of 10,000 inputs through the Batch API stand-in, in rounds.

The stand-in finishes each batch at once, so what the fresh `sixhats batch --via batch-api`
process spends is its own overhead: writing and uploading the round files, downloading and
keeping the results, running every file's steps in passes, writing 10,000 reports and the
index. Its CPU time is that overhead (the polls only sleep); its peak RSS is what the files
parked between rounds hold, and the few running at once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from bench.scenarios import BATCH_PROGRAM, check_index, write_proposals


@scenario(15, "batch of 10,000 inputs through the Batch API, in rounds, fresh process")
def batch_api_rounds(ctx: Context) -> Outcome:
    files = ctx.size(10_000, 40)
    ctx.server.reset()
    ctx.server.batch_reset()
    os.environ.update(OPENAI_API_KEY="sk-bench", SIXHATS_POLL_SECONDS="0.2")
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        inputs, out = write_proposals(Path(scratch) / "in", files), Path(scratch) / "out"
        run = ctx.process(
            "batch", str(inputs), "--out", str(out), "--program", BATCH_PROGRAM,
            "--via", "batch-api", "--no-progress",
        )  # fmt: skip
        check_index(out, files)
    stats = ctx.server.batch_stats()
    steps = 4  # quick-feedback: framing, black and green at once, synthesis
    if len(stats.custom_ids) != files * steps or stats.duplicate_submissions:
        raise BenchError(f"{len(stats.custom_ids)} lines submitted for {files} files")
    if ctx.server.stats().requests:
        raise BenchError("a live chat request was made")
    return Outcome(
        figures=[
            Figure("peak RSS", run.max_rss_mb, "MB", 300),
            Figure("sixhats CPU (the rounds' overhead)", run.cpu, "s", 60),
            Figure("wall", run.wall, "s"),
            Figure("batches submitted", stats.batches_created, ""),
        ],
        details={"files": files, "lines": len(stats.custom_ids), "polls": stats.polls},
        notes=[
            f"`sixhats batch --via batch-api` of {BATCH_PROGRAM} over {files:,} small proposals "
            "against the stand-in's Batch API (each batch done at once); CPU and peak RSS of "
            "the fresh process"
        ],
    )
