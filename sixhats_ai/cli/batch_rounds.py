"""`sixhats batch --status` and `--cancel`: the rounds of a batch answered through
`--via batch-api|jsonl` (the library's `batches.api.batch_rounds`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sixhats_ai.cli.app import echo_err
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import ProviderFlags

__all__ = ["rounds_admin"]


def rounds_admin(out: Path, *, cancel: bool, via: str, flags: ProviderFlags) -> None:
    """`--status`: the rounds of the batch in `out` (with `--via batch-api`, the open ones'
    counts and ETA asked of the API); with `--cancel`, cancel the open ones."""
    import asyncio

    from sixhats_ai.batches.api import batch_rounds

    lines = asyncio.run(batch_rounds(out, via=via, cancel=cancel, flags=flags, echo=echo_err))
    if cancel:
        cancelled = counted(len(lines), "open batch", "open batches")
        echo_err(f"cancelled {cancelled}: {', '.join(lines) or 'none'}")
    else:
        for line in lines:
            echo_err(line)
