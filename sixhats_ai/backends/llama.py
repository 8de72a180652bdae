"""The embedded engine: llama.cpp (llama-cpp-python) answering in the sixhats process.

A model is loaded once per process (a GGUF file of several GB takes seconds to map) and shared
by every backend that names it. llama.cpp runs one generation at a time per model, so requests
run in a worker thread and queue on the model's lock: the parallel flow still works, it waits.
Structured output is llama.cpp's grammar: a `json_schema` or `json_object` response format
becomes the grammar llama-cpp-python builds for `{"type": "json_object", "schema": ...}`, with
what its converter leaves out put back (`grammar.py`), so the answer is valid JSON for the
schema by construction and the mode ladder stays on its
first rung. A cancelled request (Ctrl-C) aborts llama.cpp between two graph steps, through
its abort callback, whether it is reading the prompt or writing the answer, and the model is
reset so that the next request starts clean.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sixhats_ai.backends.base import Completion, CompletionRequest, FormatRejected
from sixhats_ai.backends.grammar import schema_grammar
from sixhats_ai.errors import ConfigError, ModelError, UsageError, option
from sixhats_ai.local import INSTALL_HINT

DEFAULT_N_CTX = 8192
_GGUF_MAGIC = b"GGUF"
_LOCK_POLL_SECONDS = 0.05


class _Cancelled(Exception):
    """The request's task was cancelled: its worker stops and nobody reads the result."""


@dataclass
class EngineStats:
    """Load time and speeds: for the run's metadata and the closing stderr line.

    Speeds come from llama.cpp's own timings, so reading the prompt (fast, batched) and
    writing the answer (a token at a time) are told apart.
    """

    model: str
    n_ctx: int
    load_seconds: float = 0.0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    engine_seconds: float = 0.0  # wall time of the requests in the engine
    prompt_eval: tuple[int, float] = (0, 0.0)  # tokens read, seconds
    token_eval: tuple[int, float] = (0, 0.0)  # tokens written, seconds

    @property
    def tokens_per_second(self) -> float:
        """Generation speed: the answer's tokens over the time spent writing them."""
        return _rate(*self.token_eval)

    @property
    def prompt_tokens_per_second(self) -> float:
        return _rate(*self.prompt_eval)

    def add_timings(self, timings: Any) -> None:
        """Add llama.cpp's timings of one request (a `llama_perf_context_data`)."""
        read, read_s = self.prompt_eval
        written, written_s = self.token_eval
        self.prompt_eval = (read + timings.n_p_eval, read_s + timings.t_p_eval_ms / 1000)
        self.token_eval = (written + timings.n_eval, written_s + timings.t_eval_ms / 1000)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": "llama.cpp",
            "model": self.model,
            "n_ctx": self.n_ctx,
            "load_seconds": round(self.load_seconds, 3),
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "engine_seconds": round(self.engine_seconds, 3),
            "prompt_tokens_per_second": round(self.prompt_tokens_per_second, 1),
            "tokens_per_second": round(self.tokens_per_second, 1),
        }

    def summary(self) -> str:
        return (
            f"local engine: {self.model} loaded in {self.load_seconds:.1f} s; "
            f"prompts read at {self.prompt_tokens_per_second:.0f} tokens/s, "
            f"{self.completion_tokens} tokens written at {self.tokens_per_second:.1f} tokens/s"
        )


@dataclass(frozen=True)
class LocalModel:
    """A GGUF model file and how to run it: what a provider names for the embedded engine.
    `build_backend` answers with it; the model itself is loaded once a process."""

    path: Path
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int | None = None
    n_gpu_layers: int = 0

    @property
    def name(self) -> str:
        return self.path.stem

    def new_stats(self) -> EngineStats:
        """Figures for the runs on this model, none yet."""
        return EngineStats(model=self.path.name, n_ctx=self.n_ctx)


def preload(model: LocalModel, stats: EngineStats | None = None) -> None:
    """Load `model` now, before a run's event loop starts (a load cannot be interrupted);
    `stats` records how long it took."""
    LlamaBackend.serving(model, stats).load()


def _rate(tokens: int, seconds: float) -> float:
    return tokens / seconds if seconds > 0 else 0.0


