"""Offline briefs a facilitator sends as they are: the four meetings of issue 26, and the
questions of every program for every kind of topic.

The topic is stated in the title, the topic line and the purpose at most; the red hat is one
instruction sized for the group; yellow and black look at what their place in the sequence
gives them; green follows from what came before; the pre-work is this meeting's own."""

from __future__ import annotations

import json
import re

import pytest

from sixhats_ai import brief
from sixhats_ai.briefs.model import Brief
from sixhats_ai.method.programs import load_programs
from sixhats_ai.method.topic import KINDS

PROGRAMS = [p for p in load_programs().values() if not p.emergent]
MEETINGS = {
    "crm": ("Which CRM should we choose?", "choose", 30, 5),
    "strategy": (
        "Our 2026 growth strategy: should we expand into the German market?",
        "strategic-planning",
        60,
        8,
    ),
    "process": (
        "Our release process: deploys take two days and one in five fails",
        "process-improvement",
        90,
        12,
    ),
    "draft": ("Draft onboarding guide for new support agents", "quick-feedback", 20, 3),
}
INTERNAL = re.compile(r"30 s gut reaction|changeover|/ dot vote|\(1 min", re.I)


def _brief(name: str, **extra) -> Brief:
    topic, program, minutes, participants = MEETINGS[name]
    return brief(
        topic,
        program=program,
        minutes=minutes,
        participants=participants,
        offline=True,
        audience="facilitator",
        **extra,
    )


def _markdown(made: Brief) -> str:
    from sixhats_ai.prompts import PromptLibrary
    from sixhats_ai.render.brief import brief_markdown

    return brief_markdown(made, PromptLibrary())


def _questions(made: Brief, hat: str) -> str:
    return " ".join(q for i in made.agenda if i.hat == hat for q in i.questions)


@pytest.mark.parametrize("name", MEETINGS)
def test_the_topic_is_stated_at_most_three_times(name):
    made = _brief(name)
    topic = MEETINGS[name][0]
    md = _markdown(made)
    assert md.count(topic) <= 3
    assert md.lower().count(topic.lower().rstrip("?")) <= 3  # nor lower-cased, nor cut
    for item in made.agenda:
        assert not INTERNAL.search(item.title), item.title
    assert not INTERNAL.search(md)


@pytest.mark.parametrize("name", MEETINGS)
def test_each_meeting_has_pre_work_of_its_own(name):
    made = {n: [p.question for p in _brief(n).pre_work] for n in MEETINGS}
    own = made[name]
    assert own and all(set(own) != set(other) for n, other in made.items() if n != name)
    assert not (set(own) & {q for n, o in made.items() if n != name for q in o})


def test_crm_choose_questions():
    made = _brief("crm")
    assert made.topic_kind == "options"
    red = next(i for i in made.agenda if i.hat == "red")
    assert red.questions == ["Dot vote: 3 dots each on the options, all at once, no reasons."]
    assert red.title == "Red hat: dot vote, 3 dots each" and red.seconds >= 3 * 60
    yellow, black = _questions(made, "yellow"), _questions(made, "black")
    assert "each option" in yellow and "each option" in black
    assert yellow.count("why might it work") <= 1
    assert "options we have not" not in black
    assert "done the way it is done now" not in _questions(made, "green")
    assert not any("nobody has described" in o for o in made.out_of_scope)
    assert len(made.agenda[0].questions) <= 3
    assert any("Describe each option" in p.question for p in made.pre_work)
    assert any("keeping things as they are" in p.question for p in made.pre_work)
    assert any("need about" in n and "30 minutes" in n for n in made.facilitator_notes)


def test_strategic_planning_questions():
    made = _brief("strategy")
    check = made.agenda[4]
    assert check.hat == "blue" and check.title == "Blue hat: check (where we stand)"
    assert 2 * 60 <= check.seconds <= 4 * 60
    assert not any("hats should come next" in q.lower() for q in check.questions)
    blue = sum(i.seconds for i in made.agenda if i.hat == "blue")
    assert blue <= 17 * 60
    for hat in ("yellow", "black"):
        assert "possible answers" not in _questions(made, hat)
        assert "the proposal" in _questions(made, hat)


