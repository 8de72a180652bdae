"""The benchmarks' stand-in server: its answers fit any schema, and a real `analyze` runs on it.

The end-to-end tests are real loopback HTTP: the CLI, the engine and the OpenAI SDK talk to
the stand-in server on 127.0.0.1 (marker `loopback`); nothing is mocked.
"""

from __future__ import annotations

import pytest

from sixhats_ai.run.report import HAT_OUTPUTS, Synthesis
from testkit.answers import AnswerMaker, valid_step_ids
from testkit.standin import MODEL

SOLVE_IDS = ["1-blue", "2-white", "3-green", "4-red", "5-yellow", "6-black", "7-green", "8-blue"]
SOLVE_SCHEMAS = [
    "Framing",
    "WhiteOutput",
    "GreenOutput",
    "RedOutput",
    "YellowOutput",
    "BlackOutput",
    "GreenOutput",
    "Synthesis",
]


@pytest.mark.parametrize("model", list(HAT_OUTPUTS.values()), ids=list(HAT_OUTPUTS))
def test_answers_fit_every_step_schema(model):
    model.model_validate(AnswerMaker(words=3, items=2).make(model.model_json_schema()))


def test_synthesis_answer_cites_only_the_valid_step_ids():
    ids = valid_step_ids("Every action must name its sources. Valid step ids: 1-blue, 2-white.\n")
    assert ids == ["1-blue", "2-white"]
    answer = AnswerMaker(choices={"sources": ids}).make(Synthesis.model_json_schema())
    Synthesis.model_validate(answer, context={"step_ids": set(ids)})


@pytest.mark.loopback
@pytest.mark.parametrize(("flow", "peak"), [("sequential", 1), ("parallel", 6)])
def test_analyze_end_to_end_over_loopback(analyze_json, served, flow, peak):
    report = analyze_json("How do we cut first-reply times without hiring?", "solve", flow)
    assert [s["id"] for s in report["steps"]] == SOLVE_IDS
    assert all(s["status"] == "ok" for s in report["steps"])
    assert not report["metadata"]["degraded"]
    cited = {source for item in report["synthesis"]["key_insights"] for source in item["sources"]}
    assert cited and cited <= set(SOLVE_IDS[:-1])

    stats = served.stats()
    assert stats.requests == report["metadata"]["usage"]["requests"] == len(SOLVE_IDS)
    assert 1 <= stats.peak_in_flight <= peak  # parallel: at most the six hats at once
    schemas = [e["schema"] for e in stats.exchanges]
    assert sorted(schemas) == sorted(SOLVE_SCHEMAS)
    assert schemas[0] == "Framing" and schemas[-1] == "Synthesis"


@pytest.mark.loopback
def test_models_endpoint_lists_the_stand_in_model(served):
    import httpx

    response = httpx.get(f"{served.url}/models")
    assert [m["id"] for m in response.json()["data"]] == [MODEL]
