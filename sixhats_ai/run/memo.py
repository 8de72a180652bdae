"""What a run keeps of itself to start again where it stopped.

A run answered in batch rounds (`backends.rounds`) stops at its first call that waits for a
round, and is started again after it. What it has done by then (the steps that ended ok, the
prompts of the steps it asked, so each step is rendered once and asked the same way, the round
key each of their calls parked under, so a call started again is not keyed again, the run's
fence nonce, so every request keeps the run's shared prefix, and when the run and each step
it asked first started, and what it warned of, so its report tells of every pass, not the
last) is its memo. A batch keeps the memos of ten thousand waiting files packed: compressed
JSON (`MemoPacker`).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import get_args

from pydantic import BaseModel
from pydantic_core import from_json, to_json

from sixhats_ai.method.hat_outputs import AnyStepOutput
from sixhats_ai.prompts import RenderedPrompt
from sixhats_ai.run.assembly import RunClock
from sixhats_ai.run.report import StepRecord

# Deflate's state for packing memos, copied for each: a 16 KB window (a memo's few KB and its
# dictionary) and a small hash. The default state (256 KB) took longer to copy than to compress.
WINDOW_BITS, MEMORY_LEVEL = 14, 5

# A step's output is packed with the name of its hat's output model and read back as that
# model: five times faster than letting the union of every hat's output find it again.
_OUTPUTS: dict[str, type[BaseModel]] = {model.__name__: model for model in get_args(AnyStepOutput)}


@lru_cache(maxsize=256)  # bounded: a batch may narrow a model for many runs
def _output_model(kind: type[BaseModel]) -> str:
    """The hat output model `kind` is, or is a run's narrowed form of (`run_schema`), worked
    out once a class (every step of every pass packs one). A form that adds fields (an
    emergent run's framing, with its information gaps) is packed as itself, since its hat's
    model would refuse them: under a name this process keeps it by, as memos live no longer
    than the process (such forms are made once, `@cache`)."""
    base = next(c for c in kind.__mro__ if _OUTPUTS.get(c.__name__) is c)
    if kind.model_fields.keys() <= base.model_fields.keys():
        return base.__name__
    name = f"{kind.__name__}#{id(kind)}"
    _OUTPUTS.setdefault(name, kind)
    return name


def _pack_step(step: StepRecord) -> list[str]:
    if step.output is None:
        return ["", step.model_dump_json(), ""]
    record = step.model_dump_json(exclude={"output"})
    return [_output_model(type(step.output)), record, step.output.model_dump_json()]


def _unpack_step(model: str, record: str, output: str) -> StepRecord:
    step = StepRecord.model_validate_json(record)
    if model:
        step.output = _OUTPUTS[model].model_validate_json(output)  # type: ignore[assignment]
    return step


# The round key each try of a call parked under, by try number (see `StructuredCaller.call`).
Tries = dict[int, str]


@dataclass
class RunMemo:
    steps: dict[str, StepRecord] = field(default_factory=dict)  # ended ok, or kept by a rerun
    prompts: dict[str, RenderedPrompt] = field(default_factory=dict)  # by step id
    # The round key of each try that parked, by call: its step's id (a participant's call in
    # separate mode: "step/name"), then the try's number (see `StructuredCaller.call`).
    asked: defaultdict[str, Tries] = field(default_factory=lambda: defaultdict(dict))
    nonce: str | None = None  # the run's fence marker (see `StepRunner.nonce`)
    clock: RunClock | None = None  # when its first pass started the run (`Engine.run`)
    began: dict[str, float] = field(default_factory=dict)  # when each step was first asked
    warnings: list[str] = field(default_factory=list)  # what its passes warned of, each once
    cut_boards: list[str] = field(default_factory=list)  # steps shown a board cut to fit

    def warn(self, warnings: list[str]) -> None:
        """Keep the warnings not kept yet (a later pass says again what an earlier one did)."""
        self.warnings.extend(w for w in warnings if w not in self.warnings)

    def to_json(self) -> bytes:
        """The memo as JSON, without the prompts, keys and times of the steps done."""
        clock = self.clock
        packed = {
            "steps": [_pack_step(step) for step in self.steps.values()],
            "prompts": {
                step: [prompt.system, prompt.user]
                for step, prompt in self.prompts.items()
                if step not in self.steps
            },
            "asked": {
                call: tries
                for call, tries in self.asked.items()
                if tries and call.split("/", 1)[0] not in self.steps
            },
            "nonce": self.nonce,
            "clock": None if clock is None else [clock.started_at, clock.started],
            "began": {step: t for step, t in self.began.items() if step not in self.steps},
            "warnings": self.warnings,
            "cut_boards": self.cut_boards,
        }
        return to_json(packed)

    @classmethod
    def from_json(cls, data: bytes) -> RunMemo:
        packed = from_json(data)
        steps = [_unpack_step(*step) for step in packed["steps"]]
        asked = (
            (call, {int(n): key for n, key in tries.items()})
            for call, tries in packed["asked"].items()
        )
        clock = packed["clock"]
        return cls(
            steps={step.id: step for step in steps},
            prompts={step: RenderedPrompt(*texts) for step, texts in packed["prompts"].items()},
            asked=defaultdict(dict, asked),
            nonce=packed.get("nonce"),
            clock=None if clock is None else RunClock(datetime.fromisoformat(clock[0]), clock[1]),
            began=packed["began"],
            warnings=packed["warnings"],
            cut_boards=packed["cut_boards"],
        )


class MemoPacker:
    """Packs the memos of one pass of a batch (`batches.runner`): compressed (raw deflate, the
    fastest level) against the first of them as a dictionary, which every other resembles:
    the same method and fences, the same steps' instructions, the same fields. Against it a
    memo took a fifth of the time to compress and a seventh of the memory (ten thousand
    files of a batch in rounds are packed each pass, and wait packed)."""

    def __init__(self) -> None:
        self._packer: zlib._Compress | None = None
        self._zdict = b""

    def pack(self, memo: RunMemo) -> bytes:
        raw = memo.to_json()
        if self._packer is None:
            self._zdict = raw[-(1 << WINDOW_BITS) :]
            self._packer = zlib.compressobj(
                1, zlib.DEFLATED, -WINDOW_BITS, MEMORY_LEVEL, zdict=self._zdict
            )
        packer = self._packer.copy()  # the dictionary read once, not again for each memo
        return packer.compress(raw) + packer.flush()

    def unpack(self, data: bytes) -> RunMemo:
        return RunMemo.from_json(zlib.decompressobj(-WINDOW_BITS, self._zdict).decompress(data))
