"""The alternatives as the notes name them, so a dot vote typed in a hurry is counted right.

A votes CSV says "freshdesk" where the notes say "Freshdesk", and "JSM" where they define
"Jira Service Management (JSM)". The notes are the reference: an "Options:" line lists the
alternatives, a "Long Name (ABBR)" anywhere gives an alias, and any name the notes use counts
in the notes' spelling. A vote that matches none of these is kept under its own name, and
said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPTIONS = re.compile(
    r"^(?:options?|alternatives?|choices?|candidates?|shortlist)\s*(?:\([^)]*\))?\s*:\s*(?P<list>.+)$",
    re.IGNORECASE,
)
_WORD = r"[A-Z0-9][\w&+.'-]*"
# "Jira Service Management (JSM)": a name of capitalised words, then a one-word alias.
_ALIAS_AFTER = re.compile(
    rf"(?P<name>{_WORD}(?:\s+(?:{_WORD}|of|for|the)){{0,5}})\s*\((?P<aka>aka\s+|or\s+)?"
    r"(?P<alias>[\w&+.-]{2,15})\)"
)
# "JSM (Jira Service Management)": the alias first.
_ALIAS_BEFORE = re.compile(
    rf"\b(?P<alias>[A-Z][\w&+.-]{{1,14}})\s*\((?P<name>{_WORD}(?:\s+{_WORD}){{1,5}})\)"
)
_SPLIT = re.compile(r"\s*[,;/]\s*|\s+(?:or|vs\.?|versus)\s+", re.IGNORECASE)


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class Naming:
    """The alternatives the notes list, the aliases they define, and the notes' own text."""

    listed: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # casefolded alias -> name
    text: str = ""

    def resolve(self, voted: str) -> str | None:
        """The notes' name for a name as voted, by an alias they define or the list of options
        they give, in any case; None when neither names it."""
        key = _key(voted)
        if key in self.aliases:
            return self.aliases[key]
        return next((name for name in self.listed if _key(name) == key), None)

    def within(self, voted: str) -> str | None:
        """The one listed option a short name stands for: "Zendesk" in "stay on Zendesk"."""
        key = re.escape(_key(voted))
        found = [n for n in self.listed if re.search(rf"(?<![\w-]){key}(?![\w-])", _key(n))]
        return found[0] if len(found) == 1 else None

    def spelled(self, voted: str) -> str | None:
        """The name as the notes spell it, wherever they use it; None if they never do."""
        pattern = rf"(?<![\w-]){re.escape(voted.strip())}(?![\w-])"
        found = re.search(pattern, self.text, re.IGNORECASE)
        return found.group(0) if found else None


def _abbreviates(alias: str, name: str) -> bool:
    """ "JSM" for "Jira Service Management", "SF" for "Salesforce"; not "IT" for "Sam Patel",
    nor "ops" for "Omar" (an alias is an abbreviation: two capitals at least)."""
    capitals = sum(c.isupper() for c in alias)
    return capitals >= 2 and alias[:1].casefold() == name.strip()[:1].casefold()


def _clean(option: str) -> str:
    return option.strip().strip(".*_`\"'").strip()


def naming_of(lines: list[str]) -> Naming:
    """The alternatives and aliases the notes give, from all of their lines."""
    naming = Naming(text="\n".join(lines))
    for line in lines:
        text = re.sub(r"^\s*(?:[-*+•]|\d+[.)])\s+", "", line).replace("**", "")
        for found in _ALIAS_AFTER.finditer(text):
            if found["aka"] or _abbreviates(found["alias"], found["name"]):
                naming.aliases.setdefault(_key(found["alias"]), found["name"].strip())
        for found in _ALIAS_BEFORE.finditer(text):
            if _abbreviates(found["alias"], found["name"]):
                naming.aliases.setdefault(_key(found["alias"]), found["name"].strip())
        if listed := _OPTIONS.match(text.strip()):
            for option in _SPLIT.split(listed["list"]):
                name = _clean(re.sub(r"\s*\([^)]*\)\s*$", "", option))
                if name and _key(name) not in map(_key, naming.listed):
                    naming.listed.append(name)
    for name in naming.listed:
        naming.aliases.setdefault(_key(name), name)
    return naming
