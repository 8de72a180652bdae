"""Which server, key and models a run uses: flag > environment > profile > default.

`settle` applies that precedence, in one place, to every setting. A dry run prices what it
says (`planned_provider`); a real run also probes the usual local servers when nothing is
set, and asks a server of one's own which model it serves (`resolve_provider`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from sixhats_ai.backends.probe import probe_local_servers, served_models
from sixhats_ai.config import Config, Profile, config_dir
from sixhats_ai.errors import ConfigError, keep_secret, option

if TYPE_CHECKING:
    from pathlib import Path

    from sixhats_ai.backends.llama import EngineStats, LocalModel
    from sixhats_ai.local.select import LocalSettings
    from sixhats_ai.method.programs import PlannedStep

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_PLACEHOLDER_KEY = "sk-local-no-key"


def mask_credentials(url: str) -> str:
    """`https://user:secret@host/v1` as `https://***@host/v1`; masked by pattern in a URL
    that will not parse (a broken IPv6 address), which `config` still lists."""
    try:
        parts = urlparse(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def checked_base_url(url: str) -> str:
    """The server's URL if a client can connect to it, else a usage error saying what is wrong
    with it (a port out of range, a broken IPv6 address, no scheme or no host), before any run
    starts and fails deep inside the HTTP client."""
    try:
        parts = urlparse(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range 0-65535", "Invalid IPv6 URL"
        reason = str(exc)[:1].lower() + str(exc)[1:]
    else:
        reason = (
            "it does not start with http:// or https://"
            if parts.scheme not in ("http", "https")
            else "it names no host"
            if not parts.hostname
            else "it has a space in it"
            if re.search(r"\s", url)
            else "port 0 is no server's port"
            if port == 0
            else ""
        )
    if not reason:
        return url
    raise ConfigError(
        f"the server URL {mask_credentials(url)!r} is not valid: {reason}",
        hint=f"set {option('base_url')}, OPENAI_BASE_URL or the profile's base_url to "
        "http://HOST:PORT/v1",
    )


def is_local_url(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal") or (
        host.startswith("127.")
    )


@dataclass
class ProviderFlags:
    """What the user passed on the command line (None: not given)."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    profile: str | None = None
    local: bool = False  # --local: the embedded engine
    pull: bool = False  # --pull: download its model if it is missing


@dataclass
class Provider:
    """The resolved server, key and models for a run."""

    base_url: str | None
    api_key: str = field(repr=False)
    model: str
    hat_models: dict[str, str] = field(default_factory=dict)
    mode: str | None = None
    context_window: int | None = None
    origin: str = "configured"
    # The embedded engine's model, when the run uses it instead of a server (`build_backend`
    # loads it), its exact context, and the figures of the runs on it (load time, speeds).
    local: LocalModel | None = None
    engine_stats: EngineStats | None = field(default=None, repr=False)
    n_ctx: int | None = None
    # A line the run says on stderr before it starts: why it uses what it uses.
    notice: str | None = None
    sampling: dict[str, dict[str, float]] = field(default_factory=dict)  # the profile's, per hat

    def __post_init__(self) -> None:
        keep_secret(self.api_key)

    @property
    def display_url(self) -> str:
        """The server's URL fit to show and store (credentials masked), or the local engine."""
        if self.n_ctx is not None:  # the local engine, loaded or (a dry run's) planned
            return f"the local engine ({self.local.path.name if self.local else self.model})"
        return mask_credentials(self.base_url or DEFAULT_BASE_URL)

    def engine_notes(self, concurrency: int) -> list[str]:
        """What a run on the local engine says before it starts: why the engine answers (when
        nothing chose it), and that it answers one request at a time, whatever `concurrency`."""
        if self.local is None:
            return []
        from sixhats_ai.local.select import concurrency_note

        return [note for note in (self.notice, concurrency_note(concurrency)) if note]

    def model_for(self, role: str, hat: str, step_model: str | None) -> str:
        """Program step > per-role or per-hat setting > the run's model."""
        return step_model or self.hat_models.get(role) or self.hat_models.get(hat) or self.model

    def model_for_step(self, step: PlannedStep) -> str:
        """The model a program's step runs on."""
        return self.model_for(step.role, step.hat.value, step.step.model)


