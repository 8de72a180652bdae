"""A report (or a batch's index) as one self-contained HTML file.

Why one file: it is mailed, attached and opened offline, so the CSS, icons and the one small
print script are inline and nothing is fetched. Everything the model wrote, and the problem,
is untrusted: the templates autoescape, so `<script>` in a point shows as text. Each hat is
told apart by a text label, an icon and a pattern as well as its colour, for readers who do
not see the colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from sixhats_ai.method.balance import BALANCE_RULE, SCORE_RULE
from sixhats_ai.method.hats import hat_info
from sixhats_ai.method.programs import Program
from sixhats_ai.prompts import CompiledTemplates
from sixhats_ai.render.markdown import BODY_INSIGHTS, CELL_WORDS, conditions, decision_of
from sixhats_ai.run.comparison import argued
from sixhats_ai.run.ranking import RANKING_NOTE, BatchIndex
from sixhats_ai.run.report import (
    ALL,
    BlackOutput,
    BlueReview,
    Framing,
    GreenOutput,
    RedOutput,
    Report,
    StepOutput,
    StepRecord,
    WhiteOutput,
    YellowOutput,
)
from sixhats_ai.text.plural import counted
from sixhats_ai.text.prose import first_words, problem_summary

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLE_LABELS = {"framing": "opening", "hat": "", "synthesis": "closing"}


@dataclass(frozen=True)
class Point:
    text: str
    tag: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Group:
    """A titled list of points in a hat's card; secondary groups fold away. A participant's
    group carries their number (`p2`), which the board's participant filter keys on."""

    title: str
    points: list[Point]
    primary: bool = True
    participant: str | None = None


@dataclass(frozen=True)
class HatCard:
    record: StepRecord
    title: str
    overview: str
    colour: str
    groups: list[Group] = field(default_factory=list)

    @property
    def primary(self) -> list[Group]:
        return [g for g in self.groups if g.primary and g.points]

    @property
    def secondary(self) -> list[Group]:
        return [g for g in self.groups if not g.primary and g.points]


def _texts(items: Sequence[str], tag: str | None = None) -> list[Point]:
    return [Point(text, tag) for text in items]


def _about(about: str, alternative: str) -> str:
    return f"about {about}" + ("" if alternative == ALL else f" · {alternative}")


def _note(reason: str, alternative: str, **ratings: str | None) -> str:
    """A point's reason, then its ratings and the alternative it is about (if not all)."""
    rated = [f"{name.replace('_', ' ')} {value}" for name, value in ratings.items() if value]
    tag = [] if alternative == ALL else [alternative]
    return " · ".join([reason, *rated, *tag])


def _weighed_groups(output: BlackOutput | YellowOutput) -> list[Group]:
    """Black's risks or yellow's benefits, each with its ratings, then the interesting points."""
    if isinstance(output, BlackOutput):
        title, points = (
            "Risks",
            [
                Point(
                    r.point,
                    r.weight,
                    _note(r.reason, r.alternative, likelihood=r.likelihood, impact=r.impact),
                )
                for r in output.risks
            ],
        )
    else:
        title, points = (
            "Benefits",
            [
                Point(
                    b.point,
                    b.weight,
                    _note(
                        b.reason,
                        b.alternative,
                        likelihood=b.likelihood,
                        feasibility=b.feasibility,
                        for_whom=b.for_whom,
                    ),
                )
                for b in output.benefits
            ],
        )
    return [Group(title, points), Group("Interesting", _texts(output.interesting), primary=False)]


def step_groups(output: StepOutput) -> list[Group]:
    """A hat's findings as groups of points, in the order the method asks for them."""
    match output:
        case Framing():
            return [
                Group("Question", [Point(output.framing)]),
                Group("Goals", _texts(output.goals)),
                Group("Priorities (FIP)", _texts(output.priorities)),
                Group("Alternatives", _texts(output.alternatives)),
                Group("Factors (CAF)", _texts(output.factors), primary=False),
                Group("Out of scope", _texts(output.out_of_scope), primary=False),
            ]
        case WhiteOutput():
            return [
                Group("Facts", [Point(f.text(), f.status, f.provenance) for f in output.facts]),
                Group("Missing", [Point(g.question, None, g.how_to_fill) for g in output.gaps]),
                Group(
                    "Other people's views",
                    [Point(v.view, v.basis, v.holder) for v in output.views],
                ),
            ]
        case RedOutput():
            votes = [
                Point(f"{name}: {counted(n, 'dot')}") for name, n in output.dot_counts().items()
            ]
            reactions = [
                Point(r.feeling, r.intensity, _about(r.about, r.alternative))
                for r in output.reactions
            ]
            return [Group("Dot vote", votes), Group("Gut reactions", reactions)]
        case BlackOutput() | YellowOutput():
            return _weighed_groups(output)
        case GreenOutput():
            ideas = [
                Point(i.idea, i.technique, f"answers risk {i.addresses}" if i.addresses else None)
                for i in output.ideas
            ]
            return [
                Group("Ideas", ideas),
                Group("Concept challenges", _texts(output.concept_challenges), primary=False),
                Group("Provocations", [Point(p.po, None, p.movement) for p in output.provocations]),
            ]
        case BlueReview():
            return [
                Group("Where we stand", [Point(output.summary)]),
                Group("Priorities", _texts(output.priorities)),
                Group("Next focus", [Point(output.next_focus)], primary=False),
                Group("Process", _texts(output.process), primary=False),
            ]
    return [Group("Findings", _texts(output.summary_lines()))]


