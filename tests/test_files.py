"""Atomic writes keep the file's mode, follow the umask, and fail in one line."""

import os
import stat

import pytest

from sixhats_ai.errors import UsageError
from sixhats_ai.files import atomic_write


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.md", "x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.md") == 0o644
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    atomic_write(kept, "new")
    assert kept.read_text() == "new" and _mode(kept) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_unwritable_paths_are_one_line_usage_errors(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(UsageError, match="afile is a file"):
        atomic_write(tmp_path / "afile" / "x.md", "x")
    with pytest.raises(UsageError, match="is a directory"):
        atomic_write(tmp_path, "x")


def test_a_bad_output_path_fails_before_any_request(cli, fake_llm, tmp_path):
    (tmp_path / "afile").write_text("")
    result = cli("analyze", "p", "-o", str(tmp_path / "afile" / "r.md"))
    assert result.code == 2 and "afile is a file" in result.err
    assert fake_llm.requests == []
    result = cli("analyze", "p", "--format", "rich", "-o", str(tmp_path / "r.txt"))
    assert result.code == 2 and "--format rich is for the terminal" in result.err


@pytest.mark.parametrize(
    ("command", "name", "known"),
    [
        (["analyze", "Four-day week?"], "report.pdf", ".md, .json, .html"),
        (["brief", "Four-day week?", "--offline"], "brief.docx", ".md, .html, .json, .ics"),
    ],
)
def test_an_unknown_output_extension_is_refused_before_any_request(
    cli, fake_llm, tmp_path, command, name, known
):
    out = tmp_path / name
    result = cli(*command, "-o", str(out))
    assert result.code == 2, result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error:") and name in last and known in last and "--format" in last
    assert not out.exists() and fake_llm.requests == []


def test_an_unknown_extension_is_written_when_the_format_is_given(cli, fake_llm, tmp_path):
    out = tmp_path / "report.txt.bak"
    result = cli("brief", "Four-day week?", "--offline", "--format", "md", "-o", str(out))
    assert result.code == 0, result.err
    assert out.read_text().startswith("#")
    bare = tmp_path / "report"
    assert cli("brief", "Four-day week?", "--offline", "-o", str(bare)).code == 0
    assert bare.read_text().startswith("#")
