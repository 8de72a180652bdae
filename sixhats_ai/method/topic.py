"""What kind of topic a meeting has, and how a brief's questions refer to it.

A facilitator states the topic once and keeps the questions short: "this proposal", "the
options", "our release process". So the topic is read as one of six kinds, each with its own
wording in the question banks:

- options to choose between ("Which CRM should we choose?");
- a proposal to assess, or a yes/no question ("Should we expand into Germany?", "Adopt a
  four-day week");
- a draft to give feedback on ("Draft onboarding guide for new support agents");
- a problem to solve ("Our customer support backlog has doubled in three months");
- a process to improve ("Our release process: deploys take two days");
- a plan to shape ("Our 2026 growth strategy").

`Subject` gives the banks the short name they use for it ("the draft", "the release process").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sixhats_ai.errors import UsageError

TopicKind = Literal["options", "proposal", "draft", "problem", "process", "plan"]
KINDS: tuple[TopicKind, ...] = ("options", "proposal", "draft", "problem", "process", "plan")
TOPIC_CHARS = 120
# The kind a program's topics usually are, when the topic's words do not say.
PROGRAM_KINDS: dict[str, TopicKind] = {
    "choose": "options",
    "quick-feedback": "draft",
    "process-improvement": "process",
    "strategic-planning": "plan",
}

_QUESTION_WORDS = [
    "should",
    "shall",
    "can",
    "could",
    "how",
    "what",
    "which",
    "why",
    "when",
    "where",
    "who",
    "whom",
    "whose",
    "is",
    "are",
    "am",
    "was",
    "were",
    "do",
    "does",
    "did",
    "will",
    "would",
    "may",
    "might",
    "must",
    "has",
    "have",
    "had",
]
_PROPOSAL_PREFIX = re.compile(
    r"^(?:(?:a\s+)?proposal\s*(?:to|:)\s*|we\s+(?:propose|plan|want|intend|recommend)\s+to\s+"
    r"|(?:i|we)\s+(?:should|could|must)\s+|let'?s\s+|plan\s+to\s+|propose\s+to\s+)",
    re.IGNORECASE,
)
_PROPOSAL_VERBS = [
    "adopt",
    "add",
    "allow",
    "ban",
    "build",
    "buy",
    "cancel",
    "change",
    "close",
    "create",
    "cut",
    "drop",
    "expand",
    "extend",
    "hire",
    "introduce",
    "invest",
    "launch",
    "merge",
    "migrate",
    "move",
    "offer",
    "open",
    "outsource",
    "pilot",
    "raise",
    "reduce",
    "replace",
    "restructure",
    "retire",
    "run",
    "sell",
    "ship",
    "start",
    "stop",
    "switch",
    "try",
    "upgrade",
    "use",
]


_DRAFT = re.compile(
    r"\b(?:drafts?|feedback on|comments on|review (?:of|the|our|my)|proofread|v\d+ of)\b", re.I
)
_CHOICE = re.compile(
    r"^(?:which|choose|choosing|pick|select|selecting|compare|comparing)\b|"
    r"\b(?:choose|pick|select|go with|decide between|choice of|which of)\b|\bor\b.*\?$",
    re.I,
)
_PROCESS = re.compile(r"\b(?:process|processes|workflow|procedure|pipeline|hand-?offs?)\b", re.I)
_PLAN = re.compile(r"\b(?:strategy|strategic|roadmap|plan|planning|vision|goals for)\b", re.I)
_YES_NO = re.compile(
    r"\b(?:should|shall|can|could|must|do|does|will|would)\s+(?:we|i|they|the \w+|our \w+)\b"
    r"|\bis it (?:worth|time)\b",
    re.I,
)
_HOW = re.compile(r"^(?:how|why|what can|what should)\b", re.I)


def _form_kind(text: str) -> TopicKind | None:
    """The kind the topic's own words give, or None."""
    first = text.split(" ", 1)[0].lower().strip(",:;") if text else ""
    if _DRAFT.search(text):
        return "draft"
    if _CHOICE.search(text):
        return "options"
    if _PROCESS.search(text) and not _YES_NO.search(text):
        return "process"
    if _HOW.match(text):
        return "plan" if _PLAN.search(text) else "problem"
    if _YES_NO.search(text) or text.endswith("?") or first in _QUESTION_WORDS:
        return "proposal"
    if _PROPOSAL_PREFIX.match(text) or first in _PROPOSAL_VERBS:
        return "proposal"
    if _PLAN.search(text):
        return "plan"
    return None


def detect_kind(topic: str, program: str | None = None) -> TopicKind:
    """The topic's kind, from its words (a draft, a choice, a process, a question, a
    proposing verb, a plan), else the kind the program's topics usually are, else a problem."""
    found = _form_kind(" ".join(topic.split()))
    return found or PROGRAM_KINDS.get(program or "", "problem")


def parse_kind(text: str | None, topic: str, program: str | None = None) -> TopicKind:
    """The kind given (`kind`), or detected from the topic and the program ("question", the
    old kind of a topic asked as a question, is detected too: options, proposal or problem)."""
    if text is None or text == "question":
        return detect_kind(topic, program)
    if text not in KINDS:
        raise UsageError(f"unknown kind {text!r}", hint=f"use one of: {', '.join(KINDS)}")
    return text


def short_topic(topic: str) -> str:
    """The topic on one line, without its closing punctuation, cut at a word near
    TOPIC_CHARS."""
    line = " ".join(topic.split()).rstrip(".?!")
    if len(line) <= TOPIC_CHARS:
        return line
    return line[:TOPIC_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_NAMED_PROCESS = re.compile(
    r"\b(?:our|the|my|their)\s+((?:[\w-]+\s+){0,2}(?:process|workflow|procedure|pipeline))\b",
    re.I,
)
_NOUNS: dict[TopicKind, str] = {
    "options": "the options",
    "proposal": "the proposal",
    "draft": "the draft",
    "problem": "the problem",
    "process": "the process",
    "plan": "the plan",
}


@dataclass(frozen=True)
class Subject:
    """How the questions refer to the topic: by kind and a short name, never the topic."""

    kind: TopicKind
    name: str  # "the draft", "the release process", "the strategy"

    @property
    def capitalised(self) -> str:
        return self.name[:1].upper() + self.name[1:]


def subject_of(topic: str, kind: TopicKind) -> Subject:
    """The short name: the process the topic names ("our release process" -> "the release
    process"), "the strategy" for a strategy, else the kind's noun."""
    text = " ".join(topic.split())
    if kind == "process" and (found := _NAMED_PROCESS.search(text)):
        return Subject(kind, "the " + found.group(1).lower())
    if kind == "plan" and re.search(r"\bstrategy\b", text, re.I):
        return Subject(kind, "the strategy")
    return Subject(kind, _NOUNS[kind])
