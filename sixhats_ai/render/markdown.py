"""A report as Markdown: the default output when stdout is not a terminal."""

from __future__ import annotations

from sixhats_ai.method.hats import hat_info
from sixhats_ai.run.comparison import AlternativeColumn
from sixhats_ai.run.report import (
    CondensedDocument,
    Decision,
    Direction,
    Insight,
    KeepStopStart,
    RedOutput,
    Report,
    ReviewClose,
    Shortlist,
    SourcedPoint,
    StepRecord,
    Synthesis,
)
from sixhats_ai.text.plural import counted


def _sources(ids: list[str]) -> str:
    return f" _[{', '.join(ids)}]_"


def _points(points: list[SourcedPoint]) -> list[str]:
    return [f"- **{p.weight}**: {p.text}{_sources(p.sources)}" for p in points]


def _insights(title: str, items: list[Insight]) -> list[str]:
    points = [f"- {i.text}{_sources(i.sources)}" for i in items] or ["- none"]
    return [f"**{title}:**", "", *points, ""]


def closing_markdown(s: Synthesis) -> list[str]:
    """The program's own closing: decision, shortlist, keep/stop/start, direction or review."""
    closing = s.closing
    if isinstance(closing, Decision):
        lines = ["## Decision", "", f"**{closing.choice}**", ""]
        return lines + [f"- Condition: {c}" for c in closing.conditions]
    if isinstance(closing, Shortlist):
        lines = ["## Shortlist", ""]
        ideas = enumerate(closing.ideas, 1)
        return lines + [f"{n}. **{i.idea}**: {i.why}{_sources(i.sources)}" for n, i in ideas]
    if isinstance(closing, KeepStopStart):
        return [
            "## Keep, stop, start",
            "",
            *_insights("Keep", closing.keep),
            *_insights("Stop", closing.stop),
            *_insights("Start", closing.start),
        ]
    if isinstance(closing, Direction):
        lines = ["## Direction", "", f"**{closing.direction}**", "", "Options considered:", ""]
        return lines + [
            f"- {o.option}: {o.assessment}{_sources(o.sources)}" for o in closing.options
        ]
    if isinstance(closing, ReviewClose):
        return [
            "## Review",
            "",
            *_insights("What went well", closing.went_well),
            *_insights("What did not", closing.went_badly),
            *_insights("Changes", closing.changes),
        ]
    return []


def comparison_markdown(columns: list[AlternativeColumn], s: Synthesis) -> list[str]:
    """A column per alternative, counted from the hats' tags, with the synthesis's verdicts."""
    if not columns:
        return []
    verdicts = {a.name: a.verdict for a in s.alternatives}
    cells = {
        "Dots (red)": [str(c.dots) for c in columns],
        "Balance": [f"{c.balance:+d}" for c in columns],
        "Benefits (yellow)": ["<br>".join(c.benefits) or "–" for c in columns],
        "Risks (black)": ["<br>".join(c.risks) or "–" for c in columns],
        "Feelings (red)": ["<br>".join(c.feelings) or "–" for c in columns],
        "Verdict": [verdicts.get(c.name) or "–" for c in columns],
    }
    lines = ["## Alternatives compared", ""]
    lines += ["| | " + " | ".join(_cell(c.name) for c in columns) + " |"]
    lines += ["|---|" + "---|" * len(columns)]
    lines += [f"| {row} | " + " | ".join(map(_cell, cols)) + " |" for row, cols in cells.items()]
    return [*lines, ""]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def deliberation_markdown(s: Synthesis) -> list[str]:
    """Tensions between hats, what would change the decision, whether to meet again."""
    lines: list[str] = []
    if s.tensions:
        lines += ["## Tensions between hats", ""]
        lines += [f"- {t.tension}{_sources(t.sources)}" for t in s.tensions] + [""]
    if s.change_conditions:
        lines += ["## What would change the decision", ""]
        lines += [f"- {c}" for c in s.change_conditions] + [""]
    if s.another_round is not None:
        round_ = s.another_round
        hats = f" ({', '.join(round_.hats)})" if round_.hats else ""
        needed = "Another round is needed" if round_.needed else "No further round needed"
        lines += ["## Another round", "", f"{needed}{hats}: {round_.why}", ""]
    return lines


def steps_markdown(steps: list[StepRecord]) -> list[str]:
    """Each step's findings, in program order; failed steps say why."""
    lines: list[str] = []
    meeting = any(r.origin == "meeting" for r in steps)
    for record in steps:
        if record.role == "synthesis":
            continue
        label = hat_info(record.hat).title + (f" ({record.focus})" if record.focus else "")
        if record.role == "framing":
            label += ", framing"
        if meeting:
            label += ORIGIN_LABELS[record.origin]
        lines += ["", f"### {record.id}: {label}", ""]
        if record.status == "failed" or record.output is None:
            lines.append(f"> Failed: {record.error}")
        elif record.contributions:
            lines += contributions_markdown(record)
        else:
            lines += [f"- {line}" for line in record.output.summary_lines()]
        lines += [
            f"- Dot vote: {v.alternative}: {counted(v.dots, 'dot')}, {counted(v.voters, 'voter')}"
            for v in record.votes
        ]
        if record.added is not None:
            lines += [f"- _Added by the model:_ {line}" for line in record.added.summary_lines()]
    return lines


