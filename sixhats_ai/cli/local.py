"""`sixhats local pull|list|rm`: the model files of the embedded engine; and what a run on the
engine says before and after it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sixhats_ai.cli.app import command_group, echo_err

if TYPE_CHECKING:
    from sixhats_ai.backends.provider import Provider

local_app = command_group(
    "local",
    "The embedded model (llama.cpp in this process): pull, list and remove model files.\n\n"
    "Example: sixhats local pull",
)


@local_app.command("pull")
def pull_model(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A catalogue name (see `sixhats local list --catalogue`), a hub file as "
            "owner/repo/file.gguf, or nothing for the default model.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Download a GGUF model into the cache; an interrupted pull resumes where it stopped.

    Example: sixhats local pull qwen2.5-1.5b
    """
    from sixhats_ai.local.api import LocalModels

    typer.echo(str(LocalModels().pull(name, announce=echo_err)))


@local_app.command("list")
def list_models(
    catalogue: Annotated[
        bool, typer.Option("--catalogue", help="List the models one can pull instead.")
    ] = False,
) -> None:
    """The pulled models, their sizes, and which one is the default (*).

    Example: sixhats local list
    """
    from sixhats_ai.local.api import LocalModels

    local = LocalModels()
    if catalogue:
        for known in local.catalogue():
            entry, mark = known.model, "*" if known.default else " "
            typer.echo(
                f"{mark} {entry.name:<16} {entry.size_text:>8}  {entry.licence:<10} "
                f"context {entry.context_length:>6}  n_ctx {entry.n_ctx:>5}  "
                f"{'pulled' if known.pulled else ''}".rstrip()
            )
        return
    models = local.pulled()
    if not models:
        default = local.default()
        echo_err(
            f"no model pulled yet: sixhats local pull downloads the default, {default.name} "
            f"({default.size_text})"
        )
        return
    for model in models:
        mark = "*" if model.is_default else " "
        typer.echo(f"{mark} {model.name:<24} {model.size_text:>8}  {model.path}")


@local_app.command("rm")
def remove_model(
    name: Annotated[str, typer.Argument(help="The name `sixhats local list` shows.")],
) -> None:
    """Delete a pulled model file.

    Example: sixhats local rm qwen2.5-1.5b
    """
    from sixhats_ai.local.api import LocalModels

    removed = LocalModels().remove(name)
    echo_err(f"removed {removed.name} ({removed.size_text})")


def start_engine(provider: Provider, concurrency: int | None = None) -> None:
    """Before a run on the local engine: why it is used, what a --concurrency the user gave
    means for it (None: the command has none, or it was left at its default, so no note
    names a flag nobody typed), and the model loaded now, before the event loop starts (a
    load cannot be interrupted)."""
    from sixhats_ai.session import preload_engine

    for note in provider.engine_notes(concurrency or 1):
        echo_err(note)
    preload_engine(provider)


def engine_summary(provider: Provider) -> None:
    """After a run on the local engine: its load time and speeds, in one line on stderr."""
    if provider.engine_stats is not None and provider.engine_stats.requests:
        echo_err(provider.engine_stats.summary())
