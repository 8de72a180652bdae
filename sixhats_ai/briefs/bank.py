"""Question banks as data: each hat's questions, and the pre-work, with the conditions under
which a facilitator would ask them (`prompts/brief/bank/<hat>.toml`).

An entry holds when all its conditions do (the step's role, the program, the topic's kind,
what yellow and black look at, the step's theme, the hats before it, the program's closing,
whether red is a vote). A user's bank file adds its entries before the packaged ones, or
replaces them with `replace = true`. The topic is never pasted in: an entry names it by the
short `{subject}`; texts from a saved report come in as `{item}`, as data, never as a template.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sixhats_ai.errors import UsageError
from sixhats_ai.resources import packaged_dir

Role = Literal["framing", "check", "hat", "synthesis"]
On = Literal["options", "ideas", "subject"]
Theme = Literal["facts", "opv", "ideas", "green_on_black", "green_on_yellow"]
FindingKind = Literal["risks", "benefits", "ideas", "gaps", "open_questions"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = frozenset({"subject", "Subject", "dots", "alternatives", "item"})


class BankEntry(BaseModel):
    """One question (or pre-work item) and when it is asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    roles: tuple[Role, ...] | None = None
    programs: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    on: tuple[On, ...] | None = None
    themes: tuple[Theme, ...] | None = None
    after: tuple[str, ...] | None = None
    closing: tuple[str, ...] | None = None
    vote: bool | None = None
    each: FindingKind | None = None
    limit: int = Field(1, ge=1)


class _BankFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replace: bool = False
    question: list[BankEntry] = Field(default_factory=list)
    item: list[BankEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Place:
    """What a bank's conditions are checked against: one step of one brief."""

    role: Role
    program: str
    kind: str
    closing: str
    on: On = "subject"
    theme: Theme | None = None
    earlier: frozenset[str] = frozenset()
    vote: bool = False
    themes_in_program: frozenset[str] = field(default_factory=frozenset)

    def holds(self, entry: BankEntry) -> bool:
        themes = {self.theme} if self.theme else set()
        checks = (
            (entry.roles, {self.role}),
            (entry.programs, {self.program}),
            (entry.kinds, {self.kind}),
            (entry.on, {self.on}),
            (entry.themes, themes | set(self.themes_in_program)),
            (entry.closing, {self.closing}),
        )
        if any(wanted is not None and not set(wanted) & have for wanted, have in checks):
            return False
        if entry.after is not None and not set(entry.after) <= self.earlier:
            return False
        return entry.vote is None or entry.vote == self.vote


def _read(path: Path) -> _BankFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        bank = _BankFile.model_validate(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"question bank {path}: {exc}", hint="fix the file") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(
            f"question bank {path}: {where}: {first['msg']}",
            hint="see docs/briefs-and-minutes.md, 'Question banks'",
        ) from None
    for entry in [*bank.question, *bank.item]:
        unknown = set(PLACEHOLDER.findall(entry.text)) - PLACEHOLDERS
        if unknown:
            raise UsageError(
                f"question bank {path}: unknown placeholder {{{sorted(unknown)[0]}}}",
                hint="use {subject}, {Subject}, {dots}, {alternatives} or {item}",
            )
    return bank


@cache
def _packaged(name: str) -> list[BankEntry]:
    bank = _read(packaged_dir("prompts") / "brief" / "bank" / name)
    return [*bank.question, *bank.item]


def load_bank(name: str, user_dir: Path | None) -> list[BankEntry]:
    """A bank's entries: the user's (`<prompts dir>/brief/bank/<name>`) first, then the
    packaged ones unless the user's file says `replace = true`."""
    path = user_dir / "brief" / "bank" / name if user_dir is not None else None
    if path is None or not path.is_file():
        return _packaged(name)
    bank = _read(path)
    own = [*bank.question, *bank.item]
    return own if bank.replace else [*own, *_packaged(name)]


def fill(text: str, values: dict[str, str]) -> str:
    """The entry's text with its placeholders filled in; the values are never read as
    placeholders themselves."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def select(
    entries: list[BankEntry],
    place: Place,
    values: dict[str, str],
    findings: dict[str, list[str]],
    limit: int,
) -> list[str]:
    """The lines the entries that hold give, in order, at most `limit`, no repeats; an entry
    with `each` gives one line per finding of its kind (at most its own `limit`)."""
    lines: list[str] = []
    for entry in entries:
        if not place.holds(entry):
            continue
        if entry.each is None:
            lines.append(fill(entry.text, values))
        else:
            items = findings.get(entry.each, [])[: entry.limit]
            lines += [fill(entry.text, {**values, "item": item}) for item in items]
    return list(dict.fromkeys(" ".join(line.split()) for line in lines))[:limit]
