"""Pulled model files: where they live, downloading one, listing and removing them.

Files live in the user cache dir (`SIXHATS_CACHE_DIR` overrides it) as
`models/<owner>/<repo>/<file>.gguf`. `huggingface_hub` downloads into a `.incomplete` file it
resumes after an interruption and renames into place only when whole, so a model file in the
cache is always complete. Nothing is ever downloaded except by `pull`.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sixhats_ai.errors import ConfigError, ModelError, UsageError, option
from sixhats_ai.local import INSTALL_HINT
from sixhats_ai.local.catalogue import HubFile, format_size, load_catalogue, resolve

_HUB_METADATA = Path(".cache") / "huggingface"


def models_dir() -> Path:
    from sixhats_ai.config import cache_dir

    return cache_dir() / "models"


def cached_path(hub: HubFile) -> Path:
    return models_dir() / hub.repo / hub.file


@dataclass(frozen=True)
class PulledModel:
    name: str
    path: Path
    size: int
    is_default: bool

    @property
    def size_text(self) -> str:
        return format_size(self.size)


def pulled_models() -> list[PulledModel]:
    """Every complete model file in the cache, by name."""
    root = models_dir()
    if not root.is_dir():
        return []
    catalogue = load_catalogue()
    found = []
    for path in sorted(root.glob("*/*/*.gguf")):
        repo = f"{path.parent.parent.name}/{path.parent.name}"
        entry = catalogue.by_file(repo, path.name)
        found.append(
            PulledModel(
                name=HubFile(repo, path.name, entry).name,
                path=path,
                size=path.stat().st_size,
                is_default=entry is not None and entry.name == catalogue.default,
            )
        )
    return found


def _silent_tqdm() -> Any:
    """A progress bar class that draws nothing: for output that is not a terminal."""
    from tqdm.auto import tqdm

    class Silent(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Silent


def _check_space(hub: HubFile, target: Path) -> None:
    if hub.entry is None:
        return
    existing = next((p for p in (target, *target.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    needed = hub.entry.size_mb * 1_000_000
    if free < needed:
        raise ModelError(
            f"not enough disk space for {hub.name}: it needs {hub.entry.size_text}, "
            f"{format_size(free)} free in {existing}",
            hint="free some space, or set SIXHATS_CACHE_DIR to a larger disk",
        )


OFFLINE_HINT = (
    f"no network? use a model file you have: {option('local')} {option('model')} FILE.gguf; "
    f"or a model server: {option('base_url')} URL {option('model')} NAME"
)
REACH_TIMEOUT_SECONDS = 5.0


def pull(
    hub: HubFile,
    *,
    progress: bool | None = None,
    announce: Callable[[], None] | None = None,
) -> Path:
    """Download `hub` into the cache (resuming a partial download) and return its path.

    The progress bar is drawn only on a terminal unless `progress` says otherwise;
    `announce` is called once the hub has answered, just before the download starts.
    """
    target = cached_path(hub)
    if target.is_file():
        return target
    try:
        from huggingface_hub import constants, hf_hub_download
        from huggingface_hub.errors import (
            HfHubHTTPError,
            HFValidationError,
            LocalEntryNotFoundError,
        )
    except ImportError:
        raise ConfigError("downloading models needs huggingface_hub", hint=INSTALL_HINT) from None
    _check_space(hub, target)
    _reach(constants.ENDPOINT)
    if announce is not None:
        announce()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        downloaded = hf_hub_download(
            repo_id=hub.repo,
            filename=hub.file,
            local_dir=target.parent,
            tqdm_class=None if show else _silent_tqdm(),
        )
    except (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"cannot download {hub.file} from {hub.repo}: {first}",
            hint="check the name and your connection; run the pull again to resume",
        ) from None
    return Path(str(downloaded))


def remove(name: str) -> PulledModel:
    """Delete one pulled model (by short name, hub name or file name) and its download state."""
    matches = [m for m in pulled_models() if name in (m.name, m.path.name)]
    if not matches:
        try:
            hub = resolve(name)
        except UsageError:
            hub = None
        matches = [m for m in pulled_models() if hub and m.path == cached_path(hub)]
    if not matches:
        pulled = ", ".join(m.name for m in pulled_models()) or "none"
        raise UsageError(f"no pulled model named {name!r} (pulled: {pulled})")
    if len(matches) > 1:
        names = ", ".join(m.name for m in matches)
        raise UsageError(f"{name!r} names several models ({names})", hint="use the full name")
    model = matches[0]
    model.path.unlink()
    for leftover in (model.path.parent / _HUB_METADATA / "download").glob(f"{model.path.name}.*"):
        leftover.unlink()
    _prune_empty(model.path.parent)
    return model


def _prune_empty(directory: Path) -> None:
    """Remove the model's folders once nothing but download metadata is left in them."""
    root = models_dir()
    for folder in (directory, directory.parent):
        if folder == root or not folder.is_dir():
            return
        if any(p.is_file() for p in folder.rglob("*")):
            return
        shutil.rmtree(folder)


def _reach(endpoint: str) -> None:
    """Fail at once, in one line, when the hub cannot be reached: left to itself, the hub
    client retries for about 25 s, printing a line a try."""
    import httpx

    try:
        httpx.head(endpoint, timeout=REACH_TIMEOUT_SECONDS)
    except httpx.TransportError as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise ModelError(f"cannot reach {endpoint} ({reason})", hint=OFFLINE_HINT) from None
