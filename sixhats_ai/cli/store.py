"""The run store's own commands: `store check` and `store recover`."""

from __future__ import annotations

from typing import Annotated

import typer

from sixhats_ai.cli.app import command_group
from sixhats_ai.text.plural import counted

# Damaged rows `store check` names before it counts the rest: a badly damaged store has
# hundreds, and the answer wanted is whether it is damaged and what to do.
ROWS_NAMED = 5

store_app = command_group(
    "store",
    "Check the run store, or recover what a damaged one still holds.\n\n"
    "Example: sixhats store check",
)


@store_app.command("check")
def store_check(
    every: Annotated[
        bool, typer.Option("--all", help="Name every damaged row, not only the first few.")
    ] = False,
) -> None:
    """Check every page and every row of the run store; exit 2 if it is damaged.

    The first damaged rows are named, with the run id or request key each had; --all names
    every one.

    Example: sixhats store check
    """
    from sixhats_ai.runs import Store

    store = Store()
    checked = store.check()
    if checked is None:
        typer.echo(f"no store yet at {store.path}")
        return
    named = checked.damaged if every else checked.damaged[:ROWS_NAMED]
    for row in named:
        typer.echo(f"damaged: {row.describe()}")
    if more := len(checked.damaged) - len(named):
        typer.echo(f"… and {counted(more, 'more damaged row')} (`--all` names every one)")
    if (error := checked.error()) is not None:
        raise error
    runs, requests = counted(checked.runs, "run"), counted(checked.requests, "request")
    size = checked.size_bytes / 1e6
    typer.echo(f"ok: {store.path}, {runs}, {requests}, {size:.1f} MB")


@store_app.command("recover")
def store_recover() -> None:
    """Copy what a damaged run store still holds into a new one; keep the damaged file.

    The damaged file is kept beside the new store as runs.sqlite3.damaged-<time>.
    A sound store is left as it is.

    Example: sixhats store recover
    """
    from sixhats_ai.runs import Store

    store = Store()
    path, result = store.path, store.recover()
    if result is None:
        typer.echo(f"no store yet at {path}: nothing to recover")
        return
    if result.damaged_copy is None:
        typer.echo(f"{path} is sound: nothing to recover")
        return
    counts = ", ".join(
        _rows(n, table) for table, n in result.kept.items() if n or table in ("runs", "requests")
    )
    left_out = f"; {counted(result.unusable, 'damaged record')} left out" if result.unusable else ""
    typer.echo(
        f"recovered {counts} into a new {path.name}{left_out}; "
        f"the damaged file is kept as {result.damaged_copy.name}"
    )


def _rows(n: int, table: str) -> str:
    """`1 run`, `3 batch rounds`: a count of a table's rows (each table is named in the plural)."""
    plural = table.replace("_", " ")
    return counted(n, plural.removesuffix("s"), plural)
