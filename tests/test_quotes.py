"""A fact marked checked says where: its quote is looked up in the material it was sent."""

from __future__ import annotations

import json

import httpx
import pytest

from sixhats_ai.run.quotes import check_quotes, quote_in
from sixhats_ai.run.report import Report, WhiteOutput
from tests.fakes import completion, hat_sample, requested_schema, schema_name

DOCUMENT = """# Gateway proposal

The gateway routes every request through one middleware chain.
Plugins register with   add_middleware(name, handler) at start-up.
We considered per-route hooks and REJECTED them: they doubled the configuration.
"""


def test_a_quote_is_found_ignoring_case_whitespace_and_quotation_marks():
    assert quote_in("“plugins register with add_middleware(name, handler)”", [DOCUMENT])
    assert quote_in("we considered per-route hooks ... doubled the configuration", [DOCUMENT])
    assert not quote_in("per-route hooks are the better design", [DOCUMENT])
    assert not quote_in("  ", [DOCUMENT])


def test_a_checked_fact_whose_quote_is_not_in_the_material_is_believed():
    fact = {"status": "checked", "source": "document", "where": "proposal.md"}
    answer = WhiteOutput.model_validate(
        {
            "facts": [
                {**fact, "statement": "one chain", "quote": "ONE middleware  chain"},
                {**fact, "statement": "hooks preferred", "quote": "per-route hooks are preferred"},
            ],
            "gaps": [],
        }
    )
    checked = check_quotes(answer, ["Should we adopt it?", DOCUMENT])
    assert isinstance(checked, WhiteOutput)
    assert [(f.status, f.quote_found) for f in checked.facts] == [
        ("checked", True),
        ("believed", False),
    ]


@pytest.fixture
def proposal(tmp_path):
    path = tmp_path / "proposal.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def test_an_invented_quote_reaches_the_report_as_believed(cli, fake_llm, proposal):
    def inventing_white(body):
        if schema_name(body) != "WhiteOutput":
            return None
        answer = hat_sample("WhiteOutput", requested_schema(body))
        real = {"statement": "one chain", "quote": "routes every request through one middleware"}
        made_up = {"statement": "an example", "quote": "see the add_plugin() example below"}
        base = {"status": "checked", "source": "document", "where": "proposal.md"}
        answer["facts"] = [{**base, **real}, {**base, **made_up}]
        return httpx.Response(200, json=completion(json.dumps(answer)))

    fake_llm.fail_when(inventing_white)
    result = cli("analyze", "Adopt the gateway?", "--context", str(proposal), "--format", "json")
    assert result.code == 0, result.err
    facts = Report.model_validate_json(result.out).step("2-white").output.facts
    assert [(f.statement, f.status, f.quote_found) for f in facts] == [
        ("one chain", "checked", True),
        ("an example", "believed", False),
    ]


@pytest.mark.loopback
def test_the_stand_in_quotes_the_document_and_every_quote_is_found(cli, served, proposal):
    result = cli("analyze", "Adopt the gateway?", "--context", str(proposal), "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    facts = report.step("2-white").output.facts
    assert facts and all(f.quote and f.quote_found for f in facts if f.status == "checked")
    assert any(f.status == "checked" for f in facts)


MARKED_UP = """## 1. Background

The surveyor estimates **£1.9 million** in essential works over _five_ years.

| Option | Cost |
|---|---|
| A: Refurbish | `£2.5m` |

- **Capital cost:** £2.5 million, within the budget.
"""


def test_a_quote_is_found_ignoring_markdown_emphasis_pipes_and_markers():
    assert quote_in("The surveyor estimates £1.9 million in essential works over five", [MARKED_UP])
    assert quote_in("A: Refurbish £2.5m", [MARKED_UP])
    assert quote_in("Capital cost: £2.5 million, within the budget", [MARKED_UP])
    assert quote_in("1. Background", [MARKED_UP])
    assert not quote_in("The surveyor estimates £2.9 million", [MARKED_UP])


def test_a_quote_not_found_is_never_shown_as_the_sources_words():
    fact = {"status": "checked", "source": "document", "where": "proposal.md"}
    answer = WhiteOutput.model_validate(
        {"facts": [{**fact, "statement": "made up", "quote": "not in it"}], "gaps": []}
    )
    checked = check_quotes(answer, [MARKED_UP])
    assert isinstance(checked, WhiteOutput)
    assert checked.facts[0].text() == "made up. Quote not found in the source: “not in it”."
