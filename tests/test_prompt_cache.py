"""One prompt prefix per run: the server serves it from its cache, and the run says so.

The stand-in reports `prompt_tokens_details.cached_tokens` as OpenAI does (the longest prefix
shared with an earlier request, from 1,024 tokens in 128-token steps)."""

from __future__ import annotations

import pytest

from sixhats_ai.backends.base import Completion
from sixhats_ai.pricing import Price, PriceTable
from sixhats_ai.render import report as render_report
from sixhats_ai.run.report import Report
from testkit.documents import proposal
from testkit.standin import PrefixCache


@pytest.mark.loopback
def test_half_the_prompt_is_cached_and_the_report_says_so(cli, served, tmp_path):
    served.reset(record=True, items=8, words=30, n_ctx=128_000)
    doc = tmp_path / "proposal.md"
    doc.write_text(proposal(35_000))
    result = cli(
        "analyze",
        "Should we move support to a four-day week?",
        "--program",
        "choose",
        "--context",
        str(doc),
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    usage = Report.model_validate_json(result.out).metadata.usage
    assert usage.prompt_tokens > 7 * 9_000  # the document went to every step
    assert usage.cached_tokens >= usage.prompt_tokens / 2
    markdown = render_report(Report.model_validate_json(result.out), "md")
    assert f"Prompt cache: {usage.cached_tokens} of {usage.prompt_tokens} prompt tokens" in (
        markdown
    )
    assert str(usage.cached_tokens) in render_report(Report.model_validate_json(result.out), "html")


def test_the_stand_in_caches_as_openai_does():
    cache = PrefixCache()
    first = "x" * 4 * 2_000
    assert cache.cached_tokens(first) == 0  # nothing before it
    assert cache.cached_tokens(first[: 4 * 1_000] + "y" * 4_000) == 0  # under 1,024 shared
    assert cache.cached_tokens(first[: 4 * 1_300] + "y" * 4_000) == 1_024 + 2 * 128
    assert cache.cached_tokens(first) == 1_024 + 7 * 128  # 2,000 tokens, in 128-token steps


def test_cached_tokens_are_read_and_priced_at_the_cached_input_price():
    body = {
        "choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 10_000,
            "completion_tokens": 1_000,
            "prompt_tokens_details": {"cached_tokens": 8_000},
        },
    }
    done = Completion.from_dict(body)
    assert done.usage.cached_tokens == 8_000
    assert Completion.from_dict(done.to_dict()).usage == done.usage  # the request cache keeps it
    prices = PriceTable({"m": Price(2.0, 8.0, cached_input=0.5), "plain": Price(2.0, 8.0)})
    assert prices.cost("m", 10_000, 1_000, 8_000) == pytest.approx(
        (2_000 * 2.0 + 8_000 * 0.5 + 1_000 * 8.0) / 1e6
    )
    assert prices.saved("m", 8_000) == pytest.approx(8_000 * 1.5 / 1e6)
    assert prices.saved("plain", 8_000) == 0.0  # no cached price: billed as input
