"""``trendwatch coordination`` and ``evidence``: thin commands over the engine.

Each command is its own function; further commands (``groups``) append to :data:`COMMANDS`.
"""

from __future__ import annotations

import click

from ..analysis.coordination import coordinate, method_names
from ..analysis.coordination.export import PAIR_HANDLES, POST_URLS, write_edges
from ..analysis.coordination.pair_evidence import pair_evidence
from ..analysis.coordination.significance import DEFAULT_Q, significance
from ..engines.spark import open_engine_store
from ..handles import account_handles, add_handles, add_key_urls, add_post_urls
from ..runs import run_changes
from ..store import open_store
from ..wording import plural
from .options import (
    db_option,
    echo_note,
    engine_options,
    first_rows,
    json_option,
    print_json,
    recording_store,
    shown_time,
    top_option,
    tz_option,
    zoned_input,
)
from .progress import step_progress
from .tables import account_label, format_table, terminal_safe

__all__ = ["COMMANDS"]


def _window(value: str | None):
    if value is None or value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not seconds or 'auto'", param_hint="--window"
        ) from None


@click.command("coordination")
@click.option("--method", "-m", type=click.Choice(method_names()), required=True)
@click.option(
    "--window",
    default=None,
    help="Seconds, or 'auto' (CooRnet); default: the method's own (60 s for most).",
)
@click.option(
    "--test/--no-test",
    default=True,
    show_default=True,
    help="Test every link against the configuration null (q-values).",
)
@click.option("--q", "q", type=click.FloatRange(0, 1, min_open=True), default=DEFAULT_Q,
              show_default=True, help="False discovery rate of the test.")  # fmt: skip
