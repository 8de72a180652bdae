"""Commands import only what they use: start-up is most of what a short command costs.

Importing the OpenAI SDK alone takes longer than the rest of a run answered from the store,
so such a run must never build the client; an offline brief needs no engine, SDK or loop.
(How long commands take is the benchmarks' business, `python -m bench`; these tests only
check what is imported, in a fresh interpreter.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sixhats_ai.backends import openai as openai_backend

PROBLEM = "Should our team move to a four-day week?"
HEAVY = (
    "openai",
    "httpx",
    "rich",
    "asyncio",
    "tenacity",
    "sixhats_ai.api",
    "sixhats_ai.run.engine",
    "sixhats_ai.run.report",  # the hats' answer models: a brief from a saved report only
    "pygments",  # httpx's own command-line client, never used
)
REPORT_IMPORTS = f"""
import json, sys
from sixhats_ai.cli import main
main(sys.argv[1:])
heavy = {HEAVY!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> set[str]:
    """Which heavy modules `sixhats ARGS` imports, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT_IMPORTS, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_an_offline_brief_imports_no_engine_sdk_or_event_loop():
    assert imported_by("brief", PROBLEM, "--program", "choose", "--offline") == set()


@pytest.mark.loopback
def test_a_run_answered_from_the_store_never_imports_the_sdk(cli, served):
    args = ("analyze", PROBLEM, "--program", "choose", "--format", "json")
    assert cli(*args).code == 0
    assert not {"openai", "httpx"} & imported_by(*args)
    assert served.stats().requests == 7


def test_a_run_answered_from_the_store_never_builds_the_client(cli, fake_llm, monkeypatch):
    args = ("analyze", PROBLEM, "--program", "choose")
    assert cli(*args).code == 0

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the client was built for a run the store answers")

    monkeypatch.setattr(openai_backend, "build_client", refuse)
    again = cli(*args)
    assert again.code == 0, again.err
    assert "0 requests (7 cached)" in again.err


@pytest.mark.loopback
def test_a_run_that_asks_the_model_imports_no_command_line_client(served):
    args = ("analyze", PROBLEM, "--program", "quick-feedback", "--no-cache", "--format", "json")
    imported = imported_by(*args)
    assert {"openai", "httpx"} <= imported  # it did ask the model
    assert "pygments" not in imported