def test_process_improvement_looks_at_the_process_before_green():
    made = _brief("process")
    assert made.topic_kind == "process"
    yellow, black = _questions(made, "yellow"), _questions(made, "black")
    assert "works well in the release process today" in yellow
    assert "break, wait or need rework today" in black
    for text in (yellow, black):
        assert not re.search(r"\b(answers?|ideas?|options?)\b", text)
    green = _questions(made, "green")
    assert "weak point black found in the release process" in green
    assert "overcome the risks" not in green and "the plan" not in green
    views = next(i for i in made.agenda if i.step_id == "3-white")
    assert any("in their own words" in q for q in views.questions)
    red = next(i for i in made.agenda if i.hat == "red")
    assert red.questions == ["Dot vote: 3 dots each on the ideas, all at once, no reasons."]
    online = _brief("process", medium="online")
    assert next(i for i in online.agenda if i.hat == "red").seconds < red.seconds
    pre = " ".join(p.question for p in made.pre_work)
    assert "cycle time" in pre and "other people's views" in pre


def test_quick_feedback_on_a_draft_asks_to_read_it_and_hands_the_feedback_over():
    made = _brief("draft")
    assert made.topic_kind == "draft"
    assert made.pre_work[0].question.startswith("Read the draft")
    every = " ".join(q for i in made.agenda for q in i.questions)
    assert "problem" not in every.lower() and "problem" not in made.purpose.lower()
    closing = made.agenda[-1].questions
    assert not any("decided" in q for q in closing)
    assert any("owner" in q for q in closing)
    assert any("owner takes the feedback away" in o for o in made.out_of_scope)
    assert not any("decision" in n.lower() for n in made.facilitator_notes[-1:])


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
@pytest.mark.parametrize("kind", KINDS)
def test_every_program_and_kind_asks_what_fits_the_place_in_the_sequence(program, kind):
    made = brief("The topic", program=program, kind=kind, offline=True, audience="facilitator")
    seen: list[str] = []
    for item in made.agenda:
        text = " ".join(item.questions)
        low, high = (1, 1) if item.hat == "red" else (2, 5) if item.hat == "blue" else (3, 5)
        assert low <= len(item.questions) <= high, item.step_id
        if item.hat in ("yellow", "black"):
            if program.compares_alternatives:
                assert "option" in text, (item.step_id, text)
            elif "green" in seen:
                assert "idea" in text, (item.step_id, text)
            elif kind != "options":  # the subject itself: no answers, ideas or options yet
                assert not re.search(r"\b(answers?|ideas?|options)\b", text), text
        if item.hat == "green":
            assert ("black found" in text) == ("black" in seen and seen[-1] == "black"), text
            assert "chosen idea" not in text or {"red", "green"} <= set(seen)
        if item.hat == "red":
            voting = program.compares_alternatives or "green" in seen
            assert item.questions[0].startswith("Dot vote" if voting else "Gut reaction")
        if item.role == "hat" and item.hat == "blue":
            assert not re.search(r"which hats", text, re.I)
        assert "The topic" not in text
        seen.append(item.hat)
    assert made.pre_work and made.facilitator_notes


def test_the_command_takes_the_medium_and_prints_the_time_warning(cli):
    topic, program, minutes, participants = MEETINGS["process"]
    args = ["brief", topic, "-p", program, "--participants", str(participants), "--offline"]
    room = cli(*args, "--minutes", str(minutes), "--format", "json")
    online = cli(*args, "--minutes", str(minutes), "--medium", "online", "--format", "json")
    assert room.code == online.code == 0, room.err + online.err

    def red(out: str) -> int:
        return next(i["seconds"] for i in json.loads(out)["agenda"] if i["hat"] == "red")

    assert (red(room.out), red(online.out)) == (8 * 60, 7 * 60)
    assert json.loads(online.out)["medium"] == "online"
    short = cli(*args, "--minutes", "40", "--audience", "facilitator")
    assert re.search(r"warning: 12 participants need about \d+ minutes", short.err)
    assert re.search(r"- 12 participants need about \d+ minutes", short.out)
    bad = cli(*args, "--medium", "moon")
    assert bad.code == 2 and "unknown medium 'moon'" in bad.err
