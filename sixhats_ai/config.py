"""Configuration and paths: which server, key and model a run uses, and where files live.

Precedence for every setting: command-line flag > environment variable > profile > default.
The config file is TOML at `<config dir>/config.toml`:

    default_profile = "local"

    [profiles.local]
    base_url = "http://localhost:11434/v1"
    model = "llama3.1"

    [profiles.openai]
    model = "gpt-4o-mini"
    api_key_env = "OPENAI_API_KEY"      # name of the variable holding the key

    [profiles.openai.models]            # a model per hat
    synthesis = "gpt-4o"

    [prices."my-model"]                 # USD per million tokens
    input = 0.5
    output = 1.5

    [context_windows]                   # tokens, for servers that do not say
    "my-model" = 32768

With nothing configured, the usual local servers are probed.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from sixhats_ai.errors import ConfigError, UsageError
from sixhats_ai.pricing import DEFAULT_PRICES, Price, PriceTable

APP_NAME = "sixhats"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
LOCAL_PLACEHOLDER_KEY = "sk-local-no-key"
LOCAL_SERVERS = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
    ("llama.cpp", "http://127.0.0.1:8080/v1"),
)
PROBE_TIMEOUT_SECONDS = 0.4
MODEL_LIST_TIMEOUT_SECONDS = 3.0


def config_dir() -> Path:
    if env := os.environ.get("SIXHATS_CONFIG_DIR"):
        return Path(env)
    import platformdirs

    return platformdirs.user_config_path(APP_NAME)


def data_dir() -> Path:
    if env := os.environ.get("SIXHATS_DATA_DIR"):
        return Path(env)
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def user_programs_dir() -> Path:
    return config_dir() / "programs"


def user_prompts_dir() -> Path:
    return config_dir() / "prompts"


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = Field(None, description="environment variable holding the key")
    api_key: str | None = None
    mode: Literal["json_schema", "json_object", "prompt"] | None = Field(
        None, description="pin the output mode"
    )
    models: dict[str, str] = Field(default_factory=dict, description="model per hat or role")
    context_window: int | None = Field(None, gt=0)


class PriceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: float
    output: float


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict, description="model per hat or role")
    prices: dict[str, PriceEntry] = Field(default_factory=dict)
    context_windows: dict[str, PositiveInt] = Field(
        default_factory=dict, description="context window (tokens) per model, as the table"
    )
    log: bool = Field(True, description="keep every run in the local store")

    def price_table(self) -> PriceTable:
        prices = dict(DEFAULT_PRICES)
        prices.update({name: Price(p.input, p.output) for name, p in self.prices.items()})
        return PriceTable(prices)


def load_config(path: Path | None = None) -> Config:
    path = path or config_dir() / "config.toml"
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: TOML syntax error: {exc}", hint="fix the config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config {path}: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path}: {where}: {first['msg']}", hint="fix the config file") from None


def mask_credentials(url: str) -> str:
    """`https://user:secret@host/v1` as `https://***@host/v1`."""
    parts = urlparse(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


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

    @property
    def display_url(self) -> str:
        """The server's URL fit to show and store: credentials in it are masked."""
        return mask_credentials(self.base_url or "https://api.openai.com/v1")

    def model_for(self, role: str, hat: str, step_model: str | None) -> str:
        """Program step > per-role or per-hat setting > the run's model."""
        return step_model or self.hat_models.get(role) or self.hat_models.get(hat) or self.model


