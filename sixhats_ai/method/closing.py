"""What the closing blue writes: the synthesis, and the closing shape of each program.

Every program concludes with a headline recommendation, then closes in its own shape (named in
its TOML as `closing`): a `decision` between alternatives, a `shortlist` of ideas, `keep`,
`stop` and `start` for a process, a `direction` among strategic options, or a `review` of what
went well, what did not and what changes. The closing blue also records the tensions between
hats, what would change the decision, whether another round of hats is needed, and an owner for
each open question. Fields added after the first report version have defaults, so that stored
reports of that version still read; the per-run schema sent to the model has no defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sixhats_ai.method.hat_outputs import Strict, Weight, added, run_enum

HatName = Literal["blue", "white", "red", "black", "yellow", "green"]
# The lists the report's body shows whole are asked for at most three items (in the schema
# sent; stored reports may hold more): a reader weighs three, not six.
FIRST_SCREEN = "at_most:3"


def sources_field() -> Any:
    return run_enum(
        "step_ids",
        "ids of the steps this came from, as the prompt lists them",
        min_length=1,
        max_length=6,
    )


class _Sourced(Strict):
    """Something the synthesis states, with the ids of the steps it came from."""

    sources: list[str] = sources_field()

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
    grounds: str | None = added(
        "the mechanism or the evidence behind it, from the hats' points, specific to this problem"
    )


class Feeling(_Sourced):
    text: str


class Alternative(Strict):
    name: str = run_enum("alternative_names", "the alternative, exactly as the framing named it")
    benefits: list[SourcedPoint] = Field(max_length=6)
    risks: list[SourcedPoint] = Field(max_length=6)
    feelings: list[Feeling] = Field(max_length=6)
    verdict: str = Field("", description="how this alternative compares, in one sentence")


class Recommendation(_Sourced):
    decision: str
    confidence: float = Field(description="from 0 (a guess) to 1 (certain)", ge=0, le=1)
    rationale: str
    reasons: list[str] | None = Field(
        None,
        description="the reasons that decide it, most important first, a sentence each",
        min_length=1,
        max_length=3,
        json_schema_extra={"x-run": "not_null"},
    )


class Action(_Sourced):
    action: str
    # with --personas, one of the participants (the run's schema lists them)
    owner_role: str = run_enum("owner", "who should do it, as a role, not a name")
    when: str = Field(description="by when, e.g. 'before the meeting', 'within two weeks'")


class OpenQuestion(Strict):
    question: str
    owner_role: str = Field(description="who will find the answer, as a role")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """A report of the first version holds bare questions, with no owner."""
        return {"question": value, "owner_role": "unassigned"} if isinstance(value, str) else value


class Tension(_Sourced):
    """Opposing views recorded side by side (e.g. red against black), not argued out."""

    tension: str


class AnotherRound(Strict):
    needed: bool
    hats: list[HatName] = Field(description="the hats of the next round, in order", max_length=6)
    why: str


# What the closing shapes list: an idea a shortlist keeps, an option a direction weighs.


class ShortlistedIdea(_Sourced):
    idea: str
    why: str


class StrategicOption(_Sourced):
    option: str
    assessment: str


# Closing shapes -----------------------------------------------------------------------------


class Decision(Strict):
    shape: Literal["decision"] = "decision"
    choice: str = Field(description="what is decided, or the alternative chosen")
    conditions: list[str] = Field(
        description="conditions attached to the decision, the most important first",
        max_length=5,
        json_schema_extra={"x-run": FIRST_SCREEN},
    )


class Shortlist(Strict):
    shape: Literal["shortlist"] = "shortlist"
    ideas: list[ShortlistedIdea] = Field(
        description="the ideas worth developing, best first", min_length=1, max_length=6
    )


class KeepStopStart(Strict):
    shape: Literal["keep-stop-start"] = "keep-stop-start"
    keep: list[Insight] = Field(description="what works and stays", max_length=6)
    stop: list[Insight] = Field(description="what to stop doing", max_length=6)
    start: list[Insight] = Field(description="what to start doing", max_length=6)


class Direction(Strict):
    shape: Literal["direction"] = "direction"
    options: list[StrategicOption] = Field(
        description="the strategic options considered", min_length=1, max_length=5
    )
    direction: str = Field(description="the direction chosen among them, and why")


class ReviewClose(Strict):
    shape: Literal["review"] = "review"
    went_well: list[Insight] = Field(max_length=6)
    went_badly: list[Insight] = Field(max_length=6)
    changes: list[Insight] = Field(description="what to change from now on", max_length=6)


Closing = Decision | Shortlist | KeepStopStart | Direction | ReviewClose


class Synthesis(Strict):
    """What the closing blue hat writes."""

    summary: str
    key_insights: list[Insight] = Field(min_length=1, max_length=8)
    benefits: list[SourcedPoint] = Field(max_length=8)
    risks: list[SourcedPoint] = Field(max_length=8)
    alternatives: list[Alternative] = Field(
        description="each option compared, when the program chooses between alternatives",
        json_schema_extra={"x-run": "alternatives_compared"},
    )
    recommendation: Recommendation
    closing: Closing | None = Field(
        None,
        description="how this program closes",
        json_schema_extra={"x-run": "closing"},
    )
    tensions: list[Tension] = Field(
        default_factory=list,
        description="opposing views between hats, the most important first",
        max_length=6,
        json_schema_extra={"x-run": FIRST_SCREEN},
    )
    change_conditions: list[str] = Field(
        default_factory=list,
        description="what would change the decision, the most likely first",
        max_length=6,
        json_schema_extra={"x-run": FIRST_SCREEN},
    )
    another_round: AnotherRound | None = Field(
        None,
        description="whether another round of hats is needed",
        json_schema_extra={"x-run": "not_null"},
    )
    next_steps: list[Action] = Field(min_length=1, max_length=8)
    open_questions: list[OpenQuestion] = Field(max_length=8)

    @model_validator(mode="after")
    def _each_alternative_once(self) -> Synthesis:
        """A rule strict mode cannot state (no `uniqueItems`): the prompt says it, and an answer
        that breaks it is re-asked."""
        names = [a.name for a in self.alternatives]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"{PROMPT_ONLY_RULE}: {', '.join(repr(name) for name in twice)}")
        return self


PROMPT_ONLY_RULE = "compare each alternative once; these appear more than once"
