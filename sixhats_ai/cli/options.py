"""Options shared by several commands, declared once.

typer reads options from parameter annotations; these aliases let `analyze`, `batch`,
`rerun` and `brief` declare the same option the same way without repeating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypedDict, cast

import typer
from typer.core import TyperCommand

from sixhats_ai.errors import UsageError

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import ProviderFlags
    from sixhats_ai.method.participants import PersonasMode, RosterRequest
    from sixhats_ai.run.options import FitPolicy, Flow, RunOptions  # the types of its fields

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
LocalOption = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Run the model in this process (llama.cpp): --model names a pulled model or a "
        ".gguf file (default: the pulled one).",
    ),
]
PullOption = Annotated[
    bool, typer.Option("--pull", help="With --local: download the model first if it is missing.")
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
MaxStepsOption = Annotated[
    int,
    typer.Option("--max-steps", help="An emergent program: hats blue may call for at most."),
]
PersonasOption = Annotated[
    Optional[str],
    typer.Option(
        "--personas",
        help='Participants who each wear every hat: a list ("finance, support"), a TOML '
        "file, or a number for the opening blue to propose.",
    ),
]
PersonasModeOption = Annotated[
    str,
    typer.Option(
        "--personas-mode",
        help="together: one request per hat answers for everyone; separate: one per person.",
    ),
]


def _checked_prompts_dir(value: Path | None) -> Path | None:
    """Checked as it is parsed, before any server is asked or any model paid."""
    from sixhats_ai.prompts import checked_prompts_dir

    return checked_prompts_dir(value)


PromptsDirOption = Annotated[
    Optional[Path],
    typer.Option(
        "--prompts-dir",
        help="Folder of templates overriding the packaged ones.",
        callback=_checked_prompts_dir,
    ),
]
ProgramsDirOption = Annotated[
    Optional[Path],
    typer.Option("--programs-dir", help="Extra folder of program files (default: config dir)."),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Ask the model even if the store has the answer.")
]
NoLogOption = Annotated[bool, typer.Option("--no-log", help="Do not keep this run in the store.")]
RerunStepOption = Annotated[
    Optional[str],
    typer.Option("--step", help="The step to ask again: a hat (black) or a step id (5-black)."),
]
NoProgressOption = Annotated[
    bool,
    typer.Option(
        "--no-progress",
        help="Plain progress lines on stderr, even on a terminal (no live display).",
    ),
]


def _quiet(value: bool) -> None:
    if value:
        from sixhats_ai.display.plain import quiet

        quiet()


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_quiet,
        expose_value=False,
        help="Print nothing on stderr but errors (no progress, notes or warnings).",
    ),
]

# Output ----------------------------------------------------------------------------------
ReportFormatOption = Annotated[
    Optional[str],
    typer.Option("--format", help="md, json or html (default: rich on a terminal, else md)."),
]
OutputOption = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="Write to a file (atomically).")
]


def provider_flags(
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    profile: str | None,
    *,
    local: bool = False,
    pull: bool = False,
) -> ProviderFlags:
    from sixhats_ai.backends.provider import ProviderFlags

    if pull and not local:
        raise UsageError("--pull fetches the local engine's model", hint="add --local")
    return ProviderFlags(
        base_url=base_url, api_key=api_key, model=model, profile=profile, local=local, pull=pull
    )


def flags_of(params: Mapping[str, Any]) -> ProviderFlags:
    """The provider flags from a command's parsed parameters (`ctx.params`)."""
    return provider_flags(
        params.get("model"),
        params.get("base_url"),
        params.get("api_key"),
        params.get("profile"),
        local=bool(params.get("local")),
        pull=bool(params.get("pull")),
    )


class SendingOptions(TypedDict, total=False):
    """How each request is sent: --timeout, --retries, --max-tokens, --max-reasks, --mode."""

    timeout: float
    max_retries: int
    max_tokens: int
    max_reasks: int
    mode: str


class InputOptions(TypedDict, total=False):
    """How the input meets the model: --context-window, --fit, --truncate, --prompts-dir."""

    context_window: int
    fit: FitPolicy
    truncate: bool
    prompts_dir: Path


class RunningOptions(TypedDict, total=False):
    """How a program runs: --flow, --concurrency, --rpm, --max-cost, --strict, --skip-optional,
    --max-steps, --personas, --personas-mode."""

    flow: Flow
    concurrency: int
    rpm: float
    max_cost: float
    strict: bool
    include_optional: bool
    max_steps: int
    personas: RosterRequest
    personas_mode: PersonasMode


