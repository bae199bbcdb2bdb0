"""``trendwatch alerts``: replay an archive to see when the watcher would have alerted, and list
the stored alerts.

``alerts replay`` ingests the archives into a temporary store, then writes their posts into
``--db`` in stream order and runs the watcher's check every ``--check-every`` seconds of
stream time (:mod:`trendwatch.watch.replay`, :mod:`trendwatch.watch.alerts`). Each alert is
printed as a JSON line (and appended to ``--alerts FILE``, POSTed to ``--webhook URL``).
"""

from __future__ import annotations

import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

import click

from ..analysis.timeseries import parse_at, parse_duration
from ..errors import InputError
from ..ingest import ingest
from ..store import open_store
from ..watch.alerts import AlertFile, Checker, alert_line, stored_alerts
from ..watch.replay import replay
from ..watch.rules import AlertRules
from ..watch.webhook import Webhook
from ..wording import plural
from .options import db_option
from .tables import format_table, json_safe

__all__ = ["COMMANDS"]


@click.group("alerts")
def alerts_group() -> None:
    """Alerts of the rolling check: replay an archive through it, or list stored alerts."""


@alerts_group.command("replay")
@click.argument("archives", nargs=-1, required=True, type=click.Path(dir_okay=False))
@db_option
@click.option("--window", default="1h", show_default=True, help="Scored window (30min, 1h...).")
@click.option(
    "--check-every", type=click.IntRange(min=1), default=60, show_default=True,
    help="Seconds of stream time between checks.",
)  # fmt: skip
@click.option("--target", "targets", multiple=True, help="Watch replies to @handle (repeatable).")
@click.option("--alerts", "alerts_file", type=click.Path(dir_okay=False), help="Append to FILE.")
@click.option("--webhook", help="POST each alert as JSON to this URL.")
@click.option("--since", help="Check from this stream time (earlier posts are history).")
@click.option("--until", help="Stop at this stream time.")
@click.option("--no-history", is_flag=True,
              help="Start from an empty store at --since, as a watcher started then would "
              "(default: the posts before --since are written first, unchecked).")  # fmt: skip
@click.option("--speed", type=click.FloatRange(min=0, min_open=True),
              help="Stream seconds per second (default: as fast as possible).")  # fmt: skip
def replay_command(archives, db, window, check_every, targets, alerts_file, webhook, since,
                   until, no_history, speed) -> None:  # fmt: skip
    """Replay ARCHIVES (any format `ingest` reads) into a new store, checking as `watch` does.

    "When would we have been alerted?": every alert is printed as a JSON line at the stream
    time its check ran.
    """
    rules = AlertRules(window=parse_duration(window))
    hook = Webhook(webhook) if webhook else None
    sinks = [_print_alert] + ([AlertFile(alerts_file)] if alerts_file else []) + (
        [hook] if hook else [])  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="trendwatch-replay-") as folder:
        source_path = Path(folder) / "archive.duckdb"
        report = ingest(archives, source_path)
        _refuse_failed(report)
        with open_store(source_path, read_only=True) as source, open_store(db) as store:
            _refuse_filled(store)
            checker = Checker(store, rules=rules, targets=targets, sinks=sinks)
            done = replay(source, store, checker, check_every=timedelta(seconds=check_every),
                          since=parse_at(since), until=parse_at(until), speed=speed,
                          history=not no_history)  # fmt: skip
    if hook:
        hook.close()
    click.echo(_summary(done, checker, hook), err=True)


def _print_alert(alert) -> None:
    click.echo(json_safe(alert_line(alert)))


def _refuse_failed(report) -> None:
    failed = [f for f in report.files if f.error]
    if failed:
        raise InputError(f"{failed[0].path}: {failed[0].error}")


def _refuse_filled(store) -> None:
    [(n,)] = store.con.execute("SELECT count(*) FROM posts").fetchall()
    if n:
        raise InputError(
            f"{store.path} already holds {plural(n, 'post')}: replay into a new store (--db)"
        )


def _summary(done, checker, hook) -> str:
    seconds = checker.check_seconds or [0.0]
    line = (
        f"replayed {plural(done.posts, 'post')}, {plural(done.checks, 'check')} "
        f"(median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s each), "
        f"{plural(len(done.alerts), 'alert')}"
    )
    if hook is not None:
        dropped = sum(hook.dropped.values())
        line += f"; webhook: {hook.sent} sent, {dropped} dropped"
    return line


_COLUMNS = ["time", "kind", "hashtag", "target", "posts", "accounts", "groups_run"]


@alerts_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the alert lines (JSON Lines).")
def list_command(db, as_json) -> None:
    """List the stored alerts, oldest first (--json: each alert line as it was raised).

    A run_pruned_at column appears when `runs prune --with-alert-runs` removed an alert's run.
    """
    with open_store(db, read_only=True) as store:
        found = stored_alerts(store)
    if as_json:
        for body in found["body"]:
            click.echo(json_safe(body))
        return
    # The pruned-run column only when a run was pruned: most stores never prune one.
    columns = _COLUMNS + (["run_pruned_at"] if found["run_pruned_at"].notna().any() else [])
    rows = found[columns].astype(object).where(found[columns].notna(), "").values.tolist()
    click.echo(format_table(columns, rows, numeric_from=4))


COMMANDS = [alerts_group]
