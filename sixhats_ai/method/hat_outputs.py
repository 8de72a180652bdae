"""What each hat step returns: the structured answers the board and the report are built from.

These models are sent to the model as JSON schemas, through the per-run schemas of
`run_schema` (which make every field required, and turn the fields marked `x-run` into enums
of this run's step ids, alternatives and risks). Fields added after the first report version
have defaults so that stored reports of that version still read; the schema sent has none.
Every count is a `min_length`/`max_length`, so it is in the schema and checked locally alike.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from sixhats_ai.method.quotes import QuoteFound, quote_field, quote_note
from sixhats_ai.text.prose import clause, joined

Weight = Literal["low", "medium", "high"]
LEVELS: tuple[str, ...] = get_args(Weight)
ALL = "all"  # a point about every alternative, or about the problem as a whole
Section = tuple[str, list[str]]
MAX_ALTERNATIVES = 6  # the framing names at most this many


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def run_enum(rule: str, description: str, **kwargs: Any) -> Any:
    """A field whose allowed values are this run's (`step_ids`, `alternatives`, `risks`...)."""
    return Field(description=description, json_schema_extra={"x-run": rule}, **kwargs)


def added(description: str) -> Any:
    """A field new in report version 2: required in every answer, absent from older reports."""
    return Field(None, description=description, json_schema_extra={"x-run": "not_null"})


def alternative_field() -> Any:
    return run_enum(
        "alternative",
        "the alternative this point is about, exactly as named, or 'all'",
        default=ALL,
    )


class StepOutput(Strict):
    """The structured answer of one step; `sections` feeds the board for later steps."""

    kind: ClassVar[str]

    def sections(self) -> list[Section]:
        """The step's findings by category, each category's most important first; each line
        starts with its category (`Risk (high): ...`), so it reads alone on a board."""
        raise NotImplementedError

    def summary_lines(self) -> list[str]:
        return [line for _, lines in self.sections() for line in lines]


def _tag(alternative: str) -> str:
    return "" if alternative == ALL else f" [{alternative}]"


class Framing(StepOutput):
    kind: ClassVar[str] = "framing"
    framing: str = Field(description="the problem restated as the question to decide or solve")
    goals: list[str] = Field(description="what this session must produce", max_length=5)
    factors: list[str] = Field(description="CAF: all the factors to consider", max_length=12)
    priorities: list[str] = Field(
        description="FIP: the first important priorities, in order", max_length=5
    )
    alternatives: list[str] = Field(
        description="the options being chosen between, if any",
        max_length=MAX_ALTERNATIVES,
        json_schema_extra={"x-run": "alternatives_count"},
    )
    out_of_scope: list[str] = Field(description="what this session will not decide", max_length=6)

    def sections(self) -> list[Section]:
        return [
            ("Framing", [f"Framing: {self.framing}"]),
            ("Alternative", [f"Alternative: {a}" for a in self.alternatives]),
            ("Factor", [f"Factor: {f}" for f in self.factors]),
            ("Priority", [f"Priority: {p}" for p in self.priorities]),
            ("Goal", [f"Goal: {g}" for g in self.goals]),
            ("Out of scope", [f"Out of scope: {o}" for o in self.out_of_scope]),
        ]


Source = Literal["problem statement", "document", "general knowledge", "assumption"]
SUPPLIED: tuple[Source, ...] = ("problem statement", "document")


class Fact(Strict):
    # in the schema sent: a checked fact must come from the supplied material
    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-run": "fact"})

    statement: str
    status: Literal["checked", "believed"] = Field(
        description="checked: found in the supplied material; believed: still needs checking"
    )
    source: Source | None = added(
        "where it came from: the problem statement, a supplied document, general knowledge, "
        "or an assumption"
    )
    where: str | None = Field(
        None, description="for a document: its name and the heading or section; else null"
    )
    quote: str | None = quote_field("for a checked fact, the words that state it")
    quote_found: QuoteFound = None

    def text(self) -> str:  # the statement, and the words of the material it quotes
        return joined(self.statement, quote_note(self.quote, self.quote_found))

    @property
    def provenance(self) -> str:
        source = self.source or "source not recorded"
        return f"{source}: {self.where}" if self.where else source


class InformationGap(Strict):
    question: str = Field(description="the information we lack")
    how_to_fill: str = Field(description="how to obtain it, and from whom")


class View(Strict):
    """Other People's Views: whose view it is, and whether someone said it or we infer it."""

    holder: str = Field(description="whose view: a person's role or a group")
    view: str
    basis: Literal["reported", "inferred"] = Field(
        description="reported: they said it (in the material); inferred: we expect they think it"
    )


