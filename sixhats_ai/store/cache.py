"""The run store as the request cache, and the store a command keeps its runs in.

A request identical to a stored one (model, messages, schema, parameters, server) is answered
from the store at no cost; every other exchange is written to it, with any secret taken out
of its text first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sixhats_ai.backends.base import Completion
from sixhats_ai.errors import ModelError
from sixhats_ai.store.access import StoreFull, holds_store
from sixhats_ai.store.database import RunStore, default_store_path

if TYPE_CHECKING:
    from sixhats_ai.config import Config


@dataclass
class StoreCache:
    """The store as a `ResponseCache`: `read` answers from it, `write` logs each exchange."""

    store: RunStore
    read: bool = True
    write: bool = True
    secrets: list[str | None] = field(default_factory=list)

    def get(self, key: str) -> Completion | None:
        """The kept answer, or None: one that no longer reads as a completion (cut, or of
        another shape) is no answer; it is asked again, and the new answer written over it."""
        try:
            kept = self.store.cached_response(key) if self.read else None
            return None if kept is None else Completion.from_dict(kept, cached=True)
        except (ValueError, ModelError):
            return None

    def put(
        self, key: str, request: dict[str, Any], response: dict[str, Any], seconds: float = 0.0
    ) -> None:
        if not self.write:
            return
        try:
            self.store.log_request(key, request, response, seconds, secrets=self.secrets)
        except StoreFull:  # the run goes on; keeping the run itself says so, once
            self.write = False


def open_run_store(
    config: Config, api_key: str | None, *, log: bool, read: bool
) -> tuple[RunStore | None, StoreCache | None]:
    """The store to keep a run in (None with --no-log or `log = false`) and its cache.

    With logging off, the cache may still be read from an existing store, but nothing is
    written to it: a read-only store will do.
    """
    log = log and config.log
    if not log and not (read and holds_store(default_store_path())):
        return None, None
    store = RunStore()
    if log and store.read_only:  # refused before any request, not after the paid work
        store.close()
        raise store.unwritable()
    cache = StoreCache(store, read=read, write=log, secrets=[api_key])
    return (store if log else None), cache
