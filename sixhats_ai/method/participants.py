"""The meeting's participants: who wears each hat when a run simulates a group.

In a Six Thinking Hats meeting everyone wears the same hat at the same time (parallel
thinking), so a hat step gathers every participant's contribution under that hat. The roster
comes three ways (`--personas`): a list of names or roles, a TOML file describing each person,
or a number, when the opening blue proposes a roster fitting the problem.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sixhats_ai.errors import UsageError, option

MAX_PARTICIPANTS = 12
RosterSource = Literal["list", "file", "proposed"]
PersonasMode = Literal["together", "separate"]


class Participant(BaseModel):
    """One person at the meeting, as the model is asked to voice them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    role: str = Field("", max_length=120)
    knows: str = Field("", max_length=400, description="what they know about")
    cares_about: str = Field("", max_length=400, description="what they care about")

    def describe(self) -> str:
        """One line for a prompt: name, role and what shapes their view."""
        parts = [self.name + (f" ({self.role})" if self.role and self.role != self.name else "")]
        if self.knows:
            parts.append(f"knows {self.knows}")
        if self.cares_about:
            parts.append(f"cares about {self.cares_about}")
        return "; ".join(parts)


class Roster(BaseModel):
    """The participants of a run and where the roster came from (recorded in the report)."""

    participants: list[Participant] = Field(min_length=1, max_length=MAX_PARTICIPANTS)
    source: RosterSource

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.participants]


class RosterRequest(BaseModel):
    """What `--personas` asked for: a roster already known, or how many to propose."""

    roster: Roster | None = None
    count: int | None = Field(None, ge=1, le=MAX_PARTICIPANTS)

    @classmethod
    def of(cls, participants: int | Sequence[Participant]) -> RosterRequest:
        """`RunOptions(personas=...)` from a program: how many the opening blue proposes
        (`RosterRequest.of(4)`), or the people themselves, each named once
        (`RosterRequest.of([Participant(name="Ann", role="CFO"), ...])`)."""
        counted = isinstance(participants, int)
        size = participants if isinstance(participants, int) else len(participants)
        if not 1 <= size <= MAX_PARTICIPANTS:
            raise UsageError(
                f"{option('personas')} {size if counted else f'of {size} people'}: a meeting "
                f"here has 1 to {MAX_PARTICIPANTS} participants",
                hint=f"pass a number from 1 to {MAX_PARTICIPANTS}"
                if counted
                else f"name 1 to {MAX_PARTICIPANTS} people",
            )
        if isinstance(participants, int):
            return cls(count=participants)
        people = _unique(list(participants), option("personas"))
        return cls(roster=Roster(participants=people, source="list"))


def _unique(participants: list[Participant], where: str) -> list[Participant]:
    seen: set[str] = set()
    for participant in participants:
        key = participant.name.casefold()
        if key in seen:
            raise UsageError(
                f"{where}: {participant.name!r} is named twice",
                hint="give every participant a different name",
            )
        seen.add(key)
    return participants


def _from_file(path: Path) -> Roster:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(
            f"cannot read the personas file {path}: {exc}",
            hint="pass a UTF-8 TOML file with [[participants]] tables (name, role, knows, "
            "cares_about)",
        ) from None
    try:
        roster = Roster.model_validate({**data, "source": "file"})
        _unique(roster.participants, str(path))
        return roster
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "participants"
        raise UsageError(
            f"{path}: {where}: {first['msg']}",
            hint=f"each [[participants]] needs a name; at most {MAX_PARTICIPANTS} participants",
        ) from None


def parse_personas(value: str) -> RosterRequest:
    """`--personas`: a number (`4`), a TOML file (`team.toml`) or a list (`"finance, support"`)."""
    text = value.strip()
    if text.isdigit():
        return RosterRequest.of(int(text))
    if text.endswith(".toml"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise UsageError(
                f"the personas file {path} does not exist",
                hint="pass a TOML file, a number, or a comma-separated list of names",
            )
        return RosterRequest(roster=_from_file(path))
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or len(names) > MAX_PARTICIPANTS or any(len(n) > 60 for n in names):
        raise UsageError(
            f"{option('personas')} {value!r} is not a roster",
            hint=f"list 1 to {MAX_PARTICIPANTS} names of up to 60 characters: {option('personas')} "
            '"finance lead, support lead"',
        )
    return RosterRequest.of([Participant(name=name, role=name) for name in names])
