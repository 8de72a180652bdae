"""A report as Markdown: the default output when stdout is not a terminal."""

from __future__ import annotations

from sixhats_ai.hats import hat_info
from sixhats_ai.models import Report, SourcedPoint, StepRecord


def _sources(ids: list[str]) -> str:
    return f" _[{', '.join(ids)}]_"


def _points(points: list[SourcedPoint]) -> list[str]:
    return [f"- **{p.weight}**: {p.text}{_sources(p.sources)}" for p in points]


def steps_markdown(steps: list[StepRecord]) -> list[str]:
    """Each step's findings, in program order; failed steps say why."""
    lines: list[str] = []
    for record in steps:
        if record.role == "synthesis":
            continue
        label = hat_info(record.hat).title + (f" ({record.focus})" if record.focus else "")
        if record.role == "framing":
            label += ", framing"
        lines += ["", f"### {record.id}: {label}", ""]
        if record.status == "failed" or record.output is None:
            lines.append(f"> Failed: {record.error}")
        else:
            lines += [f"- {line}" for line in record.output.summary_lines()]
    return lines


def report_markdown(report: Report) -> str:
    s = report.synthesis
    meta = report.metadata
    heading = f"Six Thinking Hats: {report.program.name}"
    lines = [f"# {report.title}", "", f"_{heading}_"] if report.title else [f"# {heading}"]
    lines += ["", f"**Problem:** {report.problem}", ""]
    if meta.degraded:
        lines += [
            f"> **Degraded report:** steps {', '.join(meta.failed_steps)} failed; "
            "their findings are missing.",
            "",
        ]
    rec = s.recommendation
    lines += [
        "## Recommendation",
        "",
        f"**{rec.decision}** (confidence {rec.confidence:.0%}){_sources(rec.sources)}",
        "",
        rec.rationale,
        "",
        "## Summary",
        "",
        s.summary,
        "",
        "## Key insights",
        "",
        *[f"- {i.text}{_sources(i.sources)}" for i in s.key_insights],
        "",
        "## Benefits",
        "",
        *_points(s.benefits),
        "",
        "## Risks",
        "",
        *_points(s.risks),
    ]
    if s.alternatives:
        lines += ["", "## Alternatives compared"]
        for alt in s.alternatives:
            lines += ["", f"### {alt.name}", "", "Benefits:", *_points(alt.benefits), "", "Risks:"]
            lines += _points(alt.risks)
            lines += ["", "Feelings:", *[f"- {f.text}{_sources(f.sources)}" for f in alt.feelings]]
    lines += ["", "## Next steps", ""]
    lines += [
        f"- [ ] {a.action} ({a.owner_role}, {a.when}){_sources(a.sources)}" for a in s.next_steps
    ]
    lines += ["", "## Open questions", "", *[f"- {q}" for q in s.open_questions]]
    lines += ["", "## Findings by hat", *steps_markdown(report.steps)]
    usage = meta.usage
    lines += [
        "",
        "## Run",
        "",
        f"- Program: {report.program.name} ({report.program.sequence}), {meta.flow} flow",
        f"- Models: {', '.join(meta.models)}",
        f"- Tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion; "
        f"{usage.requests} requests, {usage.cached_requests} from cache; "
        f"estimated cost ${usage.cost_usd:.4f}",
        f"- Time: {meta.seconds:.1f} s; sixhats {meta.sixhats_version}",
        "",
    ]
    return "\n".join(lines)
