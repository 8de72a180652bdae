"""A report as Markdown: the default output when stdout is not a terminal.

Read in ten minutes by the person deciding: the decision at a glance first (recommendation and
confidence, the reasons, the conditions, the next step with its owner and date), then, where
the program compares alternatives, a table of short cells and each alternative's argument as
lists, each point once with its grounds, its quote and its score; then what to weigh before
deciding and what to do. The hats' own findings follow in an appendix that the body cites by
step id, and the run's figures in a footer. Every text a model or a user wrote goes through
`md`: it is text, never markup (see `escape`).
"""

from __future__ import annotations

from sixhats_ai.method.balance import BALANCE_RULE, SCORE_RULE
from sixhats_ai.method.hats import hat_info
from sixhats_ai.method.quotes import quote_note
from sixhats_ai.render.escape import md
from sixhats_ai.run.comparison import argued
from sixhats_ai.run.report import (
    ALL,
    AlternativeColumn,
    ArguedPoint,
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
from sixhats_ai.text.prose import clause, first_words, joined, problem_summary, restates

CELL_WORDS = 12  # a table cell's text: its first words, the whole point is below the table
BODY_INSIGHTS = 3  # key insights in the body, like the three reasons; the rest follow the detail


def _sources(ids: list[str]) -> str:
    return f" _({', '.join(md(i) for i in ids)})_" if ids else ""


def _short(text: str) -> str:
    return md(first_words(text, CELL_WORDS))


def _point(p: SourcedPoint) -> str:
    """A synthesis point: the claim, its grounds, its weight and the steps it came from."""
    grounds = f"Grounds: {clause(p.grounds)}" if p.grounds else ""
    return f"- {md(joined(p.text, grounds))} _{p.weight}_{_sources(p.sources)}"


def _argued(p: ArguedPoint) -> str:
    """A hat's benefit or risk as the comparison weighs it, with its arithmetic."""
    text = joined(p.point, f"Grounds: {clause(p.grounds)}", quote_note(p.quote, p.quote_found))
    return f"- {md(text)} _{p.arithmetic}, {md(p.step)}_"


def _glance(report: Report) -> list[str]:
    """The first screen: what to do, how sure, why, on what conditions, and who acts next."""
    s = report.synthesis
    rec = s.recommendation
    lines = ["## Decision at a glance", ""]
    lines += [f"**Recommendation:** {md(clause(rec.decision))} (confidence {rec.confidence:.0%})"]
    if choice := decision_of(s):
        lines += ["", f"**Decision:** {md(clause(choice))}"]
    reasons = rec.reasons or [rec.rationale]
    lines += ["", "**Why:**", ""] + [f"{n}. {md(joined(r))}" for n, r in enumerate(reasons, 1)]
    attached = conditions(s)
    if attached:
        lines += ["", "**On these conditions:**", ""] + [f"- {md(joined(c))}" for c in attached]
    if s.next_steps:
        first = s.next_steps[0]
        owner = f"{clause(first.owner_role)}, {clause(first.when)}"
        lines += ["", f"**Next step:** {md(clause(first.action))} ({md(owner)})"]
    return [*lines, ""]


def decision_of(s: Synthesis) -> str | None:
    """The closing's decision, where it says more than the recommendation shown above it."""
    if isinstance(s.closing, Decision) and not restates(
        s.closing.choice, s.recommendation.decision
    ):
        return s.closing.choice
    return None


def conditions(s: Synthesis) -> list[str]:
    """The decision's own conditions, else what would change it."""
    if isinstance(s.closing, Decision) and s.closing.conditions:
        return s.closing.conditions
    return s.change_conditions


def _table(columns: list[AlternativeColumn], s: Synthesis) -> list[str]:
    """One row per alternative, short cells; the whole argument follows."""
    verdicts = {a.name: a.verdict for a in s.alternatives}
    lines = ["## Alternatives compared", ""]
    lines += ["| Alternative | Dots | Balance | Top benefit | Top risk | Verdict |"]
    lines += ["|---|---|---|---|---|---|"]
    for c in columns:
        benefit, risk = c.side("benefit")[:1], c.side("risk")[:1]
        cells = [
            _short(c.name),
            ("●" * c.dots + f" {c.dots}").strip(),
            f"{c.balance:+.1f}",
            _short(benefit[0].point) if benefit else "–",
            _short(risk[0].point) if risk else "–",
            _short(verdicts.get(c.name) or "") or "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    note = f"Balance: {SCORE_RULE}; {BALANCE_RULE}. Dots: the red hat's vote. Each alternative's"
    lines += ["", f"_{note} whole argument is under “The case for each alternative”._", ""]
    return lines


def _arguments(report: Report) -> list[str]:
    """Each alternative's argument as lists, then the points about all of them."""
    lines: list[str] = []
    verdicts = {a.name: a.verdict for a in report.synthesis.alternatives}
    for c in report.comparison:
        lines += [f"### {md(c.name)}", ""]
        if verdicts.get(c.name):
            lines += [f"**Verdict:** {md(joined(verdicts[c.name]))}", ""]
        lines += [f"Balance {c.arithmetic()}."]
        lines += _sides(c.side("benefit"), c.side("risk"))
        if c.feelings:
            lines += [f"Feelings: {md('; '.join(c.feelings))}.", ""]
    shared = argued(report.steps, ALL)
    if shared:
        lines += ["### About every alternative", ""]
        lines += _sides(
            [p for p in shared if p.side == "benefit"], [p for p in shared if p.side == "risk"]
        )
    return lines


def _sides(benefits: list[ArguedPoint], risks: list[ArguedPoint]) -> list[str]:
    lines = [""]
    for title, points in (("Benefits", benefits), ("Risks", risks)):
        if points:
            lines += [f"**{title}:**", "", *map(_argued, points), ""]
    return lines


def _insight(i: Insight) -> str:
    return f"- {md(joined(i.text))}{_sources(i.sources)}"


def _key_insights(s: Synthesis) -> list[str]:
    """The closing's key insights, in every report, compared or not: the first few (the
    closing puts the most important first) in the body, the rest after the detail."""
    return ["## Key insights", "", *map(_insight, s.key_insights[:BODY_INSIGHTS]), ""]


def _further_insights(s: Synthesis) -> list[str]:
    rest = s.key_insights[BODY_INSIGHTS:]
    return ["## Further insights", "", *map(_insight, rest), ""] if rest else []


def _findings(s: Synthesis) -> list[str]:
    """A program that compares nothing: the synthesis's benefits and risks (and a report of
    the first version, which has no tagged points, its alternatives as the closing compared
    them)."""
    lines: list[str] = []
    for title, points in (("Benefits", s.benefits), ("Risks", s.risks)):
        if points:
            lines += ["", f"**{title}:**", "", *map(_point, points)]
    for alt in s.alternatives:
        lines += ["", f"### {md(alt.name)}", "", md(joined(alt.verdict))]
        lines += ["", *map(_point, alt.benefits), *map(_point, alt.risks)]
    return ["## What the session found", *lines, ""] if lines else []


def _insights(title: str, items: list[Insight]) -> list[str]:
    points = [_insight(i) for i in items] or ["- none"]
    return [f"**{title}:**", "", *points, ""]


def closing_markdown(s: Synthesis) -> list[str]:
    """The program's own closing, beyond a decision (which the glance shows)."""
    closing = s.closing
    if isinstance(closing, Shortlist):
        ideas = enumerate(closing.ideas, 1)
        items = [f"{n}. **{md(clause(i.idea))}**: {md(joined(i.why))}" for n, i in ideas]
        return ["## Shortlist", "", *items, ""]
    if isinstance(closing, KeepStopStart):
        sections = [("Keep", closing.keep), ("Stop", closing.stop), ("Start", closing.start)]
        return ["## Keep, stop, start", ""] + [x for t, i in sections for x in _insights(t, i)]
    if isinstance(closing, Direction):
        lines = ["## Direction", "", f"**{md(clause(closing.direction))}**", ""]
        options = [f"- {md(joined(o.option, o.assessment))}" for o in closing.options]
        return [*lines, "Options considered:", "", *options, ""]
    if isinstance(closing, ReviewClose):
        sections = [
            ("What went well", closing.went_well),
            ("What did not", closing.went_badly),
            ("Changes", closing.changes),
        ]
        return ["## Review", ""] + [x for t, i in sections for x in _insights(t, i)]
    return []


def deliberation_markdown(s: Synthesis) -> list[str]:
    """Tensions between hats, and what would change the decision."""
    lines: list[str] = []
    if s.tensions:
        lines += ["## Before deciding", ""]
        lines += [f"- {md(joined(t.tension))}{_sources(t.sources)}" for t in s.tensions]
        lines.append("")
    if s.change_conditions and conditions(s) is not s.change_conditions:
        lines += ["**What would change the decision:**", ""]
        lines += [f"- {md(joined(c))}" for c in s.change_conditions] + [""]
    return lines


def _another_round(s: Synthesis) -> list[str]:
    """Whether to meet again: a matter of process, after the decision's detail."""
    if s.another_round is None:
        return []
    round_ = s.another_round
    hats = f" ({', '.join(round_.hats)})" if round_.hats else ""
    needed = "Another round of hats is needed" if round_.needed else "No further round needed"
    return ["## Another round", "", f"{needed}{hats}: {md(joined(round_.why))}", ""]


def _actions(s: Synthesis) -> list[str]:
    """The next steps after the first (the glance shows it), and the open questions."""
    lines: list[str] = []
    if len(s.next_steps) > 1:
        lines += ["## Then", ""]
        for a in s.next_steps[1:]:
            owner = f"{clause(a.owner_role)}, {clause(a.when)}"
            lines.append(f"- [ ] {md(clause(a.action))} ({md(owner)}){_sources(a.sources)}")
        lines.append("")
    if s.open_questions:
        lines += ["## Open questions", ""]
        lines += [
            f"- {md(joined(q.question))} Owner: {md(clause(q.owner_role))}."
            for q in s.open_questions
        ]
        lines.append("")
    return lines


def steps_markdown(steps: list[StepRecord]) -> list[str]:
    """Each step's findings, in program order; failed steps say why."""
    lines: list[str] = []
    meeting = any(r.origin == "meeting" for r in steps)
    for record in steps:
        if record.role == "synthesis":
            continue
        label = hat_info(record.hat).title + (f" ({md(record.focus)})" if record.focus else "")
        if record.role == "framing":
            label += ", framing"
        if meeting:
            label += ORIGIN_LABELS[record.origin]
        lines += ["", f"### {record.id}: {label}", ""]
        if record.status == "failed" or record.output is None:
            lines.append(f"> Failed: {md(record.error)}")
        elif record.contributions:
            lines += contributions_markdown(record)
        else:
            lines += [f"- {md(line)}" for line in record.output.summary_lines()]
        lines += [
            f"- Dot vote: {md(v.alternative)}: {counted(v.dots, 'dot')}, "
            f"{counted(v.voters, 'voter')}"
            for v in record.votes
        ]
        if record.added is not None:
            lines += [
                f"- _Added by the model:_ {md(line)}" for line in record.added.summary_lines()
            ]
    return lines


def contributions_markdown(record: StepRecord) -> list[str]:
    """A step of a meeting with participants: each one's points under their name, then the
    dot vote of everyone (the sum of their dots)."""
    lines: list[str] = []
    for contribution in record.contributions:
        lines += [f"#### {md(contribution.participant)}", ""]
        lines += [f"- {md(line)}" for line in contribution.output.summary_lines()]
        lines.append("")
    if isinstance(record.output, RedOutput) and record.output.dots:
        votes = ", ".join(f"{md(alt)} {n}" for alt, n in record.output.dot_counts().items())
        lines.append(f"- Dot vote, all participants: {votes}")
    return lines


def meeting_markdown(report: Report) -> list[str]:
    """Who took part (`--personas`) and how blue steered an emergent program."""
    lines: list[str] = []
    if report.roster is not None:
        lines += ["## Participants", ""]
        lines += [f"- {md(p.describe())}" for p in report.roster.participants]
        if report.roster.source == "proposed":
            lines.append("- _(proposed by the opening blue)_")
        lines.append("")
    if report.process_log:
        lines += ["## How blue steered the meeting", ""]
        for n, d in enumerate(report.process_log, 1):
            focus = f" ({md(d.focus)})" if d.focus else ""
            why = f": {md(d.why)}" if d.why else ""
            lines.append(f"{n}. after {d.after}: **{d.next}**{focus}{why}")
            if d.corrected:
                lines.append(f"   _blue proposed {d.proposed}; corrected: {md(d.corrected)}_")
        lines.append("")
    return lines


def failed_run_markdown(steps: list[StepRecord], error: str | None = None) -> str:
    """What a run whose synthesis failed has to show: its hats' findings."""
    reason = f"synthesis failed: {md(error)}" if error else "synthesis failed"
    return "\n".join([f"# Hat outputs ({reason})", *steps_markdown(steps)])


# How a minutes report (`sixhats minutes`) marks whose points a step holds.
ORIGIN_LABELS = {"meeting": " (the meeting's points)", "model": " (added by the model)"}


def _notes(report: Report) -> list[str]:
    """A degraded run's warning, and a line for each document the hats saw condensed."""
    meta = report.metadata
    lines = []
    if meta.degraded:
        failed = ", ".join(meta.failed_steps)
        lines += [f"> **Degraded report:** steps {failed} failed; their findings are missing.", ""]
    return lines + [x for doc in meta.condensed for x in _condensed(doc)]


def _condensed(doc: CondensedDocument) -> list[str]:
    passes = counted(doc.passes, "pass", "passes")
    return [
        f"> **Condensed:** {md(doc.name)} was too long for the model's context: the hats saw "
        f"its facts, figures, claims, risks and proposals by section (about "
        f"{doc.original_tokens} to {doc.condensed_tokens} tokens, {counted(doc.chunks, 'chunk')}, "
        f"{passes}{', then cut' if doc.truncated else ''}).",
        "",
    ]


def _heading(report: Report) -> list[str]:
    program = f"Six Thinking Hats: {report.program.name}"
    lines = [f"# {md(report.title)}", "", f"_{program}_"] if report.title else [f"# {program}"]
    question = report.framing.framing if report.framing else report.problem
    return [*lines, "", f"**Question:** {md(clause(question))}", ""]


def report_body(report: Report) -> list[str]:
    """What a council member reads first: the decision at a glance, the summary, the
    alternatives side by side (or the findings) and what to weigh before deciding."""
    s = report.synthesis
    lines = [*_heading(report), *_notes(report), *_glance(report)]
    lines += ["## Summary", "", md(joined(s.summary)), "", *_key_insights(s)]
    lines += _table(report.comparison, s) if report.comparison else _findings(s)
    return [*lines, *closing_markdown(s), *deliberation_markdown(s)]


def report_detail(report: Report) -> list[str]:
    """What the body leads to: each alternative argued in full, the further insights, the
    other next steps, the open questions, whether to meet again, and who took part."""
    lines = [ARGUMENTS, "", *_arguments(report)] if report.comparison else []
    lines += _further_insights(report.synthesis)
    lines += _actions(report.synthesis) + _another_round(report.synthesis)
    return [*lines, *meeting_markdown(report)]


ARGUMENTS = "## The case for each alternative"
APPENDIX = "## Appendix: the hats' findings"


def report_markdown(report: Report) -> str:
    problem = f"**Problem:** {md(problem_summary(report.problem, report.title))}"
    appendix = [APPENDIX, "", problem, *steps_markdown(report.steps)]
    body = [*report_body(report), *report_detail(report)]
    return "\n".join([*body, *appendix, *_footer(report)])


def _footer(report: Report) -> list[str]:
    """The run's figures, last: program, models, tokens, cost and time."""
    meta = report.metadata
    usage = meta.usage
    return [
        "",
        "---",
        "",
        f"_Run: {report.program.name} ({report.program.sequence}), {meta.flow} flow; "
        f"{', '.join(md(m) for m in meta.models)}; {usage.prompt_tokens} prompt + "
        f"{usage.completion_tokens} completion tokens in {counted(usage.requests, 'request')} "
        f"({usage.cached_requests} from cache); estimated ${usage.cost_usd:.4f}; "
        f"{meta.seconds:.1f} s; sixhats {meta.sixhats_version}._",
        *([f"_Prompt cache: {line}._"] if (line := usage.prefix_cache_line()) else []),
        "",
    ]
