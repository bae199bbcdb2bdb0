"""``trendwatch export``: the store in other forms. Here: ``--lake DIR``, the Parquet lake the
Spark engine reads (:func:`trendwatch.engines.export_lake`)."""

from __future__ import annotations

import click

from ..engines.lake import export_lake
from ..store import open_store
from .options import db_option, json_option, print_json

__all__ = ["COMMANDS"]


@click.command("export")
@click.option(
    "--lake",
    type=click.Path(file_okay=False),
    required=True,
    help="Write posts, accounts and quarantine as a Parquet lake (Hive: platform, day) here.",
)
@db_option
@json_option
def export_command(lake, db, as_json) -> None:
    """Export the store: --lake DIR writes the lake that `--engine spark` reads."""
    with open_store(db, read_only=True) as store:
        manifest = export_lake(store, lake)
    if as_json:
        print_json(manifest.__dict__)
        return
    rows = ", ".join(f"{n:,} {table}" for table, n in manifest.rows.items())
    click.echo(f"lake written: {rows} (fingerprint {manifest.fingerprint})")


COMMANDS = [export_command]
