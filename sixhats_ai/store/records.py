"""What the run store keeps of a run: what it was asked, and the run as it is read back.

Plain records, below the store itself: `runs` (rerun, history) and the commands read them
without knowing how the store keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sixhats_ai.method.programs import Program
from sixhats_ai.run.report import Report, StepRecord, Usage
from sixhats_ai.store.kept import INLINE_DOCUMENT_CHARS, sha256
from sixhats_ai.text.documents import Document

if TYPE_CHECKING:
    from sixhats_ai.run.request import RunRequest

RunStatus = Literal["ok", "degraded", "failed"]


@dataclass(frozen=True)
class StoredDocument:
    """A context document as kept: its text when small, else its hash and path to re-read
    (`runs.load_document`)."""

    name: str
    sha256: str
    chars: int
    text: str | None = None
    path: str | None = None


@dataclass
class RunInputs:
    """What a run was asked: enough to show it in history and to run a step of it again."""

    problem: str
    program: Program
    flow: str = "sequential"
    include_optional: bool = True
    documents: Sequence[Document] = ()
    document_paths: Sequence[Path] = ()
    problem_path: Path | None = None
    title: str | None = None  # the input's name, for a batch: what tells its runs apart

    @classmethod
    def of_request(
        cls,
        request: RunRequest,
        document_paths: Sequence[Path],
        problem_path: Path | None,
        title: str | None = None,
    ) -> RunInputs:
        """The inputs as the request gives them, in field order."""
        return cls(
            request.problem,
            request.program,
            request.flow,
            request.include_optional,
            request.documents,
            document_paths,
            problem_path,
            title,
        )

    def stored_documents(self) -> list[StoredDocument]:
        paths = {p.name: p for p in self.document_paths}
        kept = []
        for doc in self.documents:
            path = paths.get(doc.name)
            large = len(doc.text) > INLINE_DOCUMENT_CHARS and path is not None
            kept.append(
                StoredDocument(
                    name=doc.name,
                    sha256=sha256(doc.text),
                    chars=len(doc.text),
                    text=None if large else doc.text,
                    path=str(path.resolve()) if path is not None else None,
                )
            )
        return kept


@dataclass
class StoredRun:
    """One run read back from the store."""

    id: str
    created: datetime
    status: RunStatus
    problem: str
    program: Program
    models: list[str]
    flow: str
    include_optional: bool
    documents: list[StoredDocument]
    problem_path: str | None
    report: Report | None
    steps: list[StepRecord]
    error: str | None
    usage: Usage
    seconds: float
    parent_id: str | None = None
    rerun_step: str | None = None
    title: str | None = None
