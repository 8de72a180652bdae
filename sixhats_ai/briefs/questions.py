"""A brief's questions from the question banks, and the variables every brief template gets.

The banks (`prompts/brief/bank/<hat>.toml`, see `bank.py`) are program-aware: each step gets
its place in the program (`earlier`: the hats before it), a `theme` read from its focus in the
program file or, for a green straight after a black, "green on black", and what yellow, black
and red look at (`on`): the options of a program that chooses, the ideas of an earlier green,
or else the subject itself (the current process, the proposal, the draft). The topic is named
only by its short name (`subject`), never pasted in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sixhats_ai.briefs.bank import On, Place, Role, Theme, load_bank, select
from sixhats_ai.errors import UsageError
from sixhats_ai.method.agenda import DOTS_EACH, is_check, is_vote
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import PlannedStep, Program
from sixhats_ai.method.topic import Subject
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.report import (
    BlackOutput,
    GreenOutput,
    InformationGap,
    RedOutput,
    Report,
    WhiteOutput,
    YellowOutput,
)

MIN_QUESTIONS = 3
MAX_QUESTIONS = 5
MAX_PRE_WORK = 5
GREEN_ON_BLACK = "on black, ways round the weak points"
GREEN_ON_CHOSEN = "on black, ways round the chosen idea's weak points"

_BULLET = re.compile(r"^[-*•]\s+")


def render_lines(library: PromptLibrary, name: str, variables: dict[str, Any]) -> list[str]:
    """A template rendered as a list: one item a non-empty line, bullets stripped, no repeats."""
    text = library.render_text(name, variables)
    lines = (_BULLET.sub("", line.strip()) for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def one_line(text: str) -> str:
    return " ".join(text.split())


def _finding(text: str) -> str:
    """A finding to quote inside a question: one line, no closing punctuation of its own."""
    return one_line(text).rstrip(".?!")


def program_vars(program: Program) -> dict[str, Any]:
    return {
        "name": program.name,
        "slug": program.slug,
        "sequence": program.sequence,
        "summary": program.summary,
        "compares_alternatives": program.compares_alternatives,
        "closing": program.closing,
    }


def _earlier(steps: list[PlannedStep], step: PlannedStep) -> list[str]:
    return [s.hat.value for s in steps if s.index < step.index]


def step_theme(steps: list[PlannedStep], step: PlannedStep) -> Theme | None:
    """What a step's questions are about, beyond its hat: from its focus, or its place."""
    focus = (step.step.focus or "").lower()
    if "other people" in focus or "opv" in focus:
        return "opv"
    if step.hat is Hat.WHITE:
        return "facts"
    if step.hat is not Hat.GREEN:
        return None
    if "yellow" in focus or "benefit" in focus:
        return "green_on_yellow"
    if "black" in focus or "risk" in focus:
        return "green_on_black"
    before = [s for s in steps if s.index < step.index]
    if not focus and before and before[-1].hat is Hat.BLACK:
        return "green_on_black"
    return "ideas"


def step_focus(steps: list[PlannedStep], step: PlannedStep) -> str | None:
    """The focus the agenda shows: the program file's, or green on black where it follows."""
    if step.step.focus or step_theme(steps, step) != "green_on_black":
        return step.step.focus
    earlier = _earlier(steps, step)
    return GREEN_ON_CHOSEN if "green" in earlier and "red" in earlier else GREEN_ON_BLACK


def question_limits(step: PlannedStep) -> tuple[int, int]:
    """How many questions a step takes: red one instruction, an opening blue and a check 2 or
    3, a closing blue 3 or 4, any other hat 3 to 5."""
    if step.hat is Hat.RED:
        return 1, 1
    if step.role == "framing" or is_check(step):
        return 2, 3
    if step.role == "synthesis":
        return 3, 4
    return MIN_QUESTIONS, MAX_QUESTIONS


def _role(step: PlannedStep) -> Role:
    return "check" if is_check(step) else step.role


def looks_at(program: Program, steps: list[PlannedStep], step: PlannedStep) -> On:
    """What yellow, black and red look at: the options, the ideas of an earlier green, or
    the subject itself (before any green: the current situation)."""
    if program.compares_alternatives:
        return "options"
    return "ideas" if "green" in _earlier(steps, step) else "subject"


def step_vars(steps: list[PlannedStep], step: PlannedStep) -> dict[str, Any]:
    return {
        "id": step.id,
        "label": step.step.label,
        "role": step.role,
        "focus": step_focus(steps, step),
        "theme": step_theme(steps, step),
        "limits": question_limits(step),
        "extended": step.step.extended,
        "optional": step.step.optional,
    }


