"""The backend seam: the structured layer and the engine over a `FakeBackend` (no HTTP), and
the OpenAI backend itself over respx."""

from __future__ import annotations

import httpx
import pytest

from sixhats_ai.backends.base import (
    Backend,
    Completion,
    CompletionRequest,
    FormatRejected,
    Parked,
)
from sixhats_ai.backends.limiter import RequestLimiter
from sixhats_ai.backends.openai import OpenAIBackend
from sixhats_ai.backends.provider import Provider
from sixhats_ai.config import Config
from sixhats_ai.errors import ModelError
from sixhats_ai.method.programs import find_program
from sixhats_ai.pricing import Budget, PriceTable
from sixhats_ai.run.options import RunOptions
from sixhats_ai.run.report import WhiteOutput
from sixhats_ai.run.structured import ModeState, OutputMode, StructuredCaller
from sixhats_ai.session import open_session
from tests.fakes import API_KEY, BASE_URL, FakeBackend, completion, error

MESSAGES = [{"role": "system", "content": "Be the white hat."}, {"role": "user", "content": "?"}]


class DictCache:
    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}

    def get(self, key: str) -> Completion | None:
        kept = self.entries.get(key)
        return None if kept is None else Completion.from_dict(kept, cached=True)

    def put(self, key: str, request: dict, response: dict, seconds: float) -> None:
        self.entries[key] = response


def _caller(backend: Backend, cache: DictCache | None = None) -> StructuredCaller:
    return StructuredCaller(
        backend=backend,
        limiter=RequestLimiter(2),
        modes=ModeState(),
        prices=PriceTable({}),
        budget=Budget(None),
        cache=cache,
    )


def test_both_backends_implement_the_protocol():
    provider = Provider(base_url=BASE_URL, api_key=API_KEY, model="m")
    assert isinstance(FakeBackend(), Backend)
    assert isinstance(OpenAIBackend(provider), Backend)


async def test_a_rejected_format_moves_the_run_down_one_mode_for_good():
    backend = FakeBackend()
    backend.answer_when(
        lambda r: (
            FormatRejected("no json_schema here")
            if (r.response_format or {}).get("type") == "json_schema"
            else None
        )
    )
    caller = _caller(backend)
    first = await caller.call("m", MESSAGES, WhiteOutput)
    second = await caller.call("m", MESSAGES, WhiteOutput)
    kinds = [(r.response_format or {}).get("type") for r in backend.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert first.mode is second.mode is OutputMode.JSON_OBJECT
    assert "It must match this JSON schema" in backend.requests[1].messages[1]["content"]


async def test_an_invalid_answer_is_reasked_with_the_error():
    backend = FakeBackend()
    backend.answer_when(
        lambda r: Completion.from_dict(completion("not json")) if len(r.messages) == 2 else None
    )
    answer = await _caller(backend).call("m", MESSAGES, WhiteOutput)
    assert isinstance(answer.output, WhiteOutput)
    assert answer.usage.requests == 2
    reask = backend.requests[1].messages
    assert reask[-2] == {"role": "assistant", "content": "not json"}
    assert "Your answer was not valid" in reask[-1]["content"]


async def test_a_call_started_again_after_its_round_asks_under_the_key_it_parked_with():
    backend = FakeBackend()  # the first try parks, its answer does not fit, the re-ask parks
    backend.answer_when(
        lambda r: Parked(f"key-{len(r.messages) // 4}") if not r.custom_id else None
    )
    backend.answer_when(
        lambda r: Completion.from_dict(completion("not json")) if len(r.messages) == 2 else None
    )
    caller, asked = _caller(backend), {}
    with pytest.raises(Parked):
        await caller.call("m", MESSAGES, WhiteOutput, asked=asked)
    assert asked == {0: "key-0"}
    with pytest.raises(Parked):
        await caller.call("m", MESSAGES, WhiteOutput, asked=asked)
    assert asked == {0: "key-0", 1: "key-1"}
    answer = await caller.call("m", MESSAGES, WhiteOutput, asked=asked)
    assert isinstance(answer.output, WhiteOutput)
    assert [r.custom_id for r in backend.requests] == [None, "key-0", None, "key-0", "key-1"]
    assert backend.requests[1].params() == backend.requests[0].params()  # asked the same


async def test_a_backend_error_other_than_the_format_fails_the_step_as_is():
    backend = FakeBackend()
    backend.answer_when(lambda r: ModelError("server on fire"))
    with pytest.raises(ModelError, match="server on fire"):
        await _caller(backend).call("m", MESSAGES, WhiteOutput)
    assert len(backend.requests) == 1


async def test_the_cache_answers_only_for_the_same_server():
    cache = DictCache()
    await _caller(FakeBackend(), cache).call("m", MESSAGES, WhiteOutput)
    again = FakeBackend()
    answer = await _caller(again, cache).call("m", MESSAGES, WhiteOutput)
    assert again.requests == [] and answer.usage.cached_requests == 1
    elsewhere = FakeBackend(identity="fake:other")
    await _caller(elsewhere, cache).call("m", MESSAGES, WhiteOutput)
    assert len(elsewhere.requests) == 1


async def test_a_session_runs_a_program_through_the_given_backend():
    backend = FakeBackend()
    provider = Provider(base_url=None, api_key="", model="fake-model")
    options = RunOptions(flow="parallel")
    async with open_session(provider, options, Config(), backend=backend) as session:
        request = await session.request("Hire two people?", find_program("quick-feedback"))
        report = await session.engine.run(request)
    assert backend.closed
    assert [s.status for s in report.steps] == ["ok"] * 4
    assert len(backend.requests) == 4
    assert report.metadata.base_url == "fake:backend"


def _openai_backend() -> OpenAIBackend:
    return OpenAIBackend(Provider(base_url=BASE_URL, api_key=API_KEY, model="m"), max_retries=0)


REQUEST = CompletionRequest(model="m", messages=MESSAGES, max_tokens=10)


async def test_the_openai_backend_returns_the_servers_answer(no_network):
    route = no_network.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(200, json=completion("hi", prompt_tokens=7))
    )
    backend = _openai_backend()
    done = await backend.complete(REQUEST)
    await backend.aclose()
    assert (done.content, done.finish_reason, done.usage.prompt_tokens) == ("hi", "stop", 7)
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"


async def test_the_openai_backend_names_a_refused_format_and_hides_the_key(no_network):
    no_network.post(f"{BASE_URL}/chat/completions").mock(
        return_value=error(400, f"json_schema unsupported for key {API_KEY}")
    )
    with pytest.raises(FormatRejected) as caught:
        await _openai_backend().complete(REQUEST)
    assert "HTTP 400" in caught.value.message and API_KEY not in caught.value.message


async def test_the_openai_backend_pauses_the_limiter_on_429(no_network):
    no_network.post(f"{BASE_URL}/chat/completions").mock(
        return_value=error(429, "slow down", {"retry-after": "30"})
    )
    limiter = RequestLimiter(1)
    provider = Provider(base_url=BASE_URL, api_key=API_KEY, model="m")
    backend = OpenAIBackend(provider, limiter=limiter, max_retries=0)
    with pytest.raises(ModelError, match="rate limited"):
        await backend.complete(REQUEST)
    assert 25 < limiter.paused_for() <= 30


def test_the_sdk_is_imported_without_aiohttp_which_stays_importable():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sixhats_ai.backends.openai import import_sdk\n"
        "import_sdk()\n"
        "print('openai' in sys.modules, 'aiohttp' in sys.modules)\n"
        "import aiohttp\n"
        "print('aiohttp' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "True"]
