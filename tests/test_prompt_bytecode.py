"""Compiled templates are kept in the cache dir: a fresh process loads what an earlier one
compiled, never code compiled from other text or settings, and never needs the folder."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from sixhats_ai.method.programs import find_program
from sixhats_ai.prompts import NONCE_PATTERN, CompiledTemplates, PromptLibrary
from sixhats_ai.run.engine import Engine
from sixhats_ai.run.request import RunRequest

VARIABLES = {"problem": "Should we hire?"}


def _prompts(library: PromptLibrary) -> list[str]:
    """Every prompt of a `choose` run, rendered with `library` (each request's random marker
    made the same)."""
    request = RunRequest(problem="Should we hire?", program=find_program("choose"))
    previews = Engine(None, library, lambda step: "m").preview(request)
    return [NONCE_PATTERN.sub("DATA", p.system + p.user) for _, p in previews]


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles from source, from now on."""
    names: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def _override(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.j2").write_text(text, encoding="utf-8")
    return folder


def test_a_second_library_loads_what_the_first_compiled(compiles):
    first = _prompts(PromptLibrary())
    assert {"_hat.j2", "white.j2", "synthesis.j2"} <= set(compiles)
    compiles.clear()
    assert _prompts(PromptLibrary()) == first  # a new environment, as in a new process
    assert compiles == []


def test_an_edited_override_is_compiled_again(tmp_path, compiles):
    folder = _override(tmp_path / "prompts", "one {{ problem }}")
    assert PromptLibrary(folder).render_text("note.j2", VARIABLES) == "one Should we hire?\n"
    _override(folder, "two {{ problem }}")
    assert PromptLibrary(folder).render_text("note.j2", VARIABLES) == "two Should we hire?\n"
    assert compiles.count("note.j2") == 2


def test_other_settings_never_share_compiled_code(tmp_path):
    plain = jinja2.Environment()
    trimmed = jinja2.Environment(trim_blocks=True)
    keys = {CompiledTemplates.for_environment(e).get_cache_key("a.j2") for e in (plain, trimmed)}
    assert len(keys) == 2


def test_a_cache_dir_that_cannot_be_written_only_costs_the_compiling(tmp_path, monkeypatch):
    expected = _prompts(PromptLibrary())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("SIXHATS_CACHE_DIR", str(blocked))
    assert _prompts(PromptLibrary()) == expected


def test_damaged_cache_files_are_compiled_again(tmp_path, compiles):
    expected = _prompts(PromptLibrary())
    kept = sorted((tmp_path / "cache" / "templates").glob("*.jinja"))  # conftest's cache dir
    assert len(kept) >= 8
    for number, path in enumerate(kept):
        path.write_bytes(path.read_bytes()[: number * 50])  # cut short, at any point
    compiles.clear()
    assert _prompts(PromptLibrary()) == expected
    assert len(compiles) == len(kept)
