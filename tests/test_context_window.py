"""The context window, learned from each kind of server, kept in the store, never fatal."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest
import respx

from sixhats_ai.backends.context_window import (
    DEFAULT_LOCAL_WINDOW,
    OLLAMA_DEFAULT_NUM_CTX,
    ContextWindow,
    WindowLookup,
)
from sixhats_ai.backends.provider import Provider
from sixhats_ai.store.database import RunStore
from sixhats_ai.store.windows import WindowCache

LOCAL = "http://127.0.0.1:8080/v1"
MODEL = "some-model"


def llama_cpp(router: respx.MockRouter, root: str, n_ctx: int) -> respx.Route:
    return router.get(f"{root}/props").respond(
        json={"default_generation_settings": {"n_ctx": n_ctx}, "total_slots": 1}
    )


def vllm(router: respx.MockRouter, base: str, model: str, tokens: int) -> respx.Route:
    return router.get(f"{base}/models").respond(
        json={"object": "list", "data": [{"id": model, "max_model_len": tokens}]}
    )


def lm_studio(router: respx.MockRouter, root: str, model: str, **fields: int) -> respx.Route:
    return router.get(f"{root}/api/v0/models").respond(
        json={"object": "list", "data": [{"id": "other"}, {"id": model, **fields}]}
    )


def ollama(
    router: respx.MockRouter,
    root: str,
    model: str,
    trained: int,
    parameters: str = "",
    running: list[dict[str, Any]] | None = None,
) -> respx.Route:
    """Ollama as its API docs show it: /api/show has model_info and the Modelfile's
    parameters, /api/ps lists the loaded models with the context each runs with."""

    def show(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("model") != model:
            return httpx.Response(404, json={"error": "model not found"})
        info = {"general.architecture": "llama", "llama.context_length": trained}
        return httpx.Response(200, json={"parameters": parameters, "model_info": info})

    router.get(f"{root}/api/ps").respond(json={"models": running or []})
    return router.post(f"{root}/api/show").mock(side_effect=show)


async def discover(
    base_url: str | None = LOCAL, model: str = MODEL, profile: int | None = None, **kwargs: Any
) -> ContextWindow:
    """The window a session finds for `model` at `base_url` (`profile`: the profile's)."""
    provider = Provider(base_url, "", model, context_window=profile)
    return await WindowLookup(provider, **kwargs).get()


async def test_llama_cpp_reports_n_ctx_at_its_root(no_network):
    route = llama_cpp(no_network, "http://127.0.0.1:8080", 8192)
    no_network.route().respond(404)
    window = await discover()
    assert (window.tokens, window.source) == (8192, "llama.cpp /props")
    assert route.called


async def test_llama_cpp_props_under_v1_also_counts(no_network):
    llama_cpp(no_network, LOCAL, 16384)
    no_network.route().respond(404)
    assert (await discover()).tokens == 16384


async def test_vllm_reports_max_model_len_of_the_model(no_network):
    vllm(no_network, LOCAL, MODEL, 32768)
    no_network.route().respond(404)
    window = await discover()
    assert (window.tokens, window.source) == (32768, "vLLM /v1/models")


@pytest.mark.parametrize(
    ("fields", "tokens"),
    [
        ({"max_context_length": 32768}, 32768),
        ({"max_context_length": 32768, "loaded_context_length": 4096}, 4096),
    ],
)
async def test_lm_studio_reports_the_loaded_context_else_the_maximum(no_network, fields, tokens):
    lm_studio(no_network, "http://127.0.0.1:8080", MODEL, **fields)
    no_network.route().respond(404)
    window = await discover()
    assert window.tokens == tokens and window.source.startswith("LM Studio")


async def test_ollama_serving_less_than_the_model_supports_warns_with_the_settings(no_network):
    ollama(no_network, "http://127.0.0.1:8080", MODEL, trained=131072)
    no_network.route().respond(404)
    window = await discover()
    assert window.tokens == OLLAMA_DEFAULT_NUM_CTX
    assert "131072" in window.source
    assert window.warning is not None
    assert "OLLAMA_CONTEXT_LENGTH=131072" in window.warning
    assert "PARAMETER num_ctx 131072" in window.warning


@pytest.mark.parametrize(
    ("parameters", "running", "tokens"),
    [
        ('num_keep 24\nnum_ctx                        32768\nstop "x"', None, 32768),
        (
            "",
            [{"name": f"{MODEL}:latest", "model": f"{MODEL}:latest", "context_length": 16384}],
            16384,
        ),
        ("num_ctx 200000", None, 131072),  # never more than the model supports
    ],
)
async def test_ollama_serves_its_modelfile_num_ctx_or_the_loaded_context(
    no_network, parameters, running, tokens
):
    ollama(no_network, "http://127.0.0.1:8080", MODEL, 131072, parameters, running)
    no_network.route().respond(404)
    window = await discover()
    assert window.tokens == tokens
    assert window.warning is None or tokens < 131072


async def test_a_server_that_says_nothing_falls_back_without_failing(no_network):
    no_network.route().mock(side_effect=httpx.ConnectError("refused"))
    window = await discover()
    assert window.tokens == DEFAULT_LOCAL_WINDOW and "default" in window.source
    remote = await discover("https://llm.example/v1", "gpt-4o-2024-08-06")
    assert (remote.tokens, remote.source) == (128000, "packaged table of known models")


async def test_openai_is_not_probed_and_the_table_answers(no_network):
    window = await discover(None, "gpt-4.1-mini")
    assert window.tokens == 1047576
    assert not no_network.calls


async def test_flag_profile_and_config_win_over_the_server(no_network):
    route = llama_cpp(no_network, "http://127.0.0.1:8080", 8192)
    assert (await discover(stated=4000)).tokens == 4000
    assert (await discover(profile=5000)).source == "the profile's context_window"
    configured = await discover(configured={MODEL: 6000})
    assert (configured.tokens, configured.source) == (6000, "config [context_windows]")
    assert not route.called


async def test_the_answer_is_kept_so_the_next_run_asks_nothing(no_network, tmp_path):
    store_path = tmp_path / "runs.sqlite3"
    RunStore(store_path).close()  # the store exists: its own check made it
    route = llama_cpp(no_network, "http://127.0.0.1:8080", 8192)
    no_network.route().respond(404)
    cache = WindowCache(store_path)
    first = await discover(cache=cache)
    calls = len(no_network.calls)
    again = await discover(cache=WindowCache(store_path))
    assert (again.tokens, again.source) == (8192, "llama.cpp /props, cached")
    assert len(no_network.calls) == calls and route.call_count == 1
    assert first.tokens == again.tokens
    expired = await discover(cache=WindowCache(store_path, ttl=0))
    assert expired.source == "llama.cpp /props" and route.call_count == 2
    RunStore(store_path).close()  # the store still opens: the extra table does not upset it


async def test_a_server_that_says_nothing_is_not_asked_again_either(no_network, tmp_path):
    store_path = tmp_path / "runs.sqlite3"
    RunStore(store_path).close()
    no_network.route().respond(404)
    first = await discover(cache=WindowCache(store_path))
    calls = len(no_network.calls)
    again = await discover(cache=WindowCache(store_path))
    assert len(no_network.calls) == calls > 0
    assert again.tokens == first.tokens == DEFAULT_LOCAL_WINDOW and again.source.endswith("cached")


async def test_no_cache_table_is_made_in_a_file_that_is_not_a_store(no_network, tmp_path):
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).close()
    llama_cpp(no_network, "http://127.0.0.1:8080", 8192)
    no_network.route().respond(404)
    await discover(cache=WindowCache(other))
    tables = sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


def test_config_shows_the_context_of_the_configured_server_and_its_source(
    cli, no_network, monkeypatch
):
    monkeypatch.setenv("OPENAI_BASE_URL", LOCAL)
    monkeypatch.setenv("SIXHATS_MODEL", MODEL)
    llama_cpp(no_network, "http://127.0.0.1:8080", 8192)
    no_network.route().respond(404)
    result = cli("config")
    assert result.code == 0, result.err
    assert f"context:      8192 tokens for {MODEL} at {LOCAL} (from llama.cpp /props)" in result.out
