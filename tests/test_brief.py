"""`sixhats brief`: offline, tailored by a model, or built on a saved report."""

import json
from html.parser import HTMLParser

import icalendar
import pytest

from sixhats_ai.method.programs import load_programs

PROGRAMS = [p for p in load_programs().values() if not p.emergent]  # briefs time an agenda
TOPIC = "Should we replace our on-call rota?"


class _Page(HTMLParser):
    """The agenda rows, the text and any tag or script a page holds."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr" and (step := dict(attrs).get("data-step")):
            self.rows.append(step)

    def handle_data(self, data):
        self.text.append(data)


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
def test_offline_brief_for_every_program_needs_no_network(cli, program):
    # conftest's router fails any HTTP request, and no key or server is configured
    result = cli(
        "brief",
        TOPIC,
        "--program",
        program.slug,
        "--minutes",
        "60",
        "--offline",
        "--audience",
        "facilitator",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    brief = json.loads(result.out)
    assert brief["kind"] == "sixhats.brief" and brief["source"] == "offline"
    plan = program.plan()
    assert [item["step_id"] for item in brief["agenda"]] == [s.id for s in plan]
    assert sum(item["seconds"] for item in brief["agenda"]) == 60 * 60
    for item in brief["agenda"]:
        fewest = 1 if item["hat"] == "red" else 2 if item["hat"] == "blue" else 3
        assert fewest <= len(item["questions"]) <= 5
        assert not any("on-call rota" in q for q in item["questions"]), "the topic, once"
    assert {g["hat"] for g in brief["hat_guide"]} == {s.hat.value for s in plan}
    assert brief["pre_work"] and brief["facilitator_notes"]
    assert brief["outcome"] == {"decision": "", "actions": []}


def test_offline_markdown_brief_has_every_part(cli):
    result = cli(
        "brief",
        TOPIC,
        "--minutes",
        "45",
        "--participants",
        "6",
        "--start",
        "14:00",
        "--offline",
        "--audience",
        "facilitator",
    )
    assert result.code == 0, result.err
    out = result.out
    for heading in (
        "## Purpose",
        "## Agenda",
        "## Questions for each step",
        "## The hats: what belongs under each",
        "## Pre-work",
        "## Facilitator notes",
        "## Outcome",
    ):
        assert heading in out
    assert "| 14:00–14:05 | 1-blue |" in out and "–14:45 | 7-blue |" in out
    assert "justifications, reasons or explanations" in out  # no justification under red
    assert "judging or criticising ideas" in out  # no criticism under green
    assert "opinions, interpretations" in out  # facts, not opinions, under white
    assert "Only the facilitator changes hats" in out and "side by side" in out


def test_tailored_brief_makes_one_request_with_the_topic_as_data(cli, fake_llm):
    result = cli("brief", TOPIC, "--minutes", "30", "--format", "json")
    assert result.code == 0, result.err
    [request] = fake_llm.requests
    assert request["response_format"]["json_schema"]["name"] == "BriefPlan"
    system, user = (m["content"] for m in request["messages"])
    assert TOPIC not in system and TOPIC in user
    assert "sk-test-SECRET" not in result.out + result.err
    brief = json.loads(result.out)
    assert brief["source"] == "model" and brief["model"] == "fake-model"
    assert brief["framing"] == "Which on-call arrangement should the team run next quarter?"
    assert brief["out_of_scope"] == ["pay for on-call hours"]
    assert brief["pre_work"][0]["how_to_fill"] == "Export from the pager tool"
    for item in brief["agenda"]:
        assert item["questions"][0] == f"{item['step_id']}: tailored question 1?"
    assert brief["usage"]["requests"] == 1
    assert "1 request" in result.err


def test_a_tailored_brief_takes_no_cache_and_no_log_as_analyze_does(cli, fake_llm):
    """Its one request: from the store the second time, asked again with --no-cache, and
    with --no-log not kept for the next brief to find (the flags were refused)."""

    def requests_after(topic: str, *flags: str) -> int:
        result = cli("brief", topic, "--minutes", "30", "--format", "json", *flags)
        assert result.code == 0, result.err
        return len(fake_llm.requests)

    assert requests_after(TOPIC) == 1
    assert requests_after(TOPIC) == 1  # the store's cache answered
    assert requests_after(TOPIC, "--no-cache") == 2
    other = "Should the team keep its on-call rota?"
    assert requests_after(other, "--no-log") == 3
    assert requests_after(other) == 4  # nothing was kept the first time


def test_a_model_answer_missing_steps_is_asked_again(cli, fake_llm):
    from tests.fakes import brief_sample, completion

    bad = brief_sample(["1-blue"])
    answers = iter([json.dumps(bad)])

    def once_incomplete(body):
        import httpx

        text = next(answers, None)
        return None if text is None else httpx.Response(200, json=completion(text))

    fake_llm.fail_when(once_incomplete)
    result = cli("brief", TOPIC, "--program", "quick-feedback", "--format", "json")
    assert result.code == 0, result.err
    assert len(fake_llm.requests) == 2
    reask = fake_llm.requests[1]["messages"][-1]["content"]
    assert "1-blue, 2-black, 3-green, 4-blue" in reask


def _saved_report(cli, tmp_path, fake_llm) -> str:
    path = tmp_path / "report.json"
    result = cli(
        "analyze", "Should our team move to a four-day week?", "--format", "json", "-o", str(path)
    )
    assert result.code == 0, result.err
    fake_llm.requests.clear()
    return str(path)


def test_brief_from_a_saved_report_makes_no_request(cli, tmp_path, fake_llm):
    report = _saved_report(cli, tmp_path, fake_llm)
    result = cli("brief", "--from-report", report, "--minutes", "40", "--format", "json")
    assert result.code == 0, result.err
    assert fake_llm.requests == []
    brief = json.loads(result.out)
    assert brief["source"] == "report"
    assert brief["topic"] == "Should our team move to a four-day week?"
    assert brief["program"]["slug"] == "choose"
    assert brief["framing"] == "Decide whether to move the team to a four-day week"
    assert brief["alternatives"] == ["Four-day week", "Keep five days"]
    assert brief["out_of_scope"] == ["salary changes"]
    assert brief["pre_work"][0] == {
        "question": "Customer hours needed?",
        "how_to_fill": "Ask support lead",
    }
    questions = {item["step_id"]: item["questions"] for item in brief["agenda"]}
    assert "How serious is this risk, and why: Coverage gaps on Fridays?" in questions["5-black"]
    assert any("Staggered days off" in q for q in questions["3-green"])
    assert questions["6-red"] == ["Dot vote: 3 dots each on the options, all at once, no reasons."]
    assert brief["pre_read"]["decision"] == "Pilot a staggered four-day week"

    md = cli("brief", "--from-report", report).out
    assert "## Pre-read: the analysis so far" in md and "confidence 70%" in md


def test_html_brief_parses_and_holds_every_agenda_step(cli, tmp_path):
    path = tmp_path / "brief.html"
    topic = 'Rota <script>alert("x")</script> & pay'
    result = cli(
        "brief",
        topic,
        "--program",
        "solve",
        "--offline",
        "--start",
        "09:30",
        "-o",
        str(path),
        "--paper",
        "A4",
    )
    assert result.code == 0, result.err
    html = path.read_text(encoding="utf-8")
    page = _page(html)
    assert page.rows == [s.id for s in load_programs()["solve"].plan()]
    assert "script" not in page.tags and "&lt;script&gt;" in html  # untrusted text escaped
    assert topic in "".join(page.text)
    assert "@media print" in html and "size: A4" in html
    assert "<link" not in html and "src=" not in html  # self-contained


def test_ics_is_a_calendar_event_spanning_the_meeting(cli, tmp_path):
    path = tmp_path / "brief.ics"
    result = cli(
        "brief",
        TOPIC,
        "--offline",
        "--minutes",
        "45",
        "--start",
        "2026-12-01T14:00",
        "-o",
        str(path),
    )
    assert result.code == 0, result.err
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert (start.hour, start.minute) == (14, 0) and (end - start).total_seconds() == 45 * 60
    assert TOPIC in str(event["summary"])
    description = str(event["description"])
    assert "| 14:00–" in description and "–14:45 | 7-blue |" in description


def test_a_user_bank_adds_questions_and_the_topic_stays_data(cli, tmp_path):
    bank = tmp_path / "brief" / "bank"
    bank.mkdir(parents=True)
    (bank / "black.toml").write_text(
        '[[question]]\ntext = "What would our auditors object to in {subject}?"\n'
        '[[question]]\nkinds = ["draft"]\ntext = "Never asked of a proposal?"\n'
    )
    result = cli(
        "brief", "Adopt {{ 7*7 }} {subject}", "--program", "quick-feedback", "--kind",
        "proposal", "--offline", "--format", "json", "--prompts-dir", str(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.err
    made = json.loads(result.out)
    black = next(i for i in made["agenda"] if i["hat"] == "black")
    assert black["questions"][0] == "What would our auditors object to in the proposal?"
    assert "Never asked of a proposal?" not in black["questions"]
    assert black["questions"][1] == "What could go wrong with the proposal, and why?"
    assert made["topic"] == "Adopt {{ 7*7 }} {subject}"  # as given, never rendered

    (bank / "black.toml").write_text('replace = true\n[[question]]\ntext = "Only one?"\n')
    result = cli("brief", "t", "-p", "quick-feedback", "--offline", "--prompts-dir", str(tmp_path))
    assert result.code == 2 and "brief/bank/black.toml gives 1 questions" in result.err
    (bank / "black.toml").write_text('[[question]]\ntext = "In {topic}?"\n')
    result = cli("brief", "t", "-p", "quick-feedback", "--offline", "--prompts-dir", str(tmp_path))
    assert result.code == 2 and "unknown placeholder {topic}" in result.err
    (bank / "black.toml").write_text('[[question]]\nwhen = "always"\ntext = "x?"\n')
    result = cli("brief", "t", "-p", "quick-feedback", "--offline", "--prompts-dir", str(tmp_path))
    assert result.code == 2 and "question.0.when" in result.err


def _report_file(tmp_path, data) -> str:
    path = tmp_path / "r.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


BAD = {
    "zero minutes": (["--minutes", "0"], "--minutes must be more than 0"),
    "negative minutes": (["--minutes", "-10"], "--minutes must be more than 0"),
    "more than a day": (
        ["--minutes", "10000000000", "--start", "14:00"],  # was an unexpected OverflowError
        "--minutes must be at most 1440, a day (got 10000000000)",
    ),
    "zero participants": (["--participants", "0"], "--participants must be at least 1"),
    "a crowd": (  # was hours of cutting the red hat's box down
        ["--participants", "10000000000"],
        "--participants must be at most 200 (got 10000000000)",
    ),
    "bad start": (["--start", "half past two"], "--start 'half past two' is not a time"),
    "impossible fit": (
        ["--program", "solve", "--minutes", "5"],
        "8 steps do not fit in 5 minutes: this program needs at least 8",
    ),
    "ics without a date": (["--format", "ics", "--start", "14:00"], "needs the meeting's date"),
    "unknown format": (["--format", "pdf"], "unknown format 'pdf'"),
    "not json": (["--from-report", "NOT_JSON"], "is not a sixhats report: not JSON"),
    "not a report": (["--from-report", {"kind": "other"}], "is not a sixhats report"),
    "incompatible version": (
        ["--from-report", {"kind": "sixhats.report", "schema_version": 99}],
        "schema version 99; this version of sixhats reads versions 1 to 2",
    ),
    "broken report": (
        ["--from-report", {"kind": "sixhats.report", "schema_version": 1}],
        "is not a valid sixhats report",
    ),
    "missing report": (["--from-report", "/nonexistent/report.json"], "does not exist"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_one_line_and_exit_2(cli, tmp_path, case):
    args, message = BAD[case]
    if args[0] == "--from-report" and args[1] != "/nonexistent/report.json":
        args = ["--from-report", _report_file(tmp_path, args[1])]
    result = cli("brief", "topic", "--offline", *args)
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err and result.out == ""


def test_help_has_an_example(cli):
    result = cli("brief", "--help")
    assert result.code == 0 and "Example: sixhats brief" in result.out


def test_a_server_error_is_one_line_without_the_key(cli, fake_llm):
    from tests.fakes import error

    fake_llm.fail_when(lambda body: error(401, "bad key sk-test-SECRET-0123456789"))
    result = cli("brief", TOPIC, "--format", "json")
    assert result.code == 1 and result.out == ""
    [line] = result.err.strip().splitlines()[-1:]
    assert line.startswith("error: ") and "rejected the API key" in line
    assert "sk-test-SECRET" not in result.err
