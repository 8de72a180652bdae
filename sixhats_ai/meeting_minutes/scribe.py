"""What a scribe types besides the hats' points, read from single lines wherever they stand.

Scribes do not fill in templates. They write "Decision: recommend Freshdesk" under the closing
blue, "ACTION Dana: send the contract - by 6 Feb" (or "AP", "TODO", "@dana") under any hat,
"Present: Ann (chair), Bob" under the title, and mark a remark made under the wrong hat with
"(black, parked)" or "that's yellow". Each reader here takes one line and says what it is, so
`notes.py` can place it: a decision, an action, a header field, or an off-hat remark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sixhats_ai.method.hats import Hat

_BOLD = re.compile(r"\*\*|__")
_DECISION = re.compile(
    r"^(?:decision|decided|agreed|we agreed|resolved|resolution)s?\s*(?::|\s[-–—])\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_ACTION_PREFIX = re.compile(
    r"^(?P<word>actions?(?:\s+points?|\s+items?)?|ap|ai|todo|to-do|to do)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
# After a lower-case "action" or "todo", a colon or an owner must follow ("todo list is long"
# is a point); "ACTION", "AP", "TODO" in capitals are enough.
_OWNER_NEXT = re.compile(r"^\s*(?::|[-–—]\s|@|\(@?[A-Za-z]|[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?\s*:)")
_NAME = r"[A-Za-z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?"
_OWNER_FIRST = re.compile(rf"^[(\[]?@?(?P<owner>{_NAME})[)\]]?\s*(?::|\s[-–—])\s*(?P<text>.+)$")
_AT = re.compile(r"(?<![\w.])@(?P<owner>[A-Za-z][\w.-]*[\w])")
_WILL = re.compile(r"^(?P<owner>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?)\s+(?:to|will)\s+(?P<text>.+)$")
# The last "by/due ..." at the end of the line: "ask whether we are covered by the licence -
# by 6 Feb" is due 6 Feb.
_DUE = re.compile(
    r"^(?P<text>.*)(?:\s*[-–—,;]\s*|\s+)[(\[]?(?:by|due|before|until|deadline)\b[:\s]*"
    r"(?P<due>[^()\[\]]{1,40}?)[)\]]?\s*\.?$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^(?P<key>when|date|time|present|attendees|attending|participants|in attendance|"
    r"facilitator|facilitated by|chair|scribe|note-?taker|notes by|notes|minutes by|apologies|"
    r"absent|topic|subject|program|programme)\s*(?::|\s[-–—])\s*(?P<value>.*)$",
    re.IGNORECASE,
)
HEADER_FIELDS = {
    "when": "when",
    "date": "when",
    "time": "when",
    "present": "attendees",
    "attendees": "attendees",
    "attending": "attendees",
    "participants": "attendees",
    "in attendance": "attendees",
    "facilitator": "facilitator",
    "facilitated by": "facilitator",
    "chair": "facilitator",
    "scribe": "scribe",
    "notetaker": "scribe",
    "note-taker": "scribe",
    "notes by": "scribe",
    "notes": "scribe",
    "minutes by": "scribe",
    "apologies": "absent",
    "absent": "absent",
    "topic": "topic",
    "subject": "topic",
    "program": "program",  # the brief's own line: the minutes say the program already
    "programme": "program",
}
# A mark is a hat and/or "parked" and these words only: "(red flag)" or "(see white paper)"
# are a scribe's words, not a mark.
_MARK_WORDS = frozenset(
    [
        "that's",
        "thats",
        "that",
        "is",
        "it's",
        "its",
        "hat",
        "point",
        "idea",
        "thinking",
        "remark",
        "noted",
        "note",
        "parked",
        "park",
        "for",
        "later",
        "move",
        "moved",
        "to",
        "under",
        "belongs",
        "really",
        "actually",
        "more",
        "a",
        "comment",
    ]
)
_HAT_NAMES = frozenset(h.value for h in Hat)
_TRAILING_PAREN = re.compile(r"\s*[(\[](?P<mark>[^()\[\]]{1,60})[)\]]\s*[.!]?\s*$")
_TRAILING_THATS = re.compile(
    r"\s*(?:[-–—,;:]\s*|\s)(?P<mark>(?:that'?s|thats|that is|->|→)\s+[^()]{1,60})$", re.IGNORECASE
)


def plain(line: str) -> str:
    """A line without its bold markers, for readers that look at its words."""
    return _BOLD.sub("", line).strip()


def decision_of(text: str) -> str | None:
    """The decision a "Decision: ..." line records ("" when only the label is there)."""
    found = _DECISION.match(plain(text))
    return found["text"].strip() if found else None


@dataclass
class Action:
    action: str
    owner: str = ""
    due: str = ""
    where: str = ""


_SOON = re.compile(
    r"^(?P<text>.*?)[\s,;-]+(?P<due>today|tonight|tomorrow|asap|eod|eow|this week|next week|"
    r"end of (?:the )?(?:day|week|month))\s*\.?$",
    re.IGNORECASE,
)


def _split_due(text: str) -> tuple[str, str]:
    found = _DUE.match(text) or _SOON.match(text)
    if found is None:
        return text.strip(), ""
    return found["text"].strip(" -–—,;"), found["due"].strip(" .")


def _owner_and_text(rest: str) -> tuple[str, str]:
    """Who and what, in the orders scribes write them: "Dana: ...", "@dana ...", "Dana to ..."."""
    if found := _OWNER_FIRST.match(rest):
        return found["owner"].strip(), found["text"].strip()
    if found := _AT.search(rest):
        text = (rest[: found.start()] + rest[found.end() :]).strip(" :-–—,;")
        return found["owner"], " ".join(text.split()).removeprefix("to ")
    if found := _WILL.match(rest):
        return found["owner"], found["text"].strip()
    return "", rest.strip()


def action_of(text: str, *, in_actions_section: bool = False) -> Action | None:
    """An action from "ACTION name: ... - by date", "AP", "TODO", "@name ..." (or any line of
    an "Actions" section); None for a line that is not one."""
    line = plain(text)
    found = _ACTION_PREFIX.match(line)
    if found is not None and (found["word"].isupper() or _OWNER_NEXT.match(found["rest"])):
        rest = found["rest"].lstrip(":-–— ")
    elif line.startswith("@") or in_actions_section:
        rest = line
    else:
        return None
    body, due = _split_due(rest)
    owner, what = _owner_and_text(body)
    owner = owner.lstrip("@")
    if owner.islower():  # a handle, "@omar"
        owner = owner.capitalize()
    return Action(action=what.rstrip("."), owner=owner, due=due)


def header_field(text: str) -> tuple[str, str] | None:
    """`("attendees", "Ann, Bob")` for "Present: Ann, Bob" and the template's "**Attendees:**"."""
    found = _HEADER.match(plain(text))
    if found is None:
        return None
    return HEADER_FIELDS[found["key"].lower()], found["value"].strip()


