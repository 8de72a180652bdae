"""Configuration and paths: the config file, its profiles, and where files live.

Which server, key and model a run uses (flag > environment > profile > default) is decided
in `provider.py`. The config file is TOML at `<config dir>/config.toml`:

    default_profile = "local"

    [profiles.local]
    base_url = "http://localhost:11434/v1"
    model = "llama3.1"

    [profiles.embedded]                 # llama.cpp in the sixhats process
    backend = "local"
    model = "qwen2.5-1.5b"              # a catalogue name, owner/repo/file.gguf or a .gguf path
    n_ctx = 8192
    n_threads = 4
    n_gpu_layers = 0

    [profiles.openai]
    model = "gpt-4o-mini"
    api_key_env = "OPENAI_API_KEY"      # name of the variable holding the key

    [profiles.openai.models]            # a model per hat
    synthesis = "gpt-4o"

    [profiles.openai.sampling.green]    # a hat's sampling (temperature, top_p)
    temperature = 1.1

    [prices."my-model"]                 # USD per million tokens
    input = 0.5
    output = 1.5
    cached_input = 0.125                # prompt tokens served from the server's prefix cache

    [context_windows]                   # tokens, for servers that do not say
    "my-model" = 32768
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from sixhats_ai.errors import ConfigError, UsageError
from sixhats_ai.pricing import DEFAULT_PRICES, Price, PriceTable

APP_NAME = "sixhats"


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


def cache_dir() -> Path:
    """What can be made again, kept to be spared the work: pulled models, compiled templates."""
    if env := os.environ.get("SIXHATS_CACHE_DIR"):
        return Path(env)
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME)


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
    # The embedded engine (`backend = "local"`): `model` is then a catalogue name, a hub file
    # (owner/repo/file.gguf) or a path to a .gguf.
    backend: Literal["server", "local"] | None = Field(
        None, description='"local": the embedded llama.cpp engine instead of a server'
    )
    n_ctx: PositiveInt | None = Field(None, description="local engine: context size in tokens")
    n_threads: PositiveInt | None = Field(None, description="local engine: CPU threads")
    n_gpu_layers: int | None = Field(
        None, ge=-1, description="local engine: layers offloaded to the GPU (-1: all)"
    )
    sampling: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="temperature and top_p per hat"
    )

    @field_validator("sampling")
    @classmethod
    def _known_sampling(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from sixhats_ai.method.hats import Hat, hat_sampling

        for hat in value:
            if hat not in set(Hat):
                raise ValueError(f"unknown hat {hat!r}: use one of {', '.join(Hat)}")
            hat_sampling(hat, value)  # refuses a key that is no sampling parameter
        return value


class PriceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: float
    output: float
    batch_input: float | None = None  # Batch API prices; half the live ones when not given
    batch_output: float | None = None
    cached_input: float | None = None  # the prefix cache's price; the input price when not given


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

    def profile(self, name: str) -> Profile:
        """The profile called `name`; an unknown name fails, listing the known ones."""
        if name not in self.profiles:
            known = ", ".join(self.profiles) or "none defined"
            raise ConfigError(
                f"unknown profile {name!r} (known: {known})",
                hint=f"add [profiles.{name}] to {config_dir() / 'config.toml'}",
            )
        return self.profiles[name]

    def price_table(self) -> PriceTable:
        prices = dict(DEFAULT_PRICES)
        prices.update(
            {
                name: Price(p.input, p.output, p.batch_input, p.batch_output, p.cached_input)
                for name, p in self.prices.items()
            }
        )
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
