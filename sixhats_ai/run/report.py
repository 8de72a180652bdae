"""The report a run produces, and the models it is made of.

The step answers live in `hat_outputs`, the closing blue's synthesis in `closing`; both are
re-exported here, the one place the rest of the code imports models from. The `Report` and its
metadata are ours, not the model's, so they may use defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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
    "View",
    "Weight",
    "WhiteOutput",
    "YellowOutput",
]


# The report -------------------------------------------------------------------------------


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached_requests: int = 0  # answered from sixhats' own request cache, not sent
    cost_usd: float = 0.0
    cached_tokens: int = Field(0, description="prompt tokens the server's prefix cache served")
    saved_usd: float = Field(0.0, description="what the prefix cache saved at the input price")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.cached_requests += other.cached_requests
        self.cost_usd += other.cost_usd
        self.cached_tokens += other.cached_tokens
        self.saved_usd += other.saved_usd

    @property
    def cached_share(self) -> float:
        """The share of the prompt tokens served from the server's prefix cache."""
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def prefix_cache_line(self) -> str:
        """What the server's prefix cache served, for a report's footer ('' if nothing)."""
        if not self.cached_tokens:
            return ""
        return (
            f"{self.cached_tokens} of {self.prompt_tokens} prompt tokens "
            f"({self.cached_share:.0%}) served from the server's prompt cache, "
            f"saving ${self.saved_usd:.4f}"
        )


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


class ProgramRef(BaseModel):
    slug: str
    name: str
    sequence: str


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
    balance: int = 0
    argued: list[ArguedPoint] = Field(
        default_factory=list, description="its benefits and risks, each scored, best first"
    )

    def side(self, side: str) -> list[ArguedPoint]:
        return [p for p in self.argued if p.side == side]

    def arithmetic(self) -> str:
        """`+3 = 6 + 3 − 6`: the balance as the sum of its points' scores (a report of an
        older version, whose points were not scored, has none)."""
        if not self.argued:
            return f"{self.balance:+d}"
        terms = [f"+ {p.score}" for p in self.side("benefit")]
        terms += [f"− {p.score}" for p in self.side("risk")]
        return f"{self.balance:+d} = {' '.join(terms).removeprefix('+ ')}"

    def tally(self) -> str:
        return (
            f"{self.name}: {self.dots} dots, balance {self.arithmetic()} "
            f"(weight × likelihood of {len(self.benefits)} benefits and {len(self.risks)} "
            f"risks; {len(self.feelings)} feelings)"
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
