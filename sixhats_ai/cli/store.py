"""The run store's own commands: `store check` and `store recover`."""

from __future__ import annotations

import typer

from sixhats_ai.cli.app import command_group

store_app = command_group(
    "store",
    "Check the run store, or recover what a damaged one still holds.\n\n"
    "Example: sixhats store check",
)


@store_app.command("check")
def store_check() -> None:
    """Check every page and every row of the run store; exit 2 if it is damaged.

    Each damaged row is listed, with the run id or request key it had.

    Example: sixhats store check
    """
    from sixhats_ai.errors import StoreDamaged
    from sixhats_ai.store.check import RECOVER_HINT, check_rows
    from sixhats_ai.store.database import RunStore, default_store_path

    path = default_store_path()
    if not path.exists():
        typer.echo(f"no store yet at {path}")
        return
    with RunStore(path) as store:  # opening checks its pages, and refuses a damaged one
        runs, requests = store.count("runs"), store.count("requests")
    if damaged := check_rows(path):
        for row in damaged:
            typer.echo(f"damaged: {row.describe()}")
        raise StoreDamaged(
            f"the run store {path} has {len(damaged)} damaged "
            f"{'row' if len(damaged) == 1 else 'rows'} (listed above); the others read",
            hint=RECOVER_HINT,
        )
    size = path.stat().st_size / 1e6
    typer.echo(f"ok: {path}, {runs} runs, {requests} requests, {size:.1f} MB")


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
    counts = ", ".join(
        f"{n} {table.replace('_', ' ')}"
        for table, n in result.kept.items()
        if n or table in ("runs", "requests")
    )
    left_out = f"; {result.unusable} damaged records left out" if result.unusable else ""
    typer.echo(
        f"recovered {counts} into a new {path.name}{left_out}; "
        f"the damaged file is kept as {result.damaged_copy.name}"
    )
