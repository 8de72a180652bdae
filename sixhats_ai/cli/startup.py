"""Start-up: two things libraries do on import that the command never uses, turned off.

Imported first by `sixhats_ai.cli`, before typer, pydantic or httpx.

- Looking up pydantic plugins reads the metadata of every installed package when the first
  model class is built (about 35 ms of CPU in the dev venv). A user's own setting wins.
- httpx imports its own command-line client (click, rich's console and pygments' lexers)
  whenever click is installed (about 70 ms). None in `sys.modules` makes that import fail,
  and httpx falls back, as it does when click is not installed.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
