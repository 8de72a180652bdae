"""A batch's input file between rounds of a batch engine.

A file whose run parked for the next round (`backends.rounds`) is started again after it,
from its input. What it keeps meanwhile is small: its name, the hash of the text its steps
answered, and its run's memo packed (`run_memo`), so that ten thousand files waiting on a
round cost tens of megabytes, not a live run each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sixhats_ai.batches.outputs import resume_hash
from sixhats_ai.run.memo import MemoPacker, RunMemo
from sixhats_ai.text.inputs import InputFile

# No program takes this many rounds (a step each in the sequential flow, with re-asks and
# retried lines): a file still parking asks something new each round, and would never end.
MAX_PASSES = 64


@dataclass
class FileJob:
    """One input file of the batch: where it goes and, once parked, what it has done."""

    seq: int
    item: InputFile
    stem: str
    sha256: str | None = None  # the text its run answered; None before it ran
    packed: bytes = b""
    packer: MemoPacker | None = None  # what packed it (the pass's: see `MemoPacker`)
    parked: int = 0  # how many rounds it has waited for
    resume: tuple[str, str] | None = None  # the text's hash, and its resume key's

    @property
    def name(self) -> str:
        return str(self.item.path)

    def resume_for(self, key: dict[str, Any], folder: str) -> str:
        """Its resume key hashed with its name and the `--out` folder (`resume_hash`), once a
        text: every pass of its run is kept under it."""
        if self.resume is None or self.resume[0] != key["sha256"]:
            self.resume = (key["sha256"], resume_hash(key, self.name, folder))
        return self.resume[1]

    def park(self, sha256: str, memo: RunMemo, packer: MemoPacker) -> int:
        """Keep what its run has done; how many rounds it has now waited for."""
        self.sha256 = sha256
        self.packed, self.packer = packer.pack(memo), packer
        self.parked += 1
        return self.parked

    def memo_for(self, sha256: str) -> RunMemo:
        """Where its run stopped, if the text is still the one it answered (else afresh)."""
        if sha256 != self.sha256 or self.packer is None:
            return RunMemo()
        return self.packer.unpack(self.packed)
