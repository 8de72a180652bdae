"""Time boxes: whole minutes (red may be shorter), adding up exactly to the meeting."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixhats_ai.agenda import (
    format_box,
    minimum_minutes,
    natural_seconds,
    parse_start,
    plan_agenda,
    suggested_minutes,
    time_boxes,
)
from sixhats_ai.errors import UsageError
from sixhats_ai.hats import Hat
from sixhats_ai.programs import Program, Step, load_programs

PROGRAMS = list(load_programs().values())


def _plans():
    return st.builds(
        lambda program, optional: program.plan(include_optional=optional),
        st.sampled_from(PROGRAMS),
        st.booleans(),
    )


@settings(max_examples=400, deadline=None)
@given(
    steps=_plans(),
    extra=st.integers(min_value=0, max_value=240),
    participants=st.none() | st.integers(min_value=1, max_value=40),
)
def test_time_boxes_fill_the_meeting_exactly_in_whole_minutes(steps, extra, participants):
    minutes = minimum_minutes(steps) + extra
    boxes = time_boxes(steps, minutes, participants)
    assert sum(boxes) == minutes * 60
    for step, seconds in zip(steps, boxes, strict=True):
        if step.hat is Hat.RED:
            assert seconds in (30, 60), "red stays a gut reaction whatever the meeting"
        else:
            assert seconds >= 60 and seconds % 60 == 0
    # a step the method makes longer never gets less time than a shorter one
    shared = [
        (natural_seconds(s, participants), b)
        for s, b in zip(steps, boxes, strict=True)
        if s.hat is not Hat.RED
    ]
    for longer, box in shared:
        assert all(box >= other for shorter, other in shared if shorter < longer)


@settings(max_examples=100, deadline=None)
@given(steps=_plans(), short=st.integers(min_value=1, max_value=7))
def test_too_short_a_meeting_names_the_minimum_that_works(steps, short):
    needed = minimum_minutes(steps)
    with pytest.raises(UsageError, match=f"needs at least {needed}"):
        time_boxes(steps, max(1, needed - short), None)
    assert sum(time_boxes(steps, needed, None)) == needed * 60


def test_the_method_proportions_without_a_length():
    choose = load_programs()["choose"].plan()
    boxes = time_boxes(choose, suggested_minutes(choose, None), None)
    assert [format_box(b) for b in boxes] == [
        "2 min",
        "4 min",
        "2 min",
        "2 min",
        "2 min",
        "1 min",
        "2 min",
    ]


def test_more_participants_lengthen_the_meeting_and_the_hats():
    steps = load_programs()["solve"].plan()
    assert (
        suggested_minutes(steps, 6) > suggested_minutes(steps, 2) >= suggested_minutes(steps, None)
    )
    few, many = time_boxes(steps, 45, 1), time_boxes(steps, 45, 8)
    assert many[0] < few[0], "the facilitator's opening does not grow with the group"


def test_two_red_hats_share_a_minute():
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
    boxes = time_boxes(steps, 10, None)
    assert boxes[1] == boxes[3] == 30 and sum(boxes) == 600
    assert minimum_minutes(steps) == 4
    slots = plan_agenda(steps, 10, None)
    start = parse_start("09:00")
    assert [start.clock(s.offset) for s in slots][:3] == ["09:00", "09:03", "09:03:30"]


@pytest.mark.parametrize(
    ("minutes", "participants", "message"),
    [
        (0, None, "--minutes must be more than 0"),
        (-5, None, "--minutes must be more than 0"),
        (30, 0, "--participants must be at least 1"),
    ],
)
def test_bad_lengths_and_group_sizes(minutes, participants, message):
    with pytest.raises(UsageError, match=message):
        time_boxes(load_programs()["choose"].plan(), minutes, participants)


def test_start_accepts_a_clock_time_or_an_iso_date_time():
    assert parse_start("14:00").clock(90 * 60) == "15:30"
    assert not parse_start("9:05".zfill(5)).dated
    dated = parse_start("2026-12-01T14:00")
    assert dated.dated and dated.at == datetime(2026, 12, 1, 14, 0)
    assert parse_start("2026-12-01 14:00+01:00").at.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize("text", ["25:00", "2pm", "", "2026-12-01", "2026-13-01T10:00"])
def test_bad_start_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--start"):
        parse_start(text)
