"""Quotes checked against the supplied material: a fact marked checked must say where.

A white fact marked "checked" carries the words of the problem statement or a document that
state it, and a black or yellow point that rests on what the material says may quote it too.
The tool looks for each quote in the material the step was sent, ignoring case, whitespace,
quotation marks and Markdown markup (emphasis, code ticks, table pipes, heading and list markers,
which a model quoting the text drops); "..." or "…" joins parts of a quote it found apart. A quote
found is marked so; a checked fact whose quote is not there is recorded as believed, so the
report never presents the model's inference as the document's word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sixhats_ai.method.hat_outputs import BlackOutput, StepOutput, WhiteOutput, YellowOutput
from sixhats_ai.run.report import StepRecord
from sixhats_ai.text.prose import unmarked

_GAP = re.compile(r"\.\.\.|…")
MATERIAL_CACHE = 128  # the problems and documents of the runs in flight (a batch runs 2 a slot)
_EDGES = " '.,;:"
# Quotation marks, and underscores (emphasis, or a name's that a quote may drop), are not the
# document's words either.
_MARKS = str.maketrans({"_": " "} | {c: None for c in '"“”„«»'} | {"‘": "'", "’": "'"})


def _normalised(text: str) -> str:
    return " ".join(unmarked(text).translate(_MARKS).casefold().split())


# Every step of a run, and every quote of a step, is checked against the same material: it is
# normalised once (for a long document that was most of a step's CPU, once per quote).
_normalised_material = lru_cache(maxsize=MATERIAL_CACHE)(_normalised)


def quote_in(quote: str, material: Sequence[str]) -> bool:
    """Whether every part of `quote` is in one of the texts, ignoring case, whitespace,
    quotation marks and Markdown markup."""
    parts = [_normalised(part).strip(_EDGES) for part in _GAP.split(quote)]
    parts = [part for part in parts if part]
    texts = [_normalised_material(text) for text in material]
    return bool(parts) and any(all(part in text for part in parts) for text in texts)


def check_quotes(output: StepOutput, material: Sequence[str]) -> StepOutput:
    """The step's answer with each quote looked up in `material` (the problem and documents):
    found or not marked, and a checked fact without its words in the material made believed."""
    if isinstance(output, WhiteOutput):
        facts = []
        for fact in output.facts:
            found = quote_in(fact.quote, material) if fact.quote else None
            status = "believed" if fact.status == "checked" and not found else fact.status
            facts.append(fact.model_copy(update={"quote_found": found, "status": status}))
        return output.model_copy(update={"facts": facts})
    if isinstance(output, BlackOutput | YellowOutput):
        field = output.side[1]
        points = [
            p.model_copy(update={"quote_found": quote_in(p.quote, material) if p.quote else None})
            for p in output.points()
        ]
        return output.model_copy(update={field: points})
    return output


def checked_quotes(record: StepRecord, material: Sequence[str]) -> StepRecord:
    """The step's answer, and each participant's, with their quotes checked."""
    contributions = [
        c.model_copy(update={"output": check_quotes(c.output, material)})
        for c in record.contributions
    ]
    output = check_quotes(record.output, material) if record.output is not None else None
    return record.model_copy(update={"output": output, "contributions": contributions})
