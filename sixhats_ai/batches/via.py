"""How a batch reaches its model (`--via`): live requests, the Batch API, or JSONL files.

`live` sends each request as the run needs it. `batch-api` and `jsonl` answer in rounds
(`backends.rounds`): every file runs until its next requests must wait for a round, and a
round goes out once every file has finished or waits. The Batch API costs half the live
price and has its own rate limits; `jsonl` writes each round for an engine the user runs (vLLM's
`run-batch` on their own GPUs) and reads its results back with `--results`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from sixhats_ai.backends.build import Rounds, build_backend
from sixhats_ai.backends.jsonl import ingest_results
from sixhats_ai.backends.provider import Provider
from sixhats_ai.backends.rounds import RoundBackend, RoundPolicy, RoundProgress
from sixhats_ai.batches.ledger import RoundRecord, StoreLedger, first_round, kept_rounds
from sixhats_ai.config import Config
from sixhats_ai.errors import UsageError, named, option
from sixhats_ai.method.programs import Program
from sixhats_ai.pricing import PriceTable
from sixhats_ai.run.options import RunOptions
from sixhats_ai.store.database import RunStore
from sixhats_ai.text.plural import counted

Via = Literal["live", "batch-api", "jsonl"]
VIAS: tuple[Via, ...] = ("live", "batch-api", "jsonl")
# Under rounds a file runs only until it parks (a few milliseconds of CPU), so a few files at
# once keep the loop busy while one reads its input; a round holds whatever all of them park.
ROUND_CONCURRENCY = 16
ROUNDS_FOLDER = ".sixhats/rounds"


def check_via(via: str, *, results: Path | None = None, local: bool = False) -> Via:
    """The --via asked for, refused before anything runs if it cannot work."""
    if via not in VIAS:
        raise UsageError(f"unknown {option('via')} {via!r}", hint="use live, batch-api or jsonl")
    if results is not None and via != "jsonl":
        raise UsageError(
            f"{option('results')} goes with {option('via')} jsonl",
            hint=f"add {option('via')} jsonl",
        )
    if local and via != "live":
        raise UsageError(
            f"{option('via')} {via} sends the requests to a batch engine, not {option('local')}"
        )
    return via


def check_logged(via: Via, *, logged: bool) -> None:
    """Rounds are kept in the run store: a batch in rounds needs logging on."""
    if via != "live" and not logged:
        raise UsageError(
            f"{option('via')} {via} keeps its rounds in the run store, and logging is off",
            hint=f"drop {option('keep', False)} (or set log = true in config.toml)",
        )


def via_options(options: RunOptions, via: Via, *, flow_given: bool) -> RunOptions:
    """Under rounds a few files run at once, each until it parks for the next round, and the
    parallel flow (three rounds) is the default: the sequential one needs a round per step."""
    if via == "live":
        return options
    flow = options.flow if flow_given else "parallel"
    return dataclasses.replace(options, concurrency=ROUND_CONCURRENCY, flow=flow)


def rounds_note(program: Program, options: RunOptions, via: Via) -> str | None:
    """How many rounds the batch takes (at the least: a re-ask adds one)."""
    if via == "live":
        return None
    steps = len(program.plan(include_optional=options.include_optional))
    rounds = 3 if options.flow == "parallel" else steps
    wait = "up to 24 h each" if via == "batch-api" else "one results file each"
    return named(
        f"{option('via')} {via}: {counted(rounds, 'round')} at least, {wait} ({options.flow} flow)"
    )


def round_prices(via: Via, config: Config) -> PriceTable | None:
    """What the batch's requests cost: the Batch API is billed at its own price, a user's own
    engine costs nothing here; a live batch at the live prices (None: the default)."""
    if via == "live":
        return None
    return config.price_table().for_batch() if via == "batch-api" else PriceTable({})


def batch_backend(
    via: Via,
    provider: Provider,
    out: Path,
    store: RunStore | None,
    *,
    results: Path | None = None,
    reuse: bool = True,
    echo: Callable[[str], None],
) -> RoundBackend | None:
    """The backend of a batch in rounds, with a jsonl round's `results` read in first; None
    for a live one (the session builds its own). Without `reuse` (--no-cache), answers other
    batches fetched are not used."""
    if via == "live":
        return None
    if store is None:  # check_logged refused a batch in rounds with logging off
        raise UsageError(f"{option('via')} {via} needs the run store", hint="turn logging on")
    if results is not None:
        ledger = ledger_for(store, out, provider.display_url, via)
        rounds, answers = ingest_results(ledger, results)
        echo(f"{results}: {answers} answers to {rounds} kept")
    return round_backend(via, provider, out, store, echo=echo, reuse=reuse)


def rounds_folder(out: Path) -> Path:
    return out / ROUNDS_FOLDER


def ledger_for(
    store: RunStore, out: Path, server: str, via: Via, *, others: bool = True
) -> StoreLedger:
    """The rounds of the batch writing to `out` (its folder, resolved, names the batch) on
    `server` (a provider's `display_url`), new ones going `via`; `others`: answers other
    batches fetched answer too."""
    return StoreLedger(store, str(out.resolve()), server, via, others)


def round_backend(
    via: Via,
    provider: Provider,
    out: Path,
    store: RunStore,
    *,
    echo: Callable[[str], None],
    policy: RoundPolicy | None = None,
    reuse: bool = True,
) -> RoundBackend:
    """The backend answering the batch writing to `out` in rounds (`build_backend`), its
    rounds kept in `store`; with `reuse`, answers other batches fetched answer as cached."""
    if via == "live":
        raise UsageError("a live batch sends each request as the run needs it, in no round")
    rounds = Rounds(
        via=via,
        folder=rounds_folder(out),
        ledger=ledger_for(store, out, provider.display_url, via, others=reuse),
        policy=policy or policy_from_env(),
        on_progress=_progress_line(echo),
    )
    return build_backend(provider, rounds=rounds)


def policy_from_env() -> RoundPolicy:
    """Polling from `SIXHATS_POLL_SECONDS`: the first wait, doubling up to 5 min (default
    10 s)."""
    default = RoundPolicy()
    try:
        poll = float(os.environ.get("SIXHATS_POLL_SECONDS", default.poll_min))
    except ValueError:
        raise UsageError("SIXHATS_POLL_SECONDS takes seconds, e.g. 10") from None
    if not poll > 0:  # NaN too
        raise UsageError("SIXHATS_POLL_SECONDS must be more than 0")
    return RoundPolicy(poll_min=poll, poll_max=max(poll, default.poll_max))


def _progress_line(echo: Callable[[str], None]) -> Callable[[RoundProgress], None]:
    """A stderr line each time the rounds are polled: round, requests done, time waited."""
    started = time.monotonic()

    def show(progress: RoundProgress) -> None:
        waited = int(time.monotonic() - started)
        echo(
            f"round {progress.round}: {progress.completed}/{progress.total} requests answered, "
            f"{waited // 60}:{waited % 60:02d} waited"
        )

    return show


def status_lines(store: RunStore, out: Path) -> list[str]:
    """What `--status` prints: every round of the batch writing to `out`, oldest first, and
    what the open ones wait for, or that nothing does (`_unwanted_lines`)."""
    scope = str(out.resolve())
    records = list(kept_rounds(store, scope))
    if not records:
        return [
            named(
                f"no rounds were submitted for {out} (run the batch with {option('via')} "
                "batch-api or jsonl)"
            )
        ]
    current = first_round(store, scope)
    lines = [f"rounds of {out}:"]
    for r in records:
        over = r.status == "submitted" and r.round < current
        lines.append(
            f"  round {r.round}: {r.batch_id}, {r.status}, {counted(r.requests, 'request')}, "
            f"submitted {r.created}{', no longer wanted' if over else ''}"
        )
    waiting = [r for r in records if r.status == "submitted"]
    lines += _waiting_lines([r for r in waiting if r.round >= current])
    lines += _unwanted_lines([r for r in waiting if r.round < current])
    return lines if len(lines) > len(records) + 1 else [*lines, "no batch is open"]


def _waiting_lines(waiting: list[RoundRecord]) -> list[str]:
    """What the open rounds wait for: the Batch API (a day at most), or the user's engine."""
    in_api = sum(r.via == "batch-api" for r in waiting)
    in_files = len(waiting) - in_api
    lines = []
    if in_api:
        lines.append(
            f"{counted(in_api, 'batch', 'batches')} open; each finishes within 24 h of its "
            "submission"
        )
    if in_files:
        lines.append(
            named(
                f"{counted(in_files, 'round')} open; each waits for its results file (the "
                f"batch again with {option('via')} jsonl {option('results')} FILE)"
            )
        )
    return lines


def _unwanted_lines(unwanted: list[RoundRecord]) -> list[str]:
    """The open rounds of a batch that is over: the folder's batch finished without them (a
    resume with another program, say, asked other requests), so nothing will fetch them,
    and they stay open, on the engine too, until cancelled."""
    if not unwanted:
        return []
    vias = " or ".join(f"{option('via')} {via}" for via in sorted({r.via for r in unwanted}))
    return [
        named(
            f"{counted(len(unwanted), 'round')} open but no longer wanted: the folder's batch "
            f"finished without its answers (its requests changed: another {option('program')}, "
            f"say); {option('cancel')} with {vias} cancels every open round"
        )
    ]


def other_via(store: RunStore, out: Path, via: Via) -> str | None:
    """Why `via` has nothing to ask about the batch writing to `out`: its rounds all went the
    other way (None: some went `via`, or none were kept)."""
    kept = {r.via for r in kept_rounds(store, str(out.resolve()))}
    if not kept or via in kept:
        return None
    went = " and ".join(sorted(kept))
    return named(f"{out}: its rounds went through {option('via')} {went}, not {via}")
