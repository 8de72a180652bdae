"""What a run is asked to do, and the progress it reports.

These sit below the engine so that the helpers it hands work to (panels, emergent meetings,
previews, random entry) can name them without importing the engine itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sixhats_ai.method.emergent import ProcessDecision
from sixhats_ai.method.participants import PersonasMode, RosterRequest
from sixhats_ai.method.programs import PlannedStep, Program
from sixhats_ai.run.memo import RunMemo
from sixhats_ai.run.report import CondensedDocument, StepRecord
from sixhats_ai.text.documents import Document
from sixhats_ai.text.tokens import estimate_tokens

if TYPE_CHECKING:
    from sixhats_ai.run.board import Board

Flow = Literal["sequential", "parallel"]


@dataclass
class RunRequest:
    problem: str
    program: Program
    documents: list[Document] = field(default_factory=list)
    flow: Flow = "sequential"
    include_optional: bool = True
    strict: bool = False
    warnings: list[str] = field(default_factory=list)  # what was cut to fit the context
    context_tokens: int | None = None  # the model's context, as the session learned it
    condensed: list[CondensedDocument] = field(default_factory=list)  # see condense.py
    max_steps: int = 8  # an emergent program: the hats blue may call for at most
    roster: RosterRequest | None = None  # --personas: who wears each hat
    personas_mode: PersonasMode = "together"
    replay: list[ProcessDecision] = field(default_factory=list)  # a rerun's earlier choices
    memo: RunMemo = field(default_factory=RunMemo)  # what it did before it parked, if it did

    _material_tokens: int | None = field(default=None, init=False, repr=False, compare=False)
    # The last board made and the records it shows (`StepRunner.board`).
    last_board: tuple[tuple[StepRecord, ...], Board] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def texts(self) -> list[str]:
        """The problem and every document's text: what a run's own random choices hash."""
        return [self.problem, *(d.text for d in self.documents)]

    def material_tokens(self) -> int:
        """The problem's and the documents' tokens, counted once a run: every step's board
        is sized by them, and with tiktoken a long document took milliseconds to count."""
        if self._material_tokens is None:
            self._material_tokens = sum(estimate_tokens(text) for text in self.texts())
        return self._material_tokens


@dataclass
class StepEvent:
    """Progress of one step, for the live display."""

    step: PlannedStep
    status: Literal["running", "done", "failed", "reused"]
    record: StepRecord | None = None
