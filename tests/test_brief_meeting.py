"""The brief a facilitator would send as it is: blues boxed, questions that read well and are
program-aware, two audiences, header fields, and a tailored brief that survives a weak model."""

from __future__ import annotations

import json
import re

import httpx
import icalendar
import pytest

from sixhats_ai.briefs.compose import BriefRequest, build_brief
from sixhats_ai.method.programs import load_programs
from sixhats_ai.method.topic import detect_kind, subject_of
from sixhats_ai.prompts import PromptLibrary
from tests.fakes import brief_sample, completion, schema_name
from tests.test_html import CHROMIUM, chromium

PROGRAMS = [p for p in load_programs().values() if not p.emergent]  # fixed sequences
CHOOSE_HATS = ["blue", "white", "green", "yellow", "black", "red", "blue"]
TOPICS = [
    "Should we replace our on-call rota?",
    "Our customer support backlog has doubled in three months",
    "Adopt a four-day week for the support team",
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
def test_every_program_length_and_group_gives_a_brief_to_send_as_is(program):
    library = PromptLibrary()
    for minutes in (30, 45, 60, 90):
        for participants in (3, 8, 15):
            for topic in TOPICS:
                request = BriefRequest(
                    topic=topic,
                    program=program,
                    minutes=minutes,
                    participants=participants,
                    audience="facilitator",
                )
                made = build_brief(library, request)
                opening, closing = made.agenda[0].seconds, made.agenda[-1].seconds
                assert 120 <= opening <= 300 or opening <= minutes * 6, (minutes, participants)
                assert closing >= opening
                assert sum(i.seconds for i in made.agenda) == minutes * 60
                text = topic.rstrip("?").lower()
                said = [made.purpose, *made.out_of_scope, *(p.question for p in made.pre_work)]
                said += [q for item in made.agenda for q in (item.title, *item.questions)]
                assert not any(text in line.lower() for line in said), "the topic, once"
                for red in (i for i in made.agenda if i.hat == "red"):
                    assert red.title.startswith(("Red hat: dot vote", "Red hat: gut reaction"))
                    assert len(red.questions) == 1 and "(" not in red.title
                if program.slug == "solve":
                    first, second = (i for i in made.agenda if i.hat == "green")
                    assert not set(first.questions) & set(second.questions)
                    assert second.focus == "on black, ways round the chosen idea's weak points"


@pytest.mark.parametrize(
    ("topic", "program", "kind", "name"),
    [
        ("Should we replace our on-call rota?", None, "proposal", "the proposal"),
        ("Adopt a four-day week", None, "proposal", "the proposal"),
        ("We propose to open a second office", None, "proposal", "the proposal"),
        ("Our backlog has doubled in three months", None, "problem", "the problem"),
        ("Which CRM should we choose?", None, "options", "the options"),
        ("Draft onboarding guide for new support agents", None, "draft", "the draft"),
        ("Improve our release process", None, "process", "the release process"),
        ("Our 2026 growth strategy", None, "plan", "the strategy"),
        ("The support rota", "process-improvement", "process", "the process"),
        ("The onboarding guide", "quick-feedback", "draft", "the draft"),
    ],
)
def test_the_topic_kind_is_detected_and_named_briefly(topic, program, kind, name):
    assert detect_kind(topic, program) == kind
    assert subject_of(topic, kind).name == name


def test_kind_can_be_given_and_a_bad_kind_is_refused(cli):
    result = cli("brief", "Four-day week", "--kind", "proposal", "--offline", "--format", "json")
    assert result.code == 0, result.err
    made = json.loads(result.out)
    assert made["topic_kind"] == "proposal"
    assert made["agenda"][0]["questions"][0] == "What must be true for us to say yes?"
    bad = cli("brief", "x", "--kind", "idea", "--offline")
    assert bad.code == 2 and "unknown kind 'idea'" in bad.err


def test_banks_follow_the_program():
    library = PromptLibrary()
    review = build_brief(
        library,
        BriefRequest(
            topic="Last quarter's releases", program=load_programs()["performance-review"]
        ),
    )
    red = next(i for i in review.agenda if i.hat == "red")
    assert not any(re.search(r"\b(option|dot|idea)", q, re.I) for q in red.questions)
    process = build_brief(
        library,
        BriefRequest(topic="Our release process", program=load_programs()["process-improvement"]),
    )
    views = next(i for i in process.agenda if i.step_id == "3-white")
    assert any("views" in q for q in views.questions)
    assert views.questions != process.agenda[1].questions
    solve = build_brief(
        library,
        BriefRequest(
            topic="Support backlog", program=load_programs()["solve"], audience="facilitator"
        ),
    )
    assert any("green on black" in note for note in solve.facilitator_notes)
    initial = build_brief(
        library,
        BriefRequest(
            topic="New onboarding", program=load_programs()["initial-ideas"], audience="facilitator"
        ),
    )
    assert not any("green on black" in note for note in initial.facilitator_notes)


PARTICIPANT_SECTIONS = [
    "## Purpose",
    "## Agenda",
    "## The hats: what belongs under each",
    "## Questions for each step",
    "## Pre-work: bring to the meeting",
]
FACILITATOR_SECTIONS = [
    "## Facilitator notes",
    "## Time-keeping cues",
    "## Outcome (fill in at the meeting)",
]


def _sections(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("## ")]


def test_participants_and_facilitator_briefs_differ_exactly_as_described(cli):
    args = ["brief", TOPICS[0], "--minutes", "45", "--start", "14:00", "--offline"]
    participants = cli(*args)
    facilitator = cli(*args, "--audience", "facilitator")
    assert participants.code == facilitator.code == 0
    assert _sections(participants.out) == PARTICIPANT_SECTIONS
    assert _sections(facilitator.out) == PARTICIPANT_SECTIONS + FACILITATOR_SECTIONS
    extra = facilitator.out.split("## Pre-work: bring to the meeting")[0]
    assert participants.out.split("## Pre-work: bring to the meeting")[0] == extra.replace(
        "- **Copy:** facilitator's\n", ""
    )
    assert "14:05: announce the White hat" in facilitator.out
    bad = cli(*args, "--audience", "everyone")
    assert bad.code == 2 and "unknown audience" in bad.err


def test_attendees_owner_and_place_fill_the_header_and_the_calendar(cli, tmp_path):
    common = [
        "brief",
        TOPICS[0],
        "--offline",
        "--start",
        "2026-12-01T14:00",
        "--attendees",
        "Ann Lee <ann@example.org>, bob@example.org, Carol",
        "--owner",
        "Head of support",
        "--where",
        "https://meet.example.org/rota",
    ]
    md = cli(*common).out
    assert "- **Attendees:** Ann Lee, bob@example.org, Carol" in md
    assert "- **Decision owner:** Head of support" in md
    assert "- **Where:** https://meet.example.org/rota" in md
    path = tmp_path / "meeting.ics"
    assert cli(*common, "-o", str(path)).code == 0
    [event] = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    attendees = event.get("attendee")
    assert sorted(str(a) for a in attendees) == ["mailto:ann@example.org", "mailto:bob@example.org"]
    assert {a.params["CN"] for a in attendees} == {"Ann Lee", "bob@example.org"}
    assert str(event["location"]) == "https://meet.example.org/rota"


def test_an_overflowing_meeting_is_said_in_one_line_with_the_minutes_needed(cli):
    result = cli("brief", TOPICS[0], "--minutes", "45", "--participants", "15", "--offline")
    assert result.code == 0
    [line] = [text for text in result.err.splitlines() if "participants need" in text]
    assert re.search(r"15 participants need about \d+ minutes", line)
    calm = cli("brief", TOPICS[0], "--minutes", "45", "--participants", "3", "--offline")
    assert "participants need" not in calm.err


def test_clock_mm_ss_gives_half_minute_boxes(cli):
    result = cli(
        "brief", TOPICS[0], "--minutes", "25", "--clock", "mm:ss", "--offline", "--format", "json"
    )
    assert result.code == 0, result.err
    boxes = [i["seconds"] for i in json.loads(result.out)["agenda"]]
    assert sum(boxes) == 25 * 60 and any(b % 60 for b in boxes)
    bad = cli("brief", TOPICS[0], "--clock", "ss", "--offline")
    assert bad.code == 2 and "--clock" in bad.err


def test_the_tailored_schema_asks_each_step_for_as_many_questions_as_it_takes(cli, fake_llm):
    result = cli("brief", TOPICS[0], "--program", "choose", "--format", "json")
    assert result.code == 0, result.err
    [request] = fake_llm.requests
    schema = request["response_format"]["json_schema"]["schema"]
    steps = schema["$defs"]["StepQuestions"]
    assert steps["required"] == [f"{n}-{h}" for n, h in enumerate(CHOOSE_HATS, 1)]
    counts = {s: (p["minItems"], p["maxItems"]) for s, p in steps["properties"].items()}
    assert counts == {
        "1-blue": (2, 3),  # the opening: 2 or 3
        "2-white": (3, 5),
        "3-green": (3, 5),
        "4-yellow": (3, 5),
        "5-black": (3, 5),
        "6-red": (1, 1),  # one instruction
        "7-blue": (3, 4),
    }
    system = request["messages"][0]["content"]
    assert "6-red: Red hat (a dot vote, 3 dots each)" in system


def test_a_weak_model_falls_back_to_the_banks_for_the_steps_it_lacks(cli, fake_llm):
    def weak(body):
        if schema_name(body) != "BriefPlan":
            return None
        answer = brief_sample(["1-blue", "2-black", "3-green", "4-blue"])
        answer["steps"]["2-black"] = ["Only one?"]
        answer["steps"]["3-green"] = "not a list"
        return httpx.Response(200, json=completion(json.dumps(answer)))

    fake_llm.fail_when(weak)
    result = cli("brief", TOPICS[0], "--program", "quick-feedback", "--format", "json")
    assert result.code == 0, result.err
    assert len(fake_llm.requests) == 3  # the first answer and two re-asks
    [line] = [text for text in result.err.splitlines() if "question banks" in text]
    assert "2-black, 3-green" in line
    made = json.loads(result.out)
    assert made["bank_steps"] == ["2-black", "3-green"]
    questions = {i["step_id"]: i["questions"] for i in made["agenda"]}
    assert questions["1-blue"][0] == "1-blue: tailored question 1?"
    assert len(questions["2-black"]) >= 3 and "tailored" not in " ".join(questions["2-black"])
    assert made["purpose"].startswith("Decide whether to replace")


@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)
@pytest.mark.parametrize("audience", ["participants", "facilitator"])
def test_both_audiences_render_in_a_real_browser(cli, tmp_path, audience):
    page = tmp_path / f"{audience}.html"
    result = cli(
        "brief",
        'Rota <b>now</b> & "pay"',
        "--program",
        "solve",
        "--offline",
        "--start",
        "09:30",
        "--audience",
        audience,
        "--owner",
        "Ops lead",
        "-o",
        str(page),
    )
    assert result.code == 0, result.err
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    sections = re.findall(r'<section id="([a-z-]+)"', dom)
    expected = ["purpose", "agenda", "hats", "questions", "pre-work"]
    if audience == "facilitator":
        expected += ["facilitator", "time-cues", "outcome"]
    assert sections == expected
    assert dom.count('<tr data-step="') == 8 and "Decision owner: Ops lead" in dom
    assert "Rota &lt;b&gt;now&lt;/b&gt;" in dom and "<b>now</b>" not in dom
    assert "Red hat: dot vote, 3 dots each" in dom


def test_the_participants_json_holds_nothing_of_the_facilitators(cli):
    args = ["brief", TOPICS[0], "--offline", "--format", "json"]
    participants = json.loads(cli(*args).out)
    facilitator = json.loads(cli(*args, "--audience", "facilitator").out)
    assert participants["audience"] == "participants"
    assert participants["facilitator_notes"] == participants["time_cues"] == []
    assert participants["outcome"] is None
    assert facilitator["facilitator_notes"] and facilitator["time_cues"]
    assert facilitator["outcome"] == {"decision": "", "actions": []}
    for key in ("facilitator_notes", "time_cues", "outcome", "audience"):
        participants.pop(key), facilitator.pop(key)
    assert participants == facilitator
