"""Participants at the meeting (`--personas`): every one of them wears each hat.

A hat step gathers each participant's contribution under the hat: by default in one request
whose schema is the hat's answer per participant (`participant` an enum of the roster), or
with `--personas-mode separate` one request per participant, run concurrently. The step's
`output` merges the contributions (what the comparison and the later steps' schemas read),
and `contributions` keeps who said what (what the board and the reports show).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sixhats_ai.programs import PlannedStep

if TYPE_CHECKING:
    from sixhats_ai.engine import RunRequest


def meeting_variables(request: RunRequest, step: PlannedStep) -> dict[str, Any]:
    """What every template is told about the meeting: its participants, whether the opening
    blue proposes them, whether blue chooses the hats as it goes."""
    wanted = request.roster
    roster = wanted.roster if wanted is not None else None
    return {
        "participants": [p.describe() for p in roster.participants]
        if roster is not None and step.role != "framing"
        else [],
        "participant": None,
        "propose_roster": wanted.count
        if wanted is not None and roster is None and step.role == "framing"
        else None,
        "emergent": request.program.emergent,
        "process": None,
    }
