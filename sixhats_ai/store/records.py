"""What the run store keeps of a run: what it was asked, and the run as it is read back.

Plain records, below the store itself: `runs` (rerun, history) and the commands read them
without knowing how the store keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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
    resume: str | None = None  # a batch input's resume key, hashed (`RunStore.resumable`)
    max_steps: int | None = None  # an emergent run's bound, for a rerun to keep it

    @classmethod
    def of_request(
        cls,
        request: RunRequest,
        document_paths: Sequence[Path],
        problem_path: Path | None,
        title: str | None = None,
        resume: str | None = None,
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
            resume,
            request.max_steps if request.program.emergent else None,
        )

    def as_json(self) -> str:
        """The `inputs` column: what a run was asked besides its problem and program. Fields
        here, not columns of their own, need no migration (history shows and searches them)."""
        return json.dumps(
            {
                "include_optional": self.include_optional,
                "problem_path": str(self.problem_path.resolve()) if self.problem_path else None,
                "documents": [d.__dict__ for d in self.stored_documents()],
                "title": self.title,
                "resume": self.resume,
                "max_steps": self.max_steps,
            }
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
    max_steps: int | None = None  # None: not emergent, or kept before runs kept it


def stored_run(row: Mapping[str, Any]) -> StoredRun:
    """A `runs` row as a run; any damage to its text raises (a ValueError or a TypeError)."""
    inputs = json.loads(row["inputs"])
    report = Report.model_validate_json(row["report"]) if row["report"] else None
    steps = (
        report.steps
        if report
        else [StepRecord.model_validate(s) for s in json.loads(row["steps"] or "[]")]
    )
    return StoredRun(
        id=row["id"],
        created=datetime.fromisoformat(row["created"]),
        status=row["status"],
        problem=row["problem"],
        program=Program.model_validate_json(row["program"]),
        models=json.loads(row["models"]),
        flow=row["flow"],
        include_optional=inputs["include_optional"],
        documents=[StoredDocument(**d) for d in inputs["documents"]],
        problem_path=inputs["problem_path"],
        report=report,
        steps=steps,
        error=row["error"],
        usage=Usage.model_validate_json(row["usage"]),
        seconds=row["seconds"],
        parent_id=row.get("parent_id"),  # absent from a store read before its migration
        rerun_step=row.get("rerun_step"),
        title=inputs.get("title"),
        max_steps=inputs.get("max_steps"),
    )


@dataclass(frozen=True)
class DamagedRow:
    """A row whose bytes no longer read as what was written: listed by name, never raised,
    so one bad row does not hide the others."""

    table: str
    rowid: int
    key: str | None  # the run's id or the request's key, when that much still reads
    problem: str

    def describe(self) -> str:
        what = {"runs": "run", "requests": "request"}.get(self.table, f"{self.table} row")
        name = self.key if self.key is not None else f"at row {self.rowid}"
        return f"{what} {name} is damaged ({self.problem[:100]})"
