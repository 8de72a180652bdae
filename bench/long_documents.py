"""Scenario 13 (issue 13): real long documents against a model with an 8,192-token context.

The stand-in reports its context as llama.cpp does (`GET /props`) and, like llama.cpp,
refuses a prompt larger than it. A `choose` batch over the corpus (`bench/corpus/`, real
documents of 3 to 90 KB) must give every file a report, condensing what does not fit. The
scenario also times what sixhats does to a 10 MB document before condensing it (read,
sanitise, split, count tokens) in a fresh process, with its peak memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.harness import BenchError, Context, Figure, Outcome, scenario
from sixhats_ai.method.programs import find_program
from sixhats_ai.text.tokens import estimate_tokens

CORPUS = ROOT / "bench" / "corpus"
N_CTX = 8_192
LATENCY = 0.1
CONCURRENCY = 8
PROGRAM = "choose"
CONDENSE_SCHEMA = "ChunkExtract"
TEXT_BYTES = 10 * 1024 * 1024


def corpus_files() -> list[Path]:
    """The corpus documents (not SOURCES.md or the licences)."""
    return sorted(
        p for p in CORPUS.iterdir() if p.suffix in (".md", ".rst") and p.name != "SOURCES.md"
    )


def _prompt_tokens(exchange: dict[str, Any]) -> int:
    return sum(estimate_tokens(m["content"]) for m in exchange["messages"])


def whole_document_tokens(hat_tokens: int, reports: list[dict[str, Any]]) -> int:
    """Prompt tokens had each hat been sent the whole documents instead of condensed ones
    (which no 8,192-token server would take): the hats' prompts, with every condensed text
    replaced by its original."""
    extra = 0
    for report in reports:
        steps = len(report["steps"])
        for doc in report["metadata"].get("condensed", []):
            extra += steps * (doc["original_tokens"] - doc["condensed_tokens"])
    return hat_tokens + extra


def run_batch(ctx: Context, files: list[Path]) -> tuple[float, list[dict[str, Any]], list[dict]]:
    """The batch, in-process: its wall time, the index rows and the reports."""
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        out = Path(scratch) / "out"
        args = ["batch", *map(str, files), "--out", str(out), "--program", PROGRAM]
        run = ctx.cli(*args, "--concurrency", str(CONCURRENCY), "--no-cache")
        rows = json.loads((out / "index.json").read_text())["rows"]
        reports = [
            json.loads((out / f"{r['report']}.json").read_text()) for r in rows if r["report"]
        ]
    return run.wall, rows, reports


def text_handling(scratch: Path, size: int) -> dict[str, Any]:
    """`bench.text_load` over a `size`-byte document made of the corpus, in a fresh process."""
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in corpus_files())
    text = (corpus * (size // len(corpus.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")
    document, report = scratch / "long.md", scratch / "measured.json"
    document.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "bench.text_load", str(document)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.measure", str(report), *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    measured = json.loads(report.read_text())
    if measured["code"] != 0:
        raise BenchError(f"bench.text_load exited {measured['code']}: {done.stderr[-300:]}")
    return {**json.loads(done.stdout), **measured}


@scenario(13, "long documents: choose batch over a real corpus, 8,192-token context")
def long_documents(ctx: Context) -> Outcome:
    files = corpus_files()[: ctx.size(None, 3)]
    latency = ctx.size(LATENCY, 0.0)
    ctx.server.reset(latency=latency, n_ctx=N_CTX, record=True)
    wall, rows, reports = run_batch(ctx, files)
    exchanges = ctx.server.stats().exchanges
    ok = sum(r["status"] == "ok" for r in rows)
    condensed = [d for r in reports for d in r["metadata"].get("condensed", [])]
    condensing = [e for e in exchanges if e["schema"] == CONDENSE_SCHEMA]
    sent = sum(_prompt_tokens(e) for e in exchanges)
    hats = sum(_prompt_tokens(e) for e in exchanges if e["schema"] != CONDENSE_SCHEMA)
    whole = whole_document_tokens(hats, reports)
    steps = len(find_program(PROGRAM).plan())
    passes = max((d["passes"] for d in condensed), default=0)
    # No schedule beats either: every request held one of the slots for `latency`, and each
    # file's condensing passes and steps ran one after another.
    bound = max(len(exchanges) * latency / CONCURRENCY, (passes + steps) * latency)
    with tempfile.TemporaryDirectory(prefix="sixhats-bench-") as scratch:
        text = text_handling(Path(scratch), ctx.size(TEXT_BYTES, TEXT_BYTES // 10))
    megabytes = ctx.size(TEXT_BYTES, TEXT_BYTES // 10) / 1024 / 1024
    figures = [
        Figure("files ok", ok, f"of {len(files)}", len(files), "=="),
        Figure("files condensed", len(condensed), ""),
        Figure("condensing requests", len(condensing), ""),
        Figure("prompt tokens / whole documents", sent / whole if whole else 0.0, "x"),
        Figure(
            f"text of {megabytes:g} MB: read+sanitise+split+count",
            text["seconds"]["total"],
            "s",
            1.0,
        ),
        Figure(f"text of {megabytes:g} MB: peak RSS", text["max_rss_mb"], "MB", 200),
    ]
    if latency:
        figures.insert(4, Figure(f"wall / bound {bound:.3g} s", wall / bound, "x", 1.25))
    return Outcome(
        figures=figures,
        details={
            "files": len(files),
            "rows": [{k: r[k] for k in ("input", "status", "condensed", "error")} for r in rows],
            "condensed": condensed,
            "requests": len(exchanges),
            "condensing_requests": len(condensing),
            "prompt_tokens_sent": sent,
            "prompt_tokens_whole_documents": whole,
            "wall": wall,
            "bound": bound,
            "text_handling": text,
        },
        notes=[
            f"`sixhats batch` of {PROGRAM} over {len(files)} documents, --concurrency "
            f"{CONCURRENCY}, latency {latency:g} s; the stand-in reports n_ctx {N_CTX} at /props "
            "and refuses larger prompts. Tokens are estimated from the text sent (condensing "
            "included); 'whole documents' puts each original back into every hat's prompt. "
            f"Bound = max(requests x latency / {CONCURRENCY}, (passes + {steps} steps) x "
            "latency). The text figures come from a fresh process (bench.text_load)."
        ],
    )
