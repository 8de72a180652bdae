"""A brief's questions from the question banks, and the variables every brief template gets.

The banks (`prompts/brief/bank/<hat>.j2`, overridable) are program-aware: each step gets its
place in the program (`earlier`: the hats before it), a `theme` read from its focus in the
program file or, for a green straight after a black, "green on black", and `options`, whether
its red hat has anything to vote on. The topic comes as `topic` (one line) and `subject`, so a
bank names it in a clause that reads well for its kind, never as a quoted noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sixhats_ai.errors import UsageError
from sixhats_ai.method.agenda import RED_LABEL
from sixhats_ai.method.hats import Hat, hat_info
from sixhats_ai.method.programs import PlannedStep, Program
from sixhats_ai.method.topic import Subject, short_topic
from sixhats_ai.prompts import PromptLibrary

if TYPE_CHECKING:  # a report's models: only a brief built on a saved report needs them
    from sixhats_ai.run.report import InformationGap, Report

MIN_QUESTIONS = 3
MAX_QUESTIONS = 5
GREEN_ON_BLACK = "green on black: ways round the risks"
GREEN_ON_CHOSEN = "green on black: overcome the chosen idea's risks"

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
    }


def _earlier(steps: list[PlannedStep], step: PlannedStep) -> list[str]:
    return [s.hat.value for s in steps if s.index < step.index]


def step_theme(steps: list[PlannedStep], step: PlannedStep) -> str | None:
    """What a step's questions are about, beyond its hat: from its focus, or its place."""
    focus = (step.step.focus or "").lower()
    if "other people" in focus or "opv" in focus:
        return "opv"
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


def has_options(program: Program, steps: list[PlannedStep], step: PlannedStep) -> bool:
    """Whether a red hat has something to put dots on: alternatives, or earlier ideas."""
    return program.compares_alternatives or "green" in _earlier(steps, step)


def step_vars(steps: list[PlannedStep], step: PlannedStep) -> dict[str, Any]:
    return {
        "id": step.id,
        "label": step.step.label,
        "role": step.role,
        "focus": step_focus(steps, step),
        "theme": step_theme(steps, step),
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
        from sixhats_ai.run.report import (
            BlackOutput,
            GreenOutput,
            RedOutput,
            WhiteOutput,
            YellowOutput,
        )

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
    """What every question bank is rendered with, for one brief."""

    library: PromptLibrary
    program: Program
    steps: list[PlannedStep]
    topic: str
    subject: Subject
    findings: Findings
    alternatives: list[str]

    def questions(self, step: PlannedStep) -> list[str]:
        """A step's questions from its hat's bank: the first MAX_QUESTIONS lines it gives."""
        name = f"brief/bank/{step.hat.value}.j2"
        questions = render_lines(
            self.library,
            name,
            {
                "topic": short_topic(self.topic),
                "subject": self.subject.as_vars(),
                "hat": hat_info(step.hat),
                "step": step_vars(self.steps, step),
                "program": program_vars(self.program),
                "alternatives": self.alternatives,
                "options": has_options(self.program, self.steps, step),
                "earlier": _earlier(self.steps, step),
                "findings": self.findings.as_vars(),
            },
        )
        if len(questions) < MIN_QUESTIONS:
            raise UsageError(
                f"template {name} gives {len(questions)} questions for step {step.id}; "
                f"a step needs at least {MIN_QUESTIONS}",
                hint="put one question a line in the template",
            )
        return questions[:MAX_QUESTIONS]

    def common_vars(self, minutes: int, participants: int | None, suggested: int) -> dict[str, Any]:
        """The variables of the pre-work, notes and purpose templates."""
        return {
            "topic": short_topic(self.topic),
            "subject": self.subject.as_vars(),
            "program": program_vars(self.program),
            "hats": [s.hat.value for s in self.steps],
            "minutes": minutes,
            "participants": participants,
            "suggested_minutes": suggested,
            "red_label": RED_LABEL,
            "green_on_black": any(
                step_theme(self.steps, s) == "green_on_black" for s in self.steps
            ),
        }