class WhiteOutput(StepOutput):
    kind: ClassVar[str] = "white"
    facts: list[Fact] = Field(min_length=1, max_length=12)
    gaps: list[InformationGap] = Field(max_length=8)
    views: list[View] = Field(
        default_factory=list,
        description="Other People's Views: only in a step with that focus, else empty",
        max_length=8,
        json_schema_extra={"x-run": "views_count"},
    )

    def sections(self) -> list[Section]:
        return [
            ("Fact", [f"Fact ({f.status}, {f.provenance}): {f.text()}" for f in self.facts]),
            ("Gap", [f"Gap: {g.question} (to fill: {clause(g.how_to_fill)})" for g in self.gaps]),
            ("View", [f"View ({clause(v.holder)}, {v.basis}): {v.view}" for v in self.views]),
        ]


class Reaction(Strict):
    about: str = Field(description="what the feeling is about")
    feeling: str = Field(description="the gut reaction, in a few words, with no justification")
    intensity: Weight
    alternative: str = alternative_field()


class RedOutput(StepOutput):
    kind: ClassVar[str] = "red"
    reactions: list[Reaction] = Field(min_length=1, max_length=8)
    dots: list[str] = Field(
        default_factory=list,
        description="the dot vote: one entry per dot, naming the alternative it goes on",
        json_schema_extra={"x-run": "dots"},
    )

    def dot_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for dot in self.dots:
            counts[dot] = counts.get(dot, 0) + 1
        return counts

    def sections(self) -> list[Section]:
        votes = [f"{alt} {n}" for alt, n in self.dot_counts().items()]
        reactions = [
            f"Feeling ({r.intensity}) about {clause(r.about)}: {r.feeling}{_tag(r.alternative)}"
            for r in self.reactions
        ]
        return [
            ("Dot vote", [f"Dot vote: {', '.join(votes)}"] if votes else []),
            ("Feeling", reactions),
        ]


class _Point(Strict):
    """A point on one side of PMI, black's minus or yellow's plus: what it is, its grounds, how
    much it matters and how likely it is. Each side words its likelihood for itself, and adds
    its own ratings after it."""

    point: str
    reason: str = Field(
        description="the grounds: the mechanism or the evidence that makes it so, specific to "
        "this problem, in a sentence a reader can check"
    )
    weight: Weight = Field(description="how much it matters overall")
    likelihood: Weight | None
    quote: str | None = quote_field("when the point rests on what the material says, those words")
    quote_found: QuoteFound = None
    alternative: str = alternative_field()

    def ratings(self) -> dict[str, str | None]:
        """The point's ratings after its weight, by name (an older report may lack some)."""
        return {"likelihood": self.likelihood}

    def line(self, tag: str | None = None, brief: bool = False) -> str:
        """The point as the board shows it: `Risk (high; likelihood medium) [A]: ... Grounds:
        ... Quote: "..."`, whole sentences, nothing cut. `tag` names the alternative otherwise
        (a reduced board numbers them); `brief` keeps the point, its grounds and its levels and
        leaves out the quote and free-text ratings (the stored step keeps them)."""
        ratings = [(k, v) for k, v in self.ratings().items() if v and (not brief or v in LEVELS)]
        rated = "; ".join([self.weight, *(f"{k} {v}" for k, v in ratings)])
        quote = "" if brief else quote_note(self.quote, self.quote_found)
        text = joined(self.point, f"Grounds: {clause(self.reason)}", quote)
        named = _tag(self.alternative) if tag is None else f" [{tag}]"
        return f"{type(self).__name__} ({rated}){named}: {text}"


class Risk(_Point):
    likelihood: Weight | None = added("how likely it is to happen")
    impact: Weight | None = added("how bad it would be if it happened")

    def ratings(self) -> dict[str, str | None]:
        return {"likelihood": self.likelihood, "impact": self.impact}


class Benefit(_Point):
    likelihood: Weight | None = added("how likely the benefit is to come")
    feasibility: Weight | None = added("how feasible it is to obtain")
    for_whom: str | None = added("who benefits")

    def ratings(self) -> dict[str, str | None]:
        whom = {"for": self.for_whom} if self.for_whom else {}
        return {"likelihood": self.likelihood, "feasibility": self.feasibility, **whom}


MIN_PER_ALTERNATIVE = 2  # points a choosing program's black and yellow give each alternative
MAX_PER_ALTERNATIVE = 4
POINTS = 8  # black's or yellow's points in a run that argues no alternative
ARGUE_EACH_RULE = "argue every alternative"  # a rule the schema cannot state: re-asked


def points_field(description: str) -> Any:
    """Black's risks or yellow's benefits: in a choosing run, enough for every alternative
    (the per-run schema's counts; `_PMI` checks how they are spread)."""
    return Field(
        description=description,
        min_length=1,
        max_length=MAX_PER_ALTERNATIVE * MAX_ALTERNATIVES + 2,
        json_schema_extra={"x-run": "points_per_alternative"},
    )


