"""The rounds of a batch run through a batch engine, kept in the run store.

A round submitted to the Batch API runs for up to a day; the sixhats process that submitted
it may be stopped long before. What was submitted (batch ids, the custom_ids in each) and what
came back (each line's answer) is kept here, scoped to the batch's `--out` folder, so running
the same command again attaches to the open batches and uses the answers already fetched,
instead of submitting anything twice. A batch id is unique on its server only, and a jsonl
round's (`round-N`, after its file) within its `--out` folder only, so rounds are kept by
server, folder and batch id, each with the way it went (batch-api or jsonl).

An answer is kept with the folder and round it was fetched in. The batch of a folder runs
from its first round until a command ends with every file finished (`end`); the folder's
next command is a new batch. An answer fetched for the current batch is its own (a resume
uses it, `--no-cache` or not: it never pays twice); one kept from another batch (another
folder, or this folder's batch before) answers only when the store's answers may be used,
as a cache hit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from operator import itemgetter

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
    others: bool = True  # other batches' answers answer too (off with --no-cache)
    _first: int | None = field(default=None, init=False)  # the current batch's first round

    def result(self, custom_id: str) -> LineResult | None:
        """The answer kept for a line: this batch's own, else (with `others`) another
        batch's, as `reused`."""
        mine = (self.scope, self.first_round())
        own = "scope = ? AND round >= ?"
        sql = f"SELECT status, body, error_code, {own} FROM batch_results WHERE custom_id = ?"
        if self.others:  # picked here: an ORDER BY made each lookup a fifth slower
            rows = self.store.query(sql, (*mine, custom_id))
        else:
            rows = self.store.query(f"{sql} AND {own}", (*mine, custom_id, *mine))
        if not rows:
            return None
        status, body, code, fetched_here = max(rows, key=itemgetter(3))  # its own first
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):  # damaged: no answer, as a damaged cached request is
            return None  # none (the call goes into the next round, its answer written over it)
        return LineResult(custom_id, int(status), answer, code, reused=not fetched_here)

    def save_results(self, results: Iterable[LineResult], round_no: int) -> None:
        """Keep the lines fetched in round `round_no`, a chunk a transaction, streamed from
        the result files."""
        rows = (
            (r.custom_id, r.status, json.dumps(r.body), r.error_code, _now(), self.scope, round_no)
            for r in results
        )
        while chunk := list(islice(rows, WRITE_CHUNK)):
            self.store.write_many(
                "INSERT OR REPLACE INTO batch_results VALUES (?, ?, ?, ?, ?, ?, ?)", chunk
            )

    def first_round(self) -> int:
        """The first round of the folder's current batch, read once."""
        if self._first is None:
            self._first = first_round(self.store, self.scope)
        return self._first

    def end(self) -> None:
        """The batch is over: the folder's next one starts after its last round."""
        self._first = self.next_round()
        self.store.write_many(
            "INSERT OR REPLACE INTO batch_starts VALUES (?, ?)", [(self.scope, self._first)]
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


def first_round(store: RunStore, scope: str) -> int:
    """The first round of the current batch of the --out folder `scope`: a round before it
    belongs to a batch that is over (every file finished), and if still open, none waits for
    it."""
    rows = store.query("SELECT first_round FROM batch_starts WHERE scope = ?", (scope,))
    return int(rows[0][0]) if rows else 0


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
