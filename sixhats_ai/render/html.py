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

import jinja2

from sixhats_ai.hats import hat_info
from sixhats_ai.models import (
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
from sixhats_ai.ranking import RANKING_NOTE, BatchIndex

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLE_LABELS = {"framing": "opening", "hat": "", "synthesis": "closing"}


@dataclass(frozen=True)
class Point:
    text: str
    tag: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Group:
    """A titled list of points in a hat's card; secondary groups fold away."""

    title: str
    points: list[Point]
    primary: bool = True


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
                Group("Facts", [Point(f.statement, f.status) for f in output.facts]),
                Group("Missing", [Point(g.question, None, g.how_to_fill) for g in output.gaps]),
            ]
        case RedOutput():
            return [
                Group(
                    "Gut reactions",
                    [Point(r.feeling, r.intensity, f"about {r.about}") for r in output.reactions],
                )
            ]
        case BlackOutput():
            return [
                Group("Risks", [Point(r.point, r.weight, r.reason) for r in output.risks]),
                Group("Interesting", _texts(output.interesting), primary=False),
            ]
        case YellowOutput():
            return [
                Group("Benefits", [Point(b.point, b.weight, b.reason) for b in output.benefits]),
                Group("Interesting", _texts(output.interesting), primary=False),
            ]
        case GreenOutput():
            return [
                Group("Ideas", [Point(i.idea, None, i.addresses) for i in output.ideas]),
                Group("Concept challenges", _texts(output.concept_challenges), primary=False),
                Group("Provocations", [Point(p.po, None, p.movement) for p in output.provocations]),
            ]
        case BlueReview():
            return [
                Group("Where we stand", [Point(output.summary)]),
                Group("Priorities", _texts(output.priorities)),
                Group("Next focus", [Point(output.next_focus)], primary=False),
            ]
    return [Group("Findings", _texts(output.summary_lines()))]


def meeting_groups(record: StepRecord) -> list[Group]:
    """A minutes report's extras: the real dot votes, and the model's own points apart."""
    groups = []
    if record.votes:
        votes = [Point(v.alternative, f"{v.dots} dots", f"{v.voters} voters") for v in record.votes]
        groups.append(Group("Dot vote", votes))
    if record.added is not None:
        added = [Point(line, "model") for line in record.added.summary_lines()]
        groups.append(Group("Added by the model (not said in the meeting)", added))
    return groups


def hat_card(record: StepRecord) -> HatCard:
    info = hat_info(record.hat)
    groups = step_groups(record.output) if record.output is not None else []
    return HatCard(
        record=record,
        title=info.title,
        overview=info.overview,
        colour=info.colour,
        groups=groups + meeting_groups(record),
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report_html(report: Report, *, run_id: str | None = None) -> str:
    """The report as one HTML file: verdict first, then the board of hats, then the detail."""
    cards = [hat_card(r) for r in report.steps if r.role != "synthesis"]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            cards=cards,
            run_id=run_id,
            role_labels=ROLE_LABELS,
            hat_info=hat_info,
        )
    )


def render_index_html(index: BatchIndex) -> str:
    """A batch's index, the same rows as `index.md`, each linking its report."""
    return (
        _environment().get_template("index.html.j2").render(index=index, ranking_note=RANKING_NOTE)
    )
