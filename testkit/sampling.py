"""A stand-in for an MCP client's model: answers `sampling/createMessage` requests with valid
JSON built from the schema in the system prompt (`answers.AnswerMaker`), as the stand-in
server answers HTTP requests. Used by the MCP server's tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp_types import CreateMessageRequestParams, CreateMessageResult, ErrorData, TextContent

from testkit.answers import AnswerMaker, answer_in_prompt_mode

HOST_MODEL = "host-model-1"


@dataclass
class SamplingStandIn:
    """A sampling callback; `fail_from` makes every request from that one on an error (a
    model failing mid-run), the first `invalid` answers are prose instead of JSON, and
    `requests` counts what it was asked."""

    model: str = HOST_MODEL
    fail_from: int | None = None
    invalid: int = 0
    requests: int = 0
    systems: list[str] = field(default_factory=list)  # each request's system prompt
    messages: list[str] = field(default_factory=list)  # and its other messages, joined

    async def __call__(
        self, context: Any, params: CreateMessageRequestParams
    ) -> CreateMessageResult | ErrorData:
        self.requests += 1
        system = params.system_prompt or ""
        self.systems.append(system)
        if self.fail_from is not None and self.requests >= self.fail_from:
            return ErrorData(code=-1, message="the user declined the sampling request")
        texts = [m.content.text for m in params.messages if isinstance(m.content, TextContent)]
        self.messages.append("\n".join(texts))
        answer = (
            "Here are my thoughts, in prose."
            if self.requests <= self.invalid
            else answer_in_prompt_mode(system, texts, AnswerMaker())
        )
        return CreateMessageResult(
            role="assistant",
            content=TextContent(type="text", text=answer),
            model=self.model,
            stop_reason="endTurn",
        )
