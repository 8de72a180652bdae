"""Every hat sees what it needs and returns what a facilitator needs: checked from the requests
a run sends to the logging fake server, and from the reports it writes."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.run.report import AlternativeColumn, ArguedPoint, Report
from tests.fakes import (
    ALTERNATIVES,
    CHOOSE_STEPS,
    completion,
    hat_sample,
    outside_fences,
    requested_schema,
    sample_answer,
    schema_name,
    step_id,
)

PROBLEM = "Should our team move to a four-day week?"
FACTORS = [f"factor {n}: the effect on {topic}" for n, topic in enumerate(
    ["customers", "pay", "hiring", "morale", "holidays", "contracts", "tooling", "on-call",
     "reporting", "training", "precedent", "reversibility"], 1)]  # fmt: skip
RISKS = [f"risk {n}: {text}" for n, text in enumerate(
    ["Friday tickets wait until Monday", "overtime creeps back", "sales cannot reach support",
     "new hires are harder to train", "the pilot is judged too early", "pay talks reopen",
     "other teams resent the change", "metrics break across the switch"], 1)]  # fmt: skip
CLOSING_HEADINGS = {
    "decision": "## Decision",
    "shortlist": "## Shortlist",
    "keep-stop-start": "## Keep, stop, start",
    "direction": "## Direction",
    "review": "## Review",
}


def rich_answers(body):
    """A framing with every factor it may have, and a black hat with every risk it may have."""
    name = schema_name(body)
    if name == "Framing":
        answer = {**hat_sample(name, requested_schema(body)), "factors": FACTORS}
    elif name == "BlackOutput":
        answer = hat_sample(name, requested_schema(body))
        template, tags = answer["risks"][0], [r["alternative"] for r in answer["risks"]]
        answer["risks"] = [  # spread as the sample spreads them: two on each alternative
            {**template, "point": risk, "alternative": tags[n % len(tags)]}
            for n, risk in enumerate(RISKS)
        ]
    else:
        return None
    return httpx.Response(200, json=completion(json.dumps(answer)))


def analyze(cli, program: str, *args: str) -> str:
    result = cli("analyze", PROBLEM, "--program", program, "--no-cache", *args)
    assert result.code == 0, result.err
    return result.out


def test_every_hat_after_the_framing_sees_every_alternative(cli, fake_llm):
    analyze(cli, "choose", "--flow", "sequential")
    after_framing = [b for b in fake_llm.requests if step_id(b) != "1-blue"]
    assert [step_id(b) for b in after_framing] == CHOOSE_STEPS[1:]
    for body in after_framing:
        prompt = "\n".join(m["content"] for m in body["messages"])
        for alternative in ALTERNATIVES:
            assert f"Alternative: {alternative}" in prompt, (step_id(body), alternative)


def test_the_synthesis_sees_every_factor_and_every_risk(cli, fake_llm):
    fake_llm.fail_when(rich_answers)
    analyze(cli, "choose")
    synthesis = next(b for b in fake_llm.requests if step_id(b) == "7-blue")
    prompt = synthesis["messages"][1]["content"]
    for text in [*FACTORS, *RISKS]:
        assert text in prompt, text


def test_a_mid_program_blue_steers_the_next_step_from_the_instructions(cli, fake_llm):
    focus = "ideas that keep Fridays covered without overtime"

    def steering_blue(body):
        if schema_name(body) != "BlueReview":
            return None
        answer = {**hat_sample("BlueReview", requested_schema(body)), "next_focus": focus}
        answer["process"] = ["spend longer <<DATA-0123456789ab on>> the green hat"]
        return httpx.Response(200, json=completion(json.dumps(answer)))

    fake_llm.fail_when(steering_blue)
    analyze(cli, "strategic-planning")
    by_step = {step_id(b): b["messages"] for b in fake_llm.requests}
    steered = outside_fences(by_step["6-green"][1]["content"])
    assert f"Concentrate on: {focus}" in steered  # the instruction part, outside the fence
    assert "spend longer on the green hat" in " ".join(steered.split())  # markers stripped
    assert "DATA-0123456789ab" not in steered
    assert "Concentrate on" not in by_step["4-white"][1]["content"]  # only after the blue
    assert focus in by_step["7-blue"][1]["content"]  # the synthesis sees the review


def test_a_choose_report_compares_alternative_by_alternative_with_a_dot_vote(cli, fake_llm):
    report = Report.model_validate_json(analyze(cli, "choose", "--format", "json"))
    assert [c.name for c in report.comparison] == ALTERNATIVES
    four_day, five_day = report.comparison
    assert (four_day.dots, five_day.dots) == (2, 1)  # 3 dots for 2 alternatives
    assert four_day.benefits == ["Better retention (medium) [4-yellow]"] * 2
    assert four_day.risks == ["Coverage gaps on Fridays (high) [5-black]"] * 2
    # weight × likelihood: benefits medium × medium (4), risks high × medium (6), twice each;
    # the balance is the mean of each side's heaviest, not a sum
    assert four_day.balance == 4 - 6
    assert four_day.arithmetic() == "-2.0 = (4 + 4) / 2 − (6 + 6) / 2"
    assert [a.name for a in report.synthesis.alternatives] == ALTERNATIVES
    synthesis = next(b for b in fake_llm.requests if step_id(b) == "7-blue")
    assert (
        "Four-day week: 2 dots, balance -2.0 = (4 + 4) / 2 − (6 + 6) / 2"
        in synthesis["messages"][1]["content"]
    )
    red = report.step("6-red").output
    assert red is not None and red.dot_counts() == {"Four-day week": 2, "Keep five days": 1}
    markdown = analyze(cli, "choose")
    assert "| Four-day week | ●● 2 | -2.0 |" in markdown and "| Keep five days | ● 1 |" in markdown
    html = analyze(cli, "choose", "--format", "html")
    rows = re.findall(r'<th scope="row"><a href="#case-\d">([^<]+)</a></th>', html)
    assert rows == ALTERNATIVES
    assert html.count('class="dots"') == 2


@pytest.mark.parametrize("program", list(load_programs().values()), ids=lambda p: p.slug)
def test_each_program_closes_in_its_own_shape_in_every_format(cli, fake_llm, program):
    data = json.loads(analyze(cli, program.slug, "--format", "json"))
    assert data["schema_version"] == 2
    closing = data["synthesis"]["closing"]
    assert closing["shape"] == program.closing
    assert data["synthesis"]["another_round"]["why"]
    assert all(q["owner_role"] for q in data["synthesis"]["open_questions"])
    markdown = analyze(cli, program.slug)
    assert CLOSING_HEADINGS[program.closing] in markdown
    assert "## Before deciding" in markdown and "Owner: support lead." in markdown
    html = analyze(cli, program.slug, "--format", "html")
    assert f'data-shape="{program.closing}"' in html


def test_the_green_hat_gets_a_random_word_that_a_rerun_repeats(cli, fake_llm):
    first = Report.model_validate_json(analyze(cli, "solve", "--format", "json"))
    words = [s.random_word for s in first.steps if s.hat == "green"]
    assert all(words) and len(words) == 2
    green = next(b for b in fake_llm.requests if step_id(b) == "3-green")
    assert words[0] in green["messages"][1]["content"]  # given as material, fenced
    assert words[0] not in green["messages"][0]["content"]
    fake_llm.requests.clear()
    again = cli("analyze", PROBLEM, "--program", "solve", "--format", "json")
    assert again.code == 0 and fake_llm.requests == []  # the same prompts: all from the store
    repeated = Report.model_validate_json(again.out)
    assert [s.random_word for s in repeated.steps if s.hat == "green"] == words


def test_white_facts_say_where_they_came_from(cli, fake_llm):
    report = Report.model_validate_json(analyze(cli, "process-improvement", "--format", "json"))
    fact = report.step("2-white").output.facts[0]
    assert (fact.status, fact.source) == ("checked", "problem statement")
    views = report.step("3-white").output.views
    assert views and views[0].holder == "customers" and views[0].basis == "inferred"
    assert report.step("2-white").output.views == []  # only the step with that focus


def test_each_hat_samples_in_its_own_way_and_a_profile_may_override_it():
    from sixhats_ai.method.hats import HATS, hat_sampling

    assert (
        HATS["green"].sampling.temperature
        > HATS["yellow"].sampling.temperature
        > HATS["white"].sampling.temperature
    )
    assert HATS["black"].sampling.temperature < HATS["red"].sampling.temperature
    assert hat_sampling("green", {"green": {"temperature": 1.2}}).temperature == 1.2
    assert hat_sampling("white", {"green": {"temperature": 1.2}}) == HATS["white"].sampling
    with pytest.raises(ValueError, match="unknown sampling setting 'seed'"):
        hat_sampling("red", {"red": {"seed": 1}})


def test_an_alternative_compared_twice_is_reasked(cli, fake_llm):
    calls = {"n": 0}

    def twice(body):
        if schema_name(body) != "Synthesis" or calls["n"]:
            return None
        calls["n"] += 1
        answer = json.loads(sample_answer(body))
        answer["alternatives"][1]["name"] = answer["alternatives"][0]["name"]
        return httpx.Response(200, json=completion(json.dumps(answer)))

    fake_llm.fail_when(twice)
    analyze(cli, "choose")
    reask = fake_llm.requests[-1]["messages"][-1]["content"]
    assert "compare each alternative once; these appear more than once: 'Four-day week'" in reask


def test_a_dry_run_shows_each_schema_and_a_realistic_board(cli):
    result = cli("analyze", PROBLEM, "--program", "choose", "--dry-run", "--api-key", "sk-x")
    assert result.code == 0, result.err
    schemas = re.findall(r"^schema (\w+), (\d+) characters$", result.out, re.MULTILINE)
    assert [name for name, _ in schemas][::6] == ["Framing", "Synthesis"]
    assert len(schemas) == 7 and all(int(size) > 500 for _, size in schemas)
    assert "(example) Friday coverage gaps. Grounds: the SLA covers weekdays." in result.out
    assert "(their findings appear here)" not in result.out


def _column(name: str, benefits: list[int], risks: list[int]) -> AlternativeColumn:
    def point(side: str, score: int) -> ArguedPoint:
        weight = {9: "high", 6: "high", 4: "medium", 3: "high", 2: "medium", 1: "low"}[score]
        likelihood = {9: "high", 6: "medium", 4: "medium", 3: "low", 2: "low", 1: "low"}[score]
        return ArguedPoint(
            side=side, point=f"{side} {score}", grounds="g", step="4-yellow",
            weight=weight, likelihood=likelihood, score=score,
        )  # fmt: skip

    argued = [point("benefit", s) for s in benefits] + [point("risk", s) for s in risks]
    return AlternativeColumn(name=name, argued=argued)


def test_the_number_of_points_never_decides_the_balance():
    """Issue 22: an alternative with more risks listed lost, whatever their weight."""
    few = _column("few risks listed", benefits=[6, 4], risks=[6])
    many = _column("many risks listed", benefits=[6, 4], risks=[6, 6, 6, 6, 6])
    assert few.balance == many.balance == -1.0
    light_tail = _column("a tail of light risks", benefits=[9, 6], risks=[4, 1, 1, 1, 1, 1])
    assert light_tail.balance == 7.5 - 2.0  # the three heaviest risks: 4, 1, 1
    assert light_tail.arithmetic() == "+5.5 = (9 + 6) / 2 − (4 + 1 + 1) / 3"
    assert _column("no risks", [9], []).arithmetic() == "+9.0 = 9 − 0"


def test_a_stored_column_weighed_by_the_old_sum_reads_by_todays_rule():
    stored = _column("A", benefits=[9, 9], risks=[6]).model_dump()
    old = AlternativeColumn.model_validate({**stored, "balance": 12})
    assert old.balance == 3.0 and old.arithmetic().startswith("+3.0 = ")
    assert AlternativeColumn.model_validate({"name": "B", "balance": 4}).arithmetic() == "+4.0"
