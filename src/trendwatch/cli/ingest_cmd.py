"""``trendwatch ingest``, ``info`` and ``formats``."""

from __future__ import annotations

import sys
import time

import click

from ..errors import MappingError
from ..formats import FORMAT_ORDER, ReadOptions, get_format
from ..ingest import COUNT_FIELDS, IngestReport, ingest
from ..overview import overview
from ..store import open_store
from .options import db_option, json_option, print_json
from .tables import format_table, terminal_lines

__all__ = ["COMMANDS"]


def _parse_map(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column or not field:
            raise MappingError(
                f"--map {pair!r}: expected COLUMN=FIELD, e.g. --map tweet_id=post_id"
            )
        mapping[column] = field
    return mapping


class _Progress:
    """Records/s on one rewritten stderr line, only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()

    def __call__(self, records: int, _bytes: int) -> None:
        if self.enabled:
            rate = records / max(time.monotonic() - self.start, 1e-9)
            click.echo(f"\r{records:,} records  {rate:,.0f} records/s", nl=False, err=True)

    def done(self) -> None:
        if self.enabled:
            click.echo("", err=True)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--format", "format_", type=click.Choice(FORMAT_ORDER), help="Force a format.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Map a table column to a post field (repeatable), for any other table.",
)
@click.option(
    "--platform", default="x", show_default=True, help="Platform of table inputs that do not say."
)
@json_option
def ingest_command(paths, db, format_, mapping, platform, as_json) -> None:
    """Read archives (X v1.1/v2, CSV/Parquet, Mastodon, Bluesky) into the store."""
    options = ReadOptions(mapping=_parse_map(mapping), platform=platform)
    progress = _Progress(enabled=sys.stderr.isatty() and not as_json)
    report = ingest(paths, db, format=format_, options=options, progress=progress)
    progress.done()
    if as_json:
        print_json(report.to_dict())
    else:
        click.echo(_report_table(report))
    for failed in report.failed:
        click.echo(f"Error: {terminal_lines(failed.error)}", err=True)
    if report.failed:
        sys.exit(1)


def _report_table(report: IngestReport) -> str:
    rows = [[f.path, f.format or "-", *(getattr(f, n) for n in COUNT_FIELDS)] for f in report.files]
    rows.append(["total", "", *(report.totals[n] for n in COUNT_FIELDS)])
    return format_table(["file", "format", *COUNT_FIELDS], rows, numeric_from=2)


@click.command("info")
@db_option
@json_option
def info_command(db, as_json) -> None:
    """What the store holds: posts by platform and kind, time span, hashtags, quarantine."""
    with open_store(db, read_only=True) as store:
        summary = overview(store)
    if as_json:
        data = summary.to_dict()
        print_json(
            {
                k: data[k]
                for k in (
                    "posts",
                    "accounts",
                    "authors",
                    "by_platform",
                    "by_kind",
                    "first",
                    "last",
                    "quarantined",
                    "top_hashtags",
                    "context_posts",
                    "top_quarantine_reasons",
                )
            }
        )
        return
    click.echo(f"posts        {summary.posts:,}  (+{summary.context_posts:,} context posts)")
    click.echo(f"accounts     {summary.accounts:,} profiles; {summary.authors:,} authors posted")
    click.echo(f"first        {summary.first}")
    click.echo(f"last         {summary.last}")
    click.echo(f"quarantined  {summary.quarantined:,}")
    click.echo("")
    click.echo(format_table(["platform", "posts"], list(summary.by_platform.items())))
    click.echo("")
    click.echo(format_table(["kind", "posts"], list(summary.by_kind.items())))
    click.echo("")
    click.echo(format_table(["hashtag", "posts"], [["#" + t, n] for t, n in summary.top_hashtags]))
    if summary.top_quarantine_reasons:
        click.echo("")
        click.echo(format_table(["quarantine reason", "records"], summary.top_quarantine_reasons))


@click.command("formats")
def formats_command() -> None:
    """List the input formats, in detection order."""
    for name in FORMAT_ORDER:
        click.echo(f"{name:14} {get_format(name).DESCRIPTION}")


COMMANDS = [ingest_command, info_command, formats_command]
