"""What every display is: a context manager whose end, however it comes, is `close()`."""

from __future__ import annotations

import sys
from types import TracebackType


def interrupts(kind: type[BaseException]) -> bool:
    """Ctrl-C, or a cancelled task (only possible once asyncio is imported: a command that
    needs no event loop, like an offline brief, never imports it for this)."""
    asyncio = sys.modules.get("asyncio")
    cancelled = asyncio is not None and issubclass(kind, asyncio.CancelledError)
    return cancelled or issubclass(kind, KeyboardInterrupt)


class Display:
    """Plain displays keep it as is; live ones start drawing on enter and stop in `close()`."""

    interrupted = False  # the work ended by Ctrl-C or cancellation: shown in the last frame

    def __enter__(self) -> Display:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None and interrupts(kind):
            self.interrupted = True
        self.close()

    def close(self) -> None:
        return None