_PERSON_SPLIT = re.compile(r"\s*[,;]\s*|\s+and\s+|\s+&\s+")
_WHEN = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}:\d{2}|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2})\b",
    re.IGNORECASE,
)


def looks_like_when(text: str) -> bool:
    """A free-form header line that gives the date or the time ("Tue 3 Feb, 14:00")."""
    return _WHEN.search(text) is not None


def people(text: str) -> list[str]:
    """ "Ann (head of support, chair), Bob; Carol and Dan" as names, each with its role kept."""
    names, depth, current = [], 0, ""
    for piece in re.split(r"([()])", text.strip().rstrip(".")):
        depth += {"(": 1, ")": -1}.get(piece, 0)
        if depth > 0 or piece in "()":
            current += piece
            continue
        parts = _PERSON_SPLIT.split(piece)
        current += parts[0]
        for part in parts[1:]:
            names.append(current)
            current = part
    names.append(current)
    return [n.strip() for n in names if n.strip()]


@dataclass(frozen=True)
class Remark:
    """A point the scribe marked as said under the wrong hat: its text, its hat, parked or not."""

    text: str
    hat: Hat | None
    parked: bool


def _marked(mark: str) -> tuple[Hat | None, bool] | None:
    words = re.findall(r"[\w']+", mark.lower().replace("’", "'"))
    hats = {w for w in words if w in _HAT_NAMES}
    parked = bool({"parked", "park"} & set(words))
    others = [w for w in words if w not in _HAT_NAMES and w not in _MARK_WORDS]
    if others or len(hats) > 1 or not (hats or parked):
        return None
    return (Hat(hats.pop()) if hats else None), parked


def remark_of(point: str) -> Remark | None:
    """The point without its mark, if the scribe marked it "(black, parked)", "(that's
    yellow)", "- that's green" or "(parked)"; None for an ordinary point."""
    for pattern in (_TRAILING_PAREN, _TRAILING_THATS):
        found = pattern.search(point)
        if found is None:
            continue
        marked = _marked(found["mark"])
        if marked is not None:
            text = point[: found.start()].strip(" -–—,;:")
            return Remark(text, *marked)
    return None
