"""Options shared by several commands, declared once.

typer reads options from parameter annotations; these aliases let `analyze`, `batch`,
`rerun` and `brief` declare the same option the same way without repeating it.
"""

from __future__ import annotations

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


class SendingOptions(TypedDict, total=False):
    """How each request is sent: --timeout, --retries, --max-tokens, --max-reasks, --mode."""

    timeout: float
    max_retries: int
    max_tokens: int
    max_reasks: int
    mode: str


class InputOptions(TypedDict, total=False):
    """How the input meets the model: --context-window, --truncate, --prompts-dir."""

    context_window: int
    truncate: bool
    prompts_dir: Path


class RunningOptions(TypedDict, total=False):
    """How a program runs: --flow, --concurrency, --rpm, --max-cost, --strict, --skip-optional."""

    flow: Flow
    concurrency: int
    rpm: float
    max_cost: float
    strict: bool
    include_optional: bool


# Each helper takes the flags of its group that a command offers, by name. A flag a command
# does not offer, or that was not given (None), is left out: the run keeps the library's
# default for it.


def sending_options(
    *,
    timeout: float | None = None,
    retries: int | None = None,
    max_tokens: int | None = None,
    max_reasks: int | None = None,
    mode: str | None = None,
) -> SendingOptions:
    given = SendingOptions()
    if timeout is not None:
        given["timeout"] = timeout
    if retries is not None:
        given["max_retries"] = retries
    if max_tokens is not None:
        given["max_tokens"] = max_tokens
    if max_reasks is not None:
        given["max_reasks"] = max_reasks
    if mode is not None:
        given["mode"] = mode
    return given


def input_options(
    *, context_window: int | None = None, truncate: bool = False, prompts_dir: Path | None = None
) -> InputOptions:
    given = InputOptions(truncate=truncate)
    if context_window is not None:
        given["context_window"] = context_window
    if prompts_dir is not None:
        given["prompts_dir"] = prompts_dir
    return given


def running_options(
    *,
    flow: str | None = None,
    concurrency: int | None = None,
    rpm: float | None = None,
    max_cost: float | None = None,
    strict: bool = False,
    skip_optional: bool = False,
) -> RunningOptions:
    given = RunningOptions(strict=strict, include_optional=not skip_optional)
    if flow is not None:
        given["flow"] = cast("Flow", flow)  # RunOptions refuses any other
    if concurrency is not None:
        given["concurrency"] = concurrency
    if rpm is not None:
        given["rpm"] = rpm
    if max_cost is not None:
        given["max_cost"] = max_cost
    return given


# The flags whose names are not their RunOptions field's, dashed.
FLAG_OF_OPTION = {"max_retries": "--retries", "include_optional": "--skip-optional"}


def run_options(
    sending: SendingOptions | None = None,
    inputs: InputOptions | None = None,
    running: RunningOptions | None = None,
) -> RunOptions:
    """A command's RunOptions, from the option groups it offers (rerun has no running group:
    the stored run decides the flow and the steps). The library names a bad option by its
    field; the user is told the flag."""
    from sixhats_ai.run_options import OptionError, RunOptions

    try:
        return RunOptions(**(sending or {}), **(inputs or {}), **(running or {}))
    except OptionError as exc:
        flag = FLAG_OF_OPTION.get(exc.option, "--" + exc.option.replace("_", "-"))
        raise UsageError(f"{flag} {exc.problem}", hint=exc.hint) from None
