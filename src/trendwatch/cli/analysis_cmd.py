"""``trendwatch trends``, ``campaign``, ``compare``, ``accounts``: thin commands over the analyses.

These only read the store (it is opened read-only), so they run beside the dashboard.

Every ``--top N`` (:func:`top_option`) follows one convention: it shows the first N rows of
the ranked list (20 by default), ``--top 0`` shows them all, and a negative value is a usage
error. When rows are left out, a note says so under the table (on standard error with
``--json``, so that standard output stays one JSON document), e.g. ``showing 20 of 153;
--top N or --top 0 for all``.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
import pandas as pd

from ..analysis.accounts import SIGNALS, account_signals
from ..analysis.campaign import campaign
from ..analysis.compare import compare, headline
from ..analysis.coordination.engine import _scope
from ..analysis.trends import METHODS, onsets, trending
from ..engines.spark import open_engine_store
from ..exports import write_csv
from .options import (
    db_option,
    echo_note,
    engine_options,
    first_rows,
    fold_option,
    folded_hashtags,
    json_option,
    print_json,
    shown_time,
    top_option,
    tz_option,
    zoned_input,
)
from .tables import format_table, terminal_safe, truncation_note

__all__ = ["COMMANDS"]


@click.command("trends")
@click.option("--at", "at", help="Show the list as it was at this time (ISO 8601; --tz zone).")
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
@tz_option
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
        result = trending(store, at=zoned_input(at), window=window, method=method, top=top)
    note = truncation_note(len(result.table), result.total)
    if as_json:
        print_json(result.to_dict())
        echo_note(note, as_json)
        return
    click.echo(f"trending at {shown_time(result.at)} over {window}, ranked by {result.method}")
    columns = ["hashtag", "posts", "accounts", "expected", *METHODS]
    click.echo(_table(result.table, columns, numeric_from=1))
    echo_note(note, as_json)


ONSET_SHOWN = {
    "hashtag": "hashtag", "start": "start", "peak": "peak", "end": "end", "posts": "posts",
    "accounts_peak": "peak_accounts", "peak_rate_per_min": "peak_rate_per_min",
    "baseline_per_min": "baseline_per_min",
}  # fmt: skip
"""Onset columns shown in the table, and their headers (``--json`` has every column)."""


def _print_onsets(found, top, how: str, as_json) -> None:
    shown, note = first_rows(found, top)
    if as_json:
        print_json(shown.to_dict("records"))
        echo_note(note, as_json)
        return
    click.echo(
        f"{len(found):,} trend onsets ({how}), sharpest first: "
        "by how far the peak rate rose above the baseline rate\n"
        "peak_rate_per_min: the mean posts per minute over the busiest bucket "
        "(`campaign` gives busiest_minute_posts, the posts of its busiest single minute)"
    )
    times = {c: shown[c].map(_minute) for c in ("start", "peak", "end")}
    table = shown.assign(**times)[list(ONSET_SHOWN)].rename(columns=ONSET_SHOWN)
    click.echo(_table(table, list(ONSET_SHOWN.values()), numeric_from=4))
    echo_note(note, as_json)


def _minute(moment) -> str:
    """A time in the --tz zone, to the minute (to the second when it has seconds)."""
    return shown_time(moment, seconds=moment.second != 0)


def _table(frame, columns, *, numeric_from: int) -> str:
    rows = [[_cell(v) for v in record] for record in frame[columns].itertuples(index=False)]
    return format_table(columns, rows, numeric_from=numeric_from)


def _cell(value):
    if value is None:
        return "-"  # not known (e.g. an account the store has no handle for)
    if isinstance(value, float):
        return "-" if value != value else round(value, 2)  # NaN: not known
    return value


@click.command("campaign")
@click.argument("hashtags", nargs=-1, required=True)
@top_option("Rows of the top accounts and amplifiers")
@fold_option
@db_option
@engine_options
@json_option
@tz_option
def campaign_command(hashtags, top, fold, db, engine, lake, spark_master, as_json) -> None:
    """Measure the campaign of one or more hashtags (posts with any of them): its numbers,
    first movers, most active accounts and most reposted accounts (amplifiers)."""
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        hashtags, folded = folded_hashtags(store, hashtags, fold, as_json)
        result = campaign(store, hashtags)
    notes = _list_notes(result, top)
    if as_json:
        print_json({**result.to_dict(top), **folded})
        for note in notes:
            echo_note(note, as_json)
        return
    click.echo(result.summary)
    click.echo(_metrics_table({"": result.to_dict()}))
    for listed in _account_lists(result, top):
        click.echo(f"\n{listed.title}")
        click.echo(_table(_zoned(listed.rows), listed.columns, numeric_from=2))
        echo_note(listed.note, as_json)


@dataclass(frozen=True)
class _AccountList:
    """One account list of a campaign's table: its title, rows, columns and truncation note."""

    title: str
    rows: pd.DataFrame
    columns: list[str]
    note: str | None


