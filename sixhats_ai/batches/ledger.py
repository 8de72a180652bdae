"""The rounds of a batch run through a batch engine, kept in the run store.

A round submitted to the Batch API runs for up to a day; the sixhats process that submitted
it may be stopped long before. What was submitted (batch ids, the custom_ids in each) and what
came back (each line's answer) is kept here, scoped to the batch's `--out` folder, so running
the same command again attaches to the open batches and uses the answers already fetched,
instead of submitting anything twice. A batch id is unique on its server only, and a jsonl
round's (`round-N`, after its file) within its `--out` folder only, so rounds are kept by
server, folder and batch id, each with the way it went (batch-api or jsonl).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from sixhats_ai.backends.rounds import LineResult, OpenBatch
from sixhats_ai.store.database import RunStore

WRITE_CHUNK = 2000  # results written a transaction at a time


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RoundRecord:
    """A submitted batch as `--status` shows it."""

    batch_id: str
    round: int
    status: str
    created: str
    requests: int
    via: str  # batch-api or jsonl


@dataclass
class StoreLedger:
    """The `RoundLedger` of one batch (`scope`: its --out folder) on one server (`server`,
    as the backend names it) in the run store, its new rounds going `via` batch-api or jsonl.
    Rounds kept before servers were recorded (server '') are read as this server's."""

    store: RunStore
    scope: str
    server: str
    via: str

    def result(self, custom_id: str) -> LineResult | None:
        rows = self.store.query(
            "SELECT status, body, error_code FROM batch_results WHERE custom_id = ?",
            (custom_id,),
        )
        if not rows:
            return None
        status, body, code = rows[0]
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):  # damaged: no answer, as a damaged cached request is
            return None  # none (the call goes into the next round, its answer written over it)
        return LineResult(custom_id, int(status), answer, code)

    def save_results(self, results: Iterable[LineResult]) -> None:
        """Keep the lines, a chunk a transaction, streamed from the result files."""
        rows = ((r.custom_id, r.status, json.dumps(r.body), r.error_code, _now()) for r in results)
        while chunk := list(islice(rows, WRITE_CHUNK)):
            self.store.write_many(
                "INSERT OR REPLACE INTO batch_results VALUES (?, ?, ?, ?, ?)", chunk
            )

    def open_batches(self) -> list[OpenBatch]:
        rows = self.store.query(
            "SELECT batch_id, round, custom_ids FROM batch_rounds "
            "WHERE scope = ? AND server IN (?, '') AND closed IS NULL ORDER BY round",
            (self.scope, self.server),
        )
        return [OpenBatch(r[0], int(r[1]), set(json.loads(r[2]))) for r in rows]

    def add_batch(self, batch: OpenBatch) -> None:
        self.store.write_many(
            "INSERT INTO batch_rounds (server, batch_id, scope, round, status, created, closed,"
            " custom_ids, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    self.server,
                    batch.batch_id,
                    self.scope,
                    batch.round,
                    "submitted",
                    _now(),
                    None,
                    json.dumps(sorted(batch.custom_ids)),
                    self.via,
                )
            ],
        )

    def close_batch(self, batch_id: str, status: str) -> None:
        self.store.write_many(
            "UPDATE batch_rounds SET status = ?, closed = ? "
            "WHERE batch_id = ? AND scope = ? AND server IN (?, '')",
            [(status, _now(), batch_id, self.scope, self.server)],
        )

    def next_round(self) -> int:
        rows = self.store.query(
            "SELECT coalesce(max(round), 0) FROM batch_rounds WHERE scope = ?", (self.scope,)
        )
        return int(rows[0][0]) + 1


def kept_rounds(store: RunStore, scope: str) -> Iterator[RoundRecord]:
    """Every batch the --out folder `scope` submitted, on any server, oldest first (for
    --status)."""
    rows = store.query(
        "SELECT batch_id, round, status, created, json_array_length(custom_ids), via "
        "FROM batch_rounds WHERE scope = ? ORDER BY round, created",
        (scope,),
    )
    for row in rows:
        yield RoundRecord(row[0], int(row[1]), row[2], row[3], int(row[4]), row[5])
