"""What of a run reached its later steps: each earlier point found in each later request.

A point is each string of a step's output lists (or a list item's first string: a risk's point,
a fact's statement) and the step's own strings (the framing's question); it reached a request
when its first `CHARS` characters are in it. Shared by the board's tests and its benchmark."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CHARS = 80
STEP = re.compile(r"This is step (\S+):")


def points(output: dict[str, Any]) -> list[str]:
    """The points of one step's output (as JSON)."""
    found = []
    for value in output.values():
        if isinstance(value, str):
            found.append(value)
        for item in value if isinstance(value, list) else []:
            first = item if isinstance(item, str) else None
            if isinstance(item, dict):
                first = next((v for v in item.values() if isinstance(v, str)), None)
            if first:
                found.append(first)
    return found


def requests_by_step(exchanges: list[dict[str, Any]]) -> dict[str, str]:
    """Each step's request (the last one sent for it, after any re-ask), by step id."""
    found = {}
    for exchange in exchanges:
        text = "\n".join(str(m.get("content") or "") for m in exchange["messages"])
        if (match := STEP.search(text)) is not None:
            found[match.group(1)] = text
    return found


@dataclass(frozen=True)
class Reach:
    """How many of the points of the steps before `step` its request held."""

    step: str
    reached: int
    earlier: int

    @property
    def share(self) -> float:
        return self.reached / self.earlier if self.earlier else 1.0


def reach(report: dict[str, Any], exchanges: list[dict[str, Any]]) -> list[Reach]:
    """For each step after the first, the share of earlier points its request held."""
    requests = requests_by_step(exchanges)
    steps = report["steps"]
    found = []
    for n, step in enumerate(steps[1:], 1):  # the synthesis too, which keeps no output
        earlier = [p for s in steps[:n] if s.get("output") for p in points(s["output"])]
        text = requests.get(step["id"], "")
        found.append(Reach(step["id"], sum(p[:CHARS] in text for p in earlier), len(earlier)))
    return found
