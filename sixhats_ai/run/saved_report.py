"""Reading a report that `analyze --format json` saved, refusing anything else in one line."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from sixhats_ai.errors import UsageError
from sixhats_ai.run.report import READABLE_REPORT_VERSIONS, REPORT_SCHEMA_VERSION, Report
from sixhats_ai.text.inputs import read_text_file

_HINT = "save one with `sixhats analyze ... --format json -o report.json`"


def read_report(path: Path) -> Report:
    """The validated report in `path`; a file that is not one (or is from an incompatible
    version of sixhats) is a UsageError naming the file."""
    text = read_text_file(path, what="report file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} is not a sixhats report: not JSON (line {exc.lineno})", hint=_HINT
        ) from None
    if not isinstance(data, dict) or data.get("kind") != "sixhats.report":
        raise UsageError(f"{path} is not a sixhats report (no kind 'sixhats.report')", hint=_HINT)
    version = data.get("schema_version")
    if version not in READABLE_REPORT_VERSIONS:
        raise UsageError(
            f"{path} is a sixhats report of schema version {version!r}; this version of sixhats "
            f"reads versions {READABLE_REPORT_VERSIONS[0]} to {REPORT_SCHEMA_VERSION}",
            hint="re-run the analysis with this version, or use the sixhats that wrote it",
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise UsageError(
            f"{path} is not a valid sixhats report: {where}: {first['msg']}", hint=_HINT
        ) from None
