"""Events and rows the display tests feed, built as the engine and the batch runner build them."""

from __future__ import annotations

from sixhats_ai.method.programs import PlannedStep, find_program
from sixhats_ai.render.index import IndexRow
from sixhats_ai.run.report import StepRecord, Usage
from sixhats_ai.text.extract import DOCS_EXTRA_HINT, MissingExtra

PLAN = find_program("choose").plan()  # 1-blue 2-white 3-green 4-yellow 5-black 6-red 7-blue
SKIPPED_PDF = MissingExtra("c.pdf is a PDF", hint=DOCS_EXTRA_HINT).one_line()  # as batch says


def record(
    step: PlannedStep,
    *,
    status: str = "ok",
    seconds: float = 1.7,
    usage: Usage | None = None,
    error: str | None = None,
) -> StepRecord:
    return StepRecord(
        id=step.id,
        hat=step.hat.value,
        role=step.role,
        status=status,
        model="m",
        seconds=seconds,
        usage=usage or Usage(),
        error=error,
    )


def usage(tokens: int, requests: int = 1, cached: int = 0, cost: float = 0.0) -> Usage:
    return Usage(
        prompt_tokens=tokens - 88,
        completion_tokens=88,
        requests=requests,
        cached_requests=cached,
        cost_usd=cost,
    )


def ok_row(name: str, *, tokens: int = 0, cost_usd: float = 0.0, reused: bool = False) -> IndexRow:
    return IndexRow(
        input=name,
        status="ok",
        reused=reused,
        report=name.split(".")[0],
        recommendation="Go ahead",
        confidence=0.8,
        tokens=tokens,
        cost_usd=cost_usd,
    )


def failed_row(name: str, error: str, status: str = "failed") -> IndexRow:
    return IndexRow(input=name, status=status, error=error)  # type: ignore[arg-type]
