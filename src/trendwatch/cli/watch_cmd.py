"""``trendwatch watch``: collect live streams into the store (thin command over
:func:`trendwatch.watch.watch`)."""

from __future__ import annotations

import click

from ..watch import COLLECTIONS, DEFAULT_COLLECTIONS, watch
from ..watch.config import SOURCE_KINDS, make_sources
from ..watch.mastodon import TRANSPORTS
from .options import db_option, json_option, print_json
from .tables import format_table, terminal_lines

__all__ = ["COMMANDS"]

_COUNTS = ("read", "added", "duplicates", "skipped", "quarantined")


@click.command("watch")
@db_option
@click.option(
    "--source",
    "kind",
    type=click.Choice(SOURCE_KINDS),
    required=True,
    help="jetstream (Bluesky), mastodon, or stdin (lines in any format ingest reads).",
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Jetstream's wss://HOST/subscribe, or a Mastodon instance's https://HOST; "
    "repeatable (several instances in one watcher).",
)
@click.option(
    "--stream",
    "streams",
    multiple=True,
    default=("public",),
    show_default=True,
    help="Mastodon: public, public:local, public:remote, hashtag:NAME, "
    "hashtag:local:NAME; repeatable.",
)
@click.option(
    "--transport",
    type=click.Choice(TRANSPORTS),
    default="sse",
    show_default=True,
    help="Mastodon: server-sent events or websocket.",
)
@click.option(
    "--token-env",
    metavar="NAME",
    help="Mastodon: read the access token from this environment variable.",
)
@click.option(
    "--collection",
    "collections",
    multiple=True,
    type=click.Choice(list(COLLECTIONS)),
    default=DEFAULT_COLLECTIONS,
    show_default=True,
    help="Jetstream: what to receive; repeatable (likes and follows are counted, not stored).",
)
@click.option("--did", "dids", multiple=True, help="Jetstream: only this account; repeatable.")
@click.option("--compress", is_flag=True, help="Jetstream: zstd-compressed frames.")
@click.option(
    "--format", "format_", metavar="NAME", help="stdin: force a format instead of detecting it."
)
@click.option(
    "--check-every",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds of stream time between checks.",
)
@click.option(
    "--for",
    "duration",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop after this many seconds (default: until SIGINT or SIGTERM).",
)
@json_option
def watch_command(db, kind, urls, streams, transport, token_env, collections, dids, compress,
                  format_, check_every, duration, as_json) -> None:  # fmt: skip
    """Collect live posts into the store until stopped; other commands keep working meanwhile.

    Resumes each source from its stored cursor (Jetstream replays what was missed), records
    every gap, and writes at least once per check interval, so that the other commands see
    data at most one interval old.
    """
    sources = make_sources(kind, urls, streams=streams, collections=collections, dids=dids,
                           compress=compress, transport=transport, token_env=token_env,
                           format=format_)  # fmt: skip
    report = watch(db or _default_db(), sources, check_every=check_every, stop_after=duration)
    if as_json:
        print_json(report.to_dict())
        return
    click.echo(format_table(list(_COUNTS), [[getattr(report, n) for n in _COUNTS]], numeric_from=0))
    click.echo(
        f"{report.writes:,} writes, {len(report.checks):,} checks, {len(report.gaps):,} gaps; "
        f"stream time {report.stream_time.isoformat() if report.stream_time else '-'}"
    )
    for gap in report.gaps:
        click.echo(
            terminal_lines(
                f"gap {gap.source}: {gap.gap_from:%Y-%m-%dT%H:%M:%S} to "
                f"{gap.gap_to:%H:%M:%S} ({gap.seconds:.1f} s): {gap.reason}"
            )
        )


def _default_db():
    from ..store import default_db_path

    return default_db_path()


COMMANDS = [watch_command]
