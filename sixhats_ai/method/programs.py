"""Programs: named sequences of hats, loaded from TOML files.

The eight programs of the method ship in `programs/`; a user adds or overrides programs by
putting files in `<config dir>/programs/`, or passes a path to a file of their own. A program
always opens and closes with the blue hat: the opening blue frames the thinking, the closing
blue synthesises the report.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sixhats_ai.errors import UsageError
from sixhats_ai.method.hats import Hat, hat_info
from sixhats_ai.resources import packaged_dir

PROGRAM_FORMAT = 1

StepRole = Literal["framing", "hat", "synthesis"]
# How the closing blue closes a program (the report models live in `closing`).
ClosingShape = Literal["decision", "shortlist", "keep-stop-start", "direction", "review"]
CLOSING_SHAPES: tuple[ClosingShape, ...] = (
    "decision",
    "shortlist",
    "keep-stop-start",
    "direction",
    "review",
)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hat: Hat
    focus: str | None = None
    optional: bool = False
    extended: bool = Field(False, description="an extended session, e.g. an opening white hat")
    minutes: float | None = Field(None, gt=0, description="time box, overrides the hat's default")
    model: str | None = Field(None, description="model for this step, overrides the run's model")

    @property
    def label(self) -> str:
        name = f"{self.hat.value.capitalize()}"
        return f"{name} ({self.focus})" if self.focus else name

    @property
    def default_seconds(self) -> float:
        """The method's time box: about 2 minutes a hat, red 30 s, an extended step doubled."""
        if self.minutes is not None:
            return self.minutes * 60
        seconds = hat_info(self.hat).time_box_seconds
        return seconds * 2 if self.extended else seconds


class PlannedStep(BaseModel):
    """A step placed in a run: its id (`3-black`), its position and its role."""

    model_config = ConfigDict(frozen=True)

    id: str
    index: int
    role: StepRole
    step: Step

    @property
    def hat(self) -> Hat:
        return self.step.hat


class Program(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    summary: str = ""
    compares_alternatives: bool = False
    closing: ClosingShape = Field(
        "decision", description="how the closing blue closes: decision, shortlist, ..."
    )
    steps: tuple[Step, ...] = Field(min_length=2)
    emergent: bool = Field(
        False, description="blue chooses each next hat as the meeting goes (see `emergent`)"
    )
    source: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _check_shape(self) -> Program:
        if self.format != PROGRAM_FORMAT:
            raise ValueError(
                f"format {self.format} is not supported; this version reads format {PROGRAM_FORMAT}"
            )
        if self.steps[0].hat is not Hat.BLUE or self.steps[-1].hat is not Hat.BLUE:
            raise ValueError("a program must open and close with the blue hat")
        if self.steps[0].optional or self.steps[-1].optional:
            raise ValueError("the opening and closing blue steps cannot be optional")
        if self.emergent and len(self.steps) != 2:
            raise ValueError("an emergent program has only its opening and closing blue steps")
        return self

    @property
    def sequence(self) -> str:
        """The program as the method writes it: `Blue, White, (Green), ...`."""
        if self.emergent:
            return "Blue, (hats chosen by blue as the meeting goes), Blue"
        return ", ".join(f"({s.label})" if s.optional else s.label for s in self.steps)

    def plan(self, *, include_optional: bool = True) -> list[PlannedStep]:
        """The steps a run executes, with stable ids; optional steps may be left out. Worked
        out once a program: a batch in rounds plans each of its runs again on every pass."""
        kept = _PLANS.get((id(self), include_optional))
        if kept is None or kept[0] is not self:
            if len(_PLANS) >= PLANS_KEPT:
                _PLANS.clear()
            kept = _PLANS[id(self), include_optional] = (self, self._plan(include_optional))
        return list(kept[1])

    def _plan(self, include_optional: bool) -> tuple[PlannedStep, ...]:
        last = len(self.steps) - 1
        planned = []
        for index, step in enumerate(self.steps):
            if step.optional and not include_optional:
                continue
            role: StepRole = "framing" if index == 0 else "synthesis" if index == last else "hat"
            planned.append(
                PlannedStep(id=f"{index + 1}-{step.hat.value}", index=index, role=role, step=step)
            )
        return tuple(planned)


# Plans by program (the object: a program is frozen) and `include_optional`, the program kept
# beside its plan so that its id is not another's; a few programs a process.
_PLANS: dict[tuple[int, bool], tuple[Program, tuple[PlannedStep, ...]]] = {}
PLANS_KEPT = 64


def _format_validation_error(path: Path, error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "file"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "enum":
        message = f"{first['input']!r} is not a hat (use one of {', '.join(h.value for h in Hat)})"
    elif first["type"] == "missing":
        message = "field is missing"
    return f"{path}: {where}: {message}"


def load_program_file(path: Path) -> Program:
    """Read and validate one program file; every problem becomes a one-line UsageError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"program file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read program file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: TOML syntax error: {exc}", hint="fix the file") from None
    data.pop("source", None)
    try:
        return Program.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise UsageError(
            _format_validation_error(path, exc), hint="see `sixhats programs show choose`"
        ) from None


def program_dirs(user_dir: Path | None) -> list[Path]:
    """Folders searched for programs, the packaged one first so user files override it."""
    dirs = [packaged_dir("programs")]
    if user_dir is not None and user_dir.is_dir():
        dirs.append(user_dir)
    return dirs


def load_programs(
    user_dir: Path | None = None, problems: list[tuple[Path, UsageError]] | None = None
) -> dict[str, Program]:
    """All known programs by slug; a user file with the same slug replaces the packaged one.

    With a `problems` list, a broken file is listed there and skipped, so one bad file in the
    config dir does not hide every other program; without one, it raises.
    """
    programs: dict[str, Program] = {}
    for folder in program_dirs(user_dir):
        for path in sorted(folder.glob("*.toml")):
            try:
                program = load_program_file(path)
            except UsageError as exc:
                if problems is None:
                    raise
                problems.append((path, exc))
                continue
            programs[program.slug] = program
    return programs


def looks_like_path(ref: str) -> bool:
    """Whether a program reference names a file rather than a slug or a name."""
    return ref.endswith(".toml") or "/" in ref or "\\" in ref


def find_program(ref: str, user_dir: Path | None = None) -> Program:
    """A program by slug, by full name (case-insensitive), or by path to a program file."""
    if looks_like_path(ref):
        return load_program_file(Path(ref).expanduser())
    problems: list[tuple[Path, UsageError]] = []
    programs = load_programs(user_dir, problems)
    wanted = ref.strip().casefold()
    for path, problem in problems:  # the user's own file for this program is broken
        if path.stem.casefold() == wanted:
            raise problem
    for program in programs.values():
        if wanted in (program.slug.casefold(), program.name.casefold()):
            return program
    if problems:
        raise problems[0][1]
    raise UsageError(
        f"unknown program {ref!r}",
        hint=f"use one of: {', '.join(programs)}; or a path to a .toml program file",
    )
