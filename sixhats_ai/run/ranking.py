"""A batch's index as data: one row per input, built from its report, and their ranking.

Rows come from the reports themselves (`row_for_report`), so the index always says what the
reports say. For a program that compares alternatives the index is a comparison: proposals
ranked by the balance of their weighted benefits and risks. This is domain, not rendering:
the batch builds it and every index format (`render/index.py`, `render/html.py`) shows it.
"""

from __future__ import annotations

import urllib.parse
from typing import Literal, get_args

from pydantic import BaseModel, field_validator

from sixhats_ai.method.balance import BALANCE_RULE, WEIGHTS, balance
from sixhats_ai.run.report import Report, SourcedPoint
from sixhats_ai.text.documents import safe_line
from sixhats_ai.text.plural import counted

RowStatus = Literal["ok", "degraded", "failed", "skipped", "not started", "interrupted", "waiting"]
STATUSES: tuple[RowStatus, ...] = get_args(RowStatus)

TOP_POINTS = 3
RANKING_NOTE = (
    "Ranked by balance (the closing's benefits and risks by weight, high 3, medium 2, low 1; "
    f"{BALANCE_RULE}), then confidence."
)


class IndexRow(BaseModel):
    """One input of a batch: its outcome and, when it has a report, what the report concludes."""

    input: str
    status: RowStatus
    reused: bool = False
    condensed: bool = False  # a document was condensed to fit the model's context
    report: str | None = None
    recommendation: str | None = None
    confidence: float | None = None
    top_benefits: list[str] = []
    top_risks: list[str] = []
    alternatives: list[str] = []  # per alternative, from the hats' tags: leader first
    balance: float | None = None
    tokens: int = 0
    requests: int = 0
    cached_requests: int = 0
    cost_usd: float = 0.0
    cached_tokens: int = 0  # prompt tokens the server's prefix cache served
    saved_usd: float = 0.0  # what that saved at the input price
    error: str | None = None

    @field_validator("input", "error")
    @classmethod
    def _one_safe_line(cls, text: str | None) -> str | None:
        """A file's name and its error (which may quote the name) as the index, its CSV and
        the progress lines show them: nothing in a file name can move a terminal's cursor."""
        return None if text is None else safe_line(text)

    def href(self, ext: str) -> str | None:
        """A relative link to this row's report file in format `ext`, if it has a report."""
        return None if self.report is None else urllib.parse.quote(f"{self.report}.{ext}")


class BatchIndex(BaseModel):
    """What `index.json` holds: the run's settings, its rows and totals."""

    kind: Literal["sixhats.batch-index"] = "sixhats.batch-index"
    program: str
    program_slug: str
    compares_alternatives: bool
    models: list[str]
    report_formats: list[str]
    rows: list[IndexRow]

    @property
    def title(self) -> str:
        kind = "Comparison of proposals" if self.compares_alternatives else "Batch index"
        return f"{kind}: {self.program}"

    @property
    def link_format(self) -> str:
        """The report format a reader opens from the index: HTML when it was written."""
        return "html" if "html" in self.report_formats else "md"

    def totals_line(self) -> str:
        tokens = sum(r.tokens for r in self.rows)
        cost = sum(r.cost_usd for r in self.rows)
        counts = ", ".join(f"{n} {status}" for status, n in self.counts().items())
        inputs = counted(len(self.rows), "input")
        line = f"{inputs}: {counts}. Tokens {tokens}, estimated cost ${cost:.4f}."
        cached = sum(r.cached_tokens for r in self.rows)
        if cached:
            saved = sum(r.saved_usd for r in self.rows)
            line += f" {cached} prompt tokens from the prompt cache, saving ${saved:.4f}."
        return line

    def ranked(self) -> list[IndexRow]:
        """Rows with a report, best balance first (then confidence), for a comparison."""
        with_report = [r for r in self.rows if r.balance is not None]
        return sorted(with_report, key=lambda r: (-(r.balance or 0), -(r.confidence or 0)))

    def counts(self) -> dict[str, int]:
        """How many rows have each status, in the order of `STATUSES`, leaving out zeros."""
        counts = {status: sum(r.status == status for r in self.rows) for status in STATUSES}
        return {status: n for status, n in counts.items() if n}


def _top(points: list[SourcedPoint]) -> list[str]:
    ordered = sorted(points, key=lambda p: -WEIGHTS[p.weight])
    return [f"{p.text} ({p.weight})" for p in ordered[:TOP_POINTS]]


def _weights(points: list[SourcedPoint]) -> list[int]:
    """The points' weights, which the balance weighs as `method.balance` says: the heaviest
    of each side, so the number of points never decides the ranking."""
    return [WEIGHTS[p.weight] for p in points]


def _alternatives(report: Report) -> list[str]:
    """Each alternative's dots and balance, counted from the hats' tags, the leader first."""
    columns = sorted(report.comparison, key=lambda c: (-c.dots, -c.balance))
    return [f"{c.name}: {counted(c.dots, 'dot')}, {c.balance:+.1f}" for c in columns]


def row_for_report(input_name: str, stem: str, report: Report, *, reused: bool) -> IndexRow:
    synthesis = report.synthesis
    usage = report.metadata.usage
    return IndexRow(
        input=input_name,
        status="degraded" if report.degraded else "ok",
        reused=reused,
        condensed=bool(report.metadata.condensed),
        report=stem,
        recommendation=synthesis.recommendation.decision,
        confidence=synthesis.recommendation.confidence,
        top_benefits=_top(synthesis.benefits),
        top_risks=_top(synthesis.risks),
        alternatives=_alternatives(report),
        balance=balance(_weights(synthesis.benefits), _weights(synthesis.risks)),
        tokens=usage.total_tokens,
        requests=usage.requests,
        cached_requests=usage.cached_requests,
        cost_usd=round(usage.cost_usd, 6),
        cached_tokens=usage.cached_tokens,
        saved_usd=round(usage.saved_usd, 6),
        error=f"{', '.join(report.metadata.failed_steps)} failed" if report.degraded else None,
    )