async def _probe(
    url: str, client: object, timeout: float = PROBE_TIMEOUT_SECONDS, api_key: str | None = None
) -> list[str] | None:
    """The model ids a server lists at `/models`, or None if it does not answer."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = await client.get(f"{url}/models", timeout=timeout, headers=headers)
        response.raise_for_status()
        data = response.json().get("data", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]


async def probe_local_servers() -> tuple[str, str, list[str]] | None:
    """The first usual local server that answers, with its models; all probed at once."""
    import asyncio

    import httpx

    async with httpx.AsyncClient() as client:
        results = await asyncio.gather(*(_probe(url, client) for _, url in LOCAL_SERVERS))
    for (name, url), models in zip(LOCAL_SERVERS, results, strict=True):
        if models is not None:
            return name, url, models
    return None


async def served_models(url: str, api_key: str | None) -> list[str] | None:
    import httpx

    async with httpx.AsyncClient() as client:
        return await _probe(url, client, MODEL_LIST_TIMEOUT_SECONDS, api_key)


NOTHING_CONFIGURED = """no model server is configured and no local server answered \
(probed Ollama :11434, LM Studio :1234, llama.cpp :8080). Configure one of:
  OpenAI:        export OPENAI_API_KEY=sk-...            (or --api-key)
  Local server:  export OPENAI_BASE_URL=http://localhost:11434/v1   (or --base-url)
  A profile:     add [profiles.NAME] to {config} and pass --profile NAME
  No model:      sixhats analyze ... --dry-run   |   sixhats brief ... --offline"""


def selected_profile(
    flags: ProviderFlags, config: Config, env: dict[str, str]
) -> tuple[str | None, Profile]:
    """The profile in force (--profile > SIXHATS_PROFILE > default_profile), if any."""
    name = flags.profile or env.get("SIXHATS_PROFILE") or config.default_profile
    if not name:
        return None, Profile()
    if name not in config.profiles:
        known = ", ".join(config.profiles) or "none defined"
        raise ConfigError(
            f"unknown profile {name!r} (known: {known})",
            hint=f"add [profiles.{name}] to {config_dir() / 'config.toml'}",
        )
    return name, config.profiles[name]


def planned_provider(flags: ProviderFlags, config: Config) -> Provider:
    """The models a run would use, as far as flags, environment and profile say, without
    asking any server: what a dry run prices."""
    env = dict(os.environ)
    _, profile = selected_profile(flags, config, env)
    return Provider(
        base_url=flags.base_url or env.get("OPENAI_BASE_URL") or profile.base_url,
        api_key="",
        model=flags.model or env.get("SIXHATS_MODEL") or profile.model or DEFAULT_OPENAI_MODEL,
        hat_models={**config.models, **profile.models},
        context_window=profile.context_window,
    )


def resolve_provider(
    flags: ProviderFlags, config: Config, env: dict[str, str] | None = None
) -> Provider:
    """Apply flag > env > profile > default; probe local servers when nothing is set."""
    import asyncio  # here: commands that need no server (an offline brief) never import it

    env = dict(os.environ) if env is None else env
    profile_name, profile = selected_profile(flags, config, env)
    profile_key = env.get(profile.api_key_env) if profile.api_key_env else profile.api_key
    base_url = flags.base_url or env.get("OPENAI_BASE_URL") or profile.base_url
    # A key goes only to the server it was given for: with the profile's own server, the
    # profile's key (never OPENAI_API_KEY, which may be OpenAI's); otherwise flag > env.
    profile_server = bool(profile.base_url) and base_url == profile.base_url
    env_key = None if profile_server else env.get("OPENAI_API_KEY")
    api_key = flags.api_key or env_key or profile_key
    model = flags.model or env.get("SIXHATS_MODEL") or profile.model
    hat_models = {**config.models, **profile.models}
    origin = f"profile {profile_name}" if profile_name else "configured"

    if not base_url and not api_key:
        found = asyncio.run(probe_local_servers())
        if found is None:
            raise ConfigError(NOTHING_CONFIGURED.format(config=config_dir() / "config.toml"))
        name, base_url, models = found
        origin = f"{name} found at {base_url}"
        if not model:
            if not models:
                raise ConfigError(f"{name} at {base_url} serves no model", hint="pull or load one")
            model = models[0]

    if base_url and is_local_url(base_url):
        api_key = api_key or LOCAL_PLACEHOLDER_KEY
    if not api_key:
        raise ConfigError(
            f"{mask_credentials(base_url or '')} needs an API key",
            hint="pass --api-key, or set api_key_env in the profile"
            if profile_server
            else "set OPENAI_API_KEY, pass --api-key, or set api_key_env in your profile",
        )
    if not model and base_url:
        # A server of one's own usually serves one model: use the first it lists.
        listed = asyncio.run(served_models(base_url.rstrip("/"), api_key))
        if not listed:
            raise ConfigError(
                f"no model chosen for {base_url}, and it lists none at /models",
                hint="pass --model, set SIXHATS_MODEL, or set model in your profile",
            )
        model = listed[0]
    model = model or DEFAULT_OPENAI_MODEL
    return Provider(
        base_url=base_url.rstrip("/") if base_url else None,
        api_key=api_key,
        model=model,
        hat_models=hat_models,
        mode=profile.mode,
        context_window=profile.context_window,
        origin=origin,
    )