# One helper per group reads the group's flags from a command's parsed parameters
# (`ctx.params`), each flag to the RunOptions field it sets. A flag the command does not offer,
# or that was not given (None), is left out: the run keeps the library's default for it.


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def user_gave(ctx: typer.Context, name: str) -> bool:
    """Whether parameter `name` was given (on the command line or from the environment),
    not left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def sending_options(params: Mapping[str, Any]) -> SendingOptions:
    return cast(
        "SendingOptions",
        _given(
            timeout=params.get("timeout"),
            max_retries=params.get("retries"),
            max_tokens=params.get("max_tokens"),
            max_reasks=params.get("max_reasks"),
            mode=params.get("mode"),
        ),
    )


def input_options(params: Mapping[str, Any]) -> InputOptions:
    return cast(
        "InputOptions",
        _given(
            context_window=params.get("context_window"),
            fit=params.get("fit"),
            truncate=params.get("truncate"),
            prompts_dir=params.get("prompts_dir"),
        ),
    )


def running_options(params: Mapping[str, Any]) -> RunningOptions:
    from sixhats_ai.method.participants import parse_personas

    skip_optional = params.get("skip_optional")
    personas = params.get("personas")
    return cast(
        "RunningOptions",
        _given(
            flow=params.get("flow"),  # RunOptions refuses a flow it does not know
            concurrency=params.get("concurrency"),
            rpm=params.get("rpm"),
            max_cost=params.get("max_cost"),
            strict=params.get("strict"),
            include_optional=None if skip_optional is None else not skip_optional,
            max_steps=params.get("max_steps"),
            personas=parse_personas(personas) if personas else None,
            personas_mode=params.get("personas_mode"),
        ),
    )


# The flags whose names are not their library option's, dashed.
FLAG_OF_OPTION = {
    "max_retries": "--retries",
    "include_optional": "--skip-optional",
    "keep": "--no-log",
    "use_cache": "--no-cache",
    "documents": "--context",
    "formats": "--format",
}


def flag_of(option: str) -> str:
    """The flag that sets a library option (`max_tokens`: `--max-tokens`): how the command
    line names the options the library's errors name (`errors.option_names`)."""
    return FLAG_OF_OPTION.get(option, "--" + option.replace("_", "-"))


def run_options(params: Mapping[str, Any]) -> RunOptions:
    """A command's RunOptions from its parsed parameters, group by group. The library names
    a bad option by its field; `main` has the user told the flag."""
    from sixhats_ai.run.options import RunOptions

    return RunOptions(**sending_options(params), **input_options(params), **running_options(params))


# What --help shows for a value: a word a user reads, not a Python type (`<str>`, `<list[Path]>`).
_METAVARS: dict[Any, str] = {str: "TEXT", int: "INTEGER", float: "NUMBER", Path: "PATH"}


def name_metavars(app: typer.Typer) -> None:
    """Give every option of `app`'s commands (and groups') a metavar like TEXT or PATH, and
    every argument its name in capitals, unless it names its own; and the rows of --help
    that show them (`ReadableHelpCommand`)."""
    for command in app.registered_commands:
        if command.callback is not None:
            _name_params(command.callback)
        if command.cls in (None, TyperCommand):  # typer's default, not a command's own
            command.cls = ReadableHelpCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            name_metavars(group.typer_instance)


def _name_params(callback: Any) -> None:
    import typing

    from typer.models import ArgumentInfo, ParameterInfo

    # Resolved once and kept: typer would otherwise evaluate a command's own `Annotated[...,
    # typer.Option(...)]` strings again, into option objects other than those named here.
    hints = typing.get_type_hints(callback, include_extras=True)
    callback.__annotations__ = hints
    for name, hint in hints.items():
        infos = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, ParameterInfo)]
        if not infos or infos[0].metavar is not None:
            continue
        kind = _value_type(hint.__origin__)
        many = typing.get_origin(kind) is list
        if many:
            kind = typing.get_args(kind)[0]
        if isinstance(infos[0], ArgumentInfo):
            infos[0].metavar = name.upper()
        elif kind in _METAVARS:
            infos[0].metavar = _METAVARS[kind]


class ReadableHelpCommand(TyperCommand):
    """A command whose --help rows name each argument as its usage line does (`PROBLEM`,
    `PATHS...`): typer 0.29 writes the Python type beside it (`PROBLEM <str>`), metavar or not."""

    def format_options(self, ctx: Any, formatter: Any) -> None:  # typer's own click types
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            row = param.get_help_record(ctx)
            if row is None:
                continue
            if param.param_type_name == "argument":
                name = (param.metavar or str(param.name).upper()) + "..." * (param.nargs != 1)
                arguments.append((name, row[1]))
            else:
                options.append(row)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _value_type(hint: Any) -> Any:
    """`Optional[X]` as X."""
    import typing

    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) is typing.Union and len(args) == 1 else hint