@dataclass(frozen=True)
class Settled:
    """What flags, environment and profile say, before any server is asked."""

    profile_name: str | None
    profile: Profile
    base_url: str | None
    api_key: str | None
    model: str | None
    # The profile's own server is in use: only the profile's key may go to it.
    profile_server: bool

    def provider(self, config: Config, **resolved: str) -> Provider:
        """The provider, with `resolved` (base_url, api_key, model) overriding what is set."""
        base_url = resolved.get("base_url", self.base_url)
        return Provider(
            base_url=base_url.rstrip("/") if base_url else None,
            api_key=resolved.get("api_key", self.api_key or ""),
            model=resolved.get("model", self.model or DEFAULT_OPENAI_MODEL),
            hat_models={**config.models, **self.profile.models},
            mode=self.profile.mode,
            context_window=self.profile.context_window,
            sampling=self.profile.sampling,
            origin=resolved.get(
                "origin", f"profile {self.profile_name}" if self.profile_name else "configured"
            ),
        )


def settle(flags: ProviderFlags, config: Config, env: dict[str, str]) -> Settled:
    """Every setting by flag > environment > profile; the only place that order is written."""
    name = flags.profile or env.get("SIXHATS_PROFILE") or config.default_profile
    profile = config.profile(name) if name else Profile()
    base_url = flags.base_url or env.get("OPENAI_BASE_URL") or profile.base_url
    if base_url:
        checked_base_url(base_url)
    # A key goes only to the server it was given for: with the profile's own server, the
    # profile's key (never OPENAI_API_KEY, which may be OpenAI's); otherwise flag > env.
    profile_server = bool(profile.base_url) and base_url == profile.base_url
    env_key = None if profile_server else env.get("OPENAI_API_KEY")
    profile_key = env.get(profile.api_key_env) if profile.api_key_env else profile.api_key
    for key in (flags.api_key, env.get("OPENAI_API_KEY"), profile_key):
        keep_secret(key)
    return Settled(
        profile_name=name,
        profile=profile,
        base_url=base_url,
        api_key=flags.api_key or env_key or profile_key,
        model=flags.model or env.get("SIXHATS_MODEL") or profile.model,
        profile_server=profile_server,
    )


def planned_provider(flags: ProviderFlags, config: Config) -> Provider:
    """The models a run would use, as far as flags, environment and profile say, without
    asking any server or loading the local engine: what a dry run prices."""
    settled = settle(flags, config, dict(os.environ))
    if _on_the_engine(settled, flags):
        from sixhats_ai.local.select import planned_model

        model, n_ctx = planned_model(_local_settings(settled, flags))
        return Provider(None, "", model, n_ctx=n_ctx, origin="the local engine")
    return settled.provider(config, api_key="")


def nothing_configured(config: Path, local: str) -> str:
    """Every way to configure a model, for a run that found none."""
    return f"""no model server is configured and no local server answered \
(probed Ollama :11434, LM Studio :1234, llama.cpp :8080). Configure one of:
  OpenAI:        export OPENAI_API_KEY=sk-...            (or {option("api_key")})
  Local server:  export OPENAI_BASE_URL=http://localhost:11434/v1   (or {option("base_url")})
  Local engine:  {local}
  A profile:     add [profiles.NAME] to {config} and pass {option("profile")} NAME
  No model:      sixhats analyze ... --dry-run   |   sixhats brief ... --offline"""


def _on_the_engine(settled: Settled, flags: ProviderFlags) -> bool:
    """Whether the run is the embedded engine's: `--local`, or a local profile. A run that
    names no server refuses a model file for --model: OpenAI or a probed local server would
    get its path as a name. A named server may serve the file under its path (vLLM does)."""
    if flags.local or settled.profile.backend == "local":
        return True
    if settled.base_url is None:
        from sixhats_ai.local.select import refuse_model_file

        refuse_model_file(flags.model)
    return False


def local_provider(settled: Settled, flags: ProviderFlags) -> Provider:
    """The embedded engine (`--local`, or a profile with `backend = "local"`): the model from
    --model, else the profile's, else the one pulled; its errors say what to install or pull."""
    from sixhats_ai.local.select import local_model

    model = local_model(_local_settings(settled, flags), pull_missing=flags.pull)
    return local_engine_provider(model, settled.profile_name)


