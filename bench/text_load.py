"""`python -m bench.text_load FILE`: read, sanitise, split and count a document, timed.

Run as a fresh process under `bench.measure` (which takes its peak RSS), it prints one JSON
line: the seconds each stage took, the chunks and the estimated tokens. The stages are what
sixhats does to a long document before it condenses it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

CHUNK_TOKENS = 4_000  # a chunk of an 8,192-token context, as condensing sizes them


def main(argv: list[str]) -> int:
    from sixhats_ai.text.documents import sanitize
    from sixhats_ai.text.inputs import read_text_file
    from sixhats_ai.text.split import split
    from sixhats_ai.text.tokens import estimate_tokens

    times: dict[str, float] = {}
    started = time.perf_counter()
    text = read_text_file(Path(argv[0]))
    times["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    text = sanitize(text)
    times["sanitize"] = time.perf_counter() - mark
    mark = time.perf_counter()
    chunks = split(text, CHUNK_TOKENS)
    times["split"] = time.perf_counter() - mark
    mark = time.perf_counter()
    tokens = estimate_tokens(text) + sum(estimate_tokens(c.text) for c in chunks)
    times["estimate"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    print(json.dumps({"seconds": times, "chunks": len(chunks), "tokens": tokens}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
