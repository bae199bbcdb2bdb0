"""``trendwatch ingest``, ``info`` and ``formats``."""

from __future__ import annotations

import sys
import time

import click

from ..errors import MappingError
from ..formats import FORMAT_ORDER, ReadOptions, get_format
from ..formats import package as package_format
from ..formats.items import MAX_RECORD_BYTES
from ..ingest import COUNT_FIELDS, FileReport, IngestReport, ingest
from ..overview import overview
from ..quarantine import export_quarantine, quarantined
from ..store import open_store
from .options import (
    db_option,
    echo_note,
    json_option,
    print_json,
    shown_time,
    top_option,
    tz_option,
)
from .tables import format_table, terminal_lines, truncation_note

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
@click.option(
    "--max-record-bytes",
    type=click.IntRange(min=1),
    default=MAX_RECORD_BYTES,
    show_default=True,
    help="Record size cap: a longer record (JSON line) is quarantined with its first bytes "
    "and its length.",
)
@click.option(
    "--assume-tz",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="Read input times that name no offset (2025-11-14 09:07:33) in this zone, e.g. "
    "Europe/Paris; times with an offset are never changed. $TRENDWATCH_TZ does not set it: "
    "the zone you read results in says nothing about the clock an export was written with, "
    "and a store must not change with the shell it was filled from.",
)
@json_option
def ingest_command(
    paths, db, format_, mapping, platform, max_record_bytes, assume_tz, as_json
) -> None:
    """Read archives (X v1.1/v2, CSV/Parquet, Mastodon, Bluesky) into the store.

    Input times without an offset are counted per file ("1,204 times without an offset,
    read as UTC") and read as UTC unless --assume-tz names their zone.

    Exit status: 0 when every file was read to its end (quarantined records included); 1
    when a file could not be read, or not to its end (its error is printed, what was read
    before it is stored and counted, the other files are read); 2 for a bad command line.
    """
    options = ReadOptions(
        mapping=_parse_map(mapping),
        platform=platform,
        max_record_bytes=max_record_bytes,
        assume_tz=assume_tz,
    )
    progress = _Progress(enabled=sys.stderr.isatty() and not as_json)
    report = ingest(paths, db, format=format_, options=options, progress=progress)
    progress.done()
    if as_json:
        print_json(report.to_dict())
    else:
        click.echo(_report_table(report))
        if note := _naive_note(report):
            click.echo(note)
    for failed in report.failed:
        click.echo(f"Error: {terminal_lines(failed.error)}", err=True)
    if report.failed:
        sys.exit(1)


def _report_table(report: IngestReport) -> str:
    """The counts per file; a ``no offset`` column when some input times named none."""
    naive = any(f.naive_times for f in report.files)
    extra = ["naive_times"] if naive else []
    rows = [
        [f.path, f.format or "-", *(getattr(f, n) for n in (*COUNT_FIELDS, *extra))]
        for f in report.files
    ]
    total = sum(f.naive_times for f in report.files)
    rows.append(["total", "", *(report.totals[n] for n in COUNT_FIELDS), *([total] * naive)])
    headers = ["file", "format", *COUNT_FIELDS, *(["no offset"] * naive)]
    return format_table(headers, rows, numeric_from=2)


def _naive_note(report: IngestReport) -> str | None:
    """Under the table: how many times named no offset, and how they were read."""
    total = FileReport(path="", naive_times=sum(f.naive_times for f in report.files))
    if not total.naive_times:
        return None
    total.assumed_tz = report.files[0].assumed_tz
    hint = "" if total.assumed_tz != "UTC" else " (--assume-tz ZONE reads them in a zone)"
    return f"{total.naive_note()}{hint}"


@click.command("info")
@top_option("Hashtags")
@db_option
@json_option
@tz_option
def info_command(top, db, as_json) -> None:
    """What the store holds: posts by platform and kind, time span, hashtags, quarantine."""
    with open_store(db, read_only=True) as store:
        summary = overview(store, top=top)
        upgrade = store.upgrade_pending()
    note = truncation_note(len(summary.top_hashtags), summary.hashtags)
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
                    "hashtags",
                    "context_posts",
                    "top_quarantine_reasons",
                    "watch_gaps",
                )
            }
        )
        echo_note(note, as_json)
        echo_note(upgrade and f"note: {upgrade}", as_json)
        return
    click.echo(f"posts        {summary.posts:,}  (+{summary.context_posts:,} context posts)")
    click.echo(f"accounts     {summary.accounts:,} profiles; {summary.authors:,} authors posted")
    click.echo(f"first        {shown_time(summary.first)}")
    click.echo(f"last         {shown_time(summary.last)}")
    click.echo(f"quarantined  {summary.quarantined:,}")
    click.echo("")
    click.echo(format_table(["platform", "posts"], list(summary.by_platform.items())))
    click.echo("")
    click.echo(format_table(["kind", "posts"], list(summary.by_kind.items())))
    click.echo("")
    click.echo(format_table(["hashtag", "posts"], [["#" + t, n] for t, n in summary.top_hashtags]))
    echo_note(note, as_json)
    echo_note(upgrade and f"note: {upgrade}", as_json)
    if summary.top_quarantine_reasons:
        click.echo("")
        click.echo(format_table(["quarantine reason", "records"], summary.top_quarantine_reasons))
    if summary.watch_gaps:
        click.echo("")
        click.echo("gaps in watched streams, latest first (nothing collected from the source)")
        rows = [[g["source"], g["gap_from"][:19], g["gap_to"][:19], g["reason"], g["seconds"]]
                for g in summary.watch_gaps]  # fmt: skip
        click.echo(
            format_table(["source", "from", "to", "reason", "seconds"], rows, numeric_from=4)
        )


@click.command("formats")
def formats_command() -> None:
    """List the input formats, in detection order (a data package folder first)."""
    click.echo(f"{package_format.NAME:14} {package_format.DESCRIPTION}")
    for name in FORMAT_ORDER:
        click.echo(f"{name:14} {get_format(name).DESCRIPTION}")


_REASON_CHARS = 72
_RAW_CHARS = 48


@click.command("quarantine")
@db_option
@click.option("--source", help="Only the records of this input (its path as given, or -).")
@top_option("Records")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write every matching record, raw text included, to FILE (.jsonl or .csv).",
)
@json_option
def quarantine_command(db, source, top, out, as_json) -> None:
    """The records ingest could not use: source, record number, reason, raw text."""
    with open_store(db, read_only=True) as store:
        if out:
            written = export_quarantine(store, out, source=source)
            click.echo(f"{written:,} quarantined records written to {out}")
            return
        found = quarantined(store, source=source, limit=top or None)
    note = truncation_note(len(found.records), found.total)
    if as_json:
        print_json({"total": found.total, "records": found.records.to_dict("records")})
    else:
        click.echo(f"{found.total:,} quarantined records")
        click.echo(_quarantine_table(found.records))
    echo_note(note, as_json)


def _quarantine_table(records) -> str:
    rows = [
        [r.source, r.record_no, _cut(r.reason, _REASON_CHARS), _cut(r.raw, _RAW_CHARS)]
        for r in records.itertuples()
    ]
    return format_table(["source", "record", "reason", "raw"], rows, numeric_from=4)


def _cut(text: object, chars: int) -> str:
    if not isinstance(text, str):  # no raw text (NULL, which pandas gives as NaN)
        return ""
    return text if len(text) <= chars else text[: chars - 1] + "…"


COMMANDS = [ingest_command, info_command, formats_command, quarantine_command]
