"""The run store's own commands: `store check` and `store recover`."""

from __future__ import annotations

import typer

from sixhats_ai.cli.app import command_group
from sixhats_ai.text.plural import counted

store_app = command_group(
    "store",
    "Check the run store, or recover what a damaged one still holds.\n\n"
    "Example: sixhats store check",
)


@store_app.command("check")
def store_check() -> None:
    """Check every page of the run store; exit 2 if it is damaged.

    Example: sixhats store check
    """
    from sixhats_ai.store.database import RunStore, default_store_path

    path = default_store_path()
    if not path.exists():
        typer.echo(f"no store yet at {path}")
        return
    with RunStore(path) as store:  # opening checks it, and refuses a damaged one
        runs, requests = store.count("runs"), store.count("requests")
    size = path.stat().st_size / 1e6
    typer.echo(f"ok: {path}, {counted(runs, 'run')}, {counted(requests, 'request')}, {size:.1f} MB")


@store_app.command("recover")
def store_recover() -> None:
    """Copy what a damaged run store still holds into a new one; keep the damaged file.

    The damaged file is kept beside the new store as runs.sqlite3.damaged-<time>.
    A sound store is left as it is.

    Example: sixhats store recover
    """
    from sixhats_ai.store.database import default_store_path
    from sixhats_ai.store.recover import recover

    path = default_store_path()
    if not path.exists():
        typer.echo(f"no store yet at {path}: nothing to recover")
        return
    result = recover(path)
    if result.damaged_copy is None:
        typer.echo(f"{path} is sound: nothing to recover")
        return
    counts = ", ".join(f"{result.kept[t]} of {result.slots[t]} {t}" for t in result.kept)
    typer.echo(
        f"recovered {counts} into a new {path.name}; "
        f"the damaged file is kept as {result.damaged_copy.name}"
    )
