"""A real model, only when asked: SIXHATS_LIVE=1 and a key (OPENAI_API_KEY or SIXHATS_LIVE_KEY)."""

import os

import pytest

LIVE_KEY = os.environ.get("SIXHATS_LIVE_KEY") or os.environ.get("OPENAI_API_KEY")

pytestmark = pytest.mark.skipif(
    os.environ.get("SIXHATS_LIVE") != "1" or not LIVE_KEY,
    reason="live test: set SIXHATS_LIVE=1 and OPENAI_API_KEY (or SIXHATS_LIVE_KEY)",
)


def test_live_quick_feedback(monkeypatch, no_network):
    from sixhats_ai.api import analyze
    from sixhats_ai.backends.provider import Provider

    no_network.route().pass_through()
    provider = Provider(
        base_url=os.environ.get("SIXHATS_LIVE_BASE_URL"),
        api_key=LIVE_KEY or "",
        model=os.environ.get("SIXHATS_LIVE_MODEL", "gpt-4o-mini"),
    )
    report = analyze(
        "Should a five-person team adopt a four-day week?",
        program="quick-feedback",
        provider=provider,
    )
    assert [s.id for s in report.steps] == ["1-blue", "2-black", "3-green", "4-blue"]
    assert report.synthesis.recommendation.decision
    assert 0 <= report.synthesis.recommendation.confidence <= 1
