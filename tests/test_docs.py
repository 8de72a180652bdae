"""The README cannot drift from the commands (as sqlite-utils' test_docs.py): its command
reference is generated from the typer app, and every command has an example in its --help."""

from __future__ import annotations

from pathlib import Path

import pytest

from sixhats_ai.cli import reference

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS = [path for path, _ in reference.commands()]


def test_the_readme_command_reference_is_generated_from_the_app():
    text = README.read_text(encoding="utf-8")
    assert reference.updated(text) == text, (
        "README.md's command reference is stale: run python -m sixhats_ai.cli.reference"
    )


def test_a_stale_reference_is_noticed_and_rewritten():
    stale = f"intro\n{reference.START}\n| `sixhats gone` | removed |\n{reference.END}\noutro\n"
    fresh = reference.updated(stale)
    assert fresh != stale and "sixhats gone" not in fresh
    assert fresh.startswith("intro\n") and fresh.endswith("\noutro\n")
    assert "| `sixhats show RUN_ID` |" in fresh
    with pytest.raises(ValueError, match="markers"):
        reference.updated("no markers here")


def test_every_command_is_listed():
    assert {"sixhats analyze", "sixhats batch", "sixhats programs show"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme_and_has_an_example_in_its_help(cli, command):
    assert f"`{command}" in README.read_text(encoding="utf-8")
    result = cli(*command.split()[1:], "--help")
    assert result.code == 0, result.err
    examples = [line.strip() for line in result.out.splitlines() if "Example: " in line]
    assert any(line.startswith(f"Example: {command}") for line in examples), result.out
