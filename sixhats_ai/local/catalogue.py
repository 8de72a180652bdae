"""The packaged catalogue of models `sixhats local pull` knows by a short name.

A model is also named by its hub address, `owner/repo/file.gguf`, so any GGUF on the hub can
be pulled; the catalogue only adds short names, sizes, licences and a sensible `n_ctx`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sixhats_ai.errors import UsageError


@dataclass(frozen=True)
class CatalogueModel:
    """One catalogue entry, as `catalogue.toml` describes it."""

    name: str
    title: str
    repo: str
    file: str
    size_mb: int
    licence: str
    context_length: int
    n_ctx: int

    @property
    def size_text(self) -> str:
        return format_size(self.size_mb * 1_000_000)


@dataclass(frozen=True)
class HubFile:
    """A GGUF file on the hub: what a model name resolves to."""

    repo: str
    file: str
    entry: CatalogueModel | None = None

    @property
    def name(self) -> str:
        """The shortest name that finds this file again."""
        return self.entry.name if self.entry else f"{self.repo}/{self.file}"


@dataclass(frozen=True)
class Catalogue:
    default: str
    models: dict[str, CatalogueModel]

    def default_model(self) -> CatalogueModel:
        return self.models[self.default]

    def by_file(self, repo: str, file: str) -> CatalogueModel | None:
        return next((m for m in self.models.values() if (m.repo, m.file) == (repo, file)), None)


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped in the package (read once)."""
    text = resources.files("sixhats_ai.local").joinpath("catalogue.toml").read_text("utf-8")
    data = tomllib.loads(text)
    models = {name: CatalogueModel(name=name, **entry) for name, entry in data["models"].items()}
    return Catalogue(default=data["default"], models=models)


def resolve(name: str | None) -> HubFile:
    """A short name, `owner/repo/file.gguf`, or None for the default, as a hub file."""
    catalogue = load_catalogue()
    if name is None:
        entry = catalogue.default_model()
        return HubFile(entry.repo, entry.file, entry)
    if name in catalogue.models:
        entry = catalogue.models[name]
        return HubFile(entry.repo, entry.file, entry)
    parts = name.split("/")
    if len(parts) == 3 and all(parts) and parts[2].lower().endswith(".gguf"):
        repo, file = f"{parts[0]}/{parts[1]}", parts[2]
        return HubFile(repo, file, catalogue.by_file(repo, file))
    known = ", ".join(catalogue.models)
    raise UsageError(
        f"unknown model {name!r}",
        hint=f"use one of {known}, or a hub file as owner/repo/file.gguf",
    )


def format_size(size: int) -> str:
    """Bytes as the hub shows them: decimal MB below a GB, GB above."""
    if size >= 1_000_000_000:
        return f"{size / 1_000_000_000:.2f} GB"
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"
