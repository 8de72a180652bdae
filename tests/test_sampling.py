"""Per-hat sampling is sent with each step, a profile overrides it, and a parameter a model
refuses is never fatal: known families get the right request first, others learn from the 400."""

from __future__ import annotations

import pytest

from sixhats_ai.method.hats import HATS, Hat
from testkit.standin import MODEL

STEP_HATS = {
    "Framing": Hat.BLUE,
    "WhiteOutput": Hat.WHITE,
    "RedOutput": Hat.RED,
    "YellowOutput": Hat.YELLOW,
    "BlackOutput": Hat.BLACK,
    "GreenOutput": Hat.GREEN,
}
PROBLEM = "Should we move the support team to a four-day week?"


def _profile(tmp_path, url: str, extra: str = "") -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text(
        f'[profiles.bench]\nbase_url = "{url}"\nmodel = "{MODEL}"\n{extra}'
    )


@pytest.mark.loopback
def test_each_hat_is_sent_its_own_sampling_and_a_profile_overrides_it(cli, served, tmp_path):
    _profile(tmp_path, served.url, "[profiles.bench.sampling.green]\ntemperature = 1.3\n")
    result = cli("analyze", PROBLEM, "--profile", "bench", "--program", "solve")
    assert result.code == 0, result.err
    sent = {e["schema"]: e["sampling"] for e in served.stats().exchanges}
    for schema, hat in STEP_HATS.items():
        if schema in sent and hat is not Hat.GREEN:
            assert sent[schema]["temperature"] == HATS[hat].sampling.temperature, schema
    assert sent["GreenOutput"] == {"temperature": 1.3, "top_p": HATS[Hat.GREEN].sampling.top_p}
    assert sent["WhiteOutput"]["temperature"] < sent["GreenOutput"]["temperature"]


def test_a_profile_sampling_setting_that_is_no_sampling_parameter_is_refused(cli, tmp_path):
    _profile(tmp_path, "http://127.0.0.1:9/v1", "[profiles.bench.sampling.green]\nseed = 1\n")
    result = cli("analyze", PROBLEM, "--profile", "bench", "--dry-run")
    assert result.code == 2
    assert "seed" in result.err and "Traceback" not in result.err


@pytest.mark.loopback
def test_a_reasoning_model_of_the_table_gets_the_right_request_first(cli, served, tmp_path):
    served.reset(record=True, reject_params=["temperature", "top_p", "max_tokens"])
    _profile(tmp_path, served.url)
    args = ["analyze", PROBLEM, "--profile", "bench", "--model", "gpt-5-mini"]
    result = cli(*args, "--max-tokens", "3000", "--program", "solve")
    assert result.code == 0, result.err
    stats = served.stats()
    assert stats.requests == len(stats.exchanges)  # not one request refused
    assert {str(e["sampling"]) for e in stats.exchanges} == {"{'max_completion_tokens': 3000}"}
    assert "not supported" not in result.err


@pytest.mark.loopback
def test_an_unknown_model_that_refuses_parameters_loses_them_for_the_run(cli, served, tmp_path):
    served.reset(record=True, reject_params=["temperature", "top_p", "max_tokens"])
    _profile(tmp_path, served.url)
    result = cli("analyze", PROBLEM, "--profile", "bench", "--max-tokens", "3000")
    assert result.code == 0, result.err
    stats = served.stats()
    refused = stats.requests - len(stats.exchanges)
    assert 2 <= refused <= 3  # temperature and max_tokens once each (top_p if a hat sends it)
    assert all(e["sampling"] == {"max_completion_tokens": 3000} for e in stats.exchanges)
    assert result.err.count("temperature") == 1
    assert result.err.count("max_completion_tokens") == 1


async def test_a_temperature_set_for_the_run_wins_over_every_hats_and_the_profiles():
    from sixhats_ai.backends.limiter import RequestLimiter
    from sixhats_ai.pricing import Budget, PriceTable
    from sixhats_ai.run.report import WhiteOutput
    from sixhats_ai.run.structured import ModeState, StructuredCaller
    from tests.fakes import FakeBackend

    backend = FakeBackend()
    caller = StructuredCaller(
        backend=backend,
        limiter=RequestLimiter(1),
        modes=ModeState(),
        prices=PriceTable({}),
        budget=Budget(None),
        temperature=0.7,
        sampling={"green": {"temperature": 1.3}},
    )
    messages = [{"role": "system", "content": "Hat."}, {"role": "user", "content": "?"}]
    await caller.call("m", messages, WhiteOutput, hat="green")
    await caller.call("m", messages, WhiteOutput, hat="white")
    sent = [(r.temperature, r.top_p) for r in backend.requests]
    assert sent == [(0.7, HATS[Hat.GREEN].sampling.top_p), (0.7, None)]


async def test_requests_already_in_flight_when_a_parameter_is_learned_are_retried_without_it():
    import asyncio

    from sixhats_ai.backends.base import Completion, ParameterRejected
    from sixhats_ai.backends.limiter import RequestLimiter
    from sixhats_ai.pricing import Budget, PriceTable
    from sixhats_ai.run.report import WhiteOutput
    from sixhats_ai.run.structured import ModeState, OutputMode, StructuredCaller
    from tests.fakes import completion, sample_answer

    class RefusesTemperature:
        identity, is_local = "refuses:temperature", False
        collects_calls = keeps_answers = False

        def __init__(self) -> None:
            self.both_sent = asyncio.Barrier(2)
            self.sent: list[float | None] = []

        async def complete(self, request):
            self.sent.append(request.temperature)
            if request.temperature is not None:
                await self.both_sent.wait()  # both built with temperature before either fails
                raise ParameterRejected("Unsupported value: 'temperature'", name="temperature")
            return Completion.from_dict(completion(sample_answer(request.params())))

        async def aclose(self) -> None:
            pass

    backend = RefusesTemperature()
    caller = StructuredCaller(
        backend=backend,
        limiter=RequestLimiter(2),
        modes=ModeState(OutputMode.JSON_SCHEMA, pinned=True),
        prices=PriceTable({}),
        budget=Budget(None),
    )
    messages = [{"role": "system", "content": "Hat."}, {"role": "user", "content": "?"}]
    await asyncio.gather(
        caller.call("m", messages, WhiteOutput, hat="white"),
        caller.call("m", messages, WhiteOutput, hat="black"),
    )
    assert backend.sent[2:] == [None, None]
