"""`sixhats prompts copy` writes an override safely; an empty template is an error."""

from __future__ import annotations

import pytest

from sixhats_ai.config import user_prompts_dir
from sixhats_ai.resources import packaged_dir


def test_copy_writes_the_packaged_template_where_sixhats_reads_overrides(cli):
    result = cli("prompts", "copy", "red")
    assert result.code == 0, result.err
    copied = user_prompts_dir() / "red.j2"
    assert copied.read_text() == (packaged_dir("prompts") / "red.j2").read_text()
    assert str(copied) in result.err
    listed = cli("prompts").out
    assert any(line.split() == ["red.j2", "user"] for line in listed.splitlines())


def test_copy_refuses_to_overwrite_an_override_without_force(cli):
    assert cli("prompts", "copy", "red").code == 0
    copied = user_prompts_dir() / "red.j2"
    copied.write_text("{% extends '_hat.j2' %}{# my edits #}\n")
    again = cli("prompts", "copy", "red")
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert copied.read_text() == "{% extends '_hat.j2' %}{# my edits #}\n"
    forced = cli("prompts", "copy", "red", "--force")
    assert forced.code == 0, forced.err
    assert copied.read_text() == (packaged_dir("prompts") / "red.j2").read_text()


def test_copy_to_a_folder_and_of_a_nested_template(cli, tmp_path):
    result = cli("prompts", "copy", "brief/purpose.j2", "--to", str(tmp_path / "mine"))
    assert result.code == 0, result.err
    target = tmp_path / "mine" / "brief" / "purpose.j2"
    assert target.read_text() == (packaged_dir("prompts") / "brief/purpose.j2").read_text()


def test_copy_of_an_unknown_template_is_exit_2(cli):
    result = cli("prompts", "copy", "purple")
    assert result.code == 2 and "no template named 'purple.j2'" in result.err
    assert not user_prompts_dir().exists()


@pytest.mark.parametrize("content", ["", "  \n\t\n"])
def test_an_empty_template_is_an_error_not_an_empty_prompt(cli, content):
    user_prompts_dir().mkdir(parents=True)
    (user_prompts_dir() / "red.j2").write_text(content)
    result = cli("analyze", "Four-day week?", "--program", "choose", "--dry-run")
    assert result.code == 2, result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: template red.j2 is empty") and "prompts copy red" in last
