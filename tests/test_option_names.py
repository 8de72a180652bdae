"""An error below the shells names a library option; each caller reads it in its own words:
a program the option (`api_key`), the command line its flag (`--api-key`)."""

from __future__ import annotations

import httpx
import pytest

from sixhats_ai import brief
from sixhats_ai.backends.openai import map_api_error
from sixhats_ai.backends.provider import ProviderFlags, resolve_provider
from sixhats_ai.cli.options import flag_of
from sixhats_ai.config import Config
from sixhats_ai.errors import ConfigError, UsageError, option_names

SERVER = "https://api.example.com/v1"


def test_a_server_without_a_key_names_the_option_or_the_flag(cli):
    with pytest.raises(ConfigError) as raised:
        resolve_provider(ProviderFlags(base_url=SERVER, model="m"), Config(), {})
    line = raised.value.one_line()
    assert "needs an API key" in line and "pass api_key," in line and "--api-key" not in line
    result = cli("analyze", "Should we?", "--base-url", SERVER, "--model", "m")
    assert result.code == 2 and "pass --api-key," in result.err
    assert "api_key," not in result.err.replace("api_key_env", "")


def test_a_bad_server_url_names_the_option_or_the_flag(cli):
    with pytest.raises(ConfigError) as raised:
        resolve_provider(ProviderFlags(base_url="ftp://host/v1", model="m"), Config(), {})
    assert "(set base_url, OPENAI_BASE_URL" in raised.value.one_line()
    result = cli("analyze", "Should we?", "--base-url", "ftp://host/v1", "--model", "m")
    assert result.code == 2 and "(set --base-url, OPENAI_BASE_URL" in result.err


def test_a_timed_out_request_names_the_option_or_the_flag():
    import openai

    timeout = openai.APITimeoutError(request=httpx.Request("POST", SERVER))
    error = map_api_error(timeout, base_url=SERVER, model="m")
    assert "(raise timeout, or use a smaller model" in error.one_line()
    with option_names(flag_of):
        assert "(raise --timeout, or use a smaller model" in error.one_line()


def test_a_meeting_too_short_names_the_option_or_the_flag(cli):
    with pytest.raises(UsageError) as raised:
        brief("Replace the rota?", minutes=0, offline=True)
    assert raised.value.one_line() == "minutes must be more than 0 (got 0) (e.g. minutes 45)"
    result = cli("brief", "Replace the rota?", "--minutes", "0", "--offline")
    assert result.code == 2
    assert "error: --minutes must be more than 0 (got 0) (e.g. --minutes 45)" in result.err


async def test_what_a_tool_call_makes_names_options_as_the_tool_does():
    """A note made during an MCP tool call (kept in its report) names the tool's argument."""
    from sixhats_ai.errors import named, option
    from sixhats_ai.mcp_server.results import tool_errors

    @tool_errors
    async def tool() -> str:
        return named(f"{option('personas')} 3, proposed by blue")

    assert await tool() == "participants 3, proposed by blue"
    assert named(f"{option('personas')} 3") == "personas 3"  # outside the tool: the library's


def test_an_option_a_flag_turns_off_is_named_with_the_value_to_pass(cli, tmp_path):
    """`keep` is `--no-log` on the command line: a program is told `keep=False`, the value
    that fixes it, not the bare name, which reads as "pass keep" (it is on already)."""
    from sixhats_ai.batches.api import check_batch
    from sixhats_ai.mcp_server.results import tool_argument
    from sixhats_ai.store.access import read_only

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("A proposal.")
    with pytest.raises(UsageError) as raised:
        check_batch([tmp_path / "in"], tmp_path / "out", via="batch-api", keep=False)
    assert "(drop keep=False (or set log = true in config.toml))" in raised.value.one_line()
    with option_names(flag_of):
        assert "(drop --no-log (or set" in raised.value.one_line()
    result = cli("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--via",
                 "batch-api", "--no-log", "--model", "m")  # fmt: skip
    assert result.code == 2 and "(drop --no-log (or set log = true" in result.err
    hint = read_only(tmp_path / "store.db").one_line()
    assert "or keep nothing: keep=False)" in hint
    with option_names(flag_of):
        assert "or keep nothing: --no-log)" in read_only(tmp_path / "store.db").one_line()
    with option_names(tool_argument):  # no tool takes it: the config file sets it
        hint = read_only(tmp_path / "store.db").one_line()
        assert "or keep nothing: log = false in config.toml)" in hint


def _options_named_below_the_shells() -> list[tuple[str, str, bool]]:
    """Each `option(field)` or `option(field, value)` outside `cli/`: where, which, valued."""
    import ast
    from pathlib import Path

    import sixhats_ai

    package = Path(sixhats_ai.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if "cli" in path.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "option"):
                continue
            field = node.args[0]
            if isinstance(field, ast.Constant) and isinstance(field.value, str):
                valued = len(node.args) > 1 or bool(node.keywords)
                found.append((path.relative_to(package).as_posix(), field.value, valued))
    return found


def test_every_option_a_flag_turns_off_is_named_with_its_value():
    """The options whose flag says no (`--no-log`, `--no-cache`, `--skip-optional`) are
    named `option(field, False)` wherever the library names them."""
    from sixhats_ai.cli.options import FLAG_OF_OPTION

    turned_off = {f for f, flag in FLAG_OF_OPTION.items() if flag.startswith(("--no-", "--skip-"))}
    assert turned_off == {"keep", "use_cache", "include_optional"}
    named = _options_named_below_the_shells()
    assert len(named) > 50  # the finder sees them
    bare = [(where, field) for where, field, valued in named if field in turned_off and not valued]
    assert bare == [], f"name these with the value to pass, option(field, False): {bare}"
