"""Participants at the meeting (`--personas`): every one of them wears each hat.

A hat step gathers each participant's contribution under the hat: by default in one request
whose schema is the hat's answer per participant (`participant` an enum of the roster), or
with `--personas-mode separate` one request per participant, run concurrently. The step's
`output` merges the contributions (what the comparison and the later steps' schemas read:
the red hat's dots are everyone's, so the tally is the dot vote), and `contributions` keeps
who said what (what the board and the reports show). With `--personas N` the opening blue
proposes the roster, and the run records it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from sixhats_ai.method.hat_outputs import Framing, StepOutput
from sixhats_ai.method.participants import Participant, Roster, RosterRequest
from sixhats_ai.method.programs import PlannedStep
from sixhats_ai.run.report import Contribution, StepRecord, Usage
from sixhats_ai.run.structured import ValidatedAnswer
from sixhats_ai.run.together import all_at_once

if TYPE_CHECKING:
    from sixhats_ai.run.request import RunRequest

PLACEHOLDER_NAME = "(participant {n})"  # a dry run's roster when the opening blue proposes it


def roster_names(request: RunRequest) -> tuple[str, ...]:
    """The names of this run's participants: known, or placeholders until blue proposes."""
    wanted = request.roster
    if wanted is None:
        return ()
    if wanted.roster is not None:
        return tuple(wanted.roster.names)
    return tuple(PLACEHOLDER_NAME.format(n=n) for n in range(1, (wanted.count or 0) + 1))


def is_panel(request: RunRequest, step: PlannedStep) -> bool:
    """Whether `step` gathers every participant's contribution (the hats, not the blues
    that open and close, nor an emergent run's process requests)."""
    return request.roster is not None and step.role == "hat" and not step.id.endswith("-process")


def meeting_variables(request: RunRequest, step: PlannedStep) -> dict[str, Any]:
    """What every template is told about the meeting: its participants, whether this step
    answers for each of them, whether the opening blue proposes them, whether blue chooses
    the hats as it goes."""
    wanted = request.roster
    known = wanted.roster if wanted is not None else None
    return {
        "participants": []
        if step.role == "framing"
        else [p.describe() for p in known.participants]
        if known is not None
        else list(roster_names(request)),
        "panel": is_panel(request, step) and request.personas_mode == "together",
        "participant": None,
        "propose_roster": wanted.count
        if wanted is not None and known is None and step.role == "framing"
        else None,
        "emergent": request.program.emergent,
        "process": None,
    }


@cache
def opening_model(emergent: bool, proposes: int | None) -> type[Framing]:
    """The opening blue's answer: the framing, plus the information gaps an emergent run
    steers by and the roster `--personas N` asks it to propose."""
    extra: dict[str, Any] = {}
    if emergent:
        extra["information_gaps"] = (
            list[str],
            Field(description="information the session lacks", max_length=6),
        )
    if proposes:
        extra["participants"] = (
            list[Participant],
            Field(
                description="the meeting's participants", min_length=proposes, max_length=proposes
            ),
        )
    if not extra:
        return Framing
    model: type[Framing] = create_model("Framing", __base__=Framing, **extra)
    return model


def kept_roster(steps: Sequence[StepRecord], roster: Roster | None) -> RosterRequest | None:
    """A rerun's participants: the stored run's roster (or, when its synthesis failed and no
    report was kept, the names its steps were answered by)."""
    if roster is not None:
        return RosterRequest(roster=roster)
    names = next(([c.participant for c in s.contributions] for s in steps if s.contributions), [])
    if not names:
        return None
    people = [Participant(name=name, role=name) for name in names]
    return RosterRequest(roster=Roster(participants=people, source="list"))


