"""A stand-in OpenAI-compatible server, for the benchmarks and the end-to-end tests only.

`StandIn` starts it in a subprocess on a free 127.0.0.1 port and talks to it over HTTP:

- `POST /v1/chat/completions` waits `latency` seconds, then answers with valid JSON for the
  schema in `response_format` (`json_schema` or `json_object` mode), with usage counted from
  the text (about four characters a token), and `prompt_tokens_details.cached_tokens` as
  OpenAI reports them (see `PrefixCache`);
  It can play a server that refuses things: `reject_json_schema` answers that HTTP status
  (400 as vLLM would, 500 as llama-cpp-python does) to any `json_schema` request, and
  `reject_params` refuses the named body fields with OpenAI's own 400 (as its reasoning models
  refuse `temperature`, `top_p` and `max_tokens`);
- `GET /v1/models` lists one model;
- the Batch API (`/v1/files`, `/v1/batches`), played as documented (`testkit.batchapi`);
- `GET /props` says the context size, as llama.cpp's `llama-server` does, when `n_ctx` is set
  (else 404, as other servers answer);
- `POST /_bench/reset` applies new settings and zeroes the counters;
- `GET /_bench/stats` returns the counters: requests, peak in flight and, when `record` is
  on, every exchange (messages, sampling fields, answer, times).

The server stops by itself when its parent closes its stdin, or after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from aiohttp import web

from sixhats_ai.text.tokens import estimate_tokens
from testkit import ROOT
from testkit.answers import (
    MODEL,
    AnswerMaker,
    completion_body,
    quotes_in,
    requested_schema,
    section_refs,
    valid_step_ids,
)
from testkit.batchapi import BatchSettings, BatchStats, add_batch_routes

READY = "standin listening on port"
TEXTS_PER_REQUEST = 5000
# The body fields a recorded exchange keeps besides the messages: how the request sampled.
SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "max_completion_tokens")


@dataclass
class Settings:
    """How the stand-in behaves until the next reset."""

    latency: float = 0.0
    words: int = 8
    items: int = 2
    record: bool = False
    n_ctx: int | None = None
    reject_json_schema: int | None = None
    reject_params: list[str] = field(default_factory=list)
    markup: str = ""  # text added to every free-text answer (markup a model may write)


def _shared_length(a: str, b: str) -> int:
    """How many characters `a` and `b` share from their start (a binary search)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class PrefixCache:
    """OpenAI's prompt caching, played: the longest prefix a prompt shares with any earlier
    prompt this server answered, counted from 1,024 tokens in 128-token steps (0 below)."""

    MIN_TOKENS, STEP_TOKENS = 1024, 128

    def __init__(self) -> None:
        self._seen: list[str] = []  # sorted: the longest shared prefix is with a neighbour

    def cached_tokens(self, prompt: str) -> int:
        at = bisect.bisect_left(self._seen, prompt)
        neighbours = self._seen[max(at - 1, 0) : at + 1]
        shared = max((_shared_length(prompt, n) for n in neighbours), default=0)
        if at == len(self._seen) or self._seen[at] != prompt:
            self._seen.insert(at, prompt)
        tokens = shared // 4  # the stand-in's four characters a token, whole tokens only
        if tokens < self.MIN_TOKENS:
            return 0
        return self.MIN_TOKENS + (tokens - self.MIN_TOKENS) // self.STEP_TOKENS * self.STEP_TOKENS


@dataclass
class Stats:
    """What the stand-in saw since the last reset."""

    requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    exchanges: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _State:
    settings: Settings = field(default_factory=Settings)
    stats: Stats = field(default_factory=Stats)
    epoch: float = field(default_factory=time.monotonic)
    cache: PrefixCache = field(default_factory=PrefixCache)

    def reset(self, settings: Settings) -> None:
        self.settings, self.stats, self.epoch = settings, Stats(), time.monotonic()
        self.cache = PrefixCache()


STATE = web.AppKey("state", _State)
ROUTES = web.RouteTableDef()  # each handler below says its route


@ROUTES.post("/v1/chat/completions")
async def _chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    settings, stats = state.settings, state.stats
    stats.requests += 1
    stats.in_flight += 1
    stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
    started = time.monotonic() - state.epoch
    try:
        body = await request.json()
        await asyncio.sleep(settings.latency)
    finally:
        stats.in_flight -= 1
    if (refusal := _refusal(body, settings)) is not None:
        return refusal
    wanted = requested_schema(body)
    if wanted is None:
        message = "this stand-in needs response_format json_schema, or json_object with a schema"
        return web.json_response({"error": {"message": message}}, status=400)
    name, schema = wanted
    texts = [str(m.get("content") or "") for m in body.get("messages", [])]
    prompt_tokens = sum(estimate_tokens(t) for t in texts)
    if settings.n_ctx is not None and prompt_tokens > settings.n_ctx:  # as llama-server does
        message = "the request exceeds the available context size, try increasing it"
        return web.json_response({"error": {"message": message}}, status=400)
    prompt = "\n".join(texts)
    choices = {
        "sources": valid_step_ids(prompt),
        "section": section_refs(prompt),
        "quote": quotes_in(prompt),
    }
    # each request's texts differ from every other's, as a model's answers do
    first = stats.requests * TEXTS_PER_REQUEST
    maker = AnswerMaker(settings.words, settings.items, choices, settings.markup, first)
    content = json.dumps(maker.make(schema))
    if settings.record:
        stats.exchanges.append(
            {
                "schema": name,
                "messages": body["messages"],
                "sampling": {k: body[k] for k in SAMPLING_FIELDS if k in body},
                "answer": content,
                "started": started,
                "finished": time.monotonic() - state.epoch,
            }
        )
    # As a chat template would: each message after its role, so a prefix ends where they differ.
    served = "".join(f"<|{m.get('role')}|>{m.get('content') or ''}" for m in body["messages"])
    cached = min(state.cache.cached_tokens(served), prompt_tokens)
    return web.json_response(completion_body(content, prompt_tokens, cached_tokens=cached))


