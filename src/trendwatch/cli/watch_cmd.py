"""``trendwatch watch``: collect live streams into the store (thin command over
:func:`trendwatch.watch.watch`)."""

from __future__ import annotations

import click

from ..analysis.timeseries import parse_duration
from ..watch import COLLECTIONS, DEFAULT_COLLECTIONS, watch
from ..watch.alerts import AlertFile, WatchChecks, alert_line
from ..watch.config import SOURCE_KINDS, make_sources
from ..watch.mastodon import TRANSPORTS
from ..watch.rules import AlertRules
from ..watch.webhook import Webhook
from .options import db_option, json_option, print_json
from .tables import format_table, json_safe, terminal_lines

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
    "--window",
    default="1h",
    show_default=True,
    help="Alerts: the window each check scores (30min, 1h...).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="@HANDLE",
    help="Alerts: also watch replies and mentions to this account for a reply raid; repeatable.",
)
@click.option(
    "--alerts",
    "alerts_file",
    type=click.Path(dir_okay=False),
    help="Alerts: append each alert to this file as a JSON line (they are also printed: "
    "on standard output, on standard error with --json).",
)
@click.option("--webhook", metavar="URL", help="Alerts: POST each alert as JSON to this URL.")
@click.option("--no-alerts", is_flag=True, help="Collect only: run no check.")
@click.option(
    "--for",
    "duration",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop after this many seconds (default: until SIGINT or SIGTERM).",
)
@json_option
def watch_command(db, kind, urls, streams, transport, token_env, collections, dids, compress,
                  format_, check_every, window, targets, alerts_file, webhook, no_alerts,
                  duration, as_json) -> None:  # fmt: skip
    """Collect live posts into the store until stopped; other commands keep working meanwhile.

    Resumes each source from its stored cursor (Jetstream replays what was missed), records
    every gap, and writes at least once per check interval, so that the other commands see
    data at most one interval old. At each check (of stream time) the rolling detection runs
    (`trendwatch alerts replay` shows what it does on an archive): each alert is printed as a
    JSON line, stored, and appended to --alerts FILE and POSTed to --webhook URL.
    """
    sources = make_sources(kind, urls, streams=streams, collections=collections, dids=dids,
                           compress=compress, transport=transport, token_env=token_env,
                           format=format_)  # fmt: skip
    db = db or _default_db()
    hook = Webhook(webhook) if webhook else None
    checks = None if no_alerts else _checks(db, window, targets, alerts_file, hook, as_json)
    try:
        report = watch(db, sources, check_every=check_every, on_check=checks,
                       stop_after=duration)  # fmt: skip
    finally:
        if hook:
            hook.close()
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


def _checks(db, window, targets, alerts_file, hook, as_json: bool) -> WatchChecks:
    # With --json, standard output is the final report alone: alert lines go to stderr.
    sinks = [_alert_printer(err=as_json)] + ([AlertFile(alerts_file)] if alerts_file else [])
    rules = AlertRules(window=parse_duration(window))
    return WatchChecks(db, rules=rules, targets=targets, sinks=sinks + ([hook] if hook else []))


def _alert_printer(*, err: bool):
    def print_alert(alert) -> None:
        click.echo(json_safe(alert_line(alert)), err=err)

    return print_alert


def _default_db():
    from ..store import default_db_path

    return default_db_path()


COMMANDS = [watch_command]
