"""`brief()` and `brief_async()`: a pre-meeting brief as data (`Brief`), offline from the
question banks, tailored by one model request, or built on a saved report.

The CLI's `brief` and the MCP server call these with plain values; they print nothing and
return the `Brief`, which `render.brief` lays out as Markdown, HTML or a calendar event.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from sixhats_ai.briefs.compose import BriefRequest, build_brief, parse_attendees
from sixhats_ai.briefs.model import AUDIENCES, Attendee, Brief
from sixhats_ai.errors import UsageError, check_arguments
from sixhats_ai.method.agenda import MEDIA, Medium, parse_clock, parse_start
from sixhats_ai.method.emergent import refuse_emergent_brief
from sixhats_ai.method.programs import Program, find_program
from sixhats_ai.method.topic import parse_kind
from sixhats_ai.prompts import PromptLibrary, user_library

if TYPE_CHECKING:
    from sixhats_ai.backends.base import Backend
    from sixhats_ai.backends.provider import Provider, ProviderFlags
    from sixhats_ai.briefs.plan import TailoredPlan
    from sixhats_ai.config import Config
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.run.report import Report


class BriefArgs(TypedDict, total=False):
    """The keyword arguments of `brief` and `brief_async` beyond the topic."""

    program: (
        str | Program | None
    )  # a slug, name, file or Program (default: choose, or the report's)
    minutes: int | None  # the meeting's length (default: what the method needs for the group)
    participants: int | None
    medium: str  # "room" (default) or "online": sizes the red hat's dot vote
    start: str | None  # "14:00", or a date and time "2026-12-01T14:00"
    clock: str  # "hh:mm" (whole minutes, default) or "mm:ss" (half minutes)
    kind: str | None  # options, proposal, draft, problem, process or plan (default: detected)
    audience: str  # "participants" (default) or "facilitator"
    attendees: str | list[str] | None  # "Ann <ann@example.org>, Bob", or a list of them
    owner: str | None  # who owns the decision
    where: str | None  # the room, or the call's link
    include_optional: bool  # default True
    offline: bool  # no model: the question banks (default False)
    report: Report | Path | None  # build on a saved analysis: no request
    prompts_dir: Path | None  # templates and banks overriding the packaged ones
    calendar: bool  # to become a calendar event (ICS): its start needs a date (default False)
    options: RunOptions  # how to ask the model
    flags: ProviderFlags  # which server and model (else the environment and the config)
    provider: Provider
    config: Config
    backend: Backend  # what answers, instead of the provider's server or engine (an MCP host)
    keep: bool  # False: the tailoring answer is not kept in the store (default True)
    use_cache: bool  # False: asked again though the store has answered it (default True)


def _attendees(given: str | list[str] | None) -> list[Attendee]:
    if isinstance(given, list):
        given = ", ".join(given)
    return parse_attendees(given)


def _medium(text: str) -> Medium:
    if text not in MEDIA:
        raise UsageError(f"unknown medium {text!r}", hint="use room or online")
    return text


def brief_request(topic: str, args: BriefArgs, report: Report | None = None) -> BriefRequest:
    """The request, every value checked; a meeting that cannot fit fails here, before any
    request to a model."""
    from sixhats_ai.config import user_programs_dir

    program = args.get("program") or (report.program.slug if report else "choose")
    if isinstance(program, str):
        program = find_program(program, user_programs_dir())
    refuse_emergent_brief(program)
    audience = args.get("audience", "participants")
    if audience not in AUDIENCES:
        raise UsageError(f"unknown audience {audience!r}", hint="use participants or facilitator")
    start = args.get("start")
    request = BriefRequest(
        topic=topic,
        program=program,
        minutes=args.get("minutes"),
        participants=args.get("participants"),
        start=parse_start(start) if start is not None else None,
        include_optional=args.get("include_optional", True),
        kind=parse_kind(args.get("kind"), topic, program.slug),
        clock=parse_clock(args.get("clock", "hh:mm")),
        medium=_medium(args.get("medium", "room")),
        audience=audience,
        attendees=_attendees(args.get("attendees")),
        owner=args.get("owner"),
        where=args.get("where"),
    )
    if args.get("calendar", False) and not (request.start and request.start.dated):
        from sixhats_ai.render.brief import ics_needs_a_date

        raise ics_needs_a_date()
    request.agenda()
    return request


def _report(given: Report | Path | None) -> Report | None:
    if isinstance(given, Path):
        from sixhats_ai.run.saved_report import read_report

        return read_report(given)
    return given


async def _tailored(request: BriefRequest, library: PromptLibrary, args: BriefArgs) -> TailoredPlan:
    """The tailored brief's one request (and re-asks), through a session and the store's
    cache as `analyze` uses them."""
    import asyncio  # only here: no event loop in an offline brief's start-up

    from sixhats_ai.api import settled
    from sixhats_ai.briefs.plan import tailored_plan
    from sixhats_ai.session import open_session
    from sixhats_ai.store.cache import open_run_store

    options, config, provider = await asyncio.to_thread(settled, args)
    keep, use_cache = args.get("keep", True), args.get("use_cache", True)
    _, cache = open_run_store(config, provider.api_key, log=keep, read=use_cache)
    backend = args.get("backend")
    try:
        async with open_session(provider, options, config, cache=cache, backend=backend) as s:
            return await tailored_plan(s, library, request.topic, request.program, request.agenda())
    finally:
        if cache is not None:  # the store's connections: a server makes many calls
            cache.store.close()


def _prepared(topic: str | None, args: BriefArgs) -> tuple[BriefRequest, Report | None]:
    """The checked request, and the saved report it builds on, if any; the topic (or the
    report's problem) is the user's text, made safe."""
    from sixhats_ai.text.documents import sanitize

    check_arguments("brief", args, BriefArgs)
    if topic is not None and not isinstance(topic, str):
        raise UsageError(f"the topic must be text, not {type(topic).__name__}")
    report = _report(args.get("report"))
    text = sanitize(topic if topic is not None else report.problem if report else "").strip()
    if not text:
        raise UsageError("the topic is empty", hint="give the meeting's topic in a sentence")
    return brief_request(text, args, report), report


async def brief_async(topic: str | None = None, **args: Unpack[BriefArgs]) -> Brief:
    """A brief for a meeting on `topic` (or on the saved `report`'s problem).

    Offline, or with a `report`, no request is made. Else one model request tailors the
    purpose, framing, pre-work and questions; the steps a weak model could not answer take the
    banks' questions, and `Brief.bank_steps` names them.
    """
    request, report = _prepared(topic, args)
    library = user_library(args.get("prompts_dir"))
    if args.get("offline", False) or report is not None:
        return build_brief(library, request, report=report)
    return build_brief(library, request, plan=await _tailored(request, library, args))


def brief(topic: str | None = None, **args: Unpack[BriefArgs]) -> Brief:
    """Blocking twin of `brief_async`; offline and from a report, no event loop is started."""
    request, report = _prepared(topic, args)
    library = user_library(args.get("prompts_dir"))
    if args.get("offline", False) or report is not None:
        return build_brief(library, request, report=report)
    import asyncio  # only here: no event loop in an offline brief's start-up

    plan = asyncio.run(_tailored(request, library, args))
    return build_brief(library, request, plan=plan)
