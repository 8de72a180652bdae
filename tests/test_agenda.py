"""Time boxes: whole or half minutes adding up exactly to the meeting, blues capped."""

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixhats_ai.errors import UsageError
from sixhats_ai.method.agenda import (
    Sizing,
    fixed_seconds,
    format_box,
    minimum_minutes,
    natural_seconds,
    overflow_warning,
    parse_clock,
    parse_start,
    plan_agenda,
    step_boxes,
    step_title,
    suggested_minutes,
    time_boxes,
)
from sixhats_ai.method.hats import Hat
from sixhats_ai.method.programs import Program, Step, load_programs

PROGRAMS = list(load_programs().values())


def _programs():
    return st.builds(
        lambda program, optional: (program.plan(include_optional=optional), program),
        st.sampled_from(PROGRAMS),
        st.booleans(),
    )


meetings = given(
    planned=_programs(),
    extra=st.integers(min_value=0, max_value=240),
    participants=st.none() | st.integers(min_value=1, max_value=40),
    clock=st.sampled_from(["hh:mm", "mm:ss"]),
)


def _meeting(planned, extra, participants, clock):
    """The steps, what sizes them, a meeting `extra` minutes over the shortest, and the boxes
    `time_boxes` gives them."""
    steps, program = planned
    sizing = Sizing(participants, program.compares_alternatives)
    minutes = minimum_minutes(steps) + extra
    return steps, sizing, minutes, time_boxes(steps, minutes, sizing, clock=clock)


@settings(max_examples=400, deadline=None)
@meetings
def test_time_boxes_fill_the_meeting_exactly(planned, extra, participants, clock):
    steps, sizing, minutes, boxes = _meeting(planned, extra, participants, clock)
    assert sum(boxes) == minutes * 60
    unit = 30 if clock == "mm:ss" else 60
    roomy = minutes >= suggested_minutes(steps, sizing)
    for step, seconds in zip(steps, boxes, strict=True):
        assert seconds % unit == 0 and seconds >= 60
        need = fixed_seconds(steps, step, sizing)
        if need is not None:  # a red hat or a check: sized for the group, cut only to fit
            assert seconds <= max(60, need + unit)
            if roomy:
                assert abs(seconds - need) <= unit
    # a hat the method makes longer never gets less time than a shorter one
    shared = [
        (natural_seconds(s, participants), b)
        for s, b in zip(steps[1:-1], boxes[1:-1], strict=True)
        if fixed_seconds(steps, s, sizing) is None
    ]
    for longer, box in shared:
        assert all(box >= other for shorter, other in shared if shorter < longer)


@settings(max_examples=400, deadline=None)
@meetings
def test_the_blues_are_capped_and_the_closing_never_shorter(planned, extra, participants, clock):
    steps, sizing, minutes, boxes = _meeting(planned, extra, participants, clock)
    opening, closing, hats = boxes[0], boxes[-1], boxes[1:-1]
    assert closing >= opening, "the closing blue is at least as long as the opening"
    assert opening <= 5 * 60, "the opening blue never grows past 5 minutes"
    if opening < 2 * 60:
        # squeezed below 2 minutes only when nothing else can give
        unit = 30 if clock == "mm:ss" else 60
        assert all(b == 60 for b in hats) and closing <= opening + unit
    if opening > 2 * 60:
        assert opening <= minutes * 60 * 0.1 + 30, "above 2 minutes it stays about a tenth"
    alone = time_boxes(steps, minutes, replace(sizing, participants=1), clock=clock)
    assert boxes == alone[:1] + boxes[1:], "the group's size never changes the opening blue"


@settings(max_examples=100, deadline=None)
@given(planned=_programs(), short=st.integers(min_value=1, max_value=7))
def test_too_short_a_meeting_names_the_minimum_that_works(planned, short):
    steps, _ = planned
    needed = minimum_minutes(steps)
    with pytest.raises(UsageError, match=f"needs at least {needed}"):
        time_boxes(steps, max(1, needed - short), Sizing())
    assert sum(time_boxes(steps, needed, Sizing())) == needed * 60


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
@pytest.mark.parametrize("minutes", [30, 45, 60, 90])
@pytest.mark.parametrize("participants", [3, 8, 15])
def test_the_opening_blue_is_two_to_five_minutes(program, minutes, participants):
    steps = program.plan()
    boxes = time_boxes(steps, minutes, Sizing(participants, program.compares_alternatives))
    assert 120 <= boxes[0] <= 300 or boxes[0] <= minutes * 6
    assert boxes[-1] >= boxes[0]


def test_the_method_proportions_without_a_length():
    choose = load_programs()["choose"].plan()
    minutes = suggested_minutes(choose, Sizing(compares_alternatives=True))
    boxes = time_boxes(choose, minutes, Sizing(compares_alternatives=True))
    assert [format_box(b) for b in boxes] == [
        "2 min",
        "4 min",
        "2 min",
        "2 min",
        "2 min",
        "4 min",  # a dot vote of 5 people in the room (the group unknown), and the count
        "4 min",
    ]


