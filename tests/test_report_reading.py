"""A report a council member reads in ten minutes, made from stand-in answers.

Over every packaged program's report: the decision at a glance comes first, the body says each
point once, fields join into sentences (no "., " and no "(because The"), no tool jargon and
no `<br>`-stacked cells, a comparison table only where the program compares alternatives, and
model text is text (no markup of its own reaches the Markdown). The body of a 7-step choose
report with a thorough model's answers (8 items a list, 30-word items) is measured and bound.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.render.escape import md
from sixhats_ai.render.markdown import APPENDIX, ARGUMENTS
from sixhats_ai.run.report import Report
from sixhats_ai.text.prose import clause, restates

pytestmark = pytest.mark.loopback

PROBLEM = "Should the support team replace its on-call rota next quarter?"
BROKEN_JOINS = re.compile(r"\.[,;:]|\.\.(?!\.)| [,.;:](?=\s)|\(because [A-Z]|,\s*\.")
BODY_WORDS = 1200


def _report(cli: Any, program: str, *args: str) -> tuple[str, Report]:
    md = cli("analyze", PROBLEM, "--program", program, "--no-cache", "--format", "md", *args)
    assert md.code == 0, md.err
    run_id = re.search(r"saved run ([0-9a-f]+)", md.err)
    assert run_id, md.err
    data = cli("show", run_id.group(1), "--format", "json")
    assert data.code == 0, data.err
    return md.out, Report.model_validate_json(data.out)


def _texts(node: Any) -> list[str]:
    """Every text of ten words or more the model wrote in the report (the stand-in's are 30)."""
    if isinstance(node, str):
        return [node] if len(node.split()) >= 10 else []
    if isinstance(node, dict):
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def _body(markdown: str) -> str:
    return markdown.split(APPENDIX)[0]


@pytest.mark.parametrize("program", sorted(load_programs()))
def test_each_programs_report_says_each_point_once_in_sentences(cli, served, program):
    served.reset(items=3, words=12)
    markdown, report = _report(cli, program)
    body = _body(markdown)
    assert body.index("## Decision at a glance") < body.index("## Summary")
    names = set(report.framing.alternatives if report.framing else [])  # names recur, as names
    texts = _texts(report.model_dump(include={"synthesis", "steps", "comparison"}))
    # the body, then each alternative's case (which the table's short cells lead to)
    for part in body.split(ARGUMENTS):
        for text in set(texts) - names:
            assert part.count(clause(text)) <= 1, f"said twice: {text!r}"
    assert BROKEN_JOINS.findall(markdown) == []
    assert "<br>" not in markdown and "the board" not in body.lower()
    compares = load_programs()[program].compares_alternatives
    assert ("## Alternatives compared" in body) == compares
    assert (ARGUMENTS in markdown) == compares
    assert markdown.index(APPENDIX) < markdown.index("_Run: ")  # the run's figures last


def test_the_glance_holds_the_recommendation_its_reasons_conditions_and_next_step(cli, served):
    served.reset(items=3, words=12)
    markdown, report = _report(cli, "choose")
    glance = markdown.split("## Decision at a glance")[1].split("\n## ")[0]
    s = report.synthesis
    assert clause(s.recommendation.decision) in glance
    assert f"confidence {s.recommendation.confidence:.0%}" in glance
    for reason in s.recommendation.reasons or []:
        assert clause(reason) in glance
    first = s.next_steps[0]
    assert all(clause(x) in glance for x in (first.action, first.owner_role, first.when))


def test_each_alternative_is_argued_with_grounds_quotes_and_arithmetic(cli, served, tmp_path):
    served.reset(items=3, words=12)
    doc = tmp_path / "proposal.md"
    doc.write_text("The rota pages one engineer a week. " * 40, encoding="utf-8")
    markdown, report = _report(cli, "choose", "--context", str(doc))
    case = markdown.split(ARGUMENTS)[1].split(APPENDIX)[0]
    for column in report.comparison:
        assert len(column.side("benefit")) >= 2 and len(column.side("risk")) >= 2
        assert f"Balance {column.arithmetic()}." in case
        for point in column.argued:
            assert f"Grounds: {clause(point.grounds)}" in case
            assert point.arithmetic in case
    assert "(found in the source)" in case


def test_a_thorough_models_choose_report_has_a_body_under_1200_words(cli, served):
    served.reset(items=8, words=30)
    markdown, report = _report(cli, "choose")
    body = markdown.split(ARGUMENTS)[0]
    words = len(body.split())
    print(f"\nbody of a 7-step choose report, 8 items of 30 words: {words} words")
    print(f"with each alternative's case: {len(_body(markdown).split())} words")
    assert len(report.steps) == 7 and words < BODY_WORDS


def test_model_text_is_text_in_the_markdown_report(cli, served):
    """Issue 25, defect 6: markup a model writes passed into the per-input Markdown report."""
    served.reset(markup="<script>alert(1)</script> <img src=x onerror=alert(2)>\n# INJECTED")
    markdown, _ = _report(cli, "choose")
    assert "<script>" not in markdown and "<img" not in markdown
    assert not re.search(r"^\s*(- )?#+ INJECTED", markdown, re.MULTILINE)
    assert "&lt;script&gt;" in markdown  # shown as text, not dropped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Fridays lose\n  support  coverage", "Fridays lose support coverage"),
        (
            "# INJECTED | [a](b) <i>`c`</i> \\",
            "\\# INJECTED \\| \\[a\\](b) &lt;i&gt;\\`c\\`&lt;/i&gt; \\\\",
        ),
        ("12. item", "\\12. item"),
        ("- a list", "\\- a list"),
        ("a - b", "a - b"),
        ("", ""),
    ],
)
def test_text_is_escaped_for_markdown_on_one_line(text, escaped):
    assert md(text) == escaped


def test_a_comparing_report_shows_every_key_insight_once_and_the_first_in_the_body(cli, served):
    served.reset(items=5, words=12)
    markdown, report = _report(cli, "choose")
    body, main = markdown.split(ARGUMENTS)[0], _body(markdown)
    insights = [clause(i.text) for i in report.synthesis.key_insights]
    assert len(insights) == 5 and insights[0] in body
    assert [main.count(text) for text in insights] == [1] * len(insights)


def test_a_decision_that_restates_the_recommendation_is_not_shown_again():
    recommendation = "Approve A: refurbish Marsh Road, and add a library point in the hub"
    assert restates("A: Refurbish Marsh Road, plus a library point in the hub", recommendation)
    assert restates("Approve A", recommendation)
    assert not restates("C: a new building, if the grant is confirmed", recommendation)
