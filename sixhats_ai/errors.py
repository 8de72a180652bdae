"""Errors that reach the user: one line naming the problem and the fix, and an exit code.

Every failure a user can cause or meet is raised as a `SixhatsError`; the CLI prints
`error: <message>` on stderr and exits with its code. Exceptions from the OpenAI SDK are
translated here, in one place, so each command reports them the same way.
"""

from __future__ import annotations

from typing import Any

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class SixhatsError(Exception):
    """A failure with a message fit for the user and the exit code it deserves."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(SixhatsError):
    """Bad input: an argument, a file, a program or a template the user supplied."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """No usable model configuration."""


class StoreDamaged(UsageError):
    """The run store is corrupt: the whole command stops, and nothing more is written to it."""


class ModelError(SixhatsError):
    """The model server failed or answered with something unusable."""


class BudgetExceeded(SixhatsError):
    """--max-cost would be exceeded by the next request."""


def redact(text: str, secrets: list[str | None]) -> str:
    """Remove every secret from a text before it can be shown or stored."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


def map_api_error(exc: BaseException, *, base_url: str, model: str) -> SixhatsError:
    """Translate an OpenAI SDK exception into an actionable message."""
    import openai

    where = base_url or "the OpenAI API"
    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            f"the request to {where} timed out",
            hint="raise --timeout, or use a smaller model or a shorter input",
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(
            f"cannot reach {where}",
            hint="is the server running, and does the URL end in /v1?",
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelError(
            f"{where} rejected the API key: {_api_message(exc)}",
            hint="set OPENAI_API_KEY, pass --api-key, or set api_key_env in your profile",
        )
    if isinstance(exc, openai.NotFoundError):
        return ModelError(
            f"model {model!r} or endpoint not found at {where}: {_api_message(exc)}",
            hint="check --model and that --base-url ends in /v1",
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelError(
            f"rate limited by {where} after retries: {_api_message(exc)}",
            hint="lower --concurrency, set --rpm, or wait and run again",
        )
    if isinstance(exc, openai.LengthFinishReasonError):
        return ModelError("the answer was cut off at the token limit", hint="raise --max-tokens")
    if isinstance(exc, openai.APIStatusError):
        message = _api_message(exc)
        lowered = message.lower()
        if "context" in lowered and (
            "length" in lowered or "window" in lowered or "long" in lowered
        ):
            return ModelError(
                f"the prompt is longer than the model's context: {message}",
                hint="use --truncate, a shorter input, or a model with a larger context",
            )
        return ModelError(f"{where} answered HTTP {exc.status_code}: {message}")
    return ModelError(f"{type(exc).__name__}: {exc}")
