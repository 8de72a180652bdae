"""sixhats: Edward de Bono's Six Thinking Hats, run with a language model.

The library is the product; the `sixhats` command is a shell around it:

    from sixhats_ai import analyze, Store

    report = analyze("Should our team move to a four-day week?", program="choose")
    print(report.synthesis.recommendation.decision)
    print(Store().history(limit=1)[0].id)  # the run is kept, as `sixhats analyze` keeps it

Every name is imported lazily (module `__getattr__`), so `sixhats --help` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sixhats_ai.version import __version__

if TYPE_CHECKING:
    from sixhats_ai.api import analyze, analyze_async, analyze_run
    from sixhats_ai.backends.base import Backend, Completion, CompletionRequest
    from sixhats_ai.backends.provider import Provider, ProviderFlags
    from sixhats_ai.batches.api import BatchSettings, batch, batch_async
    from sixhats_ai.briefs.api import brief, brief_async
    from sixhats_ai.briefs.model import Brief
    from sixhats_ai.config import Config
    from sixhats_ai.errors import SixhatsError
    from sixhats_ai.local.api import LocalModels
    from sixhats_ai.meeting_minutes.api import minutes, minutes_async
    from sixhats_ai.meeting_minutes.layout import Minutes
    from sixhats_ai.method.hats import Hat
    from sixhats_ai.method.participants import Participant, RosterRequest
    from sixhats_ai.method.programs import Program
    from sixhats_ai.prompts import PromptLibrary
    from sixhats_ai.run.engine import SynthesisFailed
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.run.ranking import BatchIndex
    from sixhats_ai.run.report import Report
    from sixhats_ai.run.request import StepEvent
    from sixhats_ai.runs import RunOrigin, RunResult, Store
    from sixhats_ai.store.records import StoredRun
    from sixhats_ai.text.documents import Document
    from sixhats_ai.text.inputs import read_documents, read_problem

# Each public name, and the module it comes from.
_HOMES = {
    "analyze": "sixhats_ai.api",
    "analyze_async": "sixhats_ai.api",
    "analyze_run": "sixhats_ai.api",
    "Backend": "sixhats_ai.backends.base",
    "batch": "sixhats_ai.batches.api",
    "batch_async": "sixhats_ai.batches.api",
    "BatchSettings": "sixhats_ai.batches.api",
    "BatchIndex": "sixhats_ai.run.ranking",
    "brief": "sixhats_ai.briefs.api",
    "brief_async": "sixhats_ai.briefs.api",
    "Brief": "sixhats_ai.briefs.model",
    "Completion": "sixhats_ai.backends.base",
    "CompletionRequest": "sixhats_ai.backends.base",
    "Config": "sixhats_ai.config",
    "Document": "sixhats_ai.text.documents",
    "Hat": "sixhats_ai.method.hats",
    "LocalModels": "sixhats_ai.local.api",
    "minutes": "sixhats_ai.meeting_minutes.api",
    "minutes_async": "sixhats_ai.meeting_minutes.api",
    "read_documents": "sixhats_ai.text.inputs",
    "read_problem": "sixhats_ai.text.inputs",
    "Minutes": "sixhats_ai.meeting_minutes.layout",
    "Participant": "sixhats_ai.method.participants",
    "Program": "sixhats_ai.method.programs",
    "PromptLibrary": "sixhats_ai.prompts",
    "Provider": "sixhats_ai.backends.provider",
    "ProviderFlags": "sixhats_ai.backends.provider",
    "Report": "sixhats_ai.run.report",
    "RosterRequest": "sixhats_ai.method.participants",
    "RunOptions": "sixhats_ai.run.options",
    "RunOrigin": "sixhats_ai.runs",
    "RunResult": "sixhats_ai.runs",
    "SixhatsError": "sixhats_ai.errors",
    "StepEvent": "sixhats_ai.run.request",
    "Store": "sixhats_ai.runs",
    "StoredRun": "sixhats_ai.store.records",
    "SynthesisFailed": "sixhats_ai.run.engine",
}

__all__ = [
    "Backend",
    "BatchIndex",
    "BatchSettings",
    "Brief",
    "Completion",
    "CompletionRequest",
    "Config",
    "Document",
    "Hat",
    "LocalModels",
    "Minutes",
    "Participant",
    "Program",
    "PromptLibrary",
    "Provider",
    "ProviderFlags",
    "Report",
    "RosterRequest",
    "RunOptions",
    "RunOrigin",
    "RunResult",
    "SixhatsError",
    "StepEvent",
    "Store",
    "StoredRun",
    "SynthesisFailed",
    "__version__",
    "analyze",
    "analyze_async",
    "analyze_run",
    "batch",
    "batch_async",
    "brief",
    "brief_async",
    "minutes",
    "minutes_async",
    "read_documents",
    "read_problem",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sixhats_ai' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
