"""``trendwatch trends``, ``campaign``, ``compare``, ``accounts``: thin commands over the analyses.

These only read the store (it is opened read-only), so they run beside the dashboard.

Every ``--top N`` (:func:`top_option`) follows one convention: it shows the first N rows of
the ranked list (20 by default), ``--top 0`` shows them all, and a negative value is a usage
error. When rows are left out, a note says so under the table (on standard error with
``--json``, so that standard output stays one JSON document), e.g. ``showing 20 of 153;
--top N or --top 0 for all``.
"""

from __future__ import annotations

import click

from ..analysis.accounts import SIGNALS, account_signals
from ..analysis.campaign import campaign
from ..analysis.compare import compare
from ..analysis.coordination.engine import _scope
from ..analysis.trends import METHODS, onsets, trending
from ..engines.spark import open_engine_store
from ..exports import write_csv
from .options import (
    db_option,
    echo_note,
    engine_options,
    first_rows,
    json_option,
    print_json,
    top_option,
)
from .tables import format_table, truncation_note

__all__ = ["COMMANDS"]


@click.command("trends")
@click.option("--at", "at", help="Show the list as it was at this time (ISO 8601, UTC).")
@click.option("--window", default="1h", show_default=True, help="Window: 30s, 5min, 1h, 1d...")
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=METHODS[0],
    show_default=True,
    help="Rank the list (or flag the onsets) by this scorer.",
)
@top_option("Rows")
@click.option("--onsets", "show_onsets", is_flag=True, help="List trend onsets over the archive.")
@click.option(
    "--min-posts", type=click.IntRange(min=1), default=20, show_default=True,
    help="Onsets: the least posts of a burst.",
)  # fmt: skip
@db_option
@engine_options
@json_option
def trends_command(
    at, window, method, top, show_onsets, min_posts, db, engine, lake, spark_master, as_json
) -> None:
    """What is trending at a time (every scorer side by side), or, with --onsets, the
    archive's bursts, sharpest first."""
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        if show_onsets:
            found = onsets(store, window=window, method=method, min_posts=min_posts)
            _print_onsets(found, top, f"{method}, {window} buckets", as_json)
            return
        result = trending(store, at=at, window=window, method=method, top=top)
    note = truncation_note(len(result.table), result.total)
    if as_json:
        print_json(result.to_dict())
        echo_note(note, as_json)
        return
    click.echo(f"trending at {result.at.isoformat()} over {window}, ranked by {result.method}")
    columns = ["hashtag", "posts", "accounts", "expected", *METHODS]
    click.echo(_table(result.table, columns, numeric_from=1))
    echo_note(note, as_json)


ONSET_SHOWN = {
    "hashtag": "hashtag", "start": "start", "peak": "peak", "end": "end", "posts": "posts",
    "accounts_peak": "peak_accounts", "peak_rate_per_min": "peak_per_min",
    "baseline_per_min": "baseline_per_min",
}  # fmt: skip
"""Onset columns shown in the table, and their headers (``--json`` has every column)."""


def _print_onsets(found, top, how: str, as_json) -> None:
    shown, note = first_rows(found, top)
    if as_json:
        rows = shown.assign(**{c: shown[c].map(_iso) for c in ("start", "peak", "end")})
        print_json(rows.to_dict("records"))
        echo_note(note, as_json)
        return
    click.echo(
        f"{len(found):,} trend onsets ({how}, UTC), sharpest first: "
        "by how far the peak rate rose above the baseline rate"
    )
    times = {c: shown[c].map(_minute) for c in ("start", "peak", "end")}
    table = shown.assign(**times)[list(ONSET_SHOWN)].rename(columns=ONSET_SHOWN)
    click.echo(_table(table, list(ONSET_SHOWN.values()), numeric_from=4))
    echo_note(note, as_json)


def _minute(moment) -> str:
    """A UTC time to the minute (to the second when it has seconds)."""
    return moment.strftime("%Y-%m-%d %H:%M" if moment.second == 0 else "%Y-%m-%d %H:%M:%S")


def _iso(moment) -> str:
    return moment.isoformat()


def _table(frame, columns, *, numeric_from: int) -> str:
    rows = [[_cell(v) for v in record] for record in frame[columns].itertuples(index=False)]
    return format_table(columns, rows, numeric_from=numeric_from)


