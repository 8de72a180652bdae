"""A batch's index (`sixhats_ai.run.ranking`) as Markdown, JSON and CSV (HTML: `render/html.py`).

For a program that compares alternatives the index shows the proposals ranked, with the
strongest points of each side by side.
"""

from __future__ import annotations

import csv
import io
import json

from sixhats_ai.render.escape import md as _cell
from sixhats_ai.run.ranking import RANKING_NOTE, BatchIndex, IndexRow


def _link(row: IndexRow) -> str:
    name = _cell(row.input)
    target = row.href("md")
    return name if target is None else f"[{name}]({target})"


def _confidence(row: IndexRow) -> str:
    return f"{row.confidence:.0%}" if row.confidence is not None else ""


def _outcome(row: IndexRow) -> str:
    status = f"{row.status} (reused)" if row.reused else row.status
    status += ", condensed" if row.condensed else ""
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
                f"| {row.balance:+.1f} | {'<br>'.join(map(_cell, row.top_benefits))} "
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
    "condensed",
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
    "cached_tokens",
    "saved_usd",
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
