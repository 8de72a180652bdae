"""What kind of topic a meeting has, and how its questions refer to it.

A question bank that pastes the topic in as a quoted noun reads badly ("What are the benefits
of "Our backlog has doubled", and for whom?"). So the topic is first read as one of three
kinds, each with its own phrasings in the banks:

- a question to answer ("Should we replace the on-call rota?");
- a proposal to assess ("Adopt a four-day week", "We propose to open a second office");
- a problem to solve ("Our customer support backlog has doubled in three months").

`Subject` gives the banks a noun for the topic ("the proposal") and a phrase that names it in
full once, in a form that reads as a clause ("the proposal to adopt a four-day week").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sixhats_ai.errors import UsageError

TopicKind = Literal["question", "proposal", "problem"]
KINDS: tuple[TopicKind, ...] = ("question", "proposal", "problem")
TOPIC_CHARS = 120

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


def detect_kind(topic: str) -> TopicKind:
    """The topic's kind, from its form: a question mark or question word, a proposing
    phrase or an imperative verb, else a problem stated."""
    text = " ".join(topic.split())
    first = text.split(" ", 1)[0].lower().strip(",:;") if text else ""
    if text.endswith("?") or first in _QUESTION_WORDS:
        return "question"
    if _PROPOSAL_PREFIX.match(text) or first in _PROPOSAL_VERBS:
        return "proposal"
    return "problem"


def parse_kind(text: str | None, topic: str) -> TopicKind:
    """--kind as given, or detected from the topic."""
    if text is None:
        return detect_kind(topic)
    if text not in KINDS:
        raise UsageError(f"unknown --kind {text!r}", hint="use question, proposal or problem")
    return text


def short_topic(topic: str) -> str:
    """The topic on one line, without its closing punctuation (the questions add their own),
    cut at a word near TOPIC_CHARS."""
    line = " ".join(topic.split()).rstrip(".?!")
    if len(line) <= TOPIC_CHARS:
        return line
    return line[:TOPIC_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _lower_first(text: str) -> str:
    """`Our backlog` -> `our backlog`, but `API limits` and `I` stay as written."""
    first = text.split(" ", 1)[0]
    if (len(first) > 1 and first[1:2].isupper()) or first == "I":
        return text
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class Subject:
    """How the questions refer to the topic."""

    kind: TopicKind
    text: str  # the topic as a clause: lower-case start, no closing punctuation
    noun: str  # "the question", "the proposal", "the problem"
    about: str  # the topic named in full, as a phrase (no closing punctuation)

    def as_vars(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "noun": self.noun, "about": self.about}


def subject_of(topic: str, kind: TopicKind) -> Subject:
    text = _lower_first(short_topic(topic))
    if kind == "proposal":
        action = _PROPOSAL_PREFIX.sub("", text, count=1)
        verb = action.split(" ", 1)[0].lower()
        about = (
            f"the proposal to {_lower_first(action)}"
            if verb in _PROPOSAL_VERBS
            else f"the proposal: {action}"
        )
        return Subject(kind, action, "the proposal", about)
    if kind == "question":
        return Subject(kind, text, "the question", f"the question: {text}")
    return Subject(kind, text, "the problem", f"the problem: {text}")
