"""``trendwatch groups``: groups of coordinated accounts (thin command over :func:`groups`)."""

from __future__ import annotations

import click
import pandas as pd

from ..analysis.coordination import method_names
from ..analysis.coordination.export import write_groups_network
from ..analysis.coordination.groups import groups
from ..store import open_store
from ..wording import plural
from .options import db_option, json_option, print_json
from .tables import format_table

__all__ = ["COMMANDS", "member_rows"]

_SCORE_COLUMNS = [
    "group_id", "size", "density", "median_gap_s", "share_posts", "share_first_2000",
    "share_flagged",
]  # fmt: skip


@click.command("groups")
@click.option("--method", "-m", "methods", multiple=True, type=click.Choice(method_names()),
              help="Repeat for several; default: every default method that applies.")  # fmt: skip
@click.option("--hashtag", "hashtags", multiple=True, help="Scope to posts with this hashtag.")
@click.option("--since", help="Only posts at or after this time (ISO 8601).")
@click.option("--until", help="Only posts before this time (ISO 8601).")
@click.option("--window", type=float, default=60, show_default=True, help="Seconds.")
@click.option("--shuffles", type=int, default=20, show_default=True, help="Null copies.")
@click.option("--algorithm", type=click.Choice(["leiden", "components"]), default="leiden")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write one row per account (CSV).")
@click.option("--network", type=click.Path(dir_okay=False),
              help="Write the fused network, nodes with their group, as .gexf or .graphml "
                   "(Gephi).")  # fmt: skip
@db_option
@json_option
def groups_command(
    methods, hashtags, since, until, window, shuffles, algorithm, seed, out, network, db, as_json
) -> None:
    """Groups of accounts linked by significant coordination (methods fused into one graph)."""
    with open_store(db) as store:
        result = groups(
            store, methods or None, hashtags=hashtags or None, since=since, until=until,
            window=window, shuffles=shuffles, algorithm=algorithm, seed=seed,
        )  # fmt: skip
    if out:
        member_rows(result).to_csv(out, index=False)
    if network:
        write_groups_network(result, network)
    if as_json:
        print_json({**result.summary(), "run_id": result.run_id, "params": result.params,
                    "scores": result.groups.to_dict("records")})  # fmt: skip
        return
    click.echo(_summary_line(result))
    click.echo(_scores_table(result.groups))


def member_rows(result) -> pd.DataFrame:
    """One row per account in a group: ``account_id, group_id, degree, strength, methods``
    and its group's size, density and median gap."""
    scores = result.groups[["group_id", "size", "density", "median_gap_s"]]
    scores = scores.rename(columns={c: f"group_{c}" for c in scores.columns if c != "group_id"})
    return result.members.merge(scores, on="group_id", how="left")


def _summary_line(result) -> str:
    s = result.summary()
    methods = ", ".join(s["methods"]) or "no method"
    run = f" (run {result.run_id})" if result.run_id else ""
    return (
        f"{plural(s['groups'], 'group')}, {plural(s['accounts_in_groups'], 'account')}, "
        f"{plural(s['significant_edges'], 'significant link')} from {methods}{run}"
    )


def _scores_table(scores: pd.DataFrame) -> str:
    rows = [
        [r[c] if not isinstance(r[c], float) else round(r[c], 3) for c in _SCORE_COLUMNS]
        for r in scores.to_dict("records")
    ]
    return format_table(_SCORE_COLUMNS, rows, numeric_from=1)


COMMANDS = [groups_command]
