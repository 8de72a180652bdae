"""A batch's index: one row per input, as Markdown, JSON, CSV and (when asked) HTML.

Rows are built from the reports themselves (`row_for_report`), so the index always says what
the reports say. For a program that compares alternatives the index is a comparison: the
proposals ranked by the balance of their weighted benefits and risks, with the strongest
points of each side by side.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from collections.abc import Callable
from typing import Literal, get_args

from pydantic import BaseModel

from sixhats_ai.models import Report, SourcedPoint

RowStatus = Literal["ok", "degraded", "failed", "skipped", "not started", "interrupted"]
STATUSES: tuple[RowStatus, ...] = get_args(RowStatus)
WEIGHTS = {"high": 3, "medium": 2, "low": 1}
TOP_POINTS = 3
RANKING_NOTE = (
    "Ranked by balance: weighted benefits minus weighted risks (high 3, medium 2, low 1), "
    "then confidence."
)


class IndexRow(BaseModel):
    """One input of a batch: its outcome and, when it has a report, what the report concludes."""

    input: str
    status: RowStatus
    reused: bool = False
    report: str | None = None
    recommendation: str | None = None
    confidence: float | None = None
    top_benefits: list[str] = []
    top_risks: list[str] = []
    alternatives: list[str] = []  # per alternative, from the hats' tags: leader first
    balance: int | None = None
    tokens: int = 0
    requests: int = 0
    cached_requests: int = 0
    cost_usd: float = 0.0
    error: str | None = None

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
        return f"{len(self.rows)} inputs: {counts}. Tokens {tokens}, estimated cost ${cost:.4f}."

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


def _weight(points: list[SourcedPoint]) -> int:
    return sum(WEIGHTS[p.weight] for p in points)


def _alternatives(report: Report) -> list[str]:
    """Each alternative's dots and balance, counted from the hats' tags, the leader first."""
    columns = sorted(report.comparison, key=lambda c: (-c.dots, -c.balance))
    return [f"{c.name}: {c.dots} dot{'s' * (c.dots != 1)}, {c.balance:+d}" for c in columns]


def row_for_report(input_name: str, stem: str, report: Report, *, reused: bool) -> IndexRow:
    synthesis = report.synthesis
    usage = report.metadata.usage
    return IndexRow(
        input=input_name,
        status="degraded" if report.degraded else "ok",
        reused=reused,
        report=stem,
        recommendation=synthesis.recommendation.decision,
        confidence=synthesis.recommendation.confidence,
        top_benefits=_top(synthesis.benefits),
        top_risks=_top(synthesis.risks),
        alternatives=_alternatives(report),
        balance=_weight(synthesis.benefits) - _weight(synthesis.risks),
        tokens=usage.total_tokens,
        requests=usage.requests,
        cached_requests=usage.cached_requests,
        cost_usd=round(usage.cost_usd, 6),
        error=f"{', '.join(report.metadata.failed_steps)} failed" if report.degraded else None,
    )


_MARKDOWN_ESCAPES = {"|": "\\|", "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;"}


def _cell(text: str | None) -> str:
    """Text safe inside a Markdown table cell (it comes from files and the model)."""
    if not text:
        return ""
    text = " ".join(text.split()).replace("\\", "\\\\")
    for char, escaped in _MARKDOWN_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _link(row: IndexRow) -> str:
    name = _cell(row.input)
    target = row.href("md")
    return name if target is None else f"[{name}]({target})"


def _confidence(row: IndexRow) -> str:
    return f"{row.confidence:.0%}" if row.confidence is not None else ""


def _outcome(row: IndexRow) -> str:
    status = f"{row.status} (reused)" if row.reused else row.status
    return f"{status}: {_cell(row.error)}" if row.error else status


def index_markdown(index: BatchIndex) -> str:
    lines = [
        f"# {index.title}",
        "",
        f"Models: {', '.join(index.models)}. {index.totals_line()}",
        "",
    ]
    if index.compares_alternatives:
        lines += [
            RANKING_NOTE,
            "",
            "| rank | proposal | recommendation | confidence | balance | top benefits "
            "| top risks | alternatives (dots, balance) |",
            "|---:|---|---|---:|---:|---|---|---|",
        ]
        for rank, row in enumerate(index.ranked(), 1):
            lines.append(
                f"| {rank} | {_link(row)} | {_cell(row.recommendation)} | {_confidence(row)} "
                f"| {row.balance:+d} | {'<br>'.join(map(_cell, row.top_benefits))} "
                f"| {'<br>'.join(map(_cell, row.top_risks))} "
                f"| {'<br>'.join(map(_cell, row.alternatives))} |"
            )
        lines += ["", "## All inputs", ""]
    lines += [
        "| input | status | recommendation | confidence | top benefits | top risks "
        "| tokens | cost |",
        "|---|---|---|---:|---|---|---:|---:|",
    ]
    for row in index.rows:
        lines.append(
            f"| {_link(row)} | {_outcome(row)} | {_cell(row.recommendation)} "
            f"| {_confidence(row)} | {'<br>'.join(map(_cell, row.top_benefits))} "
            f"| {'<br>'.join(map(_cell, row.top_risks))} | {row.tokens} "
            f"| ${row.cost_usd:.4f} |"
        )
    return "\n".join(lines) + "\n"


def index_json(index: BatchIndex) -> str:
    data = index.model_dump(mode="json")
    if index.compares_alternatives:
        data["ranking"] = [row.input for row in index.ranked()]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = [
    "input",
    "status",
    "reused",
    "report",
    "recommendation",
    "confidence",
    "balance",
    "rank",
    "top_benefits",
    "top_risks",
    "alternatives",
    "tokens",
    "requests",
    "cached_requests",
    "cost_usd",
    "error",
]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: object) -> object:
    """Model and file text in a cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def index_csv(index: BatchIndex) -> str:
    ranks = {row.input: n for n, row in enumerate(index.ranked(), 1)}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in index.rows:
        data = row.model_dump()
        data["top_benefits"] = "; ".join(row.top_benefits)
        data["top_risks"] = "; ".join(row.top_risks)
        data["alternatives"] = "; ".join(row.alternatives)
        data["rank"] = ranks.get(row.input, "") if index.compares_alternatives else ""
        writer.writerow({k: "" if data[k] is None else _csv_text(data[k]) for k in CSV_COLUMNS})
    return out.getvalue()


def index_html(index: BatchIndex) -> str:
    """Imported on use: Jinja loads only for a batch that asks for HTML (and no import cycle)."""
    from sixhats_ai.render.html import render_index_html

    return render_index_html(index)


IndexRenderer = Callable[[BatchIndex], str]

# Index files by extension; the batch writes `html` only when its reports are HTML too.
INDEX_FORMATS: dict[str, IndexRenderer] = {
    "md": index_markdown,
    "json": index_json,
    "csv": index_csv,
    "html": index_html,
}
