"""``trendwatch runs``: list the stored runs (the default) or prune old ones.

``trendwatch runs`` and ``trendwatch runs list`` list; ``trendwatch runs prune`` removes runs
with all their rows (:mod:`trendwatch.prune`) and compacts the store file
(:mod:`trendwatch.compact`).
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson
import pandas as pd

from ..errors import StoreError
from ..prune import prune_runs
from ..runs import list_all_runs
from ..store import default_db_path, open_store
from ..wording import plural
from .options import db_option, json_option, print_json, shown_time, tz_option, zoned_input
from .shrinking import change_and_shrink
from .tables import format_table

__all__ = ["COMMANDS"]

_LIST_COLUMNS = [
    "run_id", "kind", "method", "created_at", "version", "fingerprint", "params", "changed",
]  # fmt: skip


lake_option = click.option(
    "--lake",
    type=click.Path(file_okay=False),
    default=None,
    help="List the runs the Spark engine wrote back to this lake instead of the store's.",
)


@click.group("runs", invoke_without_command=True)
@db_option
@lake_option
@json_option
@tz_option
@click.pass_context
def runs_group(ctx, db, lake, as_json) -> None:
    """List the stored runs (also `runs list`); `runs prune` removes old ones.

    Each run: its kind (coordination or groups), method(s), parameters, version and input
    fingerprint. A groups run's JSON also names the coordination run it read for each method.
    With --lake DIR: the runs written back to that lake (`--engine spark`).
    """
    ctx.ensure_object(dict).update(db=db, lake=lake)
    if ctx.invoked_subcommand is None:
        _print_runs(db, lake, as_json)


@runs_group.command("list")
@db_option
@lake_option
@json_option
@tz_option
@click.pass_context
def list_command(ctx, db, lake, as_json) -> None:
    """List the stored runs, oldest first."""
    _print_runs(db or ctx.obj.get("db"), lake or ctx.obj.get("lake"), as_json)


def _runs_store(db, lake):
    if lake is None:
        return open_store(db, read_only=True)
    from ..engines.lake_evidence import lake_runs_store

    return lake_runs_store(lake)


def _print_runs(db, lake, as_json: bool) -> None:
    with _runs_store(db, lake) as store:
        runs = list_all_runs(store)
    if as_json:
        print_json(runs.to_dict("records"))
        return
    shown = runs.assign(
        created_at=runs["created_at"].map(shown_time),
        params=runs["params"].map(lambda params: orjson.dumps(params).decode()),
    )
    rows = shown[_LIST_COLUMNS].values.tolist()
    click.echo(format_table(_LIST_COLUMNS, rows, numeric_from=len(_LIST_COLUMNS)))


@runs_group.command("prune")
@click.option("--before", help="Remove runs created before this time (ISO 8601; --tz zone).")
@click.option(
    "--keep-latest",
    type=click.IntRange(min=0),
    help="Keep the N latest runs of each kind (with --before: of the runs before it).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Only runs of this kind: groups, coordination, coordination:co-link... "
    "(repeat for several; default: every kind).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@click.option(
    "--with-alert-runs",
    is_flag=True,
    help="Also remove the groups runs that stored alerts name (kept by default); those alerts "
    "are then marked run_pruned_at.",
)
@click.option(
    "--no-compact",
    is_flag=True,
    help="Do not rewrite the file (it then keeps most of its size; later writes reuse it).",
)
@db_option
@json_option
@tz_option
@click.pass_context
def prune_command(
    ctx, before, keep_latest, kinds, dry_run, with_alert_runs, no_compact, db, as_json
) -> None:
    """Remove old runs with all their rows, then shrink the store file.

    A run goes with its edges, evidence, group members, edges and scores. A coordination run
    that a kept groups run read is kept (the table says so): prune that groups run too and it
    goes. A groups run that a stored alert names is kept, with the runs it read, so that the
    alert's `evidence --run` still works; --with-alert-runs removes them too and marks each
    such alert run_pruned_at. DuckDB does not shrink a file on DELETE (a CHECKPOINT makes the
    space reusable but gives little of it back), so the store is then copied into a new file
    (COPY FROM DATABASE) which is renamed over it while the store is locked; --no-compact skips
    that step. The copy needs free disk space for the compacted store.
    """
    db = db or ctx.obj.get("db") or str(default_db_path())
    if not Path(db).is_file():
        raise StoreError(f"no store at {db}: run `trendwatch ingest` first")
    pruned, sizes = change_and_shrink(
        db,
        lambda store: prune_runs(store, before=zoned_input(before), keep_latest=keep_latest,
                                 kinds=kinds, dry_run=dry_run, with_alert_runs=with_alert_runs),
        compact=not no_compact,
        changed=lambda pruned: not (dry_run or pruned.removed.empty),
    )  # fmt: skip
    if as_json:
        print_json(_prune_json(pruned, sizes))
        return
    click.echo(_prune_summary(pruned, db, sizes))
    table = _prune_table(pruned)
    if not table.empty:
        click.echo(format_table(list(table.columns), table.values.tolist(), numeric_from=4))


def _prune_json(pruned, sizes: list[int]) -> dict:
    """The prune as JSON; ``bytes``: the file's size before, after the prune's CHECKPOINT and
    (when compacted) after compaction."""
    return {
        "dry_run": pruned.dry_run,
        "removed": pruned.removed.to_dict("records"),
        "kept_in_use": pruned.kept_in_use.to_dict("records"),
        "kept_for_alerts": pruned.kept_for_alerts.to_dict("records"),
        "alerts_marked": pruned.alerts_marked,
        "rows": pruned.rows,
        "bytes": dict(zip(["before", "checkpointed", "compacted"], sizes, strict=False)),
    }


def _prune_summary(pruned, db, sizes: list[int]) -> str:
    verb = "would remove" if pruned.dry_run else "removed"
    line = f"{verb} {plural(len(pruned.removed), 'run')}"
    if pruned.rows:
        line += f" and {plural(sum(pruned.rows.values()), 'row')}"
    if not pruned.kept_for_alerts.empty:
        line += (
            f"; kept {plural(len(pruned.kept_for_alerts), 'groups run')} that stored alerts name "
            "(--with-alert-runs removes them)"
        )
    if not pruned.kept_in_use.empty:
        line += f"; kept {plural(len(pruned.kept_in_use), 'run')} read by a groups run that stays"
    if pruned.alerts_marked:
        marked = "would be marked" if pruned.dry_run else "marked"
        line += (
            f"; {plural(pruned.alerts_marked, 'stored alert')} named a removed run "
            f"({marked} run_pruned_at)"
        )
    if len(sizes) == 3:
        line += (
            f"\n{db}: {_mb(sizes[0])} -> {_mb(sizes[2])} (compacted; "
            f"{_mb(sizes[1])} after DELETE and CHECKPOINT)"
        )
    elif len(sizes) == 2:
        line += f"\n{db}: {_mb(sizes[0])} -> {_mb(sizes[1])} (not compacted)"
    return line


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _prune_table(pruned) -> pd.DataFrame:
    """One row per run removed or kept: run_id, kind, created_at, what happened."""
    done = "would remove" if pruned.dry_run else "removed"
    removed = pruned.removed.assign(action=done)
    kept = pruned.kept_in_use.assign(action="kept: read by a groups run that stays")
    for_alerts = pruned.kept_for_alerts.assign(action="kept: a stored alert names it")
    table = pd.concat([removed, for_alerts, kept], ignore_index=True)
    table = table.reindex(columns=["run_id", "kind", "created_at", "action"])
    return table.assign(created_at=table["created_at"].map(shown_time))


COMMANDS = [runs_group]
