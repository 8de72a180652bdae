"""Where the packaged prompts, programs and data tables live, and how to add an extra.

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


def pip_install(extra: str) -> str:
    """The pip command that adds an optional extra (`local`, `docs`, `tokens`).

    sixhats is not on PyPI, so naming the package (`sixhats-ai[local]`) would fail: from a checkout
    (an editable install) the command names that checkout, so it works from any folder.
    """
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file():
        return f"pip install -e '{checkout}[{extra}]'"
    return f"pip install '.[{extra}]' in the sixhats checkout you installed from"
