"""Structured output over HTTP: mode fallback, re-asks, truncation, refusals, SDK retries."""

import json

import httpx
import pytest

from tests.fakes import completion, error, sample_answer, schema_name, step_id

QUICK = ("analyze", "Should we?", "--program", "quick-feedback")
FAST_RETRY = {"retry-after-ms": "1"}


def _modes(fake_llm) -> list[str]:
    return [(b.get("response_format") or {}).get("type", "prompt") for b in fake_llm.requests]


def test_llama_cpp_500_on_json_schema_falls_back_to_json_object(cli, fake_llm):
    def llama_cpp(body):
        if (body.get("response_format") or {}).get("type") == "json_schema":
            return error(500, "Input should be 'text' or 'json_object'", FAST_RETRY)
        return None

    fake_llm.fail_when(llama_cpp)
    result = cli(*QUICK, "--format", "json")
    assert result.code == 0, result.err
    # The SDK retried the 500 twice (its policy), then the run moved down one mode for good.
    assert _modes(fake_llm) == ["json_schema"] * 3 + ["json_object"] * 4
    second = fake_llm.requests[3]
    assert second["response_format"]["schema"]["title"] == "Framing"
    assert "It must match this JSON schema" in second["messages"][1]["content"]
    assert {s["mode"] for s in json.loads(result.out)["steps"]} == {"json_object"}


def test_full_chain_down_to_plain_prompt(cli, fake_llm):
    def picky(body):
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_schema":
            return error(400, "response_format json_schema is not supported")
        if kind == "json_object":
            return error(400, "'response_format.type' must be 'json_schema' or 'text'")
        return None

    fake_llm.fail_when(picky)
    assert cli(*QUICK).code == 0
    assert _modes(fake_llm) == ["json_schema", "json_object"] + ["prompt"] * 4


def test_an_unrelated_400_does_not_change_mode(cli, fake_llm):
    fake_llm.fail_when(
        lambda b: error(400, "messages too long") if step_id(b) == "1-blue" else None
    )
    result = cli(*QUICK)
    assert result.code == 1 and "HTTP 400: messages too long" in result.err
    assert _modes(fake_llm) == ["json_schema"]


