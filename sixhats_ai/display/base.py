"""What every display is: a context manager whose end, however it comes, is `close()`."""

from __future__ import annotations

import asyncio
from types import TracebackType

INTERRUPTS = (KeyboardInterrupt, asyncio.CancelledError)


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
        if kind is not None and issubclass(kind, INTERRUPTS):
            self.interrupted = True
        self.close()

    def close(self) -> None:
        return None
