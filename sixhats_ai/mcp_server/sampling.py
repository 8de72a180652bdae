"""The host's own model as a backend: each request sent back to the client as MCP sampling.

A client that declares the `sampling` capability lets the server ask its model for a
completion (`sampling/createMessage`). This backend answers sixhats' requests that way, so an
agent with no key configured for sixhats can still run a meeting on the model it is talking
to. Sampling has no `response_format`, so runs on it are pinned to the `prompt` output mode:
the schema goes into the first user message, and the answer is validated and re-asked by the
structured-output layer like any other model's (`run/structured.py`).
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types import SamplingMessage, TextContent

from sixhats_ai.backends.base import Completion, CompletionRequest
from sixhats_ai.errors import ModelError

if TYPE_CHECKING:
    from mcp.server.session import ServerSession

# What a run asks of the model when it names no model: the client picks its own.
SAMPLING_MODEL = "mcp-sampling"
# Sampling requires a token limit; a hat's answer and a synthesis fit well within it.
DEFAULT_MAX_TOKENS = 4000
STOP_REASONS = {"maxTokens": "length", "endTurn": "stop", "stopSequence": "stop"}


class SamplingBackend:
    """Answers chat completions through the client's `sampling/createMessage`.

    Each answer names the model the client says it came from (`Completion.model`), so the
    report names the model the client used, not the placeholder the run was planned with.
    Its capabilities are those of any remote server's.
    """

    identity: str
    is_local = False  # the client's model may be anywhere; a budget still applies
    collects_calls = False
    keeps_answers = False

    def __init__(self, session: ServerSession, client_name: str, request_id: Any) -> None:
        self.identity = f"mcp-sampling:{client_name}"
        self._session = session
        self._request_id = request_id  # the tool call the sampling requests belong to

    async def complete(self, request: CompletionRequest) -> Completion:
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        messages = [
            SamplingMessage(
                role="assistant" if m["role"] == "assistant" else "user",
                content=TextContent(type="text", text=m["content"]),
            )
            for m in request.messages
            if m["role"] != "system"
        ]
        started = time.perf_counter()
        try:
            with warnings.catch_warnings(action="ignore", category=MCPDeprecationWarning):
                result = await self._session.create_message(
                    messages,
                    max_tokens=request.max_tokens or DEFAULT_MAX_TOKENS,
                    system_prompt=system or None,
                    temperature=request.temperature,
                    related_request_id=self._request_id,
                )
        except MCPError as exc:
            raise ModelError(
                f"the client's model did not answer: {exc.error.message}",
                hint="allow sampling in the client, or configure a model for sixhats",
            ) from None
        content = result.content
        text = content.text if isinstance(content, TextContent) else ""
        return Completion(
            content=text,
            finish_reason=STOP_REASONS.get(str(result.stop_reason), "stop"),
            seconds=time.perf_counter() - started,
            model=result.model or None,
        )

    async def aclose(self) -> None:
        """Nothing to release: the session belongs to the client's connection."""
