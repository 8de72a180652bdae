"""sixhats: Edward de Bono's Six Thinking Hats, run with a language model.

`analyze` and `analyze_async` are imported lazily so that `sixhats --help` stays fast.
"""

from __future__ import annotations

from typing import Any

from sixhats_ai.version import __version__

__all__ = ["__version__", "analyze", "analyze_async"]


def __getattr__(name: str) -> Any:
    if name in ("analyze", "analyze_async"):
        from sixhats_ai import api

        return getattr(api, name)
    raise AttributeError(name)
