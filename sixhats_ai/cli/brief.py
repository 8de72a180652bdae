"""`sixhats brief`: a pre-meeting brief with a timed agenda, questions per hat and pre-work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sixhats_ai.cli.app import app, echo_err, write_output
from sixhats_ai.cli.options import (
    ApiKeyOption,
    BaseUrlOption,
    LocalOption,
    MaxReasksOption,
    MaxTokensOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    NoLogOption,
    ProfileOption,
    PromptsDirOption,
    PullOption,
    QuietOption,
    SkipOptionalOption,
    TimeoutOption,
    provider_flags,
    run_options,
)
from sixhats_ai.errors import UsageError
from sixhats_ai.run.options import RunOptions
from sixhats_ai.text.plural import counted

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import ProviderFlags
    from sixhats_ai.briefs.api import BriefArgs
    from sixhats_ai.briefs.model import Brief

BRIEF_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".ics": "ics",
}


# ruff: noqa: UP045 - typer needs Optional[...] in these annotations on Python 3.11
TopicArgument = Annotated[
    Optional[str], typer.Argument(help="The meeting's topic, or '-' to read it from stdin.")
]
TopicFileOption = Annotated[
    Optional[Path], typer.Option("--file", "-f", help="Read the topic from a file.")
]
BriefProgramOption = Annotated[
    Optional[str],
    typer.Option("--program", "-p", help="Program slug, name or file (default: choose)."),
]
MinutesOption = Annotated[
    Optional[int], typer.Option(help="Meeting length (default: the method's boxes for the group).")
]
ParticipantsOption = Annotated[
    Optional[int], typer.Option(help="Number of participants (about a minute each per hat).")
]
StartOption = Annotated[
    Optional[str],
    typer.Option(help="Start: HH:MM, or a date and time (2026-12-01T14:00) for ICS."),
]
ClockOption = Annotated[
    str, typer.Option(help="hh:mm (whole-minute boxes) or mm:ss (half-minute boxes).")
]
KindOption = Annotated[
    Optional[str],
    typer.Option(
        help="The topic's kind: options, proposal, draft, problem, process or plan "
        "(default: detected from the topic and the program)."
    ),
]
MediumOption = Annotated[
    str, typer.Option(help="room or online: how long the red hat's dot vote takes.")
]
AudienceOption = Annotated[
    str, typer.Option(help="participants, or facilitator (adds notes, time cues, outcome).")
]
AttendeesOption = Annotated[
    Optional[str],
    typer.Option(help="Comma-separated: 'Ann <ann@example.org>, Bob'. E-mails go in ICS."),
]
OwnerOption = Annotated[Optional[str], typer.Option(help="Who owns the decision.")]
WhereOption = Annotated[Optional[str], typer.Option(help="The room, or the call's link.")]
OfflineOption = Annotated[
    bool, typer.Option("--offline", help="No model: questions from the question banks.")
]
FromReportOption = Annotated[
    Optional[Path],
    typer.Option("--from-report", help="Build on a saved `analyze --format json` report."),
]
NotesTemplateOption = Annotated[
    bool,
    typer.Option(
        "--notes-template", help="Write an empty note-taking template for `sixhats minutes`."
    ),
]
BriefFormatOption = Annotated[
    Optional[str],
    typer.Option("--format", help="md, html, json or ics (default: from -o, else md)."),
]
BriefOutputOption = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="Write the brief to a file (atomically).")
]
PaperOption = Annotated[str, typer.Option(help="HTML page size: auto, A4 or letter.")]


def _brief_format(fmt: str | None, output: Path | None) -> str:
    if fmt is None:
        from sixhats_ai.files import format_of

        fmt = format_of(output, BRIEF_FORMATS) if output is not None else "md"
    if fmt not in BRIEF_FORMATS.values():
        raise UsageError(f"unknown format {fmt!r}", hint="use md, html, json or ics")
    if output is not None:
        from sixhats_ai.files import check_writable

        check_writable(output)  # now, not after the model has been asked
    return fmt


def _brief_args(params: dict[str, Any], calendar: bool, offline: bool) -> BriefArgs:
    """The library's arguments from the command's parameters."""
    from sixhats_ai.briefs.api import BriefArgs

    return BriefArgs(
        program=params["program"],
        minutes=params["minutes"],
        participants=params["participants"],
        medium=params["medium"],
        start=params["start"],
        clock=params["clock"],
        kind=params["kind"],
        audience=params["audience"],
        attendees=params["attendees"],
        owner=params["owner"],
        where=params["where"],
        include_optional=not params["skip_optional"],
        offline=offline,
        report=params["from_report"],
        prompts_dir=params["prompts_dir"],
        calendar=calendar,
        keep=not params["no_log"],
        use_cache=not params["no_cache"],
    )


def _model_args(flags: ProviderFlags, options: RunOptions) -> BriefArgs:
    """The provider, config and options of a tailored brief, with the local engine loaded and
    the server named on stderr before the request."""
    from sixhats_ai.backends.provider import resolve_provider
    from sixhats_ai.cli.local import start_engine
    from sixhats_ai.config import load_config

    config = load_config()
    provider = resolve_provider(flags, config)
    start_engine(provider)
    echo_err(f"sixhats brief: asking {provider.model} at {provider.display_url}")
    return {"provider": provider, "config": config, "options": options}


def _model_summary(made: Brief, args: BriefArgs) -> None:
    """What the tailored brief's request cost, and the local engine's speeds."""
    from sixhats_ai.cli.local import engine_summary

    usage = made.usage
    if usage is not None:
        echo_err(
            f"done: {counted(usage.requests, 'request')}, "
            f"{usage.total_tokens} tokens, ${usage.cost_usd:.4f}"
        )
    if "provider" in args:
        engine_summary(args["provider"])


@app.command()
def brief(
    ctx: typer.Context,
    problem: TopicArgument = None,
    file: TopicFileOption = None,
    program: BriefProgramOption = None,
    minutes: MinutesOption = None,
    participants: ParticipantsOption = None,
    start: StartOption = None,
    clock: ClockOption = "hh:mm",
    medium: MediumOption = "room",
    kind: KindOption = None,
    audience: AudienceOption = "participants",
    attendees: AttendeesOption = None,
    owner: OwnerOption = None,
    where: WhereOption = None,
    offline: OfflineOption = False,
    from_report: FromReportOption = None,
    notes_template_: NotesTemplateOption = False,
    fmt: BriefFormatOption = None,
    output: BriefOutputOption = None,
    quiet: QuietOption = False,
    paper: PaperOption = "auto",
    skip_optional: SkipOptionalOption = False,
    prompts_dir: PromptsDirOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = None,
    local: LocalOption = False,
    pull: PullOption = False,
    timeout: TimeoutOption = RunOptions.timeout,
    max_tokens: MaxTokensOption = None,
    max_reasks: MaxReasksOption = RunOptions.max_reasks,
    mode: ModeOption = None,
    no_cache: NoCacheOption = False,
    no_log: NoLogOption = False,
) -> None:
    """Write a pre-meeting brief: purpose, timed agenda, hat guide, questions, pre-work.

    Questions are tailored by one model request, or come from the question banks with
    --offline (no model, no key), or build on a saved report with --from-report (no request).
    --audience facilitator adds the facilitator notes, time-keeping cues and the outcome.

    Example: sixhats brief "Replace our on-call rota?" --minutes 45 --participants 6 --offline
    """
    from sixhats_ai.briefs.api import brief as make_brief
    from sixhats_ai.prompts import user_library
    from sixhats_ai.render.brief import PAPERS, notes_template, render_brief
    from sixhats_ai.text.inputs import read_problem

    chosen_format = _brief_format("md" if notes_template_ else fmt, output)
    page = next((p for p in PAPERS if p.lower() == paper.lower()), None)
    if page is None:
        raise UsageError(f"unknown paper {paper!r}", hint="use auto, A4 or letter")
    from_topic = from_report is None or problem is not None or file is not None
    topic = read_problem(problem, file) if from_topic else None  # else the report's problem
    args = _brief_args(ctx.params, chosen_format == "ics", offline or notes_template_)
    asking = not args["offline"] and from_report is None
    if asking:  # resolved here, so the engine is loaded and the server named first
        flags = provider_flags(model, base_url, api_key, profile, local=local, pull=pull)
        args.update(_model_args(flags, run_options(ctx.params)))
    made = make_brief(topic, **args)
    for warning in made.warnings:
        echo_err(f"warning: {warning}")
    if asking:
        _model_summary(made, args)
    library = user_library(prompts_dir)
    if notes_template_:
        write_output(notes_template(made, library), output)
        return
    write_output(render_brief(made, chosen_format, library, page), output)
