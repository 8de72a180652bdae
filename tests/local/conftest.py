"""Fixtures of the embedded-engine tests: a model cache of their own, the tiny model, a hub
that answers from this machine."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import respx

from testkit.tinymodel import write_tiny_model


@pytest.fixture(autouse=True)
def models_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test pulls into its own empty cache."""
    monkeypatch.setenv("SIXHATS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight GGUF, written once for the session."""
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.gguf")


@dataclass
class FakeHub:
    """Stands in for `huggingface_hub.hf_hub_download`: serves the tiny model for any file,
    draws its progress bar with the class it is given, and records what it was asked."""

    source: Path
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: Exception | None = None

    def __call__(self, *, repo_id: str, filename: str, local_dir: Path, **kwargs: Any) -> str:
        from tqdm.auto import tqdm

        self.calls.append({"repo_id": repo_id, "filename": filename, **kwargs})
        if self.fail is not None:
            raise self.fail
        size = self.source.stat().st_size
        bar = (kwargs.get("tqdm_class") or tqdm)(total=size, desc=filename, file=sys.stderr)
        bar.update(size)
        bar.close()
        target = Path(local_dir) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source, target)
        return str(target)


@pytest.fixture
def fake_hub(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, no_network: respx.MockRouter
) -> FakeHub:
    """The hub: it answers at its address, and serves the tiny model for any file."""
    huggingface_hub = pytest.importorskip("huggingface_hub")  # the `local` extra

    from huggingface_hub import constants

    no_network.head(constants.ENDPOINT).respond(200)
    hub = FakeHub(tiny_model)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub)
    return hub
