"""sixhats: Edward de Bono's Six Thinking Hats, run with a language model.

The API is imported lazily so that `sixhats --help` stays fast.
"""

from __future__ import annotations

from typing import Any

from sixhats_ai.version import __version__

__all__ = [
    "__version__",
    "analyze",
    "analyze_async",
    "brief",
    "brief_async",
    "minutes",
    "minutes_async",
]

# Each public name, and the module that defines it (imported on first use).
_LAZY = {
    "analyze": "sixhats_ai.api",
    "analyze_async": "sixhats_ai.api",
    "brief": "sixhats_ai.briefs.api",
    "brief_async": "sixhats_ai.briefs.api",
    "minutes": "sixhats_ai.meeting_minutes.api",
    "minutes_async": "sixhats_ai.meeting_minutes.api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(name)
