"""The one model request of a tailored brief, and what is kept when a weak model fails it.

The schema asks for what the brief needs in a form a server can enforce: one required key per
step id, each a list of as many questions as the step takes (a red hat one instruction). A
model that still gets it wrong after the re-asks does not sink the brief: the steps it answered
well are kept, the others take their questions from the banks, and the caller says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationInfo, create_model, model_validator

from sixhats_ai.briefs.questions import program_vars, question_limits, step_vars
from sixhats_ai.errors import ModelError
from sixhats_ai.method.agenda import DOTS_EACH, format_box, is_vote
from sixhats_ai.method.hats import hat_info
from sixhats_ai.prompts import PromptLibrary, RenderedPrompt, new_nonce
from sixhats_ai.run.report import InformationGap, Strict, Usage

if TYPE_CHECKING:
    from sixhats_ai.method.agenda import Slot
    from sixhats_ai.method.programs import Program
    from sixhats_ai.session import Session


class _PlanFields(Strict):
    """The fields of a tailored brief other than the questions."""

    purpose: str = Field(description="what the meeting must decide or produce, in one sentence")
    framing: str = Field(description="the topic restated as the question the meeting answers")
    out_of_scope: list[str] = Field(description="what this meeting will not decide")
    pre_work: list[InformationGap] = Field(
        description="white hat gaps: information to gather before the meeting, and how"
    )

    @model_validator(mode="before")
    @classmethod
    def _keep_the_answer(cls, data: Any, info: ValidationInfo) -> Any:
        """Every answer is kept, valid or not, so a failed plan can still be used in part."""
        context = info.context or {}
        if not isinstance(data, dict):
            return data
        if (answers := context.get("answers")) is not None:
            answers.append(data)
        known = context.get("step_ids")
        given = data.get("steps")
        if known and isinstance(given, dict) and sorted(given) != sorted(known):
            raise ValueError(f"give questions for exactly these step ids: {', '.join(known)}")
        return data


StepLimits = tuple[tuple[str, int, int], ...]  # step id, fewest and most questions


def step_limits(slots: list[Slot]) -> StepLimits:
    return tuple((s.step.id, *question_limits(s.step)) for s in slots)


def _count(low: int, high: int) -> str:
    return f"{low} to {high} guiding questions" if low != high else "one instruction"


@cache
def plan_model(limits: StepLimits) -> type[_PlanFields]:
    """`BriefPlan` for these steps: `steps` has one required key per step id, each a list of
    as many questions as the step takes (`question_limits`)."""
    questions = list[str]
    per_step: dict[str, Any] = {
        f"s{n}": (
            questions,
            Field(
                alias=step_id,
                min_length=low,
                max_length=high,
                description=f"{_count(low, high)} for {step_id}",
            ),
        )
        for n, (step_id, low, high) in enumerate(limits)
    }
    steps_model = create_model("StepQuestions", __base__=Strict, **per_step)
    return create_model(
        "BriefPlan",
        __base__=_PlanFields,
        steps=(steps_model, Field(description="guiding questions for every step, by step id")),
    )


@dataclass
class TailoredPlan:
    """What the model gave: the brief's framing, and the questions of each step it covered."""

    purpose: str | None
    framing: str | None
    out_of_scope: list[str]
    pre_work: list[InformationGap]
    questions: dict[str, list[str]]
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    def missing(self, step_ids: list[str]) -> list[str]:
        return [s for s in step_ids if s not in self.questions]


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def salvage(answer: dict[str, Any], limits: StepLimits) -> TailoredPlan:
    """What can be used of an answer that failed validation: the steps with enough questions
    (as many kept as the step takes), and whichever framing fields are text."""
    given_steps = answer.get("steps")
    steps: dict[str, Any] = given_steps if isinstance(given_steps, dict) else {}
    questions = {}
    for step_id, low, high in limits:
        given = _str_list(steps.get(step_id))
        if len(given) >= low:
            questions[step_id] = given[:high]
    gaps = []
    for item in answer.get("pre_work") or []:
        try:
            gaps.append(InformationGap.model_validate(item))
        except ValueError:
            continue
    text = {k: v for k, v in answer.items() if isinstance(v, str) and v.strip()}
    return TailoredPlan(
        purpose=text.get("purpose"),
        framing=text.get("framing"),
        out_of_scope=_str_list(answer.get("out_of_scope")),
        pre_work=gaps,
        questions=questions,
    )


def model_prompt(
    library: PromptLibrary, topic: str, program: Program, slots: list[Slot]
) -> RenderedPrompt:
    """The one request of a tailored brief; the topic goes in fenced, as data."""
    nonce = new_nonce()
    while nonce in topic:
        nonce = new_nonce()
    steps = [s.step for s in slots]
    return library.render_prompt(
        "brief/prompt.j2",
        {
            "problem": topic,
            "program": program_vars(program),
            "steps": [
                {
                    **step_vars(steps, s.step),
                    "hat": hat_info(s.step.hat),
                    "box": format_box(s.seconds),
                    "count": _count(*question_limits(s.step)),
                    "vote": is_vote(steps, s.step, program.compares_alternatives),
                }
                for s in slots
            ],
            "step_ids": [s.id for s in steps],
            "dots": DOTS_EACH,
            "nonce": nonce,
        },
    )


async def tailored_plan(
    session: Session, library: PromptLibrary, topic: str, program: Program, slots: list[Slot]
) -> TailoredPlan:
    """Ask the session's model, once (plus re-asks), for the brief's framing and questions.

    An answer that still fails validation after the re-asks is salvaged: `missing()` names
    the steps that must come from the banks. Any other failure (server, key) is raised.
    """
    model = session.provider.model_for("brief", "blue", None)
    step_ids = [s.step.id for s in slots]
    limits = step_limits(slots)
    answers: list[dict[str, Any]] = []
    prompt = model_prompt(library, topic, program, slots)
    try:
        done = await session.ask(
            model, prompt, plan_model(limits), answers=answers, step_ids=step_ids
        )
    except ModelError as exc:
        if not answers and "did not fit the schema" not in exc.message:
            raise  # the server failed, not the model's answer
        plan = salvage(answers[-1] if answers else {}, limits)
        plan.model = model
        plan.usage = Usage(requests=len(answers))
        return plan
    data = done.output.model_dump(by_alias=True)
    return TailoredPlan(
        purpose=data["purpose"],
        framing=data["framing"],
        out_of_scope=data["out_of_scope"],
        pre_work=[InformationGap.model_validate(g) for g in data["pre_work"]],
        questions=data["steps"],
        usage=done.usage,
        model=model,
    )
