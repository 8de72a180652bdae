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
