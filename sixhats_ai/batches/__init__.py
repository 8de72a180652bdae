"""`sixhats batch`: analyse many proposals through one session, resumably.

Batch is `analyze` over many inputs: every file goes through the same `Session` (one limiter,
one budget), so `--concurrency` caps requests in flight across all files and hats, 429s slow
the whole batch, and `--max-cost` bounds the whole batch.

- `scheduler`: when the next file starts (file slots, cost admission, Ctrl-C);
- `outputs`: report names, the reports, resume sidecars and the index, written atomically;
- `progress`: the line per finished input and the closing summary;
- `runner`: one input from its text to its row in the index, and the batch around them.
"""

from sixhats_ai.batches.outputs import check_out_dir, prepare_out_dir, report_formats
from sixhats_ai.batches.runner import DEFAULT_PROBLEM, BatchRunner, BatchSettings

__all__ = [
    "DEFAULT_PROBLEM",
    "BatchRunner",
    "BatchSettings",
    "check_out_dir",
    "prepare_out_dir",
    "report_formats",
]
