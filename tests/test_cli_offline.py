"""The offline CLI: exploring hats, programs and prompts, dry runs, and bad input."""

import os
import subprocess
import sys

import pytest

from tests.fakes import CHOOSE_STEPS


def test_version_and_help_with_examples(cli):
    from sixhats_ai import __version__

    assert cli("--version").out.strip() == f"sixhats {__version__}"
    for command in (
        ["analyze"],
        ["brief"],
        ["batch"],
        ["history"],
        ["show"],
        ["rerun"],
        ["config"],
        ["programs"],
        ["programs", "show"],
        ["prompts"],
        ["prompts", "show"],
        ["hats"],
    ):
        result = cli(*command, "--help")
        assert result.code == 0
        assert "Example: sixhats" in result.out, command


def test_hats_lists_direction_technique_and_time_box(cli):
    out = cli("hats").out
    assert "CAF (Consider All Factors)" in out and "Yes, No, Po" in out
    assert "about 30 s" in out and "about 2 min" in out


def test_programs_list_and_show(cli):
    out = cli("programs").out
    assert len(out.strip().splitlines()) == 9  # the method's eight, and emergent
    shown = cli("programs", "show", "choose").out
    assert "Blue, White, (Green), Yellow, Black, Red, Blue" in shown
    assert "3-green" in shown and "optional" in shown and "dot vote, for 5 people" in shown


def test_prompts_show_prints_the_template(cli):
    result = cli("prompts", "show", "black")
    assert result.code == 0 and '{% extends "_hat.j2" %}' in result.out


def test_dry_run_renders_every_prompt_in_order_without_network(cli):
    result = cli("analyze", "Four-day week? {{ 7*7 }}", "--program", "choose", "--dry-run")
    assert result.code == 0, result.err
    headers = [line for line in result.out.splitlines() if line.startswith("===== step")]
    assert [h.split()[2].rstrip(":") for h in headers] == CHOOSE_STEPS
    assert "{{ 7*7 }}" in result.out
    assert "no request was sent" in result.out


def _bad_program(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return str(path)


BAD_INPUTS = {
    "unknown program": (["--program", "nope"], "unknown program 'nope'"),
    "empty problem": (["   "], "the problem is empty"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gives_one_line_and_exit_2(cli, case):
    args, message = BAD_INPUTS[case]
    if args[0].startswith("--"):
        args = ["problem", *args]
    result = cli("analyze", *args, "--dry-run")
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'format = 1\nslug = "x"\nname = "X"\n'
            '[[steps]]\nhat = "purple"\n[[steps]]\nhat = "blue"\n',
            "steps.0.hat: 'purple' is not a hat",
        ),
        (
            'format = 1\nslug = "x"\n[[steps]]\nhat = "blue"\n[[steps]]\nhat = "blue"\n',
            "name: field is missing",
        ),
        ('format = 1\nslug = "x\n', "TOML syntax error"),
        (
            'slug = "x"\nname = "X"\n[[steps]]\nhat = "blue"\n[[steps]]\nhat = "blue"\n',
            "format: field is missing",
        ),
        (
            'format = 2\nslug = "x"\nname = "X"\n'
            '[[steps]]\nhat = "blue"\n[[steps]]\nhat = "blue"\n',
            "format 2 is not supported",
        ),
        (
            'format = 1\nslug = "x"\nname = "X"\n[[steps]]\nhat = "red"\n[[steps]]\nhat = "blue"\n',
            "must open and close with the blue hat",
        ),
    ],
)
def test_bad_program_file_names_file_and_field(cli, tmp_path, text, message):
    path = _bad_program(tmp_path, text)
    result = cli("programs", "show", path)
    assert result.code == 2
    assert path in result.err and message in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            '{% extends "_hat.j2" %}{% block method %}{{ nosuchvar }}{% endblock %}',
            "red.j2:1: 'nosuchvar' is undefined",
        ),
        ("{% if %}", "red.j2:1: syntax error"),
    ],
)
def test_bad_template_names_file_and_line(cli, tmp_path, template, message):
    (tmp_path / "red.j2").write_text(template)
    result = cli("analyze", "p", "--dry-run", "--prompts-dir", str(tmp_path))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path):
    env = {**os.environ, "SIXHATS_DEBUG": "1", "SIXHATS_CONFIG_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "sixhats_ai", "analyze", "p", "--program", "nope", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "sixhats_ai", "analyze", "p", "--program", "nope", "--dry-run"],
        capture_output=True,
        text=True,
        env={**env, "SIXHATS_DEBUG": "0"},
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_config_lists_paths_and_profiles_without_keys(cli, tmp_path, monkeypatch):
    """Every profile is listed, one whose URL will not parse (a broken IPv6 address) too, its
    credentials masked: `config` is where a user finds such a mistake."""
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "config.toml").write_text(
        'default_profile = "local"\n'
        '[profiles.local]\nbase_url = "http://localhost:11434/v1"\nmodel = "llama3.1"\n'
        '[profiles.remote]\nmodel = "gpt-4o"\napi_key = "sk-SECRET-IN-FILE"\n'
        '[profiles.broken]\nbase_url = "http://me:SECRET@[::1/v1"\nmodel = "x"\n'
    )
    result = cli("config")
    assert result.code == 0, result.err
    assert f"config file:  {config_dir / 'config.toml'}" in result.out
    assert "local: http://localhost:11434/v1, model llama3.1, no key" in result.out
    assert "remote: OpenAI, model gpt-4o, key in file" in result.out
    assert "broken: http://***@[::1/v1, model x" in result.out
    assert "SECRET" not in result.out + result.err
    monkeypatch.setenv("SIXHATS_PROFILE", "broken")
    chosen = cli("config")
    assert chosen.code == 0, chosen.err
    assert "analyze would stop here: the server URL 'http://***@[::1/v1' is not valid" in (
        chosen.out
    )


