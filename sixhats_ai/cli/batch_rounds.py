"""`sixhats batch --via batch-api|jsonl`: the batch answered in rounds, and `--status`,
`--cancel` and `--results` for those rounds (see `batch.via`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.batches.via import ROUND_CONCURRENCY, Via, check_via
from sixhats_ai.cli.app import echo_err
from sixhats_ai.errors import UsageError
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import Provider, ProviderFlags
    from sixhats_ai.backends.rounds import RoundBackend
    from sixhats_ai.config import Config
    from sixhats_ai.method.programs import Program
    from sixhats_ai.pricing import PriceTable
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.store.database import RunStore

__all__ = ["Rounds", "rounds_admin", "rounds_note", "via_options"]


def via_options(options: RunOptions, via: str, *, flow_given: bool) -> RunOptions:
    """Under rounds a few files run at once, each until it parks for the next round, and the
    parallel flow (three rounds) is the default: the sequential one needs a round per step."""
    if via == "live":
        return options
    flow = options.flow if flow_given else "parallel"
    return dataclasses.replace(options, concurrency=ROUND_CONCURRENCY, flow=flow)


def rounds_note(program: Program, options: RunOptions, via: str) -> str | None:
    """How many rounds the batch takes (at the least: a re-ask adds one)."""
    if via == "live":
        return None
    steps = len(program.plan(include_optional=options.include_optional))
    rounds = 3 if options.flow == "parallel" else steps
    wait = "up to 24 h each" if via == "batch-api" else "one results file each"
    return f"--via {via}: {counted(rounds, 'round')} at least, {wait} ({options.flow} flow)"


@dataclass(frozen=True)
class Rounds:
    """The batch's --via and, for jsonl, the results file handed back for the last round."""

    via: Via
    results: Path | None = None

    def backend(
        self,
        provider: Provider,
        out: Path,
        store: RunStore | None,
        config: Config,
        echo: Callable[[str], None],
    ) -> tuple[RoundBackend | None, PriceTable | None]:
        """The backend and prices of a batch in rounds; (None, None) for a live one."""
        if self.via == "live":
            return None, None
        from sixhats_ai.backends.jsonl import ingest_results
        from sixhats_ai.batches.via import ledger_for, round_backend

        if store is None:  # check_via refused --no-log; `log = false` is refused there too
            raise UsageError(f"--via {self.via} needs the run store", hint="turn logging on")
        if self.results is not None:
            ledger = ledger_for(store, out, provider.display_url)
            rounds, answers = ingest_results(ledger, self.results)
            echo(f"{self.results}: {answers} answers to {rounds} kept")
        backend = round_backend(self.via, provider, out, store, echo=echo)
        return backend, self.prices(config)

    def prices(self, config: Config) -> PriceTable | None:
        """What the batch's requests cost: the Batch API is billed at its own price, a user's
        own engine costs nothing here; a live batch at the live prices (None: the default)."""
        from sixhats_ai.pricing import PriceTable

        if self.via == "live":
            return None
        return config.price_table().for_batch() if self.via == "batch-api" else PriceTable({})


def rounds_admin(out: Path, *, cancel: bool, via: str, flags: ProviderFlags) -> None:
    """`--status`: the rounds of the batch in `out` (with `--via batch-api`, the open ones'
    counts and ETA asked of the API); with `--cancel`, cancel the open ones."""
    import asyncio

    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.batches.via import round_backend, status_lines
    from sixhats_ai.config import load_config
    from sixhats_ai.store.database import RunStore, default_store_path

    if not default_store_path().exists():
        raise UsageError("no run store yet, so no rounds", hint="run a batch with --via first")
    if cancel and via not in ("batch-api", "jsonl"):
        raise UsageError(
            "--cancel needs the --via the rounds went through",
            hint="add --via batch-api or --via jsonl",
        )
    with RunStore(create=False) as store:
        for line in status_lines(store, out):
            echo_err(line)
        if via == "live":
            return
        provider = resolve_provider(flags, load_config())
        backend = round_backend(check_via(via), provider, out, store, echo=echo_err)

        async def act() -> list[str]:
            try:
                if cancel:
                    return await backend.cancel_open()
                return await backend.open_states() if via == "batch-api" else []
            finally:
                await backend.aclose()

        lines = asyncio.run(act())
    if cancel:
        echo_err(f"cancelled {len(lines)} open batches: {', '.join(lines) or 'none'}")
    else:
        for line in lines:
            echo_err(line)