def _account_lists(result, top: int) -> list[_AccountList]:
    """The account lists a campaign shows: first movers (all), top accounts and amplifiers."""
    accounts, accounts_note = first_rows(result.per_account, top)
    amplifiers, amplifiers_note = first_rows(result.amplifiers, top)
    return [
        _AccountList(f"first movers: the first {len(result.first_movers)} accounts to post",
                     result.first_movers,
                     ["author_id", "handle", "first_post", "posts_first_hour"], None),
        _AccountList("top accounts: most posts first", accounts,
                     ["author_id", "handle", "posts", "first_post", "last_post"], accounts_note),
        _AccountList("amplifiers: accounts whose posts the campaign reposted most", amplifiers,
                     ["account", "handle", "reposts"], amplifiers_note),
    ]  # fmt: skip


def _list_notes(result, top: int) -> list[str]:
    return [listed.note for listed in _account_lists(result, top) if listed.note]


def _zoned(frame):
    """``frame`` with its time columns as table cells in the --tz zone."""
    times = [c for c in frame.columns if str(frame[c].dtype).startswith("datetime64")]
    return frame.assign(**{c: frame[c].map(shown_time) for c in times})


_SHOWN_METRICS = (
    "posts",
    "accounts",
    "first",
    "last",
    "busiest_minute_posts",
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
        [metric, *(_shown(side.get(metric), metric) for side in sides.values())]
        for metric in _SHOWN_METRICS
    ]
    return format_table(["metric", *names], rows, numeric_from=1)


def _shown(value, metric: str = ""):
    if value is None:
        return "-"
    if metric in ("first", "last"):
        return shown_time(pd.Timestamp(value))
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
@tz_option
def accounts_command(
    hashtags, since, until, min_signals, top, out, db, engine, lake, spark_master, as_json
) -> None:
    """Account signals (new, hyperactive, amplifier, generated handle, declared bot) of the
    accounts posting in the scope, most signals first: hints to check, not proof."""
    # the scope coordinate() and groups() use
    scope = _scope(hashtags, zoned_input(since), zoned_input(until), None)
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
@fold_option
@db_option
@engine_options
@json_option
@tz_option
def compare_command(a, b, fold, db, engine, lake, spark_master, as_json) -> None:
    """Compare two campaigns (A and B: hashtags; comma-separate several for one side)."""
    with open_engine_store(engine, db=db, lake=lake, master=spark_master) as store:
        a, folded_a = folded_hashtags(store, a.split(","), fold, as_json)
        b, folded_b = folded_hashtags(store, b.split(","), fold, as_json)
        result = compare(store, a, b)
    if as_json:
        sides = {"a": folded_a.get("folded_variants"), "b": folded_b.get("folded_variants")}
        print_json({**result.to_dict(), **({"folded_variants": sides} if fold else {})})
        return
    for side, found in (("A", result.a), ("B", result.b)):
        click.echo(terminal_safe(f"{side}: {_tags(found)}: {found.summary}"))
    click.echo(f"A against B: {headline(result.a, result.b)}")
    click.echo(_metrics_table({"A": result.a.to_dict(), "B": result.b.to_dict()}))
    click.echo(_overlap_line(result.overlap))


def _tags(side) -> str:
    return " ".join(f"#{tag}" for tag in side.hashtags)


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
