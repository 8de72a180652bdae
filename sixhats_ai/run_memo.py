"""What a run keeps of itself to start again where it stopped.

A run answered in batch rounds (`backends.rounds`) stops at its first call that waits for a
round, and is started again after it. What it has done by then (the steps that ended ok, and
the prompts of the steps it asked, so each step is rendered once and asked the same way) is
its memo. A batch keeps the memos of ten thousand waiting files packed: compressed JSON.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from pydantic import BaseModel

from sixhats_ai.models import StepRecord
from sixhats_ai.prompts import RenderedPrompt


class _Packed(BaseModel):
    steps: list[StepRecord]
    prompts: dict[str, tuple[str, str]]


@dataclass
class RunMemo:
    steps: dict[str, StepRecord] = field(default_factory=dict)  # ended ok, or kept by a rerun
    prompts: dict[str, RenderedPrompt] = field(default_factory=dict)  # by step id

    def pack(self) -> bytes:
        """The memo as compressed JSON, without the prompts of the steps already done."""
        packed = _Packed(
            steps=list(self.steps.values()),
            prompts={
                step: (prompt.system, prompt.user)
                for step, prompt in self.prompts.items()
                if step not in self.steps
            },
        )
        return zlib.compress(packed.model_dump_json().encode(), 1)

    @classmethod
    def unpack(cls, data: bytes) -> RunMemo:
        packed = _Packed.model_validate_json(zlib.decompress(data))
        return cls(
            steps={step.id: step for step in packed.steps},
            prompts={step: RenderedPrompt(*texts) for step, texts in packed.prompts.items()},
        )
