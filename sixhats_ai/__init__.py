"""sixhats: Edward de Bono's Six Thinking Hats, run with a language model.

`analyze` and `analyze_async` are imported lazily so that `sixhats --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sixhats_ai.version import __version__

if TYPE_CHECKING:  # typed for a caller's checker; imported on first use at run time
    from sixhats_ai.briefs.api import brief, brief_async
    from sixhats_ai.meeting_minutes.api import minutes, minutes_async

__all__ = ["__version__", "analyze", "analyze_async"]
__all__ += ["brief", "brief_async", "minutes", "minutes_async"]


def __getattr__(name: str) -> Any:
    if name in ("analyze", "analyze_async"):
        from sixhats_ai import api

        return getattr(api, name)
    if name in ("brief", "brief_async"):  # lazily too: a brief needs no model client
        from sixhats_ai.briefs import api as briefs

        return getattr(briefs, name)
    if name in ("minutes", "minutes_async"):
        from sixhats_ai.meeting_minutes import api as meeting_minutes

        return getattr(meeting_minutes, name)
    raise AttributeError(name)
