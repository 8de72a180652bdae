"""How many tokens a model's context holds: asked of its server, remembered in the run store.

The servers people run say how large a context they serve, each in its own way, so sixhats
asks rather than assumes (a wrong guess either refuses a document that fits or, with Ollama,
lets the server silently cut it):

- llama.cpp `llama-server`: `GET /props` -> `default_generation_settings.n_ctx` (at the root
  and under `/v1`);
- Ollama: `POST /api/show` -> `model_info["<arch>.context_length"]`, what the model supports,
  but Ollama serves only its `num_ctx` (a Modelfile `PARAMETER num_ctx`, else what `/api/ps`
  says the loaded model runs with, else its documented default of 4096). Its OpenAI endpoint
  has no way to raise it (its request type has no `options`), so sixhats fits the input to
  what is served and says how to raise it;
- LM Studio: `GET /api/v0/models` -> `loaded_context_length`, else `max_context_length`;
- vLLM: `GET /v1/models` -> `data[].max_model_len`;
- OpenAI and other hosted APIs: a packaged table (`data/context_windows.toml`), which the
  config's `[context_windows]` extends or overrides.

All probes go out at once with a short timeout, and none is fatal: a server that answers none
falls back to the table, then to a default, and the figure always says where it came from.
An answer is kept in the run store for `CACHE_SECONDS`, so a cached run makes no request.
"""

from __future__ import annotations

import asyncio
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlparse

from sixhats_ai.backends import verifies_tls
from sixhats_ai.backends.provider import Provider, is_local_url
from sixhats_ai.errors import named, option
from sixhats_ai.resources import DATA_DIR

DEFAULT_LOCAL_WINDOW = 8_192
DEFAULT_REMOTE_WINDOW = 128_000
OLLAMA_DEFAULT_NUM_CTX = 4_096  # Ollama's FAQ: "By default, Ollama uses ... 4096 tokens"
PROBE_TIMEOUT_SECONDS = 1.5
CACHE_SECONDS = 24 * 3600
_TABLE_FILE = DATA_DIR / "context_windows.toml"
_HOSTED_WITHOUT_PROBES = ("api.openai.com",)
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class ContextWindow:
    """A model's context in tokens, where the figure came from, and what the user should know
    (Ollama serving less than the model supports)."""

    tokens: int
    source: str
    warning: str | None = None


@cache
def packaged_windows() -> dict[str, int]:
    with _TABLE_FILE.open("rb") as handle:
        return {str(k): int(v) for k, v in tomllib.load(handle).items()}


def table_window(model: str, table: Mapping[str, int]) -> int | None:
    """The model's entry, or its family's for a dated snapshot (`gpt-4o-2024-08-06`)."""
    if model in table:
        return table[model]
    family = max((name for name in table if model.startswith(name + "-")), key=len, default=None)
    return table[family] if family else None


