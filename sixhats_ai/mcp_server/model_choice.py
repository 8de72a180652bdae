"""Which model wears the hats for a tool call, in the issue's order:

1. the provider or local engine configured for sixhats, chosen exactly as the CLI chooses it
   (flags aside: environment, profile, a local server that answers, a pulled local model);
2. otherwise, when the client supports sampling, the client's own model (`sampling.py`);
3. otherwise a tool error saying in one line how to configure a model.

A provider that is configured but broken (a profile without its key, a server that lists no
model) is that provider's error, not a reason to fall back to the client's model.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sixhats_ai.backends.provider import Provider, ProviderFlags, resolve_provider, settle
from sixhats_ai.errors import ConfigError
from sixhats_ai.mcp_server.sampling import SAMPLING_MODEL, SamplingBackend

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from sixhats_ai.config import Config

NO_MODEL = (
    "no model to wear the hats: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) "
    "in this server's environment, use a client that allows MCP sampling, or use the "
    "sixhats-<program> prompt to run the hats on your own model"
)


@dataclass
class ChosenModel:
    """The provider a call runs on, and the sampling backend when it is the client's model."""

    provider: Provider
    sampling: SamplingBackend | None = None


class ProviderCache:
    """The configured provider, resolved once per server: resolving probes local servers and
    may load the local engine, which a server answering many calls should do once."""

    def __init__(self) -> None:
        self._resolved: Provider | None = None
        self._nothing_configured = False
        self._lock = asyncio.Lock()

    async def configured(self, config: Config) -> Provider | None:
        """The provider the CLI would use, or None when nothing at all is configured."""
        async with self._lock:
            if self._resolved is None and not self._nothing_configured:
                self._resolved = await asyncio.to_thread(_resolve, config)
                self._nothing_configured = self._resolved is None
            return self._resolved


def _resolve(config: Config) -> Provider | None:
    flags = ProviderFlags()
    settled = settle(flags, config, dict(os.environ))
    configured = bool(settled.base_url or settled.api_key or settled.profile_name)
    try:
        provider = resolve_provider(flags, config)
    except ConfigError:
        if configured:
            raise
        return None
    from sixhats_ai.session import preload_engine

    preload_engine(provider)  # a local model loads now, in this worker thread, not on the loop
    return provider


def _client_samples(ctx: Context[Any, Any]) -> bool:
    capabilities = ctx.client_capabilities
    return bool(capabilities and capabilities.sampling) and ctx.session.can_send_request


def _client_name(ctx: Context[Any, Any]) -> str:
    params = ctx.session.client_params
    return params.client_info.name if params is not None else "client"


async def choose_model(
    ctx: Context[Any, Any], providers: ProviderCache, config: Config
) -> ChosenModel:
    """The model for this call, or a ConfigError (the one line) when there is none."""
    provider = await providers.configured(config)
    if provider is not None:
        return ChosenModel(provider)
    if not _client_samples(ctx):
        raise ConfigError(NO_MODEL)
    sampling = SamplingBackend(ctx.session, _client_name(ctx), ctx.request_context.request_id)
    placeholder = Provider(
        base_url=None,
        api_key="",
        model=SAMPLING_MODEL,
        mode="prompt",  # sampling has no response_format: the schema goes in the prompt
        origin="the MCP client's model, by sampling",
    )
    return ChosenModel(placeholder, sampling)
