"""Minutes from notes typed the way a scribe types them: decisions and actions in any step, a
free-form header, loosely typed headings, off-hat remarks, a parking lot, and a votes CSV whose
spellings differ from the notes'. `docs/examples/helpdesk-*` is a 45-minute choose meeting
kept as a fixture; the variants below each change one habit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sixhats_ai import minutes
from sixhats_ai.meeting_minutes.layout import Minutes
from sixhats_ai.meeting_minutes.scribe import action_of, remark_of
from sixhats_ai.run.report import Report
from tests.test_minutes import scribe

DATA = Path(__file__).resolve().parent.parent / "docs" / "examples"
NOTES = DATA / "helpdesk-notes.md"
VOTES = DATA / "helpdesk-votes.csv"


@pytest.fixture
def made() -> Minutes:
    return minutes(NOTES, votes=VOTES, offline=True)


def test_the_decision_and_every_action_with_owner_and_date(made):
    assert made.decision == "recommend Freshdesk to steering, subject to a 1-yr exit clause"
    assert made.decisions[0].where == "7-blue"
    actions = [(a.owner, a.due, a.where) for a in made.actions]
    assert actions == [
        ("Sam", "6 Feb", "2-white"),  # under white, "... by the IT licence - by 6 Feb"
        ("Priya", "9 Feb", "5-black"),  # "AP Priya - ... by 9 Feb"
        ("Dana", "9 Feb", "7-blue"),
        ("Maria", "6 Feb", "7-blue"),
        ("Omar", "", "7-blue"),  # "TODO @omar: ..." has no date
        ("Lee", "today", "7-blue"),
    ]
    assert made.actions[0].action == (
        "ask Atlassian whether support agents are covered by the IT licence"
    )
    assert [a.undated for a in made.actions] == [False] * 4 + [True, False]
    assert any("without a date" in w and "integrations" in w for w in made.warnings)
    closing = next(s for s in made.steps if s.step_id == "7-blue")
    assert closing.points == ["JSM stays the fallback if Atlassian says agents are covered"]


def test_the_header_gives_when_who_and_roles(made):
    assert made.when == "Tue 3 Feb 2026, 14:00-14:45, room 2.14 + Teams"
    assert made.attendees[0] == "Maria Lopez (head of support, chair)"
    assert len(made.attendees) == 6 and made.absent == ["Tom (sales)"]
    assert (made.facilitator, made.scribe) == ("Maria Lopez", "Lee")


def test_one_vote_row_per_alternative_aliases_merged_and_overspending_flagged(made):
    rows = [(v.alternative, v.dots, v.voters) for v in made.votes]
    assert rows == [
        ("Freshdesk", 10, 5),  # "freshdesk" counted with "Freshdesk"
        ("Jira Service Management", 8, 4),  # "JSM", defined in the notes
        ("Zendesk", 2, 1),  # the notes' option "stay on Zendesk"
    ]
    summary = made.vote_summary
    assert summary is not None
    assert (summary.total_dots, summary.voters, summary.allowance) == (20, 6, 3)
    assert summary.per_voter["Omar"] == 5 and summary.overspent == {"Omar": 5}
    assert summary.merged["JSM"] == "Jira Service Management"
    assert summary.unmatched == []
    assert "Omar spent 5 dots of 3" in made.warnings


def test_off_hat_remarks_move_to_their_hat_or_the_parking_lot(made):
    steps = {s.step_id: s.points for s in made.steps}
    assert "JSM would save on licences overall (said under 5-black)" in steps["4-yellow"]
    assert not any("licences overall" in p for p in steps["5-black"])
    assert not any("lock-in" in p for p in steps["4-yellow"])
    parked = [(p.text, p.hat, p.where) for p in made.parking_lot]
    assert parked[0] == (
        "JSM is cheaper on paper: but the Freshdesk 3-yr lock-in is a trap",
        "black",
        "4-yellow",
    )
    assert [p[0] for p in parked[1:]] == [
        "phone system renewal (Q3)",
        "should we merge support and IT service desk? -> next ops review",
    ]
    assert made.unplaced == []  # the parking lot is its own section, not "Unplaced"


def test_loose_headings_reach_their_steps(made):
    headings = {s.step_id: s.heading for s in made.steps}
    assert headings["6-red"] == "Red (14:33) dot vote, 3 dots each"
    assert headings["7-blue"] == "Blue - close"
    assert headings["1-blue"] == "Blue - opening"


def test_the_markdown_and_html_show_it_all(cli):
    md = cli("minutes", str(NOTES), "--votes", str(VOTES), "--offline")
    assert md.code == 0, md.err
    out = md.out
    assert "**Decision:** recommend Freshdesk to steering" in out
    assert "| list the integrations we'd need to rebuild | Omar | **no date** |" in out
    assert "- **Present:** Maria Lopez (head of support, chair), Dana K" in out
    assert "| **Total** | **20** | **6** |" in out
    assert "Omar 5 (**over by 2**)" in out
    assert out.index("## Parking lot") < out.index("## To check")
    assert "warning: Omar spent 5 dots of 3" in md.err
    html = cli("minutes", str(NOTES), "--votes", str(VOTES), "--offline", "--format", "html").out
    assert 'id="parking-lot"' in html and "over by 2" in html and "no date" in html


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = NOTES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "notes.md"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_templates_own_header_and_outcome_still_read(tmp_path):
    path = _variant(
        tmp_path,
        "Tue 3 Feb 2026, 14:00-14:45, room 2.14 + Teams\nPresent:",
        "- **When:** 2026-02-03 14:00, 45 minutes\n- **Facilitator:** Kim\n- **Attendees:**",
    )
    text = path.read_text(encoding="utf-8").replace(
        "## Parking lot",
        "## Outcome (fill in at the meeting)\n\n| Action | Owner | By when |\n|---|---|---|\n"
        "| Book the training | Kim | 20 Feb |\n| | | |\n\n## Parking lot",
    )
    path.write_text(text, encoding="utf-8")
    made = minutes(path, offline=True)
    assert made.when == "2026-02-03 14:00, 45 minutes"
    assert made.facilitator == "Kim"  # given, so not taken from "(chair)"
    assert made.attendees[1] == "Dana K (support lead)"
    assert ("Book the training", "Kim", "20 Feb") in [
        (a.action, a.owner, a.due) for a in made.actions
    ]


def test_actions_and_decisions_sections_and_other_spellings(tmp_path):
    path = _variant(
        tmp_path,
        "## Parking lot",
        "## Actions\n- Priya: send the cost model round, due 12 Feb\n- @sam book the demo\n\n"
        "## Decisions\n- JSM is the fallback\n\n## Parking lot",
    )
    made = minutes(path, offline=True)
    assert ("send the cost model round", "Priya", "12 Feb") in [
        (a.action, a.owner, a.due) for a in made.actions
    ]
    assert ("book the demo", "Sam", "") in [(a.action, a.owner, a.due) for a in made.actions]
    assert [d.text for d in made.decisions][-1] == "JSM is the fallback"


def test_votes_the_notes_never_name_are_said_and_dots_can_be_given(tmp_path):
    votes = tmp_path / "votes.csv"
    votes.write_text("Ann,Freshdesk,2\nAnn,HubSpot,1\nBo,hubspot,2\n", encoding="utf-8")
    made = minutes(NOTES, votes=votes, offline=True, dots=2)
    rows = [(v.alternative, v.dots, v.voters) for v in made.votes]
    assert rows[:2] == [("HubSpot", 3, 2), ("Freshdesk", 2, 1)]
    assert rows[2:] == [("Jira Service Management", 0, 0), ("stay on Zendesk", 0, 0)]
    assert made.vote_summary is not None and made.vote_summary.unmatched == ["HubSpot"]
    assert made.vote_summary.overspent == {"Ann": 3}  # --dots 2 beats the notes' "3 dots each"
    assert any("'HubSpot' matches no alternative" in w for w in made.warnings)


@pytest.mark.parametrize(
    ("line", "owner", "due", "what"),
    [
        ("ACTION Dana: send the paper - by 6 Feb", "Dana", "6 Feb", "send the paper"),
        ("AP Sam - get quotes by 10 Feb", "Sam", "10 Feb", "get quotes"),
        ("TODO(@kim): write summary", "Kim", "", "write summary"),
        ("TODO: @kim write summary (due Friday)", "Kim", "Friday", "write summary"),
        ("@Lee: book the follow-up, by 13 Feb", "Lee", "13 Feb", "book the follow-up"),
        ("Action: Sam to call the vendor before 1 March", "Sam", "1 March", "call the vendor"),
        ("**ACTION** Priya: check GDPR terms", "Priya", "", "check GDPR terms"),
    ],
)
def test_action_spellings(line, owner, due, what):
    action = action_of(line)
    assert action is not None
    assert (action.owner, action.due, action.action) == (owner, due, what)


@pytest.mark.parametrize("line", ["todo list is long", "Apple is expensive", "Actions are cheap"])
def test_lines_that_only_look_like_actions(line):
    assert action_of(line) is None


@pytest.mark.parametrize(
    "point", ["Red flag on pricing (red flag)", "cost (see white paper)", "Freshdesk (blue plan)"]
)
def test_a_hat_word_in_brackets_is_not_always_a_mark(point):
    assert remark_of(point) is None


def test_minutes_through_the_library_are_kept_as_a_run(cli, fake_llm):
    """The model path goes through the run pipeline: the run is in `history`, and its steps
    carry the merged votes."""
    fake_llm.fail_when(scribe)
    report = minutes(NOTES, votes=VOTES)
    assert isinstance(report, Report)
    red = next(s for s in report.steps if s.id == "6-red")
    assert [(v.alternative, v.dots) for v in red.votes][:2] == [
        ("Freshdesk", 10),
        ("Jira Service Management", 8),
    ]
    history = json.loads(cli("history", "--json").out)
    assert [h["flow"] for h in history] == ["minutes"]
    synthesis = [b for b in fake_llm.requests if "closing a Six Thinking Hats" in str(b)]
    outcome = synthesis[0]["messages"][1]["content"]
    assert re.search(r"Decision: recommend Freshdesk", outcome)
    assert "owner: Omar; by: not named" in outcome


def test_a_quick_feedback_meeting_parks_remarks_for_hats_it_has_not():
    notes = """# Feedback on the onboarding guide draft
Attendees: Ann, Bo and Cy
Facilitator - Ann

### black
- section 3 is out of date
- a glossary would help new agents (green)
- I love the tone (red)
- TODO Bo: list the broken links

### Green ideas
- add a checklist per week
- Agreed: Cy rewrites section 3, due 20 Feb

### Blue – wrap-up
- Decision: send the feedback to the author tomorrow
"""
    made = minutes(notes, program="quick-feedback", offline=True)
    assert made.attendees == ["Ann", "Bo", "Cy"] and made.facilitator == "Ann"
    steps = {s.step_id: s.points for s in made.steps}
    assert steps["2-black"] == ["section 3 is out of date"]
    assert "a glossary would help new agents (said under 2-black)" in steps["3-green"]
    assert [(p.text, p.hat, p.where) for p in made.parking_lot] == [
        ("I love the tone", "red", "2-black")  # no red hat in quick feedback
    ]
    assert [d.text for d in made.decisions] == [
        "Cy rewrites section 3, due 20 Feb",
        "send the feedback to the author tomorrow",
    ]
    assert [(a.owner, a.due) for a in made.actions] == [("Bo", "")]
    assert made.empty_steps == ["1-blue"] and made.unplaced == []  # "wrap-up" is the closing
