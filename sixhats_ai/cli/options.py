"""Options shared by several commands, declared once.

typer reads options from parameter annotations; these aliases let `analyze`, `batch`,
`rerun` and `brief` declare the same option the same way without repeating it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TypedDict, cast

import typer

from sixhats_ai.errors import UsageError

if TYPE_CHECKING:
    from sixhats_ai.engine import Flow
    from sixhats_ai.provider import ProviderFlags
    from sixhats_ai.run_options import RunOptions

# ruff: noqa: UP045 - typer needs Optional[...] in these annotations on Python 3.11

# The model server ------------------------------------------------------------------------
ModelOption = Annotated[Optional[str], typer.Option(help="Model name.")]
BaseUrlOption = Annotated[
    Optional[str], typer.Option("--base-url", help="OpenAI-compatible server URL, ending in /v1.")
]
ApiKeyOption = Annotated[
    Optional[str], typer.Option("--api-key", help="API key (prefer OPENAI_API_KEY).")
]
ProfileOption = Annotated[
    Optional[str], typer.Option("--profile", help="Named profile from the config file.")
]
TimeoutOption = Annotated[float, typer.Option(help="Seconds per request.")]
RetriesOption = Annotated[
    int, typer.Option(help="Retries of a failed request (429, 5xx, connection), by the SDK.")
]
MaxTokensOption = Annotated[
    Optional[int], typer.Option("--max-tokens", help="Completion token limit per request.")
]
ModeOption = Annotated[
    Optional[str], typer.Option(help="Pin the output mode: json_schema, json_object or prompt.")
]

# How a program runs ----------------------------------------------------------------------
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program slug, name or file.")]
FlowOption = Annotated[
    str, typer.Option(help="sequential: each hat sees the board; parallel: hats run blind.")
]
ConcurrencyOption = Annotated[int, typer.Option(help="Requests in flight at most.")]
MaxReasksOption = Annotated[int, typer.Option("--max-reasks", help="Re-asks on bad JSON.")]
MaxCostOption = Annotated[
    Optional[float], typer.Option("--max-cost", help="Stop before spending more than this (USD).")
]
ContextWindowOption = Annotated[
    Optional[int], typer.Option("--context-window", help="The model's context size in tokens.")
]
TruncateOption = Annotated[bool, typer.Option(help="Cut documents too long for the context.")]
StrictOption = Annotated[bool, typer.Option(help="Fail if any hat fails.")]
SkipOptionalOption = Annotated[
    bool, typer.Option("--skip-optional", help="Leave out optional steps.")
]
PromptsDirOption = Annotated[
    Optional[Path],
    typer.Option("--prompts-dir", help="Folder of templates overriding the packaged ones."),
]
ProgramsDirOption = Annotated[
    Optional[Path],
    typer.Option("--programs-dir", help="Extra folder of program files (default: config dir)."),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Ask the model even if the store has the answer.")
]
NoLogOption = Annotated[bool, typer.Option("--no-log", help="Do not keep this run in the store.")]

# Output ----------------------------------------------------------------------------------
ReportFormatOption = Annotated[
    Optional[str],
    typer.Option("--format", help="md, json or html (default: rich on a terminal, else md)."),
]
OutputOption = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="Write to a file (atomically).")
]


def provider_flags(
    model: str | None, base_url: str | None, api_key: str | None, profile: str | None
) -> ProviderFlags:
    from sixhats_ai.provider import ProviderFlags

    return ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile)


class SendingOptions(TypedDict):
    """How each request is sent: --timeout, --retries, --max-tokens, --max-reasks, --mode."""

    timeout: float
    max_retries: int
    max_tokens: int | None
    max_reasks: int
    mode: str | None


class InputOptions(TypedDict):
    """How the input meets the model: --context-window, --truncate, --prompts-dir."""

    context_window: int | None
    truncate: bool
    prompts_dir: Path | None


class RunningOptions(TypedDict):
    """How a program runs: --flow, --concurrency, --rpm, --max-cost, --strict, --skip-optional."""

    flow: Flow
    concurrency: int
    rpm: float | None
    max_cost: float | None
    strict: bool
    include_optional: bool


def sending_options(
    *, timeout: float, retries: int, max_tokens: int | None, max_reasks: int, mode: str | None
) -> SendingOptions:
    return SendingOptions(
        timeout=timeout,
        max_retries=retries,
        max_tokens=max_tokens,
        max_reasks=max_reasks,
        mode=mode,
    )


def input_options(
    *, context_window: int | None, truncate: bool, prompts_dir: Path | None
) -> InputOptions:
    return InputOptions(context_window=context_window, truncate=truncate, prompts_dir=prompts_dir)


def running_options(
    *,
    flow: str,
    concurrency: int,
    max_cost: float | None,
    strict: bool,
    skip_optional: bool,
    rpm: float | None = None,
) -> RunningOptions:
    return RunningOptions(
        flow=cast("Flow", flow),  # RunOptions refuses any other
        concurrency=concurrency,
        rpm=rpm,
        max_cost=max_cost,
        strict=strict,
        include_optional=not skip_optional,
    )


# The flags whose names are not their RunOptions field's, dashed.
FLAG_OF_OPTION = {"max_retries": "--retries", "include_optional": "--skip-optional"}


@contextmanager
def named_flags() -> Iterator[None]:
    """The library's option errors, worded with the flag that set the option."""
    from sixhats_ai.run_options import OptionError

    try:
        yield
    except OptionError as exc:
        flag = FLAG_OF_OPTION.get(exc.option, "--" + exc.option.replace("_", "-"))
        raise UsageError(f"{flag} {exc.problem}", hint=exc.hint) from None


def run_options(
    sending: SendingOptions, inputs: InputOptions, running: RunningOptions | None = None
) -> RunOptions:
    """A command's RunOptions, from its option groups (rerun has no running group: the
    stored run decides the flow and the steps)."""
    from sixhats_ai.run_options import RunOptions

    with named_flags():
        if running is None:
            return RunOptions(**sending, **inputs)
        return RunOptions(**sending, **inputs, **running)
