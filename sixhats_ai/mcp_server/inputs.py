"""What a tool call brings in: texts and files, the files only from where the client allows.

An agent may pass a document as text or as a path. A path is read only when it lies under one
of the roots the client declares (`roots/list`), or under the server's working directory when
the client declares none; anything else, a symlink leading out included, is refused before a
byte is read. Whatever is read stays data: it is made safe (`sanitize`) and goes into prompts
as a variable, never as a template.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from mcp.shared.exceptions import MCPDeprecationWarning
from pydantic import BaseModel, Field

from sixhats_ai.errors import UsageError
from sixhats_ai.text.documents import Document, sanitize
from sixhats_ai.text.inputs import document_text

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context


class PathInput(BaseModel):
    """A file the server reads: under the client's roots (else the server's working folder)."""

    path: str = Field(min_length=1, description="Absolute, or relative to the first root.")


class TextInput(BaseModel):
    """Text passed as it is."""

    text: str = Field(description="The content itself.")
    name: str = Field("document", max_length=200, description="A name to cite it by.")


Input = PathInput | TextInput


def _root_path(uri: str) -> Path | None:
    parts = urlparse(uri)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path)).resolve()


async def allowed_roots(ctx: Context[Any, Any], items: list[Input]) -> list[Path]:
    """The folders this call may read `items` from: the client's roots, else the working
    directory; none asked for when no item is a path."""
    if not any(isinstance(item, PathInput) for item in items):
        return []
    capabilities = ctx.client_capabilities
    if capabilities is not None and capabilities.roots is not None and ctx.session.can_send_request:
        with warnings.catch_warnings(action="ignore", category=MCPDeprecationWarning):
            listed = await ctx.session.list_roots()
        roots = [p for p in (_root_path(str(r.uri)) for r in listed.roots) if p is not None]
        if roots:
            return roots
    return [Path(os.getcwd()).resolve()]


def allowed_path(raw: str, roots: list[Path]) -> Path:
    """The path, resolved, if it lies under one of `roots`; a UsageError otherwise."""
    given = Path(raw).expanduser()
    path = (given if given.is_absolute() else roots[0] / given).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        places = ", ".join(str(r) for r in roots)
        raise UsageError(
            f"{raw} is outside the folders this server may read ({places})",
            hint="pass the text itself, or a path under one of those folders",
        )
    return path


def read_input(item: Input, roots: list[Path], *, what: str) -> Document:
    """One input as a document: its text, or the file's (HTML, PDF and Word extracted)."""
    if isinstance(item, TextInput):
        return Document(item.name, sanitize(item.text).strip())
    path = allowed_path(item.path, roots)
    return Document(path.name, sanitize(document_text(path, what=what)).strip())


def plain_source(item: Input, roots: list[Path]) -> str | Path:
    """One plain-text input (notes, a votes CSV) as the library takes it: its text, or the
    file, checked to be under the allowed roots, for the library to read."""
    if isinstance(item, TextInput):
        return item.text
    return allowed_path(item.path, roots)


def read_documents(items: list[Input], roots: list[Path]) -> tuple[list[Document], list[Path]]:
    """The documents with any text in them, in order, and the files they came from (the store
    keeps a large document's path rather than its text, for `rerun` to read it again)."""
    documents = [read_input(item, roots, what="document") for item in items]
    paths = [allowed_path(item.path, roots) for item in items if isinstance(item, PathInput)]
    return [d for d in documents if d.text], paths
