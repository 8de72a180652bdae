"""What a tool hands back: structured content (the JSON the CLI's `--format json` prints) and
the Markdown as text; or, when it fails, a tool error with the CLI's one-line message.

Every failure becomes a tool error: the server never dies of a call, and never shows a
traceback (unless SIXHATS_DEBUG=1, on stderr). No secret reaches a result or an error: each
message is redacted of the keys this server knows before it leaves.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from sixhats_ai.errors import SixhatsError, option_names, redact

# The library's option names that a tool argument of another name sets; the others are named
# as the library names them (`flow`, `program`, `documents` are the tools' arguments too).
TOOL_ARGUMENTS = {"personas": "participants", "personas_mode": "participants"}
# What sets, for an MCP user, an option no tool takes: the server's config file.
CONFIG_SETTINGS = {"keep": "log = false in config.toml"}

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger("sixhats.mcp")


def known_secrets() -> list[str | None]:
    """The keys a message must never show: the environment's, and every profile's (in the
    config file, or in the variable it names)."""
    from sixhats_ai.config import load_config

    keys = [os.environ.get("OPENAI_API_KEY")]
    try:
        profiles = load_config().profiles.values()
    except SixhatsError:  # a broken config file: its error is the message, and holds no key
        return keys
    for profile in profiles:
        keys += [profile.api_key, os.environ.get(profile.api_key_env or "")]
    return keys


def result(
    data: BaseModel | dict[str, Any] | list[Any], markdown: str, *notes: str
) -> CallToolResult:
    """A tool's answer: `data` as structured content, the Markdown (and `notes`) as text."""
    structured = json.loads(data.model_dump_json()) if isinstance(data, BaseModel) else data
    if isinstance(structured, list):  # structured content is an object
        structured = {"items": structured}
    blocks = [TextContent(type="text", text=markdown)]
    blocks += [TextContent(type="text", text=note) for note in notes]
    return CallToolResult(content=list(blocks), structured_content=structured)


def tool_argument(field: str) -> str | None:
    """An option the library's error names, as a tool call names it, or the setting that
    sets it for an MCP user (`errors.option_names`); None: as the library names it."""
    return TOOL_ARGUMENTS.get(field) or CONFIG_SETTINGS.get(field)


def tool_errors(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Every failure of `tool` as a tool error with one line, redacted; the options its errors
    and notes name are named by the tool's arguments."""

    @functools.wraps(tool)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with option_names(tool_argument):
                return await tool(*args, **kwargs)
        except ToolError:
            raise
        except SixhatsError as exc:
            with option_names(tool_argument):
                line = exc.one_line()
            raise ToolError(redact(line, known_secrets())) from None
        except Exception as exc:
            if os.environ.get("SIXHATS_DEBUG") == "1":
                logger.exception("%s failed", tool.__name__)
            message = redact(f"unexpected {type(exc).__name__}: {exc}", known_secrets())
            raise ToolError(f"{message} (set SIXHATS_DEBUG=1 for details)") from None

    return guarded
