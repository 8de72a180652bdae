"""The embedded engine, run for real: llama.cpp on the tiny random-weight model.

A random model says nothing sensible, but under a JSON grammar what it says is valid JSON, and
its token counts, cut-offs, queueing and cancellation are the engine's own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from sixhats_ai.backends.base import Backend, CompletionRequest, FormatRejected
from sixhats_ai.errors import ModelError

pytest.importorskip("llama_cpp")

from sixhats_ai.backends.llama import LlamaBackend, llama_response_format

LONG_PROMPT = "the quick brown fox jumps over the lazy dog " * 700  # about 30,000 tokens
# Left alone, LONG_PROMPT (or an endless answer) takes minutes; stopped, the engine ends at its
# next check between batches or tokens (about a millisecond on an idle machine). The bound is
# loose so that a busy machine cannot fail it: how fast it stops is measured, not asserted.
STOPPED_WELL_BEFORE = 20.0


class Verdict(BaseModel):
    approve: bool
    risk: Literal["low", "medium", "high"]


class Essay(BaseModel):
    text: str = Field(min_length=40)


def json_schema_format(model: type[BaseModel]) -> dict[str, Any]:
    """The response_format the structured-output layer sends first (strict json_schema)."""
    schema = model.model_json_schema()
    return {"type": "json_schema", "json_schema": {"name": model.__name__, "schema": schema}}


def ask(content: str = "Is the plan sound?", **options: Any) -> CompletionRequest:
    messages = [
        {"role": "system", "content": "Answer with JSON."},
        {"role": "user", "content": content},
    ]
    return CompletionRequest(model="tiny", messages=messages, **options)


@pytest.fixture
def backend(tiny_model: Path) -> LlamaBackend:
    return LlamaBackend(tiny_model, n_ctx=4096, n_threads=1)


@pytest.fixture
def long_backend(tiny_model: Path) -> LlamaBackend:
    """A context large enough for a prompt that takes seconds to read."""
    return LlamaBackend(tiny_model, n_ctx=32768, n_threads=1)


def test_the_model_loads_once_per_process(backend, tiny_model):
    again = LlamaBackend(tiny_model, n_ctx=4096, n_threads=1)
    assert backend.load() is again.load()
    assert backend.stats.load_seconds > 0
    assert isinstance(backend, Backend)
    assert backend.context_window == 4096


async def test_a_json_schema_request_is_answered_through_the_grammar(backend):
    completion = await backend.complete(ask(response_format=json_schema_format(Verdict)))
    assert completion.finish_reason == "stop"
    Verdict.model_validate_json(completion.content)


async def test_a_json_object_request_with_a_schema_is_held_to_it(backend):
    schema = Verdict.model_json_schema()
    response_format = {"type": "json_object", "schema": schema}
    completion = await backend.complete(ask(response_format=response_format, max_tokens=200))
    Verdict.model_validate_json(completion.content)


def test_the_response_format_is_translated_to_llama_cpp_form():
    schema = Verdict.model_json_schema()
    assert llama_response_format(json_schema_format(Verdict)) == {
        "type": "json_object",
        "schema": schema,
    }
    assert llama_response_format({"type": "json_object"}) == {"type": "json_object"}
    assert llama_response_format(None) is None
    assert llama_response_format({"type": "text"}) is None
    with pytest.raises(FormatRejected):
        llama_response_format({"type": "regex"})


async def test_usage_comes_from_llama_counts(backend):
    short = await backend.complete(ask("x", max_tokens=4))
    longer = await backend.complete(ask("x" + "y" * 10, max_tokens=4))
    assert longer.usage.prompt_tokens - short.usage.prompt_tokens == 10
    assert 0 < short.usage.completion_tokens <= 4
    body = short.to_dict()["usage"]
    assert body["total_tokens"] == body["prompt_tokens"] + body["completion_tokens"]


async def test_the_prefix_a_request_shares_with_the_one_before_is_not_read_again(backend):
    shared = [
        {"role": "system", "content": "The method. " * 40},
        {"role": "user", "content": "The problem and its documents. " * 40 + "Step one."},
    ]
    first = await backend.complete(CompletionRequest(model="tiny", messages=shared, max_tokens=4))
    shared[1] = {**shared[1], "content": shared[1]["content"].replace("one", "two, later")}
    second = await backend.complete(CompletionRequest(model="tiny", messages=shared, max_tokens=4))
    assert first.usage.cached_tokens < first.usage.prompt_tokens
    assert second.usage.prompt_tokens - second.usage.cached_tokens <= 40  # only what differs
    assert second.usage.cached_tokens > 1_500  # the method, the problem and the documents
    assert second.to_dict()["usage"]["prompt_tokens_details"]["cached_tokens"] == (
        second.usage.cached_tokens
    )


async def test_an_answer_cut_at_max_tokens_says_length(backend):
    # the schema needs 40 characters of text: 8 tokens cannot finish it
    completion = await backend.complete(
        ask(response_format=json_schema_format(Essay), max_tokens=8)
    )
    assert completion.finish_reason == "length"
    assert completion.usage.completion_tokens == 8
    assert completion.to_dict()["choices"][0]["finish_reason"] == "length"


async def test_concurrent_requests_queue_one_at_a_time(backend):
    model = backend.load()
    original = model.llama.create_chat_completion
    in_engine, peak, guard = 0, 0, threading.Lock()

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_engine, peak
        with guard:
            in_engine += 1
            peak = max(peak, in_engine)
        try:
            return original(*args, **kwargs)
        finally:
            with guard:
                in_engine -= 1

    model.llama.create_chat_completion = counted
    try:
        answers = await asyncio.gather(
            *(backend.complete(ask(response_format=json_schema_format(Verdict))) for _ in range(4))
        )
    finally:
        del model.llama.create_chat_completion
    assert peak == 1
    assert len(answers) == 4 and all(Verdict.model_validate_json(a.content) for a in answers)
    assert backend.stats.requests == 4


async def test_the_stats_time_reading_and_writing_apart(backend):
    completion = await backend.complete(ask("A question no other test asks " * 4, max_tokens=16))
    stats = backend.stats
    read, read_seconds = stats.prompt_eval
    written, written_seconds = stats.token_eval
    assert 0 < read <= completion.usage.prompt_tokens  # a prefix still cached is not read again
    assert 0 < written <= completion.usage.completion_tokens
    assert 0 < read_seconds + written_seconds <= stats.engine_seconds
    summary = stats.to_dict()
    assert summary["tokens_per_second"] > 0 and summary["prompt_tokens_per_second"] > 0
    assert summary["requests"] == 1
    assert "tokens written at" in stats.summary()


async def test_a_cancelled_request_stops_at_once_and_the_engine_stays_usable(long_backend, capfd):
    model = long_backend.load()
    task = asyncio.create_task(long_backend.complete(ask(LONG_PROMPT, max_tokens=8)))
    deadline = time.monotonic() + 30
    while model.running is None:  # wait until llama.cpp is reading the prompt
        assert time.monotonic() < deadline, "the request never started"
        await asyncio.sleep(0.01)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - cancelled_at < STOPPED_WELL_BEFORE
    assert model.running is None and not model.lock.locked()
    assert capfd.readouterr().err == ""  # llama.cpp's own log stays off the terminal
    after = await long_backend.complete(ask(response_format=json_schema_format(Verdict)))
    Verdict.model_validate_json(after.content)


async def test_an_answer_is_cancelled_between_two_tokens(long_backend):
    model = long_backend.load()
    endless = {"type": "object", "properties": {"text": {"type": "string", "minLength": 20000}}}
    response_format = {"type": "json_object", "schema": {**endless, "required": ["text"]}}
    task = asyncio.create_task(long_backend.complete(ask("go", response_format=response_format)))
    deadline = time.monotonic() + 30
    while model.running is None:
        assert time.monotonic() < deadline, "the request never started"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # well into the answer: the prompt takes milliseconds
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - cancelled_at < STOPPED_WELL_BEFORE
    assert not model.lock.locked()


async def test_a_prompt_longer_than_the_context_is_one_line(tiny_model):
    small = LlamaBackend(tiny_model, n_ctx=128, n_threads=1)
    with pytest.raises(ModelError, match="longer than the model's context \\(128 tokens\\)"):
        await small.complete(ask("z" * 500))


def test_a_broken_gguf_is_one_line_with_llama_cpp_s_reason(tmp_path, tiny_model):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + os.urandom(4096))
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_model.read_bytes()[: tiny_model.stat().st_size // 2])
    for path in (broken, truncated):
        with pytest.raises(ModelError) as caught:
            LlamaBackend(path).load()
        message = caught.value.one_line()
        assert f"llama.cpp could not load {path.name}: " in message and "\n" not in message
        assert "Failed to load model from file" not in message  # llama.cpp's reason instead


CTRL_C_SCRIPT = """
import asyncio, sys, threading
from pathlib import Path
from sixhats_ai.backends.base import CompletionRequest
from sixhats_ai.backends.llama import LlamaBackend

backend = LlamaBackend(Path(sys.argv[1]), n_ctx=32768, n_threads=1)
model = backend.load()
prompt = sys.argv[2]

def announce():
    while model.running is None:
        threading.Event().wait(0.01)
    print("started", flush=True)

threading.Thread(target=announce, daemon=True).start()
request = CompletionRequest(model="tiny", messages=[{"role": "user", "content": prompt}])
asyncio.run(backend.complete(request))
print("finished", flush=True)
"""


def test_ctrl_c_stops_the_engine_within_a_second(tiny_model):
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT, str(tiny_model), LONG_PROMPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "started"
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    assert time.monotonic() - interrupted_at < STOPPED_WELL_BEFORE
    assert process.returncode != 0
    assert "finished" not in process.stdout.read()
    assert "KeyboardInterrupt" in process.stderr.read()