def test_dry_run_shows_context_documents_and_prices_the_configured_model(cli, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("Support tickets peak on Mondays.")
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "config.toml").write_text(
        'default_profile = "p"\n[profiles.p]\nmodel = "gpt-4o"\n'
        '[profiles.p.models]\nsynthesis = "gpt-4o-mini"\n'
    )
    result = cli(
        "analyze", "q", "--program", "quick-feedback", "--context", str(notes), "--dry-run"
    )
    assert result.code == 0, result.err
    assert result.out.count("Support tickets peak on Mondays.") == 4
    assert result.out.count("model gpt-4o,") == 3 and "model gpt-4o-mini," in result.out

    missing = cli("analyze", "q", "--context", str(tmp_path / "nope.md"), "--dry-run")
    assert missing.code == 2 and "does not exist" in missing.err


def test_help_shows_metavars_a_user_reads_not_python_type_names(cli):
    import re

    from sixhats_ai.cli.reference import commands

    def names(out: str) -> list[str]:
        """The usage line, and the left column of the Arguments and Options rows (where typer
        puts a value's type), not the description or an option's help (prose)."""
        usage, _, rest = out.partition("\n")
        starts = [i for i in (rest.find("\nArguments:"), rest.find("\nOptions:")) if i >= 0]
        rows = rest[min(starts) :].split("\nCommands:")[0] if starts else ""
        return [usage] + [m.group(1) for m in re.finditer(r"^  (\S.*?)(?:  |$)", rows, re.M)]

    seen = 0
    for path, _command in commands():  # every command, group and subcommand
        out = cli(*path.split()[1:], "--help").out
        shown = names(out)
        assert any(name.startswith("--help") for name in shown), (path, shown)
        python_types = [name for name in shown if re.search(r"<[^<>]+>", name)]
        assert python_types == [], (path, python_types)  # <str>, <list[Path]>, <int range>
        seen += "TEXT" in out or "PATH" in out
    assert seen > 10
    analyze = cli("analyze", "--help").out
    assert "--context PATH" in analyze and "--concurrency INTEGER" in analyze
    assert "[OPTIONS] [PROBLEM]" in analyze
    assert re.search(r"^  PROBLEM  +The problem", analyze, re.M), analyze
    batch = cli("batch", "--help").out
    assert "[PATHS]..." in batch and re.search(r"^  PATHS\.\.\.  ", batch, re.M), batch