def _refusal(body: dict[str, Any], settings: Settings) -> web.Response | None:
    """The error a server that refuses this request's format or parameters answers, if any."""
    fmt = body.get("response_format") or {}
    if settings.reject_json_schema and fmt.get("type") == "json_schema":
        message = "response_format type json_schema is not supported by this server"
        return web.json_response(
            {"error": {"message": message}}, status=settings.reject_json_schema
        )
    for name in settings.reject_params:
        if name in body:
            return web.json_response({"error": _unsupported(name, body[name])}, status=400)
    return None


def _unsupported(name: str, value: Any) -> dict[str, Any]:
    """OpenAI's 400 body for a parameter a reasoning model refuses (its documented wording)."""
    if name == "temperature":
        message = (
            f"Unsupported value: 'temperature' does not support {value} with this model. "
            "Only the default (1) value is supported."
        )
        code = "unsupported_value"
    elif name == "max_tokens":
        message = (
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        )
        code = "unsupported_parameter"
    else:
        message = f"Unsupported parameter: '{name}' is not supported with this model."
        code = "unsupported_parameter"
    return {"message": message, "type": "invalid_request_error", "param": name, "code": code}


@ROUTES.get("/v1/models")
async def _models(request: web.Request) -> web.Response:
    return web.json_response(
        {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]}
    )


@ROUTES.get("/props")
async def _props(request: web.Request) -> web.Response:
    n_ctx = request.app[STATE].settings.n_ctx
    if n_ctx is None:
        raise web.HTTPNotFound()
    return web.json_response({"default_generation_settings": {"n_ctx": n_ctx}, "total_slots": 1})


@ROUTES.post("/_bench/reset")
async def _reset(request: web.Request) -> web.Response:
    settings = Settings(**await request.json())
    request.app[STATE].reset(settings)
    return web.json_response(asdict(settings))


@ROUTES.get("/_bench/stats")
async def _stats(request: web.Request) -> web.Response:
    return web.json_response(asdict(request.app[STATE].stats))


def build_app() -> web.Application:
    app = web.Application(client_max_size=256 * 1024 * 1024)  # a Batch API file: 200 MB
    app[STATE] = _State()
    app.add_routes(ROUTES)
    add_batch_routes(app)
    return app


class _ParentWatch(asyncio.Protocol):
    """Sets `stop` when stdin closes, i.e. when the parent is done or gone."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop.set()


async def serve(max_seconds: float) -> None:
    """Serve on a free loopback port until stdin closes or `max_seconds` pass."""
    # Answers still held back (a long --latency) are dropped at once when the server stops.
    runner = web.AppRunner(build_app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock, backlog=1024).start()
    print(f"{READY} {sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    await asyncio.get_running_loop().connect_read_pipe(lambda: _ParentWatch(stop), sys.stdin)
    try:
        await asyncio.wait_for(stop.wait(), max_seconds)
    except TimeoutError:
        pass
    finally:
        await runner.cleanup()


class StandIn:
    """A running stand-in server in a subprocess; use it as a context manager."""

    def __init__(self, max_seconds: float = 3600.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "testkit.standin", "--max-seconds", str(max_seconds)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith(READY):
            self.close()
            raise RuntimeError(f"the stand-in server did not start: {line!r}")
        self.port = int(line.split()[-1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._control = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/_bench")

    def reset(self, **settings: Any) -> Settings:
        """Apply settings (see `Settings`) and zero the counters."""
        response = self._control.post("/reset", json=asdict(Settings(**settings)))
        response.raise_for_status()
        return Settings(**response.json())

    def stats(self) -> Stats:
        response = self._control.get("/stats")
        response.raise_for_status()
        return Stats(**response.json())

    def batch_reset(self, **settings: Any) -> BatchSettings:
        """Apply Batch API settings (see `BatchSettings`) and zero its counters."""
        response = self._control.post("/batch/reset", json=asdict(BatchSettings(**settings)))
        response.raise_for_status()
        return BatchSettings(**response.json())

    def batch_stats(self) -> BatchStats:
        data = self._control.get("/batch/stats").raise_for_status().json()
        data.pop("duplicate_submissions")
        return BatchStats(**data)

    def close(self) -> None:
        if hasattr(self, "_control"):
            self._control.close()
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    asyncio.run(serve(parser.parse_args(argv).max_seconds))


if __name__ == "__main__":
    main()