def api_root(base_url: str) -> str:
    """The server's root: the base URL without its OpenAI `/v1` suffix."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


# Probes ----------------------------------------------------------------------------------


async def _json(client: Any, method: str, url: str, **kwargs: Any) -> Any:
    """The JSON a server answers, or None: a probe never fails the run, whatever goes wrong
    (refused connection, timeout, HTML error page, a transport that refuses the request)."""
    try:
        response = await client.request(method, url, timeout=PROBE_TIMEOUT_SECONDS, **kwargs)
        if response.status_code != 200:
            return None
        return response.json()
    except Exception:
        return None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _listed(data: Any, model: str) -> dict[str, Any] | None:
    """The entry for `model` in an OpenAI-style `{"data": [...]}` listing."""
    entries = data.get("data") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") == model:
            return entry
    return None


async def _llama_cpp(client: Any, base: str, root: str) -> ContextWindow | None:
    for url in dict.fromkeys((f"{root}/props", f"{base}/props")):
        data = await _json(client, "GET", url)
        settings = data.get("default_generation_settings") if isinstance(data, dict) else None
        if isinstance(settings, dict) and (n_ctx := _positive(settings.get("n_ctx"))):
            return ContextWindow(n_ctx, "llama.cpp /props")
    return None


async def _vllm(client: Any, base: str, model: str) -> ContextWindow | None:
    entry = _listed(await _json(client, "GET", f"{base}/models"), model)
    if entry and (tokens := _positive(entry.get("max_model_len"))):
        return ContextWindow(tokens, "vLLM /v1/models")
    return None


async def _lm_studio(client: Any, root: str, model: str) -> ContextWindow | None:
    entry = _listed(await _json(client, "GET", f"{root}/api/v0/models"), model)
    if not entry:
        return None
    if tokens := _positive(entry.get("loaded_context_length")):
        return ContextWindow(tokens, "LM Studio /api/v0/models (loaded)")
    if tokens := _positive(entry.get("max_context_length")):
        return ContextWindow(tokens, "LM Studio /api/v0/models")
    return None


def _ollama_served(show: dict[str, Any], running: Any, model: str) -> tuple[int, str]:
    """The context Ollama runs the model with: the Modelfile's num_ctx, else the loaded
    model's (which follows OLLAMA_CONTEXT_LENGTH), else Ollama's default."""
    if match := _NUM_CTX.search(str(show.get("parameters") or "")):
        return int(match.group(1)), "its Modelfile's num_ctx"
    models = running.get("models") if isinstance(running, dict) else None
    for entry in models if isinstance(models, list) else []:
        names = {entry.get("name"), entry.get("model")} if isinstance(entry, dict) else set()
        if names & {model, f"{model}:latest"} and (n := _positive(entry.get("context_length"))):
            return n, "/api/ps"
    return OLLAMA_DEFAULT_NUM_CTX, "Ollama's default num_ctx"


async def _ollama(client: Any, root: str, model: str) -> ContextWindow | None:
    show, running = await asyncio.gather(
        _json(client, "POST", f"{root}/api/show", json={"model": model}),
        _json(client, "GET", f"{root}/api/ps"),
    )
    info = show.get("model_info") if isinstance(show, dict) else None
    if not isinstance(info, dict):
        return None
    arch = info.get("general.architecture")
    trained = _positive(info.get(f"{arch}.context_length"))
    served, how = _ollama_served(show, running, model)
    if trained is None or served >= trained:
        return ContextWindow(min(served, trained or served), f"Ollama /api/show ({how})")
    return ContextWindow(
        served,
        f"Ollama ({how}; the model supports {trained})",
        warning=(
            f"warning: Ollama serves {model} with a {served}-token context though the model "
            f"supports {trained}, and its OpenAI endpoint cannot raise it; sixhats fits the "
            f"input to {served}. For more, start Ollama with OLLAMA_CONTEXT_LENGTH={trained} "
            f"(OLLAMA_CONTEXT_LENGTH={trained} ollama serve), or create a model whose "
            f"Modelfile has PARAMETER num_ctx {trained}"
        ),
    )


async def probe_server(
    base_url: str, model: str, api_key: str | None = None
) -> ContextWindow | None:
    """What the server at `base_url` says `model`'s context is, asked every known way at
    once; None if no answer gives a figure."""
    import httpx

    base, root = base_url.rstrip("/"), api_root(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(headers=headers, verify=verifies_tls(base_url)) as c:
        found = await asyncio.gather(
            _llama_cpp(c, base, root),
            _ollama(c, root, model),
            _lm_studio(c, root, model),
            _vllm(c, base, model),
        )
    return next((window for window in found if window is not None), None)


class KeptWindows(Protocol):
    """Where found windows are kept between runs (the run store's `WindowCache`)."""

    def get(self, server: str, model: str) -> ContextWindow | None: ...

    def put(self, server: str, model: str, window: ContextWindow) -> None: ...


def probes_server(base_url: str | None) -> bool:
    """Whether a server can say its context: not OpenAI's own API, which does not."""
    return bool(base_url) and urlparse(base_url).hostname not in _HOSTED_WITHOUT_PROBES


def fallback_window(model: str, local: bool) -> ContextWindow:
    """The figure for a model whose server does not say: the packaged table, else a default."""
    if tokens := table_window(model, packaged_windows()):
        return ContextWindow(tokens, "packaged table of known models")
    if local:
        return ContextWindow(DEFAULT_LOCAL_WINDOW, "default for a local server (it said nothing)")
    return ContextWindow(DEFAULT_REMOTE_WINDOW, "default for a hosted model not in the table")


@dataclass
class WindowLookup:
    """The context window of the provider's model for one session: discovered when first
    needed, then remembered, with its warning handed out once."""

    provider: Provider
    stated: int | None = None  # the run's `context_window` option
    configured: Mapping[str, int] | None = None  # the config's `[context_windows]`
    cache: KeptWindows | None = None  # the answers kept between runs (the run store's)
    probe: bool = True  # ask the server (a dry run does not)
    _window: ContextWindow | None = field(default=None, init=False)
    _warned: bool = field(default=False, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def get(self) -> ContextWindow:
        async with self._lock:
            if self._window is None:
                self._window = await self._discover()
            return self._window

    def take_warning(self) -> list[str]:
        """The window's warning the first time it is asked for, then nothing."""
        if self._warned or self._window is None or not self._window.warning:
            return []
        self._warned = True
        return [self._window.warning]

    def _setting(self) -> ContextWindow | None:
        """The figure a setting gives, if one does: the run's option (named as its caller
        names it), the local engine's n_ctx, the profile's `context_window`, the config's
        `[context_windows]`."""
        provider = self.provider
        if self.stated:
            return ContextWindow(self.stated, named(option("context_window")))
        if provider.n_ctx:
            return ContextWindow(provider.n_ctx, "the local engine's n_ctx")
        if provider.context_window:
            return ContextWindow(provider.context_window, "the profile's context_window")
        if self.configured and (tokens := table_window(provider.model, self.configured)):
            return ContextWindow(tokens, "config [context_windows]")
        return None

    async def _discover(self) -> ContextWindow:
        """A setting's figure, else the kept answer, the server's (unless `probe` is off),
        the packaged table, then a default (8,192 for a local server)."""
        if setting := self._setting():
            return setting
        provider, cache = self.provider, self.cache
        base_url, model, server = provider.base_url, provider.model, provider.display_url
        asks = probes_server(base_url)
        if (
            asks
            and cache is not None
            and (kept := await asyncio.to_thread(cache.get, server, model))
        ):
            return kept
        local = bool(base_url and is_local_url(base_url))
        if not (asks and self.probe):
            return fallback_window(model, local)
        assert base_url is not None
        # What the server said, or that it said nothing: both are kept, so the next run asks
        # nothing either way until the time limit.
        found = await probe_server(base_url, model, provider.api_key)
        found = found or fallback_window(model, local)
        if cache is not None:
            await asyncio.to_thread(cache.put, server, model, found)
        return found
