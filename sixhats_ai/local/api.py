"""The embedded engine's model files as a program manages them (`LocalModels`): what
`sixhats local` pulls, lists and removes, the catalogue of models one can pull by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sixhats_ai.local.cache import PulledModel, cached_path, pull, pulled_models, remove
from sixhats_ai.local.catalogue import CatalogueModel, HubFile, load_catalogue, resolve

__all__ = ["CatalogueEntry", "LocalModels"]


@dataclass(frozen=True)
class CatalogueEntry:
    """A model one can pull by its short name, whether it is the default, and whether it is
    pulled already."""

    model: CatalogueModel
    default: bool
    pulled: bool


class LocalModels:
    """The model files of the local engine on this machine, in the user's cache folder
    (`SIXHATS_CACHE_DIR` overrides it). Nothing is downloaded but by `pull`."""

    def pull(
        self, name: str | None = None, *, announce: Callable[[str], None] | None = None
    ) -> Path:
        """Download a model (a catalogue name, a hub file `owner/repo/file.gguf`, or None for
        the default) unless it is pulled already, resuming an interrupted pull; its path.
        `announce` hears one line: that it is pulled already, or, once the hub answers, what
        is downloaded from where."""
        hub = resolve(name)
        target = cached_path(hub)
        if target.is_file():
            if announce is not None:
                announce(f"{hub.name} is already pulled")
            return target
        entry = hub.entry
        about = f"{entry.size_text}, {entry.licence} licence" if entry else "size unknown"
        line = f"pulling {hub.name} ({about}) from {hub.repo}"
        return pull(hub, announce=None if announce is None else lambda: announce(line))

    def pulled(self) -> list[PulledModel]:
        """The pulled model files by name, the catalogue's default marked."""
        return pulled_models()

    def catalogue(self) -> list[CatalogueEntry]:
        """Every model the catalogue names, pulled or not."""
        known = load_catalogue()
        return [
            CatalogueEntry(
                model,
                model.name == known.default,
                cached_path(HubFile(model.repo, model.file)).is_file(),
            )
            for model in known.models.values()
        ]

    def default(self) -> CatalogueModel:
        """The model a pull without a name downloads."""
        return load_catalogue().default_model()

    def remove(self, name: str) -> PulledModel:
        """Delete a pulled model file (by the name `pulled` gives it, or its hub name) and
        what its download left."""
        return remove(name)
