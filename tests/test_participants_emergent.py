"""The roster behind --personas, and the bounds blue steers an emergent program within."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sixhats_ai.errors import UsageError
from sixhats_ai.method.emergent import (
    CLOSE,
    EmergentBounds,
    ProcessChoice,
    allowed_next,
    choice_model,
    decide,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.participants import MAX_PARTICIPANTS, parse_personas


def test_a_list_of_names_is_a_roster():
    request = parse_personas("finance lead, support lead , customer")
    assert request.roster is not None and request.count is None
    assert request.roster.names == ["finance lead", "support lead", "customer"]
    assert request.roster.source == "list"


def test_a_number_asks_blue_to_propose_the_roster():
    assert parse_personas("4").count == 4
    with pytest.raises(UsageError, match=f"1 to {MAX_PARTICIPANTS}"):
        parse_personas("40")


def test_a_program_names_the_roster_as_the_mcp_server_does():
    """`RosterRequest.of`: a count or the people, checked as --personas checks them."""
    from sixhats_ai import Participant, RosterRequest, RunOptions

    people = [Participant(name="Ann", role="CFO"), Participant(name="Bo")]
    roster = RosterRequest.of(people).roster
    assert roster is not None and roster.names == ["Ann", "Bo"] and roster.source == "list"
    assert RunOptions(personas=RosterRequest.of(3)).personas == RosterRequest(count=3)
    with pytest.raises(UsageError) as twice:
        RosterRequest.of([Participant(name="Ann"), Participant(name="ann")])
    assert twice.value.one_line().startswith("personas: 'ann' is named twice")
    with pytest.raises(UsageError, match=r"^personas 0: a meeting here has 1 to 12 "):
        RosterRequest.of(0)
    with pytest.raises(UsageError, match=r"^personas of 13 people: a meeting here has 1 to 12 "):
        RosterRequest.of([Participant(name=str(n)) for n in range(13)])


def test_a_toml_file_describes_each_person(tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(
        '[[participants]]\nname = "Ana"\nrole = "finance lead"\nknows = "the budget"\n'
        'cares_about = "cash flow"\n\n[[participants]]\nname = "Bo"\n'
    )
    roster = parse_personas(str(path)).roster
    assert roster is not None and roster.source == "file"
    assert roster.participants[0].describe() == (
        "Ana (finance lead); knows the budget; cares about cash flow"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[participants]]\nrole = "x"\n', "participants.0.name: Field required"),
        ('[[participants]]\nname = "A"\n[[participants]]\nname = "a"\n', "named twice"),
        ("not toml [", "cannot read the personas file"),
    ],
)
def test_a_bad_personas_file_is_one_line_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        parse_personas(str(path))


def test_a_missing_personas_file_is_refused(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        parse_personas(str(tmp_path / "none.toml"))


def test_blue_may_not_repeat_the_last_hat_nor_call_red_a_third_time():
    bounds = EmergentBounds(max_steps=8)
    allowed = allowed_next([Hat.RED, Hat.BLACK, Hat.RED], bounds)
    assert "red" not in allowed
    assert allowed_next([Hat.WHITE], bounds) == ["green", "yellow", "black", "red", CLOSE]
    assert allowed_next([], bounds) == ["white", "green", "yellow", "black", "red"]


def test_max_steps_leaves_only_close():
    assert allowed_next([Hat.WHITE, Hat.GREEN], EmergentBounds(max_steps=2)) == [CLOSE]


def test_the_schema_sent_lists_only_what_is_allowed_now():
    model = choice_model(("green", CLOSE))
    assert model.model_json_schema()["properties"]["next"]["enum"] == ["green", CLOSE]
    with pytest.raises(ValidationError):
        model.model_validate({"next": "white", "focus": "f", "why": "w"})
    assert choice_model(("green", CLOSE)) is model  # built once per allowed set


def _choice(hat: str) -> ProcessChoice:
    return ProcessChoice(next=hat, focus="the rota", why="because")


def test_a_repeated_hat_is_corrected_and_the_correction_logged():
    decision = decide(
        _choice("black"), [Hat.WHITE, Hat.BLACK], EmergentBounds(), after="3-black", gaps_open=False
    )
    assert decision.proposed == "black"
    assert decision.next == "white"
    assert decision.corrected is not None and "twice in a row" in decision.corrected


def test_white_runs_first_while_the_framing_lists_gaps():
    decision = decide(_choice("green"), [], EmergentBounds(), after="1-blue", gaps_open=True)
    assert decision.next == "white"
    assert decision.corrected == "the framing lists information gaps: white first"
    kept = decide(_choice("green"), [Hat.WHITE], EmergentBounds(), after="2-white", gaps_open=True)
    assert kept.next == "green" and kept.corrected is None


def test_past_max_steps_the_meeting_closes_whatever_blue_says():
    decision = decide(
        _choice("green"),
        [Hat.WHITE, Hat.BLACK],
        EmergentBounds(max_steps=2),
        after="3-black",
        gaps_open=False,
    )
    assert decision.next == CLOSE
    # the library names its option; the command line its flag (test_emergent_run)
    assert decision.corrected is not None and "max_steps 2 reached" in decision.corrected
    assert "--max-steps" not in decision.corrected