def meeting_groups(record: StepRecord) -> list[Group]:
    """A minutes report's extras: the real dot votes, and the model's own points apart."""
    groups = []
    if record.votes:
        votes = [
            Point(v.alternative, counted(v.dots, "dot"), counted(v.voters, "voter"))
            for v in record.votes
        ]
        groups.append(Group("Dot vote", votes))
    if record.added is not None:
        added = [Point(line, "model") for line in record.added.summary_lines()]
        groups.append(Group("Added by the model (not said in the meeting)", added))
    return groups


def participant_key(roster: list[str], name: str) -> str:
    """The filter's key of a participant: `p1`, `p2`... in roster order (names may be any
    text, so they never go into a selector)."""
    return f"p{roster.index(name) + 1}" if name in roster else "p0"


def contribution_groups(record: StepRecord, roster: list[str]) -> list[Group]:
    """Each participant's points, titled with their name, all shown (primary)."""
    return [
        Group(
            f"{c.participant}: {g.title}",
            g.points,
            participant=participant_key(roster, c.participant),
        )
        for c in record.contributions
        for g in step_groups(c.output)
    ]


def hat_card(record: StepRecord, roster: list[str] | None = None) -> HatCard:
    info = hat_info(record.hat)
    groups = step_groups(record.output) if record.output is not None else []
    if record.contributions:
        groups = contribution_groups(record, roster or [])
        if isinstance(record.output, RedOutput) and record.output.dots:
            tally = [Point(a, counted(n, "dot")) for a, n in record.output.dot_counts().items()]
            groups.append(Group("Dot vote, all participants", tally))
    return HatCard(
        record=record,
        title=info.title,
        overview=info.overview,
        colour=info.colour,
        groups=groups + meeting_groups(record),
    )


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["counted"] = counted
    # Compiling the report's templates took a fresh process 60 ms; loading them, 3.
    environment.bytecode_cache = CompiledTemplates.for_environment(environment)
    return environment


def _board(steps: list[StepRecord], roster: list[str]) -> dict[str, Any]:
    """What the board of hats (`_board.html.j2`) is rendered from, besides `steps`."""
    return {
        "cards": [hat_card(r, roster) for r in steps if r.role != "synthesis"],
        "roster": roster,
        "role_labels": ROLE_LABELS,
        "hat_info": hat_info,
    }


def render_report_html(report: Report, *, run_id: str | None = None) -> str:
    """The report as one HTML file, laid out as the Markdown one (`markdown`): the decision at
    a glance, the alternatives, the hats' findings folded away in an appendix, the run last."""
    roster = report.roster.names if report.roster else []
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            run_id=run_id,
            conditions=conditions(report.synthesis),
            decision=decision_of(report.synthesis),
            shared=argued(report.steps, ALL) if report.comparison else [],
            short=lambda text: first_words(text, CELL_WORDS),
            body_insights=BODY_INSIGHTS,
            problem=problem_summary(report.problem, report.title),
            score_rule=SCORE_RULE,
            balance_rule=BALANCE_RULE,
            **_board(report.steps, roster),
        )
    )


def render_failed_run_html(
    steps: list[StepRecord], *, problem: str, program: Program, error: str, run_id: str | None
) -> str:
    """A run whose synthesis failed, as a page of its own: marked as having no synthesis, its
    hats on the board, and the `sixhats rerun` that finishes it."""
    roster = list(dict.fromkeys(c.participant for r in steps for c in r.contributions))
    return (
        _environment()
        .get_template("failed_run.html.j2")
        .render(
            steps=steps,
            problem=problem,
            program=program,
            error=error,
            run_id=run_id,
            failed_steps=[r.id for r in steps if r.status == "failed"],
            **_board(steps, roster),
        )
    )


def render_index_html(index: BatchIndex) -> str:
    """A batch's index, the same rows as `index.md`, each linking its report."""
    return (
        _environment().get_template("index.html.j2").render(index=index, ranking_note=RANKING_NOTE)
    )