@click.option("--min-weight", type=int, default=1, show_default=True)
@click.option("--hashtag", "hashtags", multiple=True, help="Scope to posts with this hashtag.")
@click.option("--since", help="Only posts at or after this time (ISO 8601).")
@click.option("--until", help="Only posts before this time (ISO 8601).")
@click.option(
    "--max-key-fanout",
    type=int,
    default=None,
    help="Hot-key bound: partners per action per key (default: the engine's, see docs).",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write .csv/.parquet/.graphml/.gexf.")
@top_option("Links")
@db_option
@engine_options
@json_option
@tz_option
def coordination_command(
    method, window, test, q, min_weight, hashtags, since, until, max_key_fanout, out, top, db,
    engine, lake, spark_master, as_json,
) -> None:  # fmt: skip
    """Link accounts that act on the same key within the window (one method), each link
    tested against chance (q-value; --no-test for the links alone, as the published tools)."""
    extra = {} if max_key_fanout is None else {"max_key_fanout": max_key_fanout}
    kwargs = dict(window=_window(window), min_weight=min_weight, hashtags=hashtags or None,
                  since=zoned_input(since), until=zoned_input(until), **extra)  # fmt: skip
    progress = step_progress(as_json)
    with recording_store(engine, db, lake, spark_master) as store, progress:
        if test:
            result = significance(store, method, q=q, progress=progress, **kwargs).result
        else:
            progress(f"linking accounts ({method})")
            result = coordinate(store, method, **kwargs)
        if out:
            write_edges(result, out, store)
        shown, note = first_rows(result.edges, top)
        shown = add_handles(store, shown, PAIR_HANDLES)
    if as_json:
        print_json(
            {
                **result.summary(),
                "params": result.params,
                "bounded_keys": result.bounded_keys.to_dict("records"),
                "top_edges": shown.astype(object).where(shown.notna(), None).to_dict("records"),
                "top_edges_listed": _listed(len(shown), len(result.edges)),
            }
        )
        echo_note(note, as_json)
        return
    click.echo(_summary_line(result))
    click.echo(_edges_table(shown))
    echo_note(note, as_json)


def _listed(shown: int, total: int) -> dict:
    """Says in the JSON itself whether ``top_edges`` holds every edge, and how to get all."""
    return {"shown": shown, "of": total, "all": shown >= total,
            "for_all": None if shown >= total else "--top 0, or --out FILE"}  # fmt: skip


def _summary_line(result) -> str:
    s = result.summary()
    line = (
        f"{s['method']}: {plural(s['accounts'], 'account')}, {plural(s['edges'], 'pair')}, "
        f"{plural(s['evidence'], 'post pair')}{_tested(result)} (run {s['run_id']})"
    )
    if s["bounded_keys"]:
        line += (
            f"\nhot-key bound max_key_fanout={result.params['max_key_fanout']} "
            f"applied to {plural(s['bounded_keys'], 'key')}"
        )
    return line


def _tested(result) -> str:
    test = result.params.get("significance")
    if not test:
        return ""
    significant = int(result.edges["significant"].sum())
    return f"; {plural(significant, 'significant link')} (q <= {test['q']:g})"


def _edges_table(edges) -> str:
    cols = ["weight", "n_keys", "symmetry", "median_gap_s"]
    if "q_value" in edges:
        cols = ["weight", "events", "expected", "q_value", "median_gap_s"]
    rows = [
        [account_label(r["account_a"], r["handle_a"]),
         account_label(r["account_b"], r["handle_b"]), *(_cell(r[c]) for c in cols)]
        for r in edges.to_dict("records")
    ]  # fmt: skip
    return format_table(["account_a", "account_b", *cols], rows, numeric_from=2)


def _cell(value):
    if isinstance(value, float):
        return "-" if value != value else (f"{value:.2g}" if 0 < value < 1e-3 else round(value, 3))
    return value


@click.command("evidence")
@click.argument("account_a")
@click.argument("account_b")
@click.option("--method", "-m", type=click.Choice(method_names()), help="Only this method.")
@click.option("--run", "run_id", help="A groups or coordination run id from `trendwatch runs`.")
@db_option
@engine_options
@json_option
@tz_option
def evidence_command(
    account_a, account_b, method, run_id, db, engine, lake, spark_master, as_json
) -> None:
    """Show the post pairs (and their texts) behind the link of two accounts, from a stored run.

    Without --run: from the latest groups run that links the two accounts, each method that
    links them in it read from the coordination run that groups run used; when no groups run
    links them, from the latest coordination run that does. The first line says which.
    With --engine spark --lake DIR: from the runs written back to the lake.
    """
    with _evidence_store(engine, db, lake, spark_master, (account_a, account_b)) as store:
        found = pair_evidence(store, account_a, account_b, run_id=run_id, method=method, texts=True)
        handles = account_handles(store, [found.account_a, found.account_b])
        rows = add_key_urls(store, add_post_urls(store, found.rows, POST_URLS))
        changes = run_changes(store, [found.run_id, *found.method_runs.values()])
    pair = [(found.account_a, handles.get(found.account_a)),
            (found.account_b, handles.get(found.account_b))]  # fmt: skip
    if as_json:
        print_json(
            {
                "account_a": found.account_a,
                "handle_a": pair[0][1],
                "account_b": found.account_b,
                "handle_b": pair[1][1],
                "rule": found.rule,
                "run_id": found.run_id,
                "method_runs": found.method_runs,
                "source": found.source(),
                "evidence": rows.to_dict("records"),
                "changed": changes.to_dict("records"),
            }
        )
        return
    click.echo(terminal_safe(f"{plural(len(rows), 'post pair')} {found.source()}"))
    click.echo(terminal_safe(f"between {account_label(*pair[0])} and {account_label(*pair[1])}"))
    for change in changes.itertuples():
        click.echo(terminal_safe(f"note: run {change.run_id} changed since: {change.reason}"))
    # The key (reposted post, URL, text...) is what the two accounts shared.
    cols = ["method", "time_a", "gap_s", "key", "post_a", "text_a", "post_b", "text_b"]
    table = rows[cols].assign(**{c: rows[c].map(_short) for c in ("key", "text_a", "text_b")})
    table = table.assign(time_a=table["time_a"].map(shown_time))
    click.echo(format_table(cols, table.values.tolist(), numeric_from=len(cols)))
    for line in _address_lines(rows):
        click.echo(terminal_safe(line))


def _address_lines(rows) -> list[str]:
    """``post ID: URL`` for each post of the table whose address is known (too wide for the
    table; a Mastodon id alone finds nothing, as it is local to the collector's instance)."""
    if not len(rows):
        return []
    found = {}
    for end in ("a", "b"):
        for post, url in zip(rows[f"post_{end}"], rows[f"url_{end}"], strict=True):
            if isinstance(url, str):
                found.setdefault(str(post), url)
    return [f"post {post}: {url}" for post, url in found.items()]


def _evidence_store(engine, db, lake, spark_master, pair):
    """The store the evidence is read from: the DuckDB store, or the lake's slice for the pair
    (:func:`~trendwatch.engines.lake_evidence.lake_pair_store`)."""
    if engine == "duckdb" and lake is None:
        return open_store(db, read_only=True)
    from ..engines.lake_evidence import lake_pair_store

    return lake_pair_store(open_engine_store(engine, db=db, lake=lake, master=spark_master), *pair)


_TEXT_WIDTH = 40


def _short(text) -> str:
    """A post's text on one line, cut to fit a terminal table (the --json output has it all)."""
    if text is None or text != text:
        return ""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _TEXT_WIDTH else flat[: _TEXT_WIDTH - 1] + "…"


COMMANDS = [coordination_command, evidence_command]
