"""`sixhats mcp`: serve sixhats to agents over the Model Context Protocol (docs/mcp.md)."""

from __future__ import annotations

import gc
import importlib.util
from typing import Annotated, Optional

import typer

from sixhats_ai.cli.app import app
from sixhats_ai.errors import UsageError


@app.command()
def mcp(
    http: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--http",
            metavar="PORT",
            min=1,
            max=65535,
            help="Serve streamable HTTP on 127.0.0.1:PORT instead of stdio.",
        ),
    ] = None,
) -> None:
    """Serve sixhats as an MCP server: tools, resources and one prompt per program.

    Over stdio by default, for a host to start (Claude Desktop, Claude Code, Cursor, VS
    Code). The hats run on the configured model, else on the host's own by MCP sampling.

    Example: sixhats mcp --http 8765
    """
    if importlib.util.find_spec("mcp") is None:
        raise UsageError(  # sixhats is not on PyPI: the extra comes from the clone
            "sixhats mcp needs the MCP SDK, which is not installed",
            hint='install the extra: pip install -e ".[mcp]" in your sixhats clone',
        )
    # Start-up imports the SDK, which builds thousands of pydantic models that all live as
    # long as the server: collecting during it frees nothing and cost a sixth of its CPU.
    gc.disable()
    try:
        from sixhats_ai.mcp_server.server import build_server, serve

        server = build_server()
    finally:
        gc.freeze()  # and later collections need not walk them again
        gc.enable()
    serve(server, http)