class LoadedModel:
    """One `Llama` and the lock that keeps it to one generation at a time."""

    def __init__(self, llama: Any, load_seconds: float) -> None:
        import llama_cpp

        self.llama = llama
        self.load_seconds = load_seconds
        self.lock = threading.Lock()
        self.running: threading.Event | None = None  # the cancel flag of the running request
        self._abort = llama_cpp.ggml_abort_callback(self._should_abort)  # must stay referenced
        llama_cpp.llama_set_abort_callback(llama.ctx, self._abort, None)

    def _should_abort(self, _data: Any) -> bool:
        running = self.running
        return running is not None and running.is_set()


_MODELS: dict[tuple[str, int, int | None, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()
_GGML_LOG_ERROR = 4  # ggml.h: NONE, DEBUG, INFO, WARN, ERROR, CONT


class EngineLog:
    """llama.cpp's log, kept off the terminal: sixhats reports progress and failures itself,
    in one line, with llama.cpp's first error as the reason (SIXHATS_DEBUG=1 shows it all)."""

    def __init__(self) -> None:
        self.first_error = ""  # since the last reset
        self.callback: Any = None  # the C callback must stay referenced while installed

    def install(self) -> None:
        import llama_cpp

        if self.callback is None:
            self.callback = llama_cpp.llama_log_callback(self._log)
            llama_cpp.llama_log_set(self.callback, None)

    def _log(self, level: int, text: bytes, _data: Any) -> None:
        line = text.decode("utf-8", errors="replace")
        if level == _GGML_LOG_ERROR and line.strip() and not self.first_error:
            self.first_error = line.strip()
        if os.environ.get("SIXHATS_DEBUG") == "1":
            sys.stderr.write(line)


ENGINE_LOG = EngineLog()


def check_gguf(path: Path) -> None:
    """Fail early, in one line, on a path that is not a GGUF model file."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise UsageError(f"model file {path} not found", hint="pass a path to a .gguf") from None
    except OSError as exc:
        raise UsageError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if magic != _GGUF_MAGIC:
        raise UsageError(
            f"{path} is not a GGUF model file",
            hint="llama.cpp needs a .gguf; sixhats local pull fetches one",
        )


def load_model(path: Path, n_ctx: int, n_threads: int | None, n_gpu_layers: int) -> LoadedModel:
    """The process's `Llama` for this file and settings, loaded on first use."""
    key = (str(path.resolve()), n_ctx, n_threads, n_gpu_layers)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ConfigError("the local engine is not installed", hint=INSTALL_HINT) from None
        check_gguf(path)
        ENGINE_LOG.install()
        ENGINE_LOG.first_error = ""
        started = time.perf_counter()
        try:
            llama = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_gpu_layers=n_gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"llama.cpp could not load {path.name}: {ENGINE_LOG.first_error or exc}",
                hint="the file may be truncated or of an architecture this llama-cpp-python "
                "does not know: pull it again, or upgrade llama-cpp-python",
            ) from None
        loaded = LoadedModel(llama, time.perf_counter() - started)
        _MODELS[key] = loaded
        return loaded


def llama_response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's response_format in the form llama.cpp enforces by grammar."""
    if response_format is None or response_format.get("type") == "text":
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    if kind == "json_object":
        return response_format
    raise FormatRejected(f"the local engine has no response_format of type {kind!r}")


def _grammar(response_format: dict[str, Any] | None) -> Any:
    from llama_cpp import LlamaGrammar

    llama_format = llama_response_format(response_format)
    if llama_format is None:
        return None
    schema = llama_format.get("schema")
    try:
        text = schema_grammar(None if schema is None else json.dumps(schema, sort_keys=True))
    except (
        ValueError,
        KeyError,
        TypeError,
        NotImplementedError,
        RecursionError,
        AssertionError,  # the converter asserts what it cannot read (a pattern without ^...$)
    ) as exc:
        raise FormatRejected(f"llama.cpp cannot turn this schema into a grammar: {exc}") from None
    return LlamaGrammar.from_string(text, verbose=False)


def _with_reused_prefix(completion: Completion, timings: Any) -> Completion:
    """The completion with the prompt tokens llama.cpp did not evaluate counted as cached:
    `Llama.generate` keeps the longest prefix the prompt shares with the one before it on the
    same `Llama` (every request of a run starts with the same method, problem and documents)."""
    usage = completion.usage
    reused = max(usage.prompt_tokens - int(timings.n_p_eval), 0)
    return replace(completion, usage=replace(usage, cached_tokens=reused))


@dataclass
class LlamaBackend:
    """A GGUF model answering chat completions in this process."""

    path: Path
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int | None = None
    n_gpu_layers: int = 0
    is_local: bool = True
    collects_calls = False  # each call is answered as it is made
    keeps_answers = False
    identity: str = field(init=False)
    stats: EngineStats = field(init=False)

    def __post_init__(self) -> None:
        check_gguf(self.path)
        self.identity = f"local:{self.path.name}:{self.path.stat().st_size}"
        self.stats = self.model.new_stats()

    @classmethod
    def serving(cls, model: LocalModel, stats: EngineStats | None = None) -> LlamaBackend:
        """The engine answering with `model`, counting into `stats` (by default its own)."""
        backend = cls(
            model.path,
            n_ctx=model.n_ctx,
            n_threads=model.n_threads,
            n_gpu_layers=model.n_gpu_layers,
        )
        backend.stats = stats or backend.stats
        return backend

    @property
    def model(self) -> LocalModel:
        return LocalModel(self.path, self.n_ctx, self.n_threads, self.n_gpu_layers)

    @property
    def model_name(self) -> str:
        return self.path.stem

    @property
    def context_window(self) -> int:
        """The exact context in tokens: the prompt and the answer must fit in it."""
        return self.n_ctx

    def load(self) -> LoadedModel:
        """Load the model now (else the first request does), and record how long it took."""
        loaded = load_model(self.path, self.n_ctx, self.n_threads, self.n_gpu_layers)
        self.stats.load_seconds = loaded.load_seconds
        return loaded

    async def complete(self, request: CompletionRequest) -> Completion:
        cancel = threading.Event()
        work = asyncio.ensure_future(asyncio.to_thread(self._generate, request, cancel))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            cancel.set()  # the worker aborts llama.cpp at its next step
            await asyncio.wait([work])
            if not work.cancelled():
                work.exception()  # read, so that the dropped outcome is not reported as lost
            raise

    async def aclose(self) -> None:
        """Nothing to release: the model stays loaded for the next run in this process."""

    def _generate(self, request: CompletionRequest, cancel: threading.Event) -> Completion:
        import llama_cpp

        grammar = _grammar(request.response_format)
        model = self.load()
        while not model.lock.acquire(timeout=_LOCK_POLL_SECONDS):
            if cancel.is_set():
                raise _Cancelled
        try:
            if cancel.is_set():
                raise _Cancelled
            model.running = cancel
            started = time.perf_counter()
            llama_cpp.llama_perf_context_reset(model.llama.ctx)
            data = self._create(model, request, grammar, cancel)
            seconds = time.perf_counter() - started
            timings = llama_cpp.llama_perf_context(model.llama.ctx)
            completion = _with_reused_prefix(Completion.from_dict(data, seconds), timings)
            self._count(completion, timings)
        finally:
            model.running = None
            model.lock.release()
        return completion

    def _create(
        self, model: LoadedModel, request: CompletionRequest, grammar: Any, cancel: threading.Event
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"max_tokens": request.max_tokens, "grammar": grammar}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.top_p is not None:
            options["top_p"] = request.top_p
        ENGINE_LOG.first_error = ""
        try:
            return dict(model.llama.create_chat_completion(messages=request.messages, **options))
        except RuntimeError as exc:  # llama_decode failed: aborted, or no room left
            model.llama.reset()
            if cancel.is_set():
                raise _Cancelled from None
            reason = ENGINE_LOG.first_error or exc
            raise ModelError(f"llama.cpp failed: {reason}", hint="raise n_ctx") from None
        except ValueError as exc:
            if "context window" in str(exc):
                raise ModelError(
                    f"the prompt is longer than the model's context ({self.n_ctx} tokens): {exc}",
                    hint=f"raise n_ctx, use {option('fit')} truncate, or shorten the input",
                ) from None
            raise ModelError(f"llama.cpp rejected the request: {exc}") from None

    def _count(self, completion: Completion, timings: Any) -> None:
        stats = self.stats
        stats.requests += 1
        stats.prompt_tokens += completion.usage.prompt_tokens
        stats.completion_tokens += completion.usage.completion_tokens
        stats.engine_seconds += completion.seconds
        stats.add_timings(timings)
