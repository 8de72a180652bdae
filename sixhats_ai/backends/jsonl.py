"""Rounds as files, for any engine that reads the OpenAI batch format (`vllm run-batch`,
other providers' batch tools): sixhats writes a round's requests to
`round-N.requests.jsonl` and stops; the user runs the engine and hands the results back with
`--results FILE`, and the next run answers from them and writes the next round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sixhats_ai.backends.round_files import SpooledPart, read_results
from sixhats_ai.backends.rounds import BatchState, RoundLedger, Submitted
from sixhats_ai.errors import UsageError, option

NO_LIMIT = 10**12


class RoundPending(Exception):
    """A round's requests are written and wait for the user's engine: not a failure. The
    batch stops here and lists its files as waiting for the round."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})"


@dataclass
class JsonlTransport:
    """Each round written to `folder` for the user's batch engine; nothing is sent."""

    folder: Path
    model: str
    command_hint: str = "sixhats batch ... --via jsonl --results RESULTS.jsonl"
    max_lines: int = NO_LIMIT  # the user's engine takes a round in one file
    max_bytes: int = NO_LIMIT

    async def submit(self, round_no: int, parts: list[SpooledPart]) -> list[Submitted]:
        """The round's file is already written: it waits for the user's engine."""
        return [
            Submitted(part.path.name.removesuffix(".requests.jsonl"), part.custom_ids)
            for part in parts
        ]

    async def state(self, batch_id: str) -> BatchState:
        requests = self.folder / f"{batch_id}.requests.jsonl"
        if not requests.is_file():  # deleted (the --out folder with it): no engine will run
            return BatchState("cancelled")  # it, and its calls go into a new round
        raise RoundPending(
            f"{batch_id} waits for its answers: {requests}",
            hint=f"run `vllm run-batch -i {requests} -o {batch_id}.results.jsonl "
            f"--model {self.model}` (or another engine reading the OpenAI batch format), then "
            f"{self.command_hint.replace('RESULTS', batch_id + '.results')}",
        )

    async def download(self, batch_id: str) -> list[Path]:
        """None: a file round is answered by `ingest_results`, and one whose file was deleted
        has no answers."""
        return []

    async def cancel(self, batch_id: str) -> None:
        (self.folder / f"{batch_id}.requests.jsonl").unlink(missing_ok=True)

    async def aclose(self) -> None:
        return None


def ingest_results(ledger: RoundLedger, results: Path) -> tuple[str, int]:
    """Keep a results file's answers and close the round they answer: (round, lines)."""
    try:
        answers = list(read_results([results]))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the results file {results}: {exc}",
            hint="pass the JSONL file the batch engine wrote (one JSON object a line)",
        ) from None
    ids = {answer.custom_id for answer in answers}
    matching = [batch for batch in ledger.open_batches() if batch.custom_ids & ids]
    if not matching:
        raise UsageError(
            f"{results} answers no round this batch is waiting for",
            hint="pass the results of the newest round-N.requests.jsonl of this "
            f"{option('out')} folder",
        )
    ledger.save_results(answers, max(batch.round for batch in matching))
    for batch in matching:
        ledger.close_batch(batch.batch_id, "completed")
    return ", ".join(batch.batch_id for batch in matching), len(answers)
