"""The report a run produces, and the models it is made of.

The step answers live in `hat_outputs`, the closing blue's synthesis in `closing`; both are
re-exported here, the one place the rest of the code imports models from. The `Report` and its
metadata are ours, not the model's, so they may use defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from sixhats_ai.method.balance import balance, heaviest
from sixhats_ai.method.closing import (
    Action,
    Alternative,
    AnotherRound,
    Closing,
    Decision,
    Direction,
    Feeling,
    Insight,
    KeepStopStart,
    OpenQuestion,
    Recommendation,
    ReviewClose,
    Shortlist,
    SourcedPoint,
    Synthesis,
    Tension,
)
from sixhats_ai.method.emergent import ProcessDecision
from sixhats_ai.method.hat_outputs import (
    ALL,
    HAT_OUTPUTS,
    AnyStepOutput,
    Benefit,
    BlackOutput,
    BlueReview,
    Fact,
    Framing,
    GreenOutput,
    Idea,
    InformationGap,
    RedOutput,
    Risk,
    StepOutput,
    Strict,
    View,
    Weight,
    WhiteOutput,
    YellowOutput,
)
from sixhats_ai.method.participants import Roster
from sixhats_ai.method.programs import CLOSING_SHAPES, ClosingShape
from sixhats_ai.run.usage import ProgramRef, Usage
from sixhats_ai.text.plural import counted

__all__ = [
    "ALL",
    "CLOSING_SHAPES",
    "HAT_OUTPUTS",
    "Action",
    "Alternative",
    "AlternativeColumn",
    "AnotherRound",
    "AnyStepOutput",
    "ArguedPoint",
    "Benefit",
    "BlackOutput",
    "BlueReview",
    "Closing",
    "ClosingShape",
    "Contribution",
    "Decision",
    "Direction",
    "Fact",
    "Feeling",
    "Framing",
    "GreenOutput",
    "Idea",
    "InformationGap",
    "Insight",
    "KeepStopStart",
    "OpenQuestion",
    "ProgramRef",
    "Recommendation",
    "RedOutput",
    "ReviewClose",
    "Risk",
    "Shortlist",
    "SourcedPoint",
    "StepOutput",
    "Strict",
    "Synthesis",
    "Tension",
    "Usage",
    "View",
    "Weight",
    "WhiteOutput",
    "YellowOutput",
]


# The report -------------------------------------------------------------------------------


class CondensedDocument(BaseModel):
    """A document too long for the model's context, condensed before the hats saw it."""

    name: str
    original_tokens: int
    condensed_tokens: int
    chunks: int = Field(description="extraction requests of the first pass")
    passes: int
    truncated: bool = Field(False, description="still too long after the last pass, so cut")
    usage: Usage = Field(default_factory=Usage)


StepStatus = Literal["ok", "failed"]
Origin = Literal["model", "meeting"]


class DotVote(BaseModel):
    """One alternative's dots in a meeting's dot vote (`sixhats minutes --votes`)."""

    alternative: str
    dots: int
    voters: int


class Contribution(BaseModel):
    """One participant's answer under a hat (`--personas`); the step's `output` merges them."""

    participant: str
    output: AnyStepOutput


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
    # `sixhats minutes`: whose points `output` holds (the meeting's notes, structured by the
    # model, or the model's own), the model's additions with --fill-gaps, and a red hat's
    # real dot votes. Defaults keep analyze's reports and stored runs as they were.
    origin: Origin = "model"
    added: AnyStepOutput | None = None
    votes: list[DotVote] = Field(default_factory=list)
    random_word: str | None = Field(
        None, description="the random entry word a green step was given by the tool"
    )
    contributions: list[Contribution] = Field(
        default_factory=list, description="with --personas: each participant's answer"
    )


class EngineFigures(BaseModel):
    """What the embedded engine (llama.cpp) took: loading the model, reading and writing."""

    engine: str
    model: str
    n_ctx: int
    load_seconds: float
    requests: int
    prompt_tokens: int
    completion_tokens: int
    engine_seconds: float
    prompt_tokens_per_second: float
    tokens_per_second: float


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
    condensed: list[CondensedDocument] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list,
        description="what was done to fit the model's context: documents cut or condensed, "
        "boards without their least important points",
    )
    engine: EngineFigures | None = Field(
        None, description="the embedded engine's load time and speeds, when it answered"
    )
    process_usage: Usage = Field(
        default_factory=Usage, description="an emergent run's process requests (in `usage`)"
    )


REPORT_SCHEMA_VERSION = 2  # 2: provenance, tags, dot vote, closing shapes, comparison
READABLE_REPORT_VERSIONS = (1, 2)  # `show`, `rerun` and `brief --from-report` read these


class ArguedPoint(BaseModel):
    """A yellow benefit or black risk as the comparison weighs it: the point, its grounds and
    quote, the step it came from, and its score (weight times likelihood, see `comparison`)."""

    side: Literal["benefit", "risk"]
    point: str
    grounds: str
    quote: str | None = None
    quote_found: bool | None = None
    step: str
    weight: Weight
    likelihood: Weight
    score: int

    @property
    def arithmetic(self) -> str:
        """`high × medium = 6`: how the point counts in the balance."""
        return f"{self.weight} × {self.likelihood} = {self.score}"


class AlternativeColumn(BaseModel):
    """One alternative's column of the comparison."""

    name: str
    benefits: list[str] = []
    risks: list[str] = []
    feelings: list[str] = []
    dots: int = 0
    balance: float = 0
    argued: list[ArguedPoint] = Field(
        default_factory=list, description="its benefits and risks, each scored, best first"
    )

    def side(self, side: str) -> list[ArguedPoint]:
        return [p for p in self.argued if p.side == side]

    @model_validator(mode="after")
    def _weighed(self) -> AlternativeColumn:
        """A stored report of an older rule (a sum of scores) is weighed by today's, so its
        balance and the arithmetic shown agree."""
        if self.argued:
            self.balance = self.weighed_balance()
        return self

    def weighed_balance(self) -> float:
        scores = {side: [p.score for p in self.side(side)] for side in ("benefit", "risk")}
        return balance(scores["benefit"], scores["risk"])

    def arithmetic(self) -> str:
        """`+1.7 = (9 + 6 + 4) / 3 − (6 + 6) / 2`: the balance as `method.balance` weighs it
        (a report of an older version, whose points were not scored, has only the figure)."""
        if not self.argued:
            return f"{self.balance:+.1f}"
        means = []
        for side in ("benefit", "risk"):
            scores = heaviest([p.score for p in self.side(side)])
            terms = " + ".join(map(str, scores))
            means.append(f"({terms}) / {len(scores)}" if len(scores) > 1 else terms or "0")
        return f"{self.balance:+.1f} = {means[0]} − {means[1]}"

    def tally(self) -> str:
        return (
            f"{self.name}: {counted(self.dots, 'dot')}, balance {self.arithmetic()} "
            f"(the heaviest of {counted(len(self.benefits), 'benefit')} and "
            f"{counted(len(self.risks), 'risk')}; {counted(len(self.feelings), 'feeling')})"
        )


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
    comparison: list[AlternativeColumn] = Field(
        default_factory=list, description="a column per alternative, from the hats' tags"
    )
    roster: Roster | None = Field(None, description="with --personas: who took part")
    process_log: list[ProcessDecision] = Field(
        default_factory=list, description="an emergent program: each hat blue chose, and why"
    )

    def step(self, step_id: str) -> StepRecord:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def degraded(self) -> bool:
        return self.metadata.degraded