def _local_settings(settled: Settled, flags: ProviderFlags) -> LocalSettings:
    """The engine's settings: --model over a local profile's; a server profile's never."""
    from sixhats_ai.local.select import LocalSettings

    if settled.profile.backend == "local":
        return LocalSettings.from_profile(settled.profile.model_dump(), model=flags.model)
    return LocalSettings(model=flags.model)


def local_engine_provider(
    model: LocalModel, profile_name: str | None = None, origin: str = "the local engine"
) -> Provider:
    """A provider answered by the embedded engine with `model`: no server, no key, the
    model's exact context."""
    return Provider(
        base_url=None,
        api_key="",
        model=model.name,
        n_ctx=model.n_ctx,
        origin=f"profile {profile_name}" if profile_name else origin,
        local=model,
        engine_stats=model.new_stats(),
    )


def _auto_local_or_fail() -> Provider:
    """Nothing configured and no server answered: the local engine if it is installed and a
    model is pulled (saying so), else the error that lists every way to configure one."""
    from sixhats_ai.local.select import auto_local_model, nothing_configured_hint

    if (auto := auto_local_model()) is not None:
        model, note = auto
        provider = local_engine_provider(model, origin="the local engine, as nothing else is")
        provider.notice = note
        return provider
    raise ConfigError(nothing_configured(config_dir() / "config.toml", nothing_configured_hint()))


def _found_locally(model: str | None) -> dict[str, str] | None:
    """The first local server that answers, and its first model unless one is chosen; None
    when none answers."""
    import asyncio  # here: commands that need no server (an offline brief) never import it

    found = asyncio.run(probe_local_servers())
    if found is None:
        return None
    name, base_url, models = found
    if not model and not models:
        raise ConfigError(f"{name} at {base_url} serves no model", hint="pull or load one")
    return {
        "base_url": base_url,
        "model": model or models[0],
        "origin": f"{name} found at {base_url}",
    }


def _first_served_model(base_url: str, api_key: str) -> str:
    """A server of one's own usually serves one model: the first it lists."""
    import asyncio

    import httpx

    try:
        listed = asyncio.run(served_models(base_url.rstrip("/"), api_key))
    except httpx.TransportError as exc:
        raise ConfigError(
            f"cannot reach {base_url} to ask which model it serves ({type(exc).__name__})",
            hint=f"start the server or check {option('base_url')}; or pass {option('model')}",
        ) from None
    if not listed:
        raise ConfigError(
            f"no model chosen for {base_url}, and it lists none at /models",
            hint=f"pass {option('model')}, set SIXHATS_MODEL, or set model in your profile",
        )
    return listed[0]


def _profile_key_missing(name: str, profile: Profile) -> ConfigError:
    variable = profile.api_key_env or "OPENAI_API_KEY"
    return ConfigError(
        f"profile {name!r} needs an API key, and {variable} is not set",
        hint=f"export {variable}=..., pass {option('api_key')}, or set base_url in the profile",
    )


def resolve_provider(
    flags: ProviderFlags, config: Config, env: dict[str, str] | None = None
) -> Provider:
    """Apply flag > env > profile > default; probe local servers when nothing is set."""
    settled = settle(flags, config, dict(os.environ) if env is None else env)
    if _on_the_engine(settled, flags):
        return local_provider(settled, flags)
    resolved: dict[str, str] = {}
    if not settled.base_url and not settled.api_key:
        if settled.profile_name:  # a chosen profile never falls back to a local server
            raise _profile_key_missing(settled.profile_name, settled.profile)
        found = _found_locally(settled.model)
        if found is None:
            return _auto_local_or_fail()
        resolved = found
    base_url = resolved.get("base_url", settled.base_url)
    api_key = settled.api_key
    if base_url and is_local_url(base_url):
        api_key = api_key or LOCAL_PLACEHOLDER_KEY
    if not api_key:
        raise ConfigError(
            f"{mask_credentials(base_url or '')} needs an API key",
            hint=f"pass {option('api_key')}, or set api_key_env in the profile"
            if settled.profile_server
            else f"set OPENAI_API_KEY, pass {option('api_key')}, or set api_key_env in your "
            "profile",
        )
    resolved["api_key"] = api_key
    if not resolved.get("model", settled.model) and base_url:
        resolved["model"] = _first_served_model(base_url, api_key)
    return settled.provider(config, **resolved)
