"""The output-mode ladder: which `response_format` a server takes, learned once per run.

A server that refuses a mode moves the run down one (`json_schema`, then `json_object`, then
`prompt`); the first answer in a mode proves it for the rest of the run.
"""

from __future__ import annotations

from enum import StrEnum


class OutputMode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


MODE_ORDER = [OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.PROMPT]


class ModeState:
    """The output mode picked for one server, shared by every request of a run.

    Until a mode is proven by an answer from the server, requests go one at a time (`trial`),
    so a batch fanning out learns the mode from one request instead of each waiting request
    meeting the same refusal: a server that refuses `json_schema` with HTTP 500 is retried by
    the SDK first, and those retries left time for another request to confirm a lower mode.
    """

    def __init__(self, start: OutputMode = OutputMode.JSON_SCHEMA, *, pinned: bool = False):
        import asyncio  # here: `structured` is imported by commands that never run a loop

        self.mode = start
        self.confirmed = pinned
        self._trial = asyncio.Lock()

    def trial(self) -> _Trial:
        """Hold the block while no mode is proven, so only one request probes the server.
        A request that waited while another proved the mode lets go at once: held through
        its own request, every request queued behind the first went one at a time (a batch's
        first files started one a latency apart)."""
        return _Trial(self)

    def downgrade(self, failed: OutputMode) -> bool:
        """Whether a request refused in `failed` mode may be asked again in `self.mode`: yes if
        the run has already moved below `failed`, or can move below it now (not once the
        mode is proven, nor below `prompt`)."""
        if MODE_ORDER.index(self.mode) > MODE_ORDER.index(failed):
            return True
        if self.confirmed or failed is OutputMode.PROMPT:
            return False
        self.mode = MODE_ORDER[MODE_ORDER.index(failed) + 1]
        return True

    def confirm(self, mode: OutputMode) -> None:
        """The server answered a request in `mode`: the run keeps it (a cached answer is no
        proof; it says what a server once did, perhaps another one)."""
        if self.mode is mode:
            self.confirmed = True


class _Trial:
    """`ModeState.trial` as a class rather than a generator's context manager: every request
    enters it, and once the mode is proven it does nothing."""

    __slots__ = ("held", "state")

    def __init__(self, state: ModeState) -> None:
        self.state, self.held = state, False

    async def __aenter__(self) -> None:
        state = self.state
        if not state.confirmed:
            await state._trial.acquire()
            if state.confirmed:
                state._trial.release()
            else:
                self.held = True

    async def __aexit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            self.state._trial.release()
