"""`sixhats batch --status` and `--cancel`: the rounds of a batch answered through
`--via batch-api|jsonl` (see `batches.via`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.batches.via import check_via
from sixhats_ai.cli.app import echo_err
from sixhats_ai.errors import UsageError

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import ProviderFlags

__all__ = ["rounds_admin"]


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
