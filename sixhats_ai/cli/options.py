"""Options shared by several commands, declared once.

typer reads options from parameter annotations; these aliases let `analyze`, `batch`,
`rerun` and `brief` declare the same option the same way without repeating it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sixhats_ai.errors import UsageError

if TYPE_CHECKING:
    from sixhats_ai.api import RunOptions
    from sixhats_ai.config import ProviderFlags

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
FitOption = Annotated[
    str,
    typer.Option(
        "--fit",
        help="Documents too long for the context: condense (extract their facts, claims, "
        "risks and proposals by section first), truncate (cut them) or refuse.",
    ),
]
TruncateOption = Annotated[bool, typer.Option(help="Same as --fit truncate.")]
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
    from sixhats_ai.config import ProviderFlags

    return ProviderFlags(base_url=base_url, api_key=api_key, model=model, profile=profile)


def check_flow(flow: str) -> str:
    if flow not in ("sequential", "parallel"):
        raise UsageError(f"unknown flow {flow!r}", hint="use sequential or parallel")
    return flow


def run_options(params: dict[str, Any]) -> RunOptions:
    """RunOptions from a command's parsed parameters (`ctx.params`).

    The run options (see the aliases above) keep the names of RunOptions' fields, so every
    command that runs a program builds its options here, from whichever of them it offers.
    """
    from dataclasses import fields

    from sixhats_ai.api import RunOptions

    names = {f.name for f in fields(RunOptions)}
    given = {k: v for k, v in params.items() if k in names and k != "flow"}
    if "flow" in params:
        given["flow"] = check_flow(params["flow"])
    if "retries" in params:
        given["max_retries"] = params["retries"]
    if "skip_optional" in params:
        given["include_optional"] = not params["skip_optional"]
    return RunOptions(**given)
