"""Exploring the method offline: `hats`, `programs`, `prompts`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sixhats_ai.cli.app import app, command_group, echo_err, programs_dir
from sixhats_ai.cli.options import ProgramsDirOption, PromptsDirOption
from sixhats_ai.errors import UsageError

if TYPE_CHECKING:
    from sixhats_ai.config import Config

programs_app = command_group(
    "programs",
    "List the programs, or show one.\n\nExample: sixhats programs show choose",
    lists=True,
)
prompts_app = command_group(
    "prompts",
    "List the prompt templates, or print one.\n\nExample: sixhats prompts show black",
    lists=True,
)


def _box(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


@app.command()
def hats() -> None:
    """The six hats: direction, technique and default time box.

    Example: sixhats hats
    """
    from sixhats_ai.method.hats import HATS

    for info in HATS.values():
        typer.echo(f"{info.hat.value:<7} {info.overview}")
        typer.echo(f"        direction: {info.direction}")
        typer.echo(f"        technique: {info.technique}")
        typer.echo(f"        time box:  about {_box(info.time_box_seconds)}")


@programs_app.callback()
def programs_list(ctx: typer.Context, programs_dir_: ProgramsDirOption = None) -> None:
    """List the programs (slug, name, hat sequence)."""
    if ctx.invoked_subcommand is not None:
        return
    from sixhats_ai.method.programs import load_programs

    problems: list[tuple[Path, UsageError]] = []
    for program in load_programs(programs_dir(programs_dir_), problems).values():
        typer.echo(f"{program.slug:<20} {program.name}: {program.sequence}")
    for _, problem in problems:
        echo_err(f"warning: skipped {problem.one_line()}")


@programs_app.command("show")
def programs_show(
    program: Annotated[str, typer.Argument(help="Slug, full name, or path to a .toml file.")],
    programs_dir_: ProgramsDirOption = None,
) -> None:
    """Show a program's steps with hats, optional steps, focus and time boxes.

    Example: sixhats programs show choose
    """
    from sixhats_ai.method.agenda import step_boxes
    from sixhats_ai.method.programs import find_program

    found = find_program(program, programs_dir(programs_dir_))
    typer.echo(f"{found.name} ({found.slug}): {found.sequence}")
    if found.summary:
        typer.echo(found.summary)
    for box in step_boxes(found):
        planned = box.step
        notes: list[str] = [planned.role]
        if planned.step.optional:
            notes.append("optional")
        if planned.step.extended:
            notes.append("extended")
        if planned.step.model:
            notes.append(f"model {planned.step.model}")
        if box.sized_as is not None:
            notes.append(f"{box.sized_as}, for {box.group} people")
        label = f"{planned.id:<10} {planned.step.label:<32} {_box(box.seconds):>8}"
        typer.echo(f"  {label}  ({', '.join(notes)})")


@prompts_app.callback()
def prompts_list(ctx: typer.Context, prompts_dir: PromptsDirOption = None) -> None:
    """List the prompt templates and where each comes from."""
    if ctx.invoked_subcommand is not None:
        return
    from sixhats_ai.prompts import user_library

    library = user_library(prompts_dir)
    for name in library.names():
        _, filename = library.source(name)
        user = library.user_dir is not None and filename.startswith(str(library.user_dir))
        typer.echo(f"{name:<28} {'user' if user else 'packaged'}")


@prompts_app.command("show")
def prompts_show(
    name: Annotated[str, typer.Argument(help="A hat (black), 'framing', 'synthesis' or a file.")],
    prompts_dir: PromptsDirOption = None,
) -> None:
    """Print a template's source.

    Example: sixhats prompts show black
    """
    from sixhats_ai.prompts import user_library

    library = user_library(prompts_dir)
    text, _ = library.source(name if name.endswith((".j2", ".toml")) else f"{name}.j2")
    typer.echo(text, nl=not text.endswith("\n"))


@prompts_app.command("copy")
def prompts_copy(
    name: Annotated[str, typer.Argument(help="A hat (red), 'framing', 'synthesis' or a file.")],
    to: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--to", help="Folder to copy into (default: the config dir's prompts/)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing copy.")] = False,
) -> None:
    """Copy a packaged template into your prompts folder, to edit it there.

    Refuses to replace a copy you have (your edits) unless --force.

    Example: sixhats prompts copy red
    """
    from sixhats_ai.config import user_prompts_dir
    from sixhats_ai.prompts import copy_template

    target = copy_template(
        name if name.endswith((".j2", ".toml")) else f"{name}.j2",
        to or user_prompts_dir(),
        force=force,
    )
    echo_err(f"wrote {target}; edit it there, it overrides the packaged one")


@app.command("config")
def show_config() -> None:
    """Where sixhats keeps its files, the model analyze would use, and the profiles.

    The model is found exactly as `analyze` finds it (a local server is probed when nothing
    is set); keys are never shown.

    Example: sixhats config
    """
    from sixhats_ai.backends.provider import mask_credentials
    from sixhats_ai.config import config_dir, data_dir, load_config, user_prompts_dir
    from sixhats_ai.runs import Store

    path = config_dir() / "config.toml"
    config = load_config(path)
    typer.echo(f"config file:  {path}{'' if path.exists() else ' (not created yet)'}")
    typer.echo(f"programs dir: {programs_dir()}")
    typer.echo(f"prompts dir:  {user_prompts_dir()}")
    typer.echo(f"data dir:     {data_dir()}")
    typer.echo(f"run store:    {Store().path}{'' if config.log else ' (off: log = false)'}")
    typer.echo(f"default profile: {config.default_profile or '(none)'}")
    _show_model(config)
    for name, profile in config.profiles.items():
        key = (
            f"key from ${profile.api_key_env}"
            if profile.api_key_env
            else ("key in file" if profile.api_key else "no key")
        )
        server = "the local engine" if profile.backend == "local" else "OpenAI"
        typer.echo(
            f"  {name}: {mask_credentials(profile.base_url or server)}, "
            f"model {profile.model or '(default)'}, {key}"
        )


def _show_model(config: Config) -> None:
    """What `analyze` would use, resolved the same way, or why it could not run."""
    from sixhats_ai.backends.provider import ProviderFlags, resolve_provider
    from sixhats_ai.errors import ConfigError
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.session import planned_window

    try:
        provider = resolve_provider(ProviderFlags(), config)
    except ConfigError as problem:
        typer.echo(f"model:        none: analyze would stop here: {problem.one_line()}")
        return
    typer.echo(f"model:        {provider.model} at {provider.display_url} ({provider.origin})")
    if provider.hat_models:
        by_role = ", ".join(f"{role} {model}" for role, model in provider.hat_models.items())
        typer.echo(f"models by step: {by_role}")
    window = planned_window(provider, RunOptions(), config, probe=True)
    typer.echo(
        f"context:      {window.tokens} tokens for {provider.model} at {provider.display_url} "
        f"(from {window.source})"
    )
    if window.warning:
        echo_err(window.warning)
