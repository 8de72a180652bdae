"""The tools that make something: `analyze`, `brief` and `minutes`.

Each checks its input (a program that exists, files under the allowed roots) before any model
is chosen or asked, chooses the model (`model_choice`), and calls the library through one
adapter (`library`). Their inputs are typed, so the client sees each field's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from sixhats_ai.config import Config, load_config
from sixhats_ai.errors import UsageError
from sixhats_ai.mcp_server.inputs import (
    Input,
    PathInput,
    allowed_path,
    allowed_roots,
    plain_source,
    read_documents,
)
from sixhats_ai.mcp_server.model_choice import ChosenModel, ProviderCache, choose_model
from sixhats_ai.mcp_server.progress import progress_total, step_progress
from sixhats_ai.mcp_server.results import result
from sixhats_ai.method.participants import MAX_PARTICIPANTS, Participant, RosterRequest
from sixhats_ai.text.documents import sanitize

if TYPE_CHECKING:
    from sixhats_ai.mcp_server.library import Kept
    from sixhats_ai.method.programs import Program
    from sixhats_ai.run.options import RunOptions

ProgramField = Annotated[
    str, Field(description="A program's slug or name (see the `programs` tool), or 'choose'.")
]
Documents = Annotated[
    list[Input],
    Field(description="Context documents: each {path} (under the client's roots) or {text, name}."),
]
Participants = Annotated[
    Annotated[int, Field(ge=1, le=MAX_PARTICIPANTS)] | list[Participant] | None,
    Field(
        description=f"Who wears every hat: 1 to {MAX_PARTICIPANTS} people (name, role, knows, "
        "cares_about), or how many the opening blue should propose."
    ),
]


async def find(ctx: Context[Any, Any], program: str, options: RunOptions | None = None) -> Program:
    """A program by slug, name or file (the user's programs folder too), as `analyze` finds
    it, refused when it cannot run as `options` say. A file is read under the client's roots
    only, as a document is."""
    # The library, the OpenAI SDK and Jinja load on the first call, not at start-up.
    from sixhats_ai.api import program_for
    from sixhats_ai.method.programs import looks_like_path

    if looks_like_path(program):
        program = str(allowed_path(program, await allowed_roots(ctx, [PathInput(path=program)])))
    return program_for(program, options)


def kept_result(kept: Kept) -> CallToolResult:
    """A run's report, and where the store keeps it."""
    from sixhats_ai.render import report as render_report

    where = [f"Kept as run {kept.run_id}: sixhats://runs/{kept.run_id}"] if kept.run_id else []
    return result(kept.report, render_report(kept.report, "md"), *where)


def _text(value: str, what: str) -> str:
    text = sanitize(value).strip()
    if not text:
        raise UsageError(f"the {what} is empty", hint=f"describe the {what} in a sentence or more")
    return text


@dataclass
class MakingTools:
    """The tools that run a model (or, offline, the method alone), with the server's state."""

    providers: ProviderCache = field(default_factory=ProviderCache)

    async def model(self, ctx: Context[Any, Any]) -> tuple[ChosenModel, Config]:
        """The model this call runs on (see `model_choice`), and the config it was read from."""
        config = load_config()
        return await choose_model(ctx, self.providers, config), config

    async def analyze(
        self,
        problem: Annotated[str, Field(description="The problem or proposal, in plain words.")],
        ctx: Context[Any, Any],
        program: ProgramField = "choose",
        documents: Documents = [],  # noqa: B006 - pydantic copies a field's default
        flow: Literal["sequential", "parallel"] = "sequential",
        participants: Participants = None,
    ) -> CallToolResult:
        """Run a Six Thinking Hats program on a problem: each hat in turn, then blue's
        synthesis (recommendation, tensions, conditions, owners). Returns the report as JSON
        and as Markdown, and keeps the run (see `history`, `show`, sixhats://runs/{id})."""
        from sixhats_ai.mcp_server import library
        from sixhats_ai.run.options import RunOptions

        roster = None if participants is None else RosterRequest.of(participants)
        options = RunOptions(flow=flow, personas=roster)
        chosen_program = await find(ctx, program, options)
        text = _text(problem, "problem")
        docs, paths = read_documents(documents, await allowed_roots(ctx, documents))
        chosen, config = await self.model(ctx)
        total = progress_total(chosen_program, options.include_optional)
        async with step_progress(ctx, total) as on_event:
            kept = await library.analyze(
                chosen,
                config,
                text,
                chosen_program,
                docs,
                options,
                on_event=on_event,
                document_paths=paths,
            )
        return kept_result(kept)

    async def brief(
        self,
        topic: Annotated[str, Field(description="The meeting's question, proposal or problem.")],
        ctx: Context[Any, Any],
        program: ProgramField = "choose",
        minutes: Annotated[int | None, Field(ge=1, description="Meeting length.")] = None,
        participants: Annotated[int | None, Field(ge=1, description="How many attend.")] = None,
        start: Annotated[str | None, Field(description="HH:MM or 2026-12-01T14:00.")] = None,
        clock: Literal["hh:mm", "mm:ss"] = "hh:mm",
        kind: Literal["question", "proposal", "problem"] | None = None,
        audience: Literal["participants", "facilitator"] = "participants",
        attendees: Annotated[str | None, Field(description="'Ann <ann@x.org>, Bob'.")] = None,
        owner: Annotated[str | None, Field(description="Who owns the decision.")] = None,
        where: Annotated[str | None, Field(description="The room, or the call's link.")] = None,
        offline: Annotated[
            bool, Field(description="No model: the questions come from the question banks.")
        ] = False,
    ) -> CallToolResult:
        """Write a pre-meeting brief: purpose, timed agenda, hat guide, questions per hat and
        pre-work. Offline it needs no model; otherwise one model request tailors the
        questions. Returns the brief as JSON and as Markdown."""
        from sixhats_ai.briefs.api import BriefArgs, brief_request
        from sixhats_ai.mcp_server import library
        from sixhats_ai.prompts import user_library
        from sixhats_ai.render.brief import render_brief

        text = _text(topic, "topic")
        args: BriefArgs = {
            "program": await find(ctx, program),
            "minutes": minutes,
            "participants": participants,
            "start": start,
            "clock": clock,
            "kind": kind,
            "audience": audience,
            "attendees": attendees,
            "owner": owner,
            "where": where,
        }
        brief_request(text, args)  # a bad value or an impossible fit fails before any model
        chosen, config = (None, None) if offline else await self.model(ctx)
        made = await library.brief(chosen, config, text, args)
        return result(made, render_brief(made, "md", user_library(None)))

    async def minutes(
        self,
        notes: Annotated[Input, Field(description="The notes: Markdown, a heading a step.")],
        ctx: Context[Any, Any],
        program: ProgramField = "choose",
        votes: Annotated[
            Input | None, Field(description="Dot votes: CSV of participant,alternative,dots.")
        ] = None,
        topic: Annotated[str | None, Field(description="Default: the notes' title.")] = None,
        offline: Annotated[
            bool, Field(description="No model: the notes laid out by hat, with the votes.")
        ] = False,
        fill_gaps: Annotated[
            bool, Field(description="Let the model add points, marked as its own.")
        ] = False,
    ) -> CallToolResult:
        """Turn a meeting's notes (and dot votes) into minutes: offline, laid out by hat; with
        a model, into the report `analyze` gives, from the meeting's own points, kept as a
        run. Returns JSON and Markdown."""
        from sixhats_ai.mcp_server import library
        from sixhats_ai.meeting_minutes.api import MinutesArgs
        from sixhats_ai.meeting_minutes.api import minutes as offline_minutes
        from sixhats_ai.meeting_minutes.layout import render_minutes
        from sixhats_ai.prompts import user_library

        inputs: list[Input] = [notes, *([votes] if votes is not None else [])]
        roots = await allowed_roots(ctx, inputs)
        args: MinutesArgs = {
            "program": await find(ctx, program),
            "topic": topic,
            "fill_gaps": fill_gaps,
        }
        if votes is not None:
            args["votes"] = plain_source(votes, roots)
        source = plain_source(notes, roots)
        if offline:
            made = offline_minutes(source, offline=True, **args)
            return result(made, render_minutes(made, "md", user_library(None)))
        chosen, config = await self.model(ctx)
        return kept_result(await library.structured_minutes(chosen, config, source, args))