def test_reask_with_the_error_then_success(cli, fake_llm):
    calls = {"n": 0}

    def once_invalid(body):
        if schema_name(body) == "BlackOutput" and calls["n"] == 0:
            calls["n"] += 1
            return httpx.Response(200, json=completion('{"risks": "not a list"}'))
        return None

    fake_llm.fail_when(once_invalid)
    result = cli(*QUICK, "--format", "json")
    assert result.code == 0
    black = [b for b in fake_llm.requests if step_id(b) == "2-black"]
    assert len(black) == 2
    reask = black[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": '{"risks": "not a list"}'}
    assert "risks" in reask[-1]["content"] and "not valid" in reask[-1]["content"]
    step = next(s for s in json.loads(result.out)["steps"] if s["id"] == "2-black")
    assert step["usage"]["requests"] == 2 and step["usage"]["prompt_tokens"] == 200


def test_reasks_exhausted_fail_the_step(cli, fake_llm):
    fake_llm.fail_when(
        lambda b: (
            httpx.Response(200, json=completion("no json here"))
            if schema_name(b) == "BlackOutput"
            else None
        )
    )
    result = cli(*QUICK, "--max-reasks", "1", "--format", "json")
    assert result.code == 0
    report = json.loads(result.out)
    black = next(s for s in report["steps"] if s["id"] == "2-black")
    assert black["status"] == "failed"
    assert "after 1 re-asks" in black["error"] and "--max-reasks" in black["error"]
    assert len([b for b in fake_llm.requests if step_id(b) == "2-black"]) == 2
    assert report["metadata"]["degraded"] is True


def test_synthesis_citing_unknown_steps_is_reasked(cli, fake_llm):
    calls = {"n": 0}

    def bad_sources(body):
        if schema_name(body) == "Synthesis" and calls["n"] == 0:
            calls["n"] += 1
            answer = json.loads(sample_answer(body))
            answer["key_insights"][0]["sources"] = ["9-purple"]
            return httpx.Response(200, json=completion(json.dumps(answer)))
        return None

    fake_llm.fail_when(bad_sources)
    assert cli(*QUICK).code == 0
    reask = fake_llm.requests[-1]["messages"][-1]["content"]
    assert "unknown step ids ['9-purple']" in reask


def test_truncated_answer_names_max_tokens(cli, fake_llm):
    fake_llm.fail_when(
        lambda b: httpx.Response(200, json=completion('{"fra', finish_reason="length"))
    )
    result = cli(*QUICK, "--max-tokens", "5")
    assert result.code == 1
    assert "cut off at the token limit" in result.err and "--max-tokens" in result.err
    assert fake_llm.requests[0]["max_tokens"] == 5
    assert len(fake_llm.requests) == 1  # not re-asked: a re-ask would be cut off again


def test_refusal_gets_a_clear_message(cli, fake_llm):
    refusal = completion("")
    refusal["choices"][0]["message"]["refusal"] = "I can't help with that."
    fake_llm.fail_when(lambda b: httpx.Response(200, json=refusal))
    result = cli(*QUICK)
    assert result.code == 1 and "the model refused: I can't help with that." in result.err


def test_429_is_retried_by_the_sdk_not_multiplied(cli, fake_llm):
    state = {"n": 0}

    def limited(body):
        state["n"] += 1
        return error(429, "slow down", FAST_RETRY) if state["n"] == 1 else None

    fake_llm.fail_when(limited)
    assert cli(*QUICK).code == 0
    assert len(fake_llm.requests) == 5  # 4 steps + one retry of the first


def test_429_exhausted_after_the_sdk_policy(cli, fake_llm):
    fake_llm.fail_when(lambda b: error(429, "slow down", FAST_RETRY))
    result = cli(*QUICK, "--retries", "2")
    assert result.code == 1
    assert "rate limited" in result.err and "--concurrency" in result.err
    assert len(fake_llm.requests) == 3  # 1 + 2 SDK retries, never 3 x 3


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (401, "invalid key", "rejected the API key"),
        (404, "model 'nope' not found", "not found"),
    ],
)
def test_401_and_404_are_not_retried(cli, fake_llm, status, message, expected):
    fake_llm.fail_when(lambda b: error(status, message))
    result = cli(*QUICK)
    assert result.code == 1 and expected in result.err and message in result.err
    assert len(fake_llm.requests) == 1


def test_connection_refused(cli, fake_llm, no_network):
    from tests.fakes import BASE_URL

    no_network.post(f"{BASE_URL}/chat/completions").mock(side_effect=httpx.ConnectError("refused"))
    result = cli(*QUICK, "--retries", "0")
    assert result.code == 1
    assert "cannot reach http://llm.test/v1" in result.err
    assert "does the URL end in /v1?" in result.err


def test_timeout(cli, fake_llm, no_network):
    from tests.fakes import BASE_URL

    no_network.post(f"{BASE_URL}/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))
    result = cli(*QUICK, "--retries", "0", "--timeout", "1")
    assert result.code == 1 and "timed out" in result.err and "--timeout" in result.err


def test_schemas_of_per_run_classes_are_not_kept_forever():
    """A batch builds schema classes per run; the schema cache must not keep them all alive."""
    import gc
    import weakref

    from pydantic import create_model

    from sixhats_ai.run.structured import json_schema

    first = create_model("PerRunFirst", answer=(str, ...))
    json_schema(first)
    gone = weakref.ref(first)
    del first
    for n in range(1000):
        json_schema(create_model(f"PerRun{n}", answer=(str, ...)))
    gc.collect()
    assert gone() is None
