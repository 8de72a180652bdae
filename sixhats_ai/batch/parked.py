"""A batch's input file between rounds of a batch engine.

A file whose run parked for the next round (`backends.rounds`) is started again after it,
from its input. What it keeps meanwhile is small: its name, the hash of the text its steps
answered, and those steps packed (compressed JSON), so that ten thousand files waiting on a
round cost a few megabytes, not a live run each.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pydantic import TypeAdapter

from sixhats_ai.inputs import InputFile
from sixhats_ai.models import StepRecord

_STEPS = TypeAdapter(list[StepRecord])


@dataclass
class FileJob:
    """One input file of the batch: where it goes and, once parked, what it has done."""

    seq: int
    item: InputFile
    stem: str
    sha256: str | None = None  # the text its steps were answered for; None before it ran
    packed: bytes = b""

    @property
    def name(self) -> str:
        return str(self.item.path)

    def park(self, sha256: str, steps: dict[str, StepRecord]) -> None:
        """Keep the steps done so far, to be reused when the file starts again."""
        self.sha256 = sha256
        self.packed = zlib.compress(_STEPS.dump_json(list(steps.values())), 1) if steps else b""

    def steps_for(self, sha256: str) -> dict[str, StepRecord]:
        """The steps kept, if the text is still the one they answered (else none)."""
        if sha256 != self.sha256 or not self.packed:
            return {}
        return {step.id: step for step in _STEPS.validate_json(zlib.decompress(self.packed))}
