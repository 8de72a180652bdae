"""What every live display shares: a Rich `Live` that is started and stopped safely.

Events only change a display's state; Rich's own refresh thread renders it, at most
`REFRESH_PER_SECOND` times a second, so rendering never runs on a request's path. Leaving the
`with` block, however it is left (Ctrl-C and task cancellation included), stops the `Live`:
the last frame is drawn whole, the cursor is shown again, stderr is given back, and the
exception goes on (exit codes are the callers', unchanged).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live

from sixhats_ai.display.base import Display
from sixhats_ai.text.documents import sanitize

if TYPE_CHECKING:
    from sixhats_ai.display.plain import Clock

REFRESH_PER_SECOND = 10


class LiveDisplay(Display):
    """A renderable kept on screen by a `Live` between `__enter__` and `close()`.

    Subclasses keep state and render it in `render_frame`, and may draw less often than
    `REFRESH_PER_SECOND`. `auto_refresh=False` (for tests) draws only on `refresh()` and at
    the start and the end.
    """

    refresh_per_second: float = REFRESH_PER_SECOND

    def __init__(
        self, console: Console, *, auto_refresh: bool = True, clock: Clock = time.monotonic
    ) -> None:
        self.console = console
        self.clock = clock
        self.started = clock()
        self._auto_refresh = auto_refresh
        self._live: Live | None = None
        self._closed = False

    def render_frame(self) -> RenderResult:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.render_frame()

    def __enter__(self) -> LiveDisplay:
        self._live = Live(
            self,
            console=self.console,
            auto_refresh=self._auto_refresh,
            refresh_per_second=self.refresh_per_second,
            redirect_stdout=False,  # the report goes to stdout, after the board
            redirect_stderr=True,  # other stderr lines print above the board, not through it
        )
        self._live.start()
        return self

    def refresh(self) -> None:
        """Draw now (tests, and displays started with `auto_refresh=False`)."""
        if self._live is not None and not self._closed:
            self._live.refresh()

    def close(self) -> None:
        """Draw the last frame, leave it on screen and give the terminal back; once."""
        if self._live is not None and not self._closed:
            self._closed = True
            self._live.stop()

    def echo(self, message: str) -> None:
        """A line of text above the display (a warning, a note), never through it; sanitized as
        a plain stderr line is, since it may quote a file name (Rich passes ESC through)."""
        self.console.print(
            sanitize(message), markup=False, highlight=False, emoji=False, soft_wrap=True
        )

    @property
    def closed(self) -> bool:
        """True from the last frame on."""
        return self._closed

    def elapsed(self) -> float:
        return self.clock() - self.started