def _cell(value):
    if isinstance(value, float):
        return "-" if value != value else round(value, 2)  # NaN: not known
    return value


@click.command("campaign")
@click.argument("hashtags", nargs=-1, required=True)
@db_option
@engine_options
@json_option
def campaign_command(hashtags, db, engine, lake, spark_master, as_json) -> None:
    """Measure the campaign of one or more hashtags (posts with any of them)."""
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        result = campaign(store, hashtags)
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(result.summary)
    click.echo(_metrics_table({"": result.to_dict()}))


_SHOWN_METRICS = (
    "posts",
    "accounts",
    "first",
    "last",
    "peak_rate_per_min",
    "minutes_to_100",
    "minutes_to_1000",
    "minutes_to_2000",
    "gini",
    "hhi",
    "top1pct_share",
    "top50_share",
    "repost_share",
    "reply_share",
    "quote_share",
    "new_account_share",
    "first_movers_share",
)


def _metrics_table(sides: dict[str, dict]) -> str:
    names = list(sides)
    rows = [
        [metric, *(_shown(side.get(metric)) for side in sides.values())]
        for metric in _SHOWN_METRICS
    ]
    return format_table(["metric", *names], rows, numeric_from=1)


def _shown(value):
    if value is None:
        return "-"
    return round(value, 3) if isinstance(value, float) else value


@click.command("accounts")
@click.option("--hashtag", "hashtags", multiple=True, help="Only posts with this hashtag.")
@click.option("--since", help="Only posts at or after this time (ISO 8601).")
@click.option("--until", help="Only posts before this time (ISO 8601).")
@click.option("--min-signals", type=int, default=1, show_default=True, help="Hide the others.")
@top_option("Accounts")
@click.option("--out", type=click.Path(dir_okay=False), help="Write every row (CSV).")
@db_option
@engine_options
@json_option
def accounts_command(
    hashtags, since, until, min_signals, top, out, db, engine, lake, spark_master, as_json
) -> None:
    """Account signals (new, hyperactive, amplifier, generated handle, declared bot) of the
    accounts posting in the scope, most signals first: hints to check, not proof."""
    scope = _scope(hashtags, since, until, None)  # the scope coordinate() and groups() use
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        found = account_signals(store, scope=scope)
    found = found[found["signals"] >= min_signals]
    if out:
        write_csv(found, out)
    shown, note = first_rows(found, top)
    if as_json:
        print_json(shown.to_dict("records"))
        echo_note(note, as_json)
        return
    click.echo(f"{len(found):,} accounts with at least {min_signals} signal(s)")
    columns = ["account_id", "handle", "signals", "posts", "repost_share", "age_days",
               "posts_per_day", *SIGNALS]  # fmt: skip
    shown = shown.assign(**{name: shown[name].map(_yes) for name in SIGNALS})
    click.echo(_table(shown, columns, numeric_from=2))
    echo_note(note, as_json)


def _yes(flag) -> str:
    return "yes" if flag else ""


@click.command("compare")
@click.argument("a")
@click.argument("b")
@db_option
@engine_options
@json_option
def compare_command(a, b, db, engine, lake, spark_master, as_json) -> None:
    """Compare two campaigns (A and B: hashtags; comma-separate several for one side)."""
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        result = compare(store, a.split(","), b.split(","))
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(f"A: {result.a.summary}\nB: {result.b.summary}")
    click.echo(_metrics_table({"A": result.a.to_dict(), "B": result.b.to_dict()}))
    click.echo(_overlap_line(result.overlap))


def _overlap_line(overlap: dict) -> str:
    jaccard = overlap["jaccard"]
    line = (
        f"{overlap['accounts_in_both']:,} accounts in both (Jaccard {jaccard:.3f}); "
        f"{overlap['bridging_accounts']:,} accounts bridged them in {overlap['bridging_posts']:,}"
        " posts"
    )
    more = overlap["more_concentrated"]
    if more:
        line += f"; {more.upper()} is more concentrated (Gini +{overlap['gini_difference']:.2f})"
    return line


COMMANDS = [accounts_command, trends_command, campaign_command, compare_command]