class _PMI(StepOutput):
    """Black and yellow both use PMI: their side of it, and the Interesting points."""

    side: ClassVar[tuple[str, str]]  # the side's category on the board, and its field

    interesting: list[str] = Field(
        description="Interesting: points neither plus nor minus", max_length=5
    )

    def points(self) -> list[_Point]:
        points: list[_Point] = getattr(self, self.side[1])
        return points

    @model_validator(mode="after")
    def _argues_each_alternative(self, info: ValidationInfo) -> _PMI:
        """In a choosing run (the context names its alternatives), at least two points on each
        alternative and one about all of them: JSON Schema counts items, not their tags."""
        alternatives = (info.context or {}).get("alternatives") or []
        tags = [p.alternative for p in self.points()]
        thin = [a for a in alternatives if tags.count(a) < MIN_PER_ALTERNATIVE]
        if thin or (alternatives and ALL not in tags):
            counts = ", ".join(f"{a!r} has {tags.count(a)}" for a in thin) or "none is about all"
            raise ValueError(
                f"{ARGUE_EACH_RULE}: give at least {MIN_PER_ALTERNATIVE} {self.side[1]} about "
                f"each alternative and at least one about 'all' ({counts})"
            )
        return self

    def sections(self) -> list[Section]:
        category, _ = self.side
        return [
            (category, [p.line() for p in self.points()]),
            ("Interesting", [f"Interesting: {i}" for i in self.interesting]),
        ]


class BlackOutput(_PMI):
    kind: ClassVar[str] = "black"
    side: ClassVar[tuple[str, str]] = ("Risk", "risks")
    risks: list[Risk] = points_field(
        "Minus: risks, weaknesses, difficulties, and where it does not fit the facts, the "
        "resources, the values or the goals"
    )


class YellowOutput(_PMI):
    kind: ClassVar[str] = "yellow"
    side: ClassVar[tuple[str, str]] = ("Benefit", "benefits")
    benefits: list[Benefit] = points_field("Plus: benefits, value, why it may work")
    best_case: str | None = added("the best realistic case, in one or two sentences")

    def sections(self) -> list[Section]:
        best = [("Best case", [f"Best case: {self.best_case}"])] if self.best_case else []
        return [*super().sections()[:1], *best, *super().sections()[1:]]


Technique = Literal[
    "po", "random entry", "reversal", "escape", "stepping stone", "concept fan", "analogy"
]


class Idea(Strict):
    idea: str
    technique: Technique | None = added("the lateral-thinking tool that produced it")
    addresses: str | None = run_enum(
        "risks", "the risk on the board this idea answers, exactly as written, or null"
    )


class Provocation(Strict):
    po: str = Field(description="a deliberately provocative statement, prefixed 'Po:'")
    movement: str = Field(description="the useful idea reached by moving on from it")


class GreenOutput(StepOutput):
    kind: ClassVar[str] = "green"
    concept_challenges: list[str] = Field(
        description="assumptions challenged: why must it be so?", max_length=5
    )
    ideas: list[Idea] = Field(min_length=1, max_length=8)
    provocations: list[Provocation] = Field(max_length=4)

    def sections(self) -> list[Section]:
        ideas = [
            f"Idea{f' ({i.technique})' if i.technique else ''}: {i.idea}"
            + (f" (for: {i.addresses})" if i.addresses else "")
            for i in self.ideas
        ]
        pos = [f"Po: {p.po.removeprefix('Po:').strip()} -> {p.movement}" for p in self.provocations]
        challenges = [f"Challenge: {c}" for c in self.concept_challenges]
        return [("Idea", ideas), ("Po", pos), ("Challenge", challenges)]


class BlueReview(StepOutput):
    kind: ClassVar[str] = "blue"
    summary: str = Field(description="where the thinking stands")
    priorities: list[str] = Field(description="FIP: what matters most now", max_length=5)
    next_focus: str = Field(description="what the following hats should concentrate on")
    process: list[str] = Field(
        default_factory=list,
        description="decisions on the process for the following hats, e.g. what to spend "
        "longer on or leave aside",
        max_length=4,
    )

    def sections(self) -> list[Section]:
        return [
            ("Next focus", [f"Next focus: {self.next_focus}"]),
            ("Process", [f"Process: {p}" for p in self.process]),
            ("Review", [f"Review: {self.summary}"]),
            ("Priority", [f"Priority: {p}" for p in self.priorities]),
        ]


HAT_OUTPUTS: dict[str, type[StepOutput]] = {
    cls.kind: cls
    for cls in (Framing, WhiteOutput, RedOutput, BlackOutput, YellowOutput, GreenOutput, BlueReview)
}

AnyStepOutput = (
    Framing | WhiteOutput | RedOutput | BlackOutput | YellowOutput | GreenOutput | BlueReview
)
