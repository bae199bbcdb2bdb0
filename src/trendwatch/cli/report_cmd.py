"""``trendwatch report``: write the self-contained HTML report (one library call)."""

from __future__ import annotations

import click

from ..report import write_report
from ..store import open_store
from .options import (
    current_zone,
    db_option,
    engine_options,
    fold_option,
    recording_store,
    tz_option,
)
from .progress import step_progress

__all__ = ["COMMANDS"]


@click.command("report")
@click.option("--hashtag", "hashtags", multiple=True, help="A campaign to show (repeatable).")
@click.option("--compare", nargs=2, metavar="A B", default=None, help="Two hashtags to compare.")
@click.option(
    "-o", "--out", "out", type=click.Path(dir_okay=False), default="report.html",
    show_default=True, help="The HTML file to write.",
)  # fmt: skip
@click.option(
    "--read-only", is_flag=True,
    help="Open the store read-only (coordination runs are then not recorded).",
)  # fmt: skip
@fold_option
@db_option
@tz_option
@engine_options
def report_command(hashtags, compare, out, read_only, fold, db, engine, lake, spark_master) -> None:
    """Write one HTML file (opens offline): trends, campaigns, groups, evidence, quality.

    With no --hashtag, the campaigns are the hashtags of the biggest trend onsets. On a
    terminal, standard error shows the step being computed. Times are shown in the --tz
    zone with its name; the data blocks inside the file stay in UTC. With --engine spark
    --lake DIR the analyses run on Spark and the groups' runs are written back to the lake
    (--read-only applies to the DuckDB store only); the sections that need the DuckDB store
    say so.
    """
    progress = step_progress()
    with _report_store(engine, db, lake, spark_master, read_only) as store, progress:
        path = write_report(store, out, hashtags=list(hashtags) or None, compare=compare,
                            fold_variants=fold, progress=progress, tz=current_zone())  # fmt: skip
    click.echo(str(path.resolve()))


def _report_store(engine, db, lake, spark_master, read_only: bool):
    if engine == "duckdb" and lake is None:
        return open_store(db, read_only=read_only)
    return recording_store(engine, db, lake, spark_master)


COMMANDS = [report_command]
