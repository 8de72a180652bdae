"""Which local engine a run gets: from `--local` and `--model`, a profile, or nothing at all.

The command layer asks here and gets a checked `LocalModel` or a one-line error that says
what to do: install the extra (the pip command), or pull a model (the command and the size).
Nothing is downloaded unless the run asked for it with `--pull`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sixhats_ai.errors import ConfigError, UsageError, named, option
from sixhats_ai.local import INSTALL_HINT
from sixhats_ai.local.cache import PulledModel, cached_path, pull, pulled_models
from sixhats_ai.local.catalogue import CatalogueModel, load_catalogue, resolve
from sixhats_ai.resources import pip_install

if TYPE_CHECKING:
    from sixhats_ai.backends.llama import LocalModel

LOCAL_BACKEND = "local"  # the profile's `backend = "local"`


@dataclass(frozen=True)
class LocalSettings:
    """The engine's settings: from the flags, else the profile, else the catalogue."""

    model: str | None = None  # a catalogue name, owner/repo/file.gguf, or a path to a .gguf
    n_ctx: int | None = None
    n_threads: int | None = None
    n_gpu_layers: int = 0

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any], model: str | None = None) -> LocalSettings:
        """A profile's `model`, `n_ctx`, `n_threads` and `n_gpu_layers`; `model` (a flag)
        overrides the profile's."""
        return cls(
            model=model or profile.get("model"),
            n_ctx=profile.get("n_ctx"),
            n_threads=profile.get("n_threads"),
            n_gpu_layers=profile.get("n_gpu_layers") or 0,
        )


def wants_local(local_flag: bool, profile: Mapping[str, Any] | None = None) -> bool:
    """`--local`, or a profile with `backend = "local"`."""
    return local_flag or (profile or {}).get("backend") == LOCAL_BACKEND


def engine_installed() -> bool:
    """Whether the `local` extra (llama-cpp-python) is installed, without importing it."""
    return importlib.util.find_spec("llama_cpp") is not None


def local_model(settings: LocalSettings, *, pull_missing: bool = False) -> LocalModel:
    """The model file a run asked for, checked; `pull_missing` (`--pull`) downloads it."""
    if not engine_installed():
        raise ConfigError("the local engine is not installed", hint=INSTALL_HINT)
    from sixhats_ai.backends.llama import DEFAULT_N_CTX, LocalModel, check_gguf

    path, entry = model_file(settings.model, pull_missing=pull_missing)
    check_gguf(path)
    n_ctx = settings.n_ctx or (entry.n_ctx if entry else DEFAULT_N_CTX)
    return LocalModel(path, n_ctx, settings.n_threads, settings.n_gpu_layers)


def _looks_like_path(model: str) -> bool:
    """A `.gguf` that exists, or one written as a path rather than as owner/repo/file."""
    if Path(model).expanduser().exists():
        return True
    hub_like = len(model.split("/")) == 3 and not model.startswith(("/", ".", "~"))
    return model.lower().endswith(".gguf") and not hub_like


def refuse_model_file(model: str | None) -> None:
    """A run on a server given a .gguf file on disk for its model: the file runs on the
    local engine, which the run did not ask for (a server would get the path as a name)."""
    if model and model.lower().endswith(".gguf") and Path(model).expanduser().is_file():
        raise UsageError(
            named(
                f"{option('model')} {model} is a model file, and a model file runs on the "
                f"local engine"
            ),
            hint=f"add {option('local')}",
        )


def _first_pulled() -> PulledModel | None:
    pulled = pulled_models()
    return next((m for m in pulled if m.is_default), pulled[0] if pulled else None)


def model_file(model: str | None, *, pull_missing: bool) -> tuple[Path, CatalogueModel | None]:
    """The model file to load, and its catalogue entry if it has one.

    No model named: the default if pulled, else any pulled model, else the default (pulled
    only with `pull_missing`).
    """
    if model is not None and _looks_like_path(model):
        return Path(model).expanduser(), None
    if model is None and (found := _first_pulled()) is not None:
        return found.path, _entry_of(found)
    hub = resolve(model)
    path = cached_path(hub)
    if path.is_file():
        return path, hub.entry
    if pull_missing:
        return pull(hub), hub.entry
    size = f", {hub.entry.size_text}" if hub.entry else ""
    raise ConfigError(
        f"model {hub.name} is not pulled yet",
        hint=f"run: sixhats local pull {hub.name} (a one-time download{size}), or pass "
        f"{option('pull')}",
    )


def planned_model(settings: LocalSettings) -> tuple[str, int]:
    """The model a run on the engine would load, and its context, with nothing checked,
    pulled or loaded: what a dry run shows and prices (at 0)."""
    from sixhats_ai.backends.llama import DEFAULT_N_CTX

    if settings.model is not None and _looks_like_path(settings.model):
        name, entry = Path(settings.model).name, None
    elif settings.model is None and (found := _first_pulled()) is not None:
        name, entry = found.name, _entry_of(found)
    else:
        hub = resolve(settings.model)
        name, entry = hub.name, hub.entry
    return name, settings.n_ctx or (entry.n_ctx if entry else DEFAULT_N_CTX)


def _entry_of(model: PulledModel) -> CatalogueModel | None:
    return load_catalogue().models.get(model.name)


def auto_local_model() -> tuple[LocalModel, str] | None:
    """For a run with nothing configured and no local server answering: the local engine,
    if it is installed and a model is pulled, and the one line that says it is used."""
    if not engine_installed() or (found := _first_pulled()) is None:
        return None
    model = local_model(LocalSettings())  # no model named: the one found here
    note = named(
        f"no model server configured or answering: using the local engine with {found.name} "
        f"({option('local')} chooses it; {option('base_url')} or a profile chooses a server)"
    )
    return model, note


def nothing_configured_hint() -> str:
    """The line the 'no model configured' message gives for the embedded engine."""
    default = load_catalogue().default_model()
    if engine_installed():
        return (
            f"sixhats local pull   (downloads {default.name}, {default.size_text}), "
            f"then {option('local')}"
        )
    return f"{pip_install('local')}, then sixhats local pull"


def concurrency_note(concurrency: int) -> str | None:
    """The one-line note for a concurrency above 1 with the local engine."""
    if concurrency <= 1:
        return None
    return named(
        f"note: the local engine answers one request at a time; {option('concurrency')} "
        f"{concurrency} queues the requests"
    )
