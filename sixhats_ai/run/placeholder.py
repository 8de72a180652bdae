"""A realistic placeholder analysis, for `--dry-run` to show the board each step would see.

A dry run sends nothing, so no step has answered; a board of "(their findings appear here)"
shows neither its size nor its shape. The answers in `data/placeholder.toml` are what a model
typically writes for a small team decision (a four-day week), clearly labelled as examples,
read into this run's answer models, so the prompts and their token estimates are close to a
real run's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from typing import Any

from sixhats_ai.method.hat_outputs import HAT_OUTPUTS, StepOutput
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.resources import DATA_DIR
from sixhats_ai.run.report import StepRecord

EXAMPLES_FILE = DATA_DIR / "placeholder.toml"


def _output(examples: dict[str, Any], step: PlannedStep, risks_from: str | None) -> StepOutput:
    """The example answer of `step`; a green idea answers the first risk black raised."""
    kind = "framing" if step.role == "framing" else step.hat.value
    answer = dict(examples[kind])
    if "ideas" in answer:
        answer["ideas"] = [{**idea, "addresses": risks_from} for idea in answer["ideas"]]
    return HAT_OUTPUTS[kind].model_validate(answer)


def placeholder_records(plan: Sequence[PlannedStep]) -> list[StepRecord]:
    """An answered record for each step of `plan` (not the synthesis), in order."""
    with EXAMPLES_FILE.open("rb") as data:
        examples = tomllib.load(data)
    records: list[StepRecord] = []
    for step in plan:
        if step.role == "synthesis":
            continue
        black = next((r.id for r in records if r.hat == "black"), None)
        records.append(
            StepRecord(
                id=step.id,
                hat=step.hat.value,
                role=step.role,
                focus=step.step.focus,
                status="ok",
                output=_output(examples, step, f"{black}:1" if black else None),
                model="(dry run)",
            )
        )
    return records
