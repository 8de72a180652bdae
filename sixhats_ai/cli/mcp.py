"""`sixhats mcp`: serve sixhats to agents over the Model Context Protocol (docs/mcp.md)."""

from __future__ import annotations

import gc
import importlib.util
from typing import Annotated, Optional

import typer

from sixhats_ai.cli.app import app, echo_err
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
    if http is not None:
        _check_port_free(http)
    # Start-up imports the SDK, which builds thousands of pydantic models that all live as
    # long as the server: collecting during it frees nothing and cost a sixth of its CPU.
    gc.disable()
    try:
        from sixhats_ai.mcp_server.server import build_server, serve

        server = build_server()
    finally:
        gc.freeze()  # and later collections need not walk them again
        gc.enable()
    if http is not None:
        echo_err(f"sixhats: serving MCP on http://127.0.0.1:{http}/mcp (Ctrl-C stops it)")
    serve(server, http)


def _check_port_free(port: int) -> None:
    """A port already in use is one line and exit 2, where the HTTP server would log its own
    error and exit 3 after the slow start-up."""
    import errno
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            in_use = exc.errno == errno.EADDRINUSE
            raise UsageError(
                f"port {port} on 127.0.0.1 is in use"
                if in_use
                else f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                hint="pick another --http PORT"
                + (", or stop what listens there" if in_use else ""),
            ) from None