def contributions_markdown(record: StepRecord) -> list[str]:
    """A step of a meeting with participants: each one's points under their name, then the
    dot vote of everyone (the sum of their dots)."""
    lines: list[str] = []
    for contribution in record.contributions:
        lines += [f"#### {contribution.participant}", ""]
        lines += [f"- {line}" for line in contribution.output.summary_lines()]
        lines.append("")
    if isinstance(record.output, RedOutput) and record.output.dots:
        votes = ", ".join(f"{alt} {n}" for alt, n in record.output.dot_counts().items())
        lines.append(f"- Dot vote, all participants: {votes}")
    return lines


def meeting_markdown(report: Report) -> list[str]:
    """Who took part (`--personas`) and how blue steered an emergent program."""
    lines: list[str] = []
    if report.roster is not None:
        lines += ["## Participants", ""]
        lines += [f"- {p.describe()}" for p in report.roster.participants]
        if report.roster.source == "proposed":
            lines.append("- _(proposed by the opening blue)_")
        lines.append("")
    if report.process_log:
        lines += ["## How blue steered the meeting", ""]
        for n, d in enumerate(report.process_log, 1):
            focus = f" ({d.focus})" if d.focus else ""
            why = f": {d.why}" if d.why else ""
            lines.append(f"{n}. after {d.after}: **{d.next}**{focus}{why}")
            if d.corrected:
                lines.append(f"   _blue proposed {d.proposed}; corrected: {d.corrected}_")
        lines.append("")
    return lines


def failed_run_markdown(steps: list[StepRecord], error: str | None = None) -> str:
    """What a run whose synthesis failed has to show: its hats' findings."""
    reason = f"synthesis failed: {error}" if error else "synthesis failed"
    return "\n".join([f"# Hat outputs ({reason})", *steps_markdown(steps)])


# How a minutes report (`sixhats minutes`) marks whose points a step holds.
ORIGIN_LABELS = {"meeting": " (the meeting's points)", "model": " (added by the model)"}


def _condensed_notes(condensed: list[CondensedDocument]) -> list[str]:
    """A line (and a blank) for each document the hats saw condensed."""
    lines = []
    for doc in condensed:
        lines += [
            f"> **Condensed:** {doc.name} was too long for the model's context: the hats saw "
            f"its facts, figures, claims, risks and proposals by section (about "
            f"{doc.original_tokens} to {doc.condensed_tokens} tokens, "
            f"{counted(doc.chunks, 'chunk')}, "
            f"{counted(doc.passes, 'pass', 'passes')}"
            f"{', then cut' if doc.truncated else ''}).",
            "",
        ]
    return lines


def _alternatives_markdown(s: Synthesis) -> list[str]:
    """The synthesis's comparison, for a report without tagged points (an older version)."""
    lines = ["## Alternatives compared"]
    for alt in s.alternatives:
        lines += ["", f"### {alt.name}", "", "Benefits:", *_points(alt.benefits), "", "Risks:"]
        lines += _points(alt.risks)
        lines += ["", "Feelings:", *[f"- {f.text}{_sources(f.sources)}" for f in alt.feelings]]
    return lines


def _verdict_markdown(report: Report) -> list[str]:
    """The title, the problem, the recommendation, the summary, the benefits and risks."""
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
    lines += _condensed_notes(meta.condensed)
    rec = s.recommendation
    return [
        *lines,
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


def report_markdown(report: Report) -> str:
    s = report.synthesis
    lines = _verdict_markdown(report)
    if s.closing is not None:
        lines += ["", *closing_markdown(s)]
    if report.comparison:
        lines += ["", *comparison_markdown(report.comparison, s)]
    elif s.alternatives:
        lines += ["", *_alternatives_markdown(s)]
    lines += ["", *deliberation_markdown(s), "## Next steps", ""]
    lines += [
        f"- [ ] {a.action} ({a.owner_role}, {a.when}){_sources(a.sources)}" for a in s.next_steps
    ]
    lines += ["", "## Open questions", ""]
    lines += [f"- {q.question} (owner: {q.owner_role})" for q in s.open_questions]
    lines += ["", *meeting_markdown(report), "## Findings by hat", *steps_markdown(report.steps)]
    return "\n".join([*lines, *_run_lines(report)])


def _run_lines(report: Report) -> list[str]:
    """The closing `## Run` section: program, models, tokens, cost and time."""
    meta = report.metadata
    usage = meta.usage
    return [
        "",
        "## Run",
        "",
        f"- Program: {report.program.name} ({report.program.sequence}), {meta.flow} flow",
        f"- Models: {', '.join(meta.models)}",
        f"- Tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion; "
        f"{counted(usage.requests, 'request')}, {usage.cached_requests} from cache; "
        f"estimated cost ${usage.cost_usd:.4f}",
        f"- Time: {meta.seconds:.1f} s; sixhats {meta.sixhats_version}",
        "",
    ]
