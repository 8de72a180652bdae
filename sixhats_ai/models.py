"""What each step returns, and the report the closing blue hat produces.

Models sent to the model as a JSON schema (`StepOutput` subclasses and `Synthesis`) follow
OpenAI's strict mode: every field required, `X | None` instead of defaults, no free-form dicts,
extra fields forbidden, no string constraints. Checks strict mode cannot express (confidence in
[0, 1], references to steps that exist) are validators, which the re-ask loop reports back.
The `Report` and its metadata are ours, not the model's, so they may use defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Weight = Literal["low", "medium", "high"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepOutput(Strict):
    """The structured answer of one step; `summary_lines` feeds the board for later steps."""

    kind: ClassVar[str]

    def summary_lines(self) -> list[str]:
        raise NotImplementedError


# Opening blue -----------------------------------------------------------------------------


class Framing(StepOutput):
    kind: ClassVar[str] = "framing"
    framing: str = Field(description="the problem restated as the question to decide or solve")
    goals: list[str] = Field(description="what this thinking session must produce")
    factors: list[str] = Field(description="CAF: all the factors to consider")
    priorities: list[str] = Field(description="FIP: the first important priorities, in order")
    alternatives: list[str] = Field(description="the options being chosen between, if any")
    out_of_scope: list[str] = Field(description="what this session will not decide")

    def summary_lines(self) -> list[str]:
        lines = [f"Framing: {self.framing}", *(f"Goal: {g}" for g in self.goals)]
        lines += [f"Priority: {p}" for p in self.priorities]
        lines += [f"Alternative: {a}" for a in self.alternatives]
        return lines


# White ------------------------------------------------------------------------------------


class Fact(Strict):
    statement: str
    status: Literal["checked", "believed"] = Field(
        description="checked fact, or believed fact that still needs checking"
    )


class InformationGap(Strict):
    question: str = Field(description="the information we lack")
    how_to_fill: str = Field(description="how to obtain it, and from whom")


class WhiteOutput(StepOutput):
    kind: ClassVar[str] = "white"
    facts: list[Fact]
    gaps: list[InformationGap]

    def summary_lines(self) -> list[str]:
        lines = [f"Fact ({f.status}): {f.statement}" for f in self.facts]
        return lines + [f"Gap: {g.question} (to fill: {g.how_to_fill})" for g in self.gaps]


# Red --------------------------------------------------------------------------------------


class Reaction(Strict):
    about: str = Field(description="what the feeling is about")
    feeling: str = Field(description="the gut reaction, in a few words, with no justification")
    intensity: Weight


class RedOutput(StepOutput):
    kind: ClassVar[str] = "red"
    reactions: list[Reaction]

    def summary_lines(self) -> list[str]:
        return [f"Feeling ({r.intensity}) about {r.about}: {r.feeling}" for r in self.reactions]


# Black and yellow -------------------------------------------------------------------------


class WeighedPoint(Strict):
    point: str
    reason: str = Field(description="why: the logical basis for the point")
    weight: Weight


class BlackOutput(StepOutput):
    kind: ClassVar[str] = "black"
    risks: list[WeighedPoint] = Field(description="Minus: risks, weaknesses, difficulties")
    interesting: list[str] = Field(description="Interesting: points neither plus nor minus")

    def summary_lines(self) -> list[str]:
        lines = [f"Risk ({r.weight}): {r.point} (because {r.reason})" for r in self.risks]
        return lines + [f"Interesting: {i}" for i in self.interesting]


class YellowOutput(StepOutput):
    kind: ClassVar[str] = "yellow"
    benefits: list[WeighedPoint] = Field(description="Plus: benefits, value, why it may work")
    interesting: list[str] = Field(description="Interesting: points neither plus nor minus")

    def summary_lines(self) -> list[str]:
        lines = [f"Benefit ({b.weight}): {b.point} (because {b.reason})" for b in self.benefits]
        return lines + [f"Interesting: {i}" for i in self.interesting]


# Green ------------------------------------------------------------------------------------


class Idea(Strict):
    idea: str
    addresses: str | None = Field(description="the risk or benefit it answers, if any")


class Provocation(Strict):
    po: str = Field(description="a deliberately provocative statement, prefixed 'Po:'")
    movement: str = Field(description="the useful idea reached by moving on from it")


class GreenOutput(StepOutput):
    kind: ClassVar[str] = "green"
    concept_challenges: list[str] = Field(description="assumptions challenged: why must it be so?")
    ideas: list[Idea]
    provocations: list[Provocation]

    def summary_lines(self) -> list[str]:
        lines = [f"Challenge: {c}" for c in self.concept_challenges]
        lines += [
            f"Idea: {i.idea}" + (f" (for: {i.addresses})" if i.addresses else "")
            for i in self.ideas
        ]
        return lines + [
            f"Po: {p.po.removeprefix('Po:').strip()} -> {p.movement}" for p in self.provocations
        ]


# Blue in the middle of a program ----------------------------------------------------------


class BlueReview(StepOutput):
    kind: ClassVar[str] = "blue"
    summary: str = Field(description="where the thinking stands")
    priorities: list[str] = Field(description="FIP: what matters most now")
    next_focus: str = Field(description="what the following hats should concentrate on")

    def summary_lines(self) -> list[str]:
        return [f"Review: {self.summary}", *(f"Priority: {p}" for p in self.priorities)]


HAT_OUTPUTS: dict[str, type[StepOutput]] = {
    cls.kind: cls
    for cls in (Framing, WhiteOutput, RedOutput, BlackOutput, YellowOutput, GreenOutput, BlueReview)
}

AnyStepOutput = (
    Framing | WhiteOutput | RedOutput | BlackOutput | YellowOutput | GreenOutput | BlueReview
)


# Closing blue: the synthesis --------------------------------------------------------------


class _Sourced(Strict):
    """Something the synthesis states, with the ids of the steps it came from."""

    sources: list[str] = Field(description="ids of the steps this came from, e.g. '4-black'")

    @field_validator("sources")
    @classmethod
    def _sources_exist(cls, sources: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("step_ids")
        if known is not None:
            unknown = [s for s in sources if s not in known]
            if unknown:
                raise ValueError(
                    f"unknown step ids {unknown}; use only these step ids: {sorted(known)}"
                )
        if not sources:
            raise ValueError("name at least one source step id")
        return sources


class Insight(_Sourced):
    text: str


class SourcedPoint(_Sourced):
    text: str
    weight: Weight


class Feeling(_Sourced):
    text: str


class Alternative(Strict):
    name: str
    benefits: list[SourcedPoint]
    risks: list[SourcedPoint]
    feelings: list[Feeling]


class Recommendation(_Sourced):
    decision: str
    confidence: float = Field(description="from 0 (a guess) to 1 (certain)")
    rationale: str

    @field_validator("confidence")
    @classmethod
    def _in_unit_range(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError("confidence must be between 0 and 1")
        return value


class Action(_Sourced):
    action: str
    owner_role: str = Field(description="who should do it, as a role, not a name")
    when: str = Field(description="by when, e.g. 'before the meeting', 'within two weeks'")


class Synthesis(Strict):
    """What the closing blue hat writes."""

    summary: str
    key_insights: list[Insight]
    benefits: list[SourcedPoint]
    risks: list[SourcedPoint]
    alternatives: list[Alternative] = Field(
        description="each option compared, when the program chooses between alternatives"
    )
    recommendation: Recommendation
    next_steps: list[Action]
    open_questions: list[str]


# The report -------------------------------------------------------------------------------


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached_requests: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.cached_requests += other.cached_requests
        self.cost_usd += other.cost_usd


StepStatus = Literal["ok", "failed"]


class StepRecord(BaseModel):
    """One step of a run as it happened: its output or its error, and what it cost."""

    id: str
    hat: str
    role: str
    focus: str | None = None
    status: StepStatus
    output: AnyStepOutput | None = None
    error: str | None = None
    model: str
    mode: str | None = None
    seconds: float = 0.0
    usage: Usage = Field(default_factory=Usage)


class ProgramRef(BaseModel):
    slug: str
    name: str
    sequence: str


class Metadata(BaseModel):
    sixhats_version: str
    flow: Literal["sequential", "parallel"]
    models: list[str]
    base_url: str | None
    started_at: datetime
    finished_at: datetime
    seconds: float
    usage: Usage
    degraded: bool
    failed_steps: list[str]


REPORT_SCHEMA_VERSION = 1


class Report(BaseModel):
    """The whole analysis: what `--format json` prints and what the run store keeps."""

    schema_version: int = REPORT_SCHEMA_VERSION
    kind: Literal["sixhats.report"] = "sixhats.report"
    title: str | None = None  # the problem's opening Markdown heading, if it had one
    problem: str
    program: ProgramRef
    framing: Framing | None
    steps: list[StepRecord]
    synthesis: Synthesis
    metadata: Metadata

    def step(self, step_id: str) -> StepRecord:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def degraded(self) -> bool:
        return self.metadata.degraded