def test_more_participants_lengthen_the_meeting_and_the_hats():
    steps = load_programs()["solve"].plan()
    assert suggested_minutes(steps, Sizing(6)) > suggested_minutes(steps, Sizing(2))
    few, many = time_boxes(steps, 45, Sizing(1)), time_boxes(steps, 45, Sizing(8))
    assert many[0] == few[0], "the facilitator's opening does not grow with the group"
    squeezed = time_boxes(steps, 45, Sizing(15))
    assert squeezed[0] >= 120, "nor is it squeezed by a large group"


def test_a_meeting_too_short_for_the_group_is_said_with_the_minutes_needed():
    steps = load_programs()["choose"].plan()
    fifteen = Sizing(15, compares_alternatives=True)
    needed = suggested_minutes(steps, fifteen)
    line = overflow_warning(steps, 45, fifteen)
    assert line is not None and f"need about {needed} minutes" in line and "\n" not in line
    assert overflow_warning(steps, needed, fifteen) is None
    assert overflow_warning(steps, 45, Sizing()) is None


def test_a_red_gut_reaction_gets_a_minute_a_dot_vote_more_and_half_minute_clocks():
    program = Program(
        format=1,
        slug="reds",
        name="Reds",
        steps=(
            Step(hat=Hat.BLUE),
            Step(hat=Hat.RED),
            Step(hat=Hat.GREEN),
            Step(hat=Hat.RED),
            Step(hat=Hat.BLUE),
        ),
    )
    steps = program.plan()
    boxes = time_boxes(steps, 10, Sizing())
    assert boxes[1] == 60, "before any green, red is a gut reaction, a word each"
    assert boxes[3] == 240, "after a green, a dot vote: 30 s a person and the counting"
    assert sum(boxes) == 600
    assert minimum_minutes(steps) == 5
    halves = time_boxes(steps, 25, Sizing(), clock="mm:ss")
    assert sum(halves) == 1500 and any(b % 60 for b in halves)
    slots = plan_agenda(steps, halves)
    start = parse_start("09:00")
    assert any(":" in start.clock(s.offset)[3:] for s in slots)


def test_the_agenda_names_one_red_instruction_and_no_internal_note():
    steps = load_programs()["choose"].plan()
    red = next(s for s in steps if s.hat is Hat.RED)
    assert step_title(red, vote=True) == "Red hat: dot vote, 3 dots each"
    assert step_title(red, vote=False) == "Red hat: gut reaction, a word each"
    check = load_programs()["strategic-planning"].plan()[4]
    assert step_title(check) == "Blue hat: check (where we stand)"


@pytest.mark.parametrize(
    ("participants", "medium", "minutes"),
    [(5, "room", 4), (12, "room", 7.5), (12, "online", 6.5), (None, "room", 4)],
)
def test_a_dot_vote_grows_with_the_group_and_the_medium(participants, medium, minutes):
    steps = load_programs()["choose"].plan()
    red = next(s for s in steps if s.hat is Hat.RED)
    assert fixed_seconds(steps, red, Sizing(participants, True, medium)) == minutes * 60


def test_a_middle_blue_is_a_short_check():
    program = load_programs()["strategic-planning"]
    steps = program.plan()
    boxes = time_boxes(steps, 60, Sizing(8))
    assert boxes[4] == 3 * 60, "a 2 to 4 minute check, not a thinking hat's box"
    assert sum(boxes[i] for i, s in enumerate(steps) if s.hat is Hat.BLUE) <= 17 * 60


# The library names its options (`clock`, `minutes`); the command line its flags (test_brief).
def test_unknown_clock_is_a_usage_error():
    with pytest.raises(UsageError, match=r"^unknown clock 'ss'"):
        parse_clock("ss")


@pytest.mark.parametrize(
    ("minutes", "participants", "message"),
    [
        (0, None, "^minutes must be more than 0 .*e.g. minutes 45"),
        (-5, None, "^minutes must be more than 0"),
        (30, 0, "^participants must be at least 1"),
    ],
)
def test_bad_lengths_and_group_sizes(minutes, participants, message):
    with pytest.raises(UsageError, match=message):
        time_boxes(load_programs()["choose"].plan(), minutes, Sizing(participants))


def test_start_accepts_a_clock_time_or_an_iso_date_time():
    assert parse_start("14:00").clock(90 * 60) == "15:30"
    assert not parse_start("9:05".zfill(5)).dated
    dated = parse_start("2026-12-01T14:00")
    assert dated.dated and dated.at == datetime(2026, 12, 1, 14, 0)
    assert parse_start("2026-12-01 14:00+01:00").at.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize("text", ["25:00", "2pm", "", "2026-12-01", "2026-13-01T10:00"])
def test_bad_start_is_a_usage_error(text):
    with pytest.raises(UsageError, match=r"^start '"):
        parse_start(text)


def test_each_step_s_box_is_its_own_or_sized_for_a_default_group(cli):
    boxes = {box.step.id: box for box in step_boxes(load_programs()["choose"])}
    sized = {step_id: box.sized_as for step_id, box in boxes.items() if box.sized_as}
    assert "dot vote" in sized.values() and {box.group for box in boxes.values()} == {None, 5}
    shown = cli("programs", "show", "choose").out
    for step_id, kind in sized.items():
        line = next(line for line in shown.splitlines() if line.strip().startswith(step_id))
        assert f"{kind}, for 5 people" in line
