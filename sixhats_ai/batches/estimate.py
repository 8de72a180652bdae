"""`sixhats batch --dry-run`: what a batch would send and cost, with nothing sent or written.

Every input is read and its prompts are rendered as the run would render them (a document
too long for the context is shown as the condensing would leave it, its requests priced
too), at the prices of the way the batch goes: live, the Batch API's (half the live price by
default), or nothing for the user's own engine (`--via jsonl`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sixhats_ai.errors import UsageError
from sixhats_ai.method.programs import Program
from sixhats_ai.session import PreviewTotals, Session
from sixhats_ai.text.documents import Document
from sixhats_ai.text.inputs import Discovered, InputProblem, MissingExtra, load_input


@dataclass
class BatchEstimate:
    """How many inputs can run and what their requests add up to, and why the others cannot."""

    inputs: int = 0
    totals: PreviewTotals = field(default_factory=PreviewTotals)  # the usable inputs' runs
    unusable: list[str] = field(default_factory=list)  # one line each: input, why


def estimate_batch(
    session: Session,
    problem: str,
    program: Program,
    inputs: Iterable[Discovered],
    *,
    context_budget: int,
) -> BatchEstimate:
    """Preview every input's run as the batch would make it, and add them up."""
    estimate = BatchEstimate()
    for item in inputs:
        if isinstance(item, InputProblem):
            estimate.unusable.append(item.error.one_line())
            continue
        try:
            loaded = load_input(item.path)
            document = Document(item.path.name, loaded.text)
            run = session.preview_run(problem, program, [document], context_budget)
        except (MissingExtra, UsageError) as exc:
            estimate.unusable.append(f"{item.path}: {exc.one_line()}")
            continue
        estimate.inputs += 1
        estimate.totals += run.totals
    return estimate
