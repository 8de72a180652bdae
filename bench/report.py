"""The suite's output: one table on stdout and a JSON file with every figure and detail."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Outcome, Scenario
from sixhats_ai import __version__

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sixhats": __version__,
    }


def _number(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


Results = list[tuple[Scenario, Outcome | None, str | None]]


def table(results: Results, smoke: bool = False) -> str:
    """One line a figure (scenario, figure, value, target, verdict), then the notes."""
    verdicts = {True: "ok", False: "missed (smoke)" if smoke else "MISSED", None: ""}
    rows = [("#", "figure", "value", "target", "")]
    notes = []
    for item, outcome, error in results:
        if outcome is None:
            rows.append((str(item.number), item.title, "", "", "ERROR"))
            notes.append(f"{item.number}: {error}")
            continue
        for figure in outcome.figures:
            target = (
                f"{figure.op} {_number(figure.target, figure.unit)}"
                if figure.target is not None
                else ""
            )
            value = _number(figure.value, figure.unit)
            rows.append((str(item.number), figure.name, value, target, verdicts[figure.ok]))
        notes.extend(f"{item.number}: {note}" for note in outcome.notes)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            [row[0].rjust(widths[0]), row[1].ljust(widths[1])]
            + [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines + [f"note {note}" for note in notes])


def write_json(results: Results, smoke: bool, path: Path) -> None:
    """Every figure with its verdict, the details, and the machine."""
    scenarios = []
    for item, outcome, error in results:
        entry: dict[str, Any] = {"number": item.number, "title": item.title, "error": error}
        if outcome is not None:
            entry["figures"] = [{**asdict(f), "ok": f.ok} for f in outcome.figures]
            entry["details"] = outcome.details
            entry["notes"] = outcome.notes
        scenarios.append(entry)
    document = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": smoke,
        "machine": machine(),
        "scenarios": scenarios,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
