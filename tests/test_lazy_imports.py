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
    "openai.types.responses.response",  # one of the SDK's ~1,800 models, never used
)
REPORT_IMPORTS = """
import json, sys
from sixhats_ai.cli import main
heavy = json.loads(sys.argv.pop(1))
try:
    main(sys.argv[1:])
except SystemExit as exc:  # --help and --version exit 0 through typer
    assert not exc.code, exc.code
print(json.dumps(sorted(m for m in heavy if sys.modules.get(m) is not None)), file=sys.stderr)
"""


def imported_by(*args: str, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    """Which of the `heavy` modules `sixhats ARGS` imports, run in a fresh interpreter (a
    module blocked with None in `sys.modules` is not imported)."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT_IMPORTS, json.dumps(heavy), *args],
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
    assert "openai.types.responses.response" not in imported  # the SDK's models deferred


# What no command-line start needs before a command runs: the version and the help are
# typer's alone (a command's own help also has typer convert its options, with pydantic), and
# listing programs reads TOML, not templates, a model or the store.
MODEL_STACK = ("openai", "httpx", "jinja2", "rich", "asyncio", "sqlite3", "sixhats_ai.store")
CONFIG_STACK = ("pydantic", "platformdirs", "sixhats_ai.config", "sixhats_ai.prompts")


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_the_version_and_the_help_import_only_the_command_line(args):
    assert imported_by(*args, heavy=MODEL_STACK + CONFIG_STACK) == set()


@pytest.mark.parametrize("args", [["analyze", "--help"], ["programs"]])
def test_a_commands_help_and_the_programs_import_no_template_model_or_store(args):
    assert imported_by(*args, heavy=(*MODEL_STACK, "sixhats_ai.prompts")) == set()
