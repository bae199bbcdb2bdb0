"""``trendwatch network``: who reposts, quotes, replies to and mentions whom, for Gephi."""

from __future__ import annotations

import click

from ..analysis.coordination.group_runs import latest_groups_run
from ..analysis.interactions import KINDS, groups_of_run, interaction_network
from ..analysis.interactions_export import write_network
from ..store import open_store
from ..wording import plural
from .options import db_option, echo_note, first_rows, json_option, print_json, top_option
from .tables import account_label, format_table, terminal_safe

__all__ = ["COMMANDS"]


@click.command("network")
@click.option("--hashtag", "hashtags", multiple=True, help="Scope to posts with this hashtag.")
@click.option("--since", help="Only posts at or after this time (ISO 8601).")
@click.option("--until", help="Only posts before this time (ISO 8601).")
@click.option("--platform", type=click.Choice(["x", "mastodon", "bluesky"]))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Interaction kinds to keep (repeat; default: all).")  # fmt: skip
@click.option("--groups-run", help="Colour by the groups of this run ('latest': the last one).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write .gexf / .graphml (Gephi) or .csv (edges, and nodes in NAME.nodes.csv).",
)
@top_option("Links")
@db_option
@json_option
def network_command(
    hashtags, since, until, platform, kinds, groups_run, out, top, db, as_json
) -> None:
    """The directed network of who reposts, quotes, replies to and mentions whom in a scope,
    with handles as labels, counts, first and last time, and each account's group."""
    with open_store(db, read_only=True) as store:
        groups = _groups(store, groups_run)
        network = interaction_network(
            store,
            hashtags or None,
            since=since,
            until=until,
            platform=platform,
            kinds=kinds or KINDS,
            groups=groups,
        )
    written = write_network(network, out) if out else []
    shown, note = first_rows(network.edges, top)
    if as_json:
        print_json(
            {
                **network.summary(),
                "groups_run": groups.run_id,
                "files": [str(p) for p in written],
                "top_links": _records(shown),
            }
        )
        echo_note(note, as_json)
        return
    click.echo(terminal_safe(_headline(network.summary(), groups)))
    click.echo(_links_table(shown))
    echo_note(note, as_json)
    for path in written:
        click.echo(terminal_safe(f"written: {path}"))


def _records(edges) -> list[dict]:
    """Links as JSON records, times in ISO 8601 (UTC)."""
    iso = {c: [t.isoformat() for t in edges[c]] for c in ("first", "last")}
    return edges.astype(object).assign(**iso).to_dict("records")


class _RunGroups(dict):
    """Account id -> group of one groups run, remembering the run's id."""

    run_id: str | None = None


def _groups(store, run_id: str | None) -> _RunGroups:
    found = _RunGroups()
    if run_id is None:
        return found
    chosen = latest_groups_run(store) if run_id == "latest" else run_id
    if chosen is None:
        raise click.UsageError("--groups-run latest: this store holds no groups run yet "
                               "(`trendwatch groups` makes one)")  # fmt: skip
    found.update(groups_of_run(store, chosen))
    found.run_id = chosen
    return found


_PLURALS = {"reply": "replies"}


def _headline(summary: dict, groups: _RunGroups) -> str:
    kinds = ", ".join(plural(n, kind, _PLURALS.get(kind)) for kind, n in summary["by_kind"].items())
    line = (f"{plural(summary['accounts'], 'account')}, {plural(summary['links'], 'link')}, "
            f"{plural(summary['interactions'], 'interaction')} ({kinds})")  # fmt: skip
    if groups.run_id:
        line += f"; groups from run {groups.run_id}"
    return line


def _links_table(edges) -> str:
    cols = ["source", "target", "kind", "count", "first", "last"]
    rows = [
        [account_label(r["source"], r["source_handle"]),
         account_label(r["target"], r["target_handle"]),
         r["kind"], int(r["count"]), _minute(r["first"]), _minute(r["last"])]
        for r in edges.to_dict("records")
    ]  # fmt: skip
    return format_table(cols, rows, numeric_from=3)


def _minute(moment) -> str:
    return "" if moment is None or moment != moment else moment.strftime("%Y-%m-%dT%H:%M")


COMMANDS = [network_command]
