"""`sixhats mcp`: the Model Context Protocol server, where agents (Claude Desktop, Claude Code,
Cursor, VS Code) call sixhats, and whose hats may run on the host's own model.

A shell like `cli/`: it calls the library and renders, nothing below imports it. The `mcp`
SDK is an extra (`sixhats-ai[mcp]`), imported only when the server starts.

- `server`: the SDK's `MCPServer` with every tool, resource and prompt; stdio or HTTP.
- `tools`: `analyze`, `brief`, `minutes`; `catalogue`: `history`, `show`, `programs`, `hats`,
  the resources and the prompts.
- `library`: the one place each tool calls the library.
- `model_choice` and `sampling`: the configured model, else the client's by sampling.
- `inputs`: texts and files, the files only under the client's roots.
- `progress` and `results`: progress notifications, and what a tool hands back.

See docs/mcp.md.
"""
