"""Output renderers, and the one registry of formats that `analyze`, `show`, `rerun` and
`batch` all render through.

Each renderer is imported on use: Jinja loads only when HTML is asked for, and importing this
package costs nothing, so a command that prints no report pays nothing for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sixhats_ai.run.ranking import BatchIndex
    from sixhats_ai.run.report import Report

# A report as text, by format name (also the file extension a batch writes).
REPORT_FORMATS = ("json", "md", "html")
# A batch's index files, by extension (`batch_index`; not `index`: that name is the module).
INDEX_FORMATS = ("md", "json", "csv", "html")


def report(report: Report, fmt: str, *, run_id: str | None = None) -> str:
    """The report in `fmt` (one of `REPORT_FORMATS`); `run_id` is shown where a format has room."""
    if fmt == "json":
        return report.model_dump_json(indent=2)
    if fmt == "md":
        from sixhats_ai.render.markdown import report_markdown

        return report_markdown(report)
    if fmt == "html":
        from sixhats_ai.render.html import render_report_html

        return render_report_html(report, run_id=run_id)
    raise ValueError(f"unknown report format {fmt!r}")


def batch_index(index: BatchIndex, fmt: str) -> str:
    """A batch's index in `fmt` (one of `INDEX_FORMATS`)."""
    if fmt == "html":
        from sixhats_ai.render.html import render_index_html

        return render_index_html(index)
    from sixhats_ai.render.index import index_csv, index_json, index_markdown

    renderers = {"md": index_markdown, "json": index_json, "csv": index_csv}
    if fmt not in renderers:
        raise ValueError(f"unknown index format {fmt!r}")
    return renderers[fmt](index)
