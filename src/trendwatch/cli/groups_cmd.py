"""``trendwatch groups``: groups of coordinated accounts (thin command over :func:`groups`)."""

from __future__ import annotations

import textwrap

import click
import pandas as pd

from ..analysis.coordination import method_names
from ..analysis.coordination.export import PAIR_HANDLES, write_groups_network
from ..analysis.coordination.groups import ALGORITHMS, groups
from ..analysis.coordination.significance import DEFAULT_Q, MIN_EVENTS
from ..exports import write_csv
from ..handles import add_handles
from ..wording import plural
from .options import (
    db_option,
    engine_options,
    fold_option,
    folded_hashtags,
    json_option,
    print_json,
    recording_store,
    tz_option,
    zoned_input,
)
from .progress import step_progress
from .tables import format_table, terminal_safe

__all__ = ["COMMANDS", "member_rows"]

_SCORE_COLUMNS = [
    "group_id", "size", "posts", "share_posts", "share_first_2000", "median_age_days",
    "share_flagged", "top_hashtag", "hashtag_share", "reading",
]  # fmt: skip
_LINK_COLUMNS = ["account_a", "handle_a", "account_b", "handle_b", "weight", "events", "q_value",
                 "methods", "group_id"]  # fmt: skip


@click.command("groups")
@click.option("--method", "-m", "methods", multiple=True, type=click.Choice(method_names()),
              help="Repeat for several; default: every default method that applies.")  # fmt: skip
@click.option("--hashtag", "hashtags", multiple=True, help="Scope to posts with this hashtag.")
@click.option("--since", help="Only posts at or after this time (ISO 8601).")
@click.option("--until", help="Only posts before this time (ISO 8601).")
@click.option("--window", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds, for every method (default: each method's own).")  # fmt: skip
@click.option("--q", "q", type=click.FloatRange(0, 1, min_open=True), default=DEFAULT_Q,
              show_default=True, help="False discovery rate over all pairs tested.")  # fmt: skip
@click.option("--min-events", type=click.IntRange(min=1), default=MIN_EVENTS, show_default=True,
              help="Fewest shared events of a kept link.")  # fmt: skip
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="components",
              show_default=True)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds Leiden.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write one row per account (CSV).")
@click.option("--network", type=click.Path(dir_okay=False),
              help="Write the fused network, nodes with their group, as .gexf or .graphml "
                   "(Gephi).")  # fmt: skip
@fold_option
@db_option
@engine_options
@json_option
@tz_option
def groups_command(
    methods, hashtags, since, until, window, q, min_events, algorithm, seed, out, network, fold,
    db, engine, lake, spark_master, as_json,
) -> None:  # fmt: skip
    """Groups of accounts linked by significant coordination, and the verdict on the scope.

    Every link is tested against a configuration null (each account's activity per day, each
    key's burst) and kept when its q-value (false discovery rate over every pair of every
    method) is at most --q.
    """
    progress = step_progress(as_json)
    with recording_store(engine, db, lake, spark_master) as store, progress:
        hashtags, folded = _folded(store, hashtags, fold, as_json)
        result = groups(
            store, methods or None, hashtags=hashtags or None, since=zoned_input(since),
            until=zoned_input(until), progress=progress,
            window=window, q=q, min_events=min_events, algorithm=algorithm, seed=seed,
        )  # fmt: skip
        if out:
            write_csv(member_rows(result, store), out)
        if network:
            write_groups_network(result, network, store)
        if as_json:
            edges = add_handles(store, result.edges, PAIR_HANDLES)
            print_json({**_as_json(result, edges, member_rows(result, store)), **folded})
            return
    click.echo("\n".join(terminal_safe(line) for line in textwrap.wrap(result.verdict.text, 100)))
    click.echo(_summary_line(result))
    if not result.groups.empty:
        click.echo(_scores_table(result.groups))


def _folded(store, hashtags, fold: bool, as_json: bool):
    return folded_hashtags(store, hashtags, fold, as_json) if hashtags else (hashtags, {})


def _as_json(result, edges, members) -> dict:
    links = edges.reindex(columns=_LINK_COLUMNS)
    return {
        **result.summary(),
        "run_id": result.run_id,
        "verdict": result.verdict.to_dict(),
        "tests": result.tests,
        "params": result.params,
        "scores": result.groups.to_dict("records"),
        "members": _plain_records(members),
        "links": links.astype(object).where(links.notna(), None).to_dict("records"),
    }


def _plain_records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def member_rows(result, store=None) -> pd.DataFrame:
    """One row per account in a group: ``account_id`` (and ``handle`` with ``store``),
    ``group_id, degree, strength, methods`` and its group's size, density and median gap."""
    scores = result.groups[["group_id", "size", "density", "median_gap_s"]]
    scores = scores.rename(columns={c: f"group_{c}" for c in scores.columns if c != "group_id"})
    members = result.members.merge(scores, on="group_id", how="left")
    return members if store is None else add_handles(store, members, {"account_id": "handle"})


def _summary_line(result) -> str:
    s = result.summary()
    methods = ", ".join(s["methods"]) or "no method"
    tested = sum(t["pairs"] for t in result.tests.values())
    run = f" (run {result.run_id})" if result.run_id else ""
    return (
        f"{plural(s['groups'], 'group')}, {plural(s['accounts_in_groups'], 'account')}, "
        f"{plural(s['significant_edges'], 'significant link')} (q <= {result.params['q']:g}, "
        f"{plural(tested, 'pair')} tested) from {methods}{run}"
    )


def _scores_table(scores: pd.DataFrame) -> str:
    rows = [[_cell(r[c]) for c in _SCORE_COLUMNS] for r in scores.to_dict("records")]
    return format_table(_SCORE_COLUMNS, rows, numeric_from=1)


def _cell(value):
    if isinstance(value, float):
        return "-" if value != value else round(value, 3)
    return "-" if value is None else value


COMMANDS = [groups_command]
