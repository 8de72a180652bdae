"""What the run store keeps of a large text: its hash and length, not the text itself.

A context file over 256 KiB is kept as its path and hash (the README promises it), and so is
any request message that long; the cache is keyed by a hash of the whole request and needs
only the response. Here, below both the store and its migrations.
"""

from __future__ import annotations

import hashlib
from typing import Any

INLINE_DOCUMENT_CHARS = 256 * 1024


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kept_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request as the store keeps it: a message longer than a large context file is
    kept as its hash and length, not its text, as large context files are (the cache is
    keyed by a hash of the whole request and needs only the response)."""
    messages = request.get("messages")
    if not isinstance(messages, list):
        return request
    kept = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and len(content) > INLINE_DOCUMENT_CHARS:
            message = {k: v for k, v in message.items() if k != "content"}
            message.update(content_sha256=sha256(content), content_chars=len(content))
        kept.append(message)
    return {**request, "messages": kept}
