"""A brief as Markdown, as a printable HTML page, or as a calendar event.

Markdown and HTML come from the templates in `prompts/brief/`, so a user can restyle them by
overriding the files; the calendar event is built with `icalendar`, its description the
Markdown brief.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Literal

from sixhats_ai.briefs.model import Brief
from sixhats_ai.errors import UsageError, option
from sixhats_ai.method.hats import HATS
from sixhats_ai.prompts import PromptLibrary

Paper = Literal["auto", "A4", "letter"]
PAPERS: tuple[Paper, ...] = ("auto", "A4", "letter")


def brief_markdown(brief: Brief, library: PromptLibrary) -> str:
    return library.render_text("brief/brief.md.j2", {"brief": brief})


def brief_html(brief: Brief, library: PromptLibrary, paper: Paper = "auto") -> str:
    colours = {hat.value: info.colour for hat, info in HATS.items()}
    return library.render_text(
        "brief/brief.html.j2", {"brief": brief, "colours": colours, "paper": paper}
    )


def notes_template(brief: Brief, library: PromptLibrary) -> str:
    """An empty note-taking template for the meeting, which `sixhats minutes` reads back."""
    return library.render_text("brief/notes-template.md.j2", {"brief": brief})


def ics_needs_a_date() -> UsageError:
    """A calendar event is dated: a brief without its start's date cannot be one."""
    return UsageError(
        "an ICS brief (a calendar event) needs the meeting's date and time",
        hint=f"pass {option('start')} with a date, e.g. {option('start')} 2026-12-01T14:00",
    )


def brief_ics(brief: Brief, library: PromptLibrary) -> str:
    """One calendar event spanning the meeting, the agenda and questions in its description;
    the place as its LOCATION, and each attendee with an e-mail address as an ATTENDEE.

    The UID comes from the start and the topic, so a brief sent again updates the same event.
    """
    if brief.start is None:
        raise ics_needs_a_date()
    from icalendar import Calendar, Event, vCalAddress

    from sixhats_ai.version import __version__

    start = brief.start.astimezone(UTC) if brief.start.tzinfo else brief.start
    summary = f"Six Thinking Hats: {brief.framing}"
    uid = hashlib.sha256(f"{start.isoformat()}\n{brief.topic}".encode()).hexdigest()[:32]
    event = Event()
    event.add("uid", f"{uid}@sixhats")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=brief.minutes))
    event.add("summary", " ".join(summary.split()))
    event.add("description", brief_markdown(brief, library))
    if brief.where:
        event.add("location", brief.where)
    for person in brief.attendees:
        if person.email:
            address = vCalAddress(f"mailto:{person.email}")
            address.params["cn"] = person.name
            address.params["role"] = "REQ-PARTICIPANT"
            event.add("attendee", address, encode=False)
    calendar = Calendar()
    calendar.add("prodid", f"-//sixhats {__version__}//sixhats brief//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def render_brief(brief: Brief, fmt: str, library: PromptLibrary, paper: Paper = "auto") -> str:
    """The brief in one of `md`, `html`, `json` or `ics`."""
    if fmt == "json":
        return brief.model_dump_json(indent=2)
    if fmt == "html":
        return brief_html(brief, library, paper)
    if fmt == "ics":
        return brief_ics(brief, library)
    return brief_markdown(brief, library)
