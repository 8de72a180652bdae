"""Where the packaged prompts, programs and data tables live.

In a wheel they sit inside the package (`sixhats_ai/_data/`); in a source checkout or an
editable install they are the top-level `prompts/` and `programs/` folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# The tables read as data (hats, model families, context windows, placeholder answers).
DATA_DIR = _PACKAGE_DIR / "data"


@cache
def packaged_dir(name: str) -> Path:
    """The folder holding the packaged `prompts` or `programs`."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"packaged {name}/ folder is missing; reinstall sixhats-ai")