def adopt_roster(request: RunRequest, framing: Any) -> None:
    """Record the roster the opening blue proposed (names made unique), for the hats after."""
    wanted = request.roster
    proposed = getattr(framing, "participants", None)
    if wanted is None or wanted.roster is not None or not proposed:
        return
    people, seen = [], set[str]()
    for person in proposed:
        name = person.name
        while name.casefold() in seen:
            name = f"{name} {len(seen) + 1}"[:60]
        seen.add(name.casefold())
        people.append(person.model_copy(update={"name": name}))
    request.roster = RosterRequest(roster=Roster(participants=people, source="proposed"))


@cache
def panel_model(base: type[StepOutput], names: tuple[str, ...]) -> type[BaseModel]:
    """One request answers for everyone: the hat's answer per participant, each naming who."""
    participant: Any = Literal[names]
    attributed = create_model(
        f"{base.__name__}Contribution",
        __base__=base,
        participant=(participant, Field(description="whose contribution this is")),
    )
    model: type[BaseModel] = create_model(
        f"Panel{base.__name__}",
        contributions=(
            list[attributed],
            Field(
                description="one contribution per participant, in their own voice",
                min_length=len(names),
                max_length=len(names),
            ),
        ),
    )
    return model


def _max_items(model: type[BaseModel], name: str) -> int | None:
    for rule in model.model_fields[name].metadata:
        if getattr(rule, "max_length", None) is not None:
            return int(rule.max_length)
    return None


def merged(base: type[StepOutput], outputs: Sequence[StepOutput]) -> StepOutput:
    """The group's answer: each list taken in turns from every participant (so each one's
    first point comes first), within the hat's limits; the first one's words otherwise."""
    data = outputs[0].model_dump()
    for name in base.model_fields:
        lists = [getattr(o, name) for o in outputs]
        if not isinstance(lists[0], list):
            continue
        turns = [item for depth in range(max(map(len, lists))) for item in _at(lists, depth)]
        limit = _max_items(base, name)
        data[name] = [i.model_dump() if isinstance(i, BaseModel) else i for i in turns][:limit]
    return base.model_validate(data)


def _at(lists: list[list[Any]], depth: int) -> list[Any]:
    return [items[depth] for items in lists if depth < len(items)]


@dataclass
class PanelAnswer:
    """A hat step of the meeting: the merged answer, who said what, what it all cost."""

    output: StepOutput
    contributions: list[Contribution]
    usage: Usage
    mode: Any
    seconds: float
    model: str | None = None  # the model that answered, when the backend named it


def from_panel(base: type[StepOutput], done: ValidatedAnswer) -> PanelAnswer:
    """Split one request's answer for everyone into each participant's contribution."""
    contributions = [
        Contribution(
            participant=item.participant,
            output=base.model_validate(item.model_dump(exclude={"participant"})),
        )
        for item in getattr(done.output, "contributions", [])
    ]
    outputs = [c.output for c in contributions]
    return PanelAnswer(
        merged(base, outputs), contributions, done.usage, done.mode, done.seconds, done.model
    )


async def ask_separately(
    names: Sequence[str],
    base: type[StepOutput],
    ask: Callable[[str], Coroutine[Any, Any, ValidatedAnswer]],
) -> PanelAnswer:
    """One request per participant, all at once (the limiter keeps --concurrency); one that
    fails fails the step, and the others are cancelled rather than paid for in vain."""
    answers = await all_at_once(ask(name) for name in names)
    contributions = []
    usage = Usage()
    for name, done in zip(names, answers, strict=True):
        assert isinstance(done.output, StepOutput)
        contributions.append(Contribution(participant=name, output=done.output))
        usage.add(done.usage)
    outputs = [c.output for c in contributions]
    seconds = max(done.seconds for done in answers)
    first = answers[0]
    return PanelAnswer(
        merged(base, outputs), contributions, usage, first.mode, seconds, first.model
    )


def describe(request: RunRequest, name: str) -> str:
    """One participant as the separate request introduces them."""
    known = request.roster.roster if request.roster else None
    people = {p.name: p for p in known.participants} if known else {}
    return people[name].describe() if name in people else name