@dataclass
class Findings:
    """What a saved report found, by kind, as one-line texts for the question banks."""

    gaps: list[InformationGap]
    risks: list[str]
    benefits: list[str]
    ideas: list[str]
    feelings: list[str]
    open_questions: list[str]

    @classmethod
    def none(cls) -> Findings:
        return cls([], [], [], [], [], [])

    @classmethod
    def of(cls, report: Report) -> Findings:
        found = cls.none()
        for record in report.steps:
            out = record.output
            if isinstance(out, WhiteOutput):
                found.gaps += out.gaps
            elif isinstance(out, BlackOutput):
                found.risks += [r.point for r in out.risks]
            elif isinstance(out, YellowOutput):
                found.benefits += [b.point for b in out.benefits]
            elif isinstance(out, GreenOutput):
                found.ideas += [i.idea for i in out.ideas]
            elif isinstance(out, RedOutput):
                found.feelings += [f"{r.about}: {r.feeling}" for r in out.reactions]
        found.risks += [r.text for r in report.synthesis.risks]
        found.benefits += [b.text for b in report.synthesis.benefits]
        found.open_questions = [q.question for q in report.synthesis.open_questions]
        for name in ("risks", "benefits", "ideas", "feelings", "open_questions"):
            setattr(found, name, list(dict.fromkeys(map(_finding, getattr(found, name)))))
        return found

    def as_vars(self) -> dict[str, Any]:
        return {
            "gaps": [_finding(g.question) for g in self.gaps],
            "risks": self.risks,
            "benefits": self.benefits,
            "ideas": self.ideas,
            "feelings": self.feelings,
            "open_questions": self.open_questions,
        }


@dataclass
class BankContext:
    """What every question bank is read with, for one brief."""

    library: PromptLibrary
    program: Program
    steps: list[PlannedStep]
    subject: Subject
    findings: Findings
    alternatives: list[str]

    def _values(self) -> dict[str, str]:
        listed = f" ({', '.join(self.alternatives)})" if self.alternatives else ""
        return {
            "subject": self.subject.name,
            "Subject": self.subject.capitalised,
            "dots": str(DOTS_EACH),
            "alternatives": listed,
        }

    def _findings(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.findings.as_vars().items() if isinstance(v, list)}

    def place(self, step: PlannedStep) -> Place:
        compares = self.program.compares_alternatives
        return Place(
            role=_role(step),
            program=self.program.slug,
            kind=self.subject.kind,
            closing=self.program.closing,
            on=looks_at(self.program, self.steps, step),
            theme=step_theme(self.steps, step),
            earlier=frozenset(_earlier(self.steps, step)),
            vote=is_vote(self.steps, step, compares),
        )

    def questions(self, step: PlannedStep) -> list[str]:
        """A step's questions from its hat's bank, as many as its role takes."""
        name = f"{step.hat.value}.toml"
        low, high = question_limits(step)
        entries = load_bank(name, self.library.user_dir)
        found = select(entries, self.place(step), self._values(), self._findings(), high)
        if len(found) < low:
            raise UsageError(
                f"question bank brief/bank/{name} gives {len(found)} questions for step "
                f"{step.id}; it needs at least {low}",
                hint="add questions without conditions, or with conditions this step meets",
            )
        return found

    def pre_work(self) -> list[str]:
        """The pre-work for this program and kind of topic (`brief/bank/prework.toml`)."""
        themes = frozenset(t for s in self.steps if (t := step_theme(self.steps, s)))
        place = Place(
            role="hat",
            program=self.program.slug,
            kind=self.subject.kind,
            closing=self.program.closing,
            earlier=frozenset(s.hat.value for s in self.steps),
            themes_in_program=themes,
        )
        entries = load_bank("prework.toml", self.library.user_dir)
        return select(entries, place, self._values(), self._findings(), MAX_PRE_WORK)

    def common_vars(self, minutes: int, participants: int | None, suggested: int) -> dict[str, Any]:
        """The variables of the purpose and facilitator-notes templates."""
        return {
            "subject": {"kind": self.subject.kind, "name": self.subject.name},
            "program": program_vars(self.program),
            "hats": [s.hat.value for s in self.steps],
            "minutes": minutes,
            "participants": participants,
            "suggested_minutes": suggested,
            "green_on_black": any(
                step_theme(self.steps, s) == "green_on_black" for s in self.steps
            ),
        }
