"""The relational core: the sort-based windowed self-join of actions on their key, in DuckDB.

Per key, actions are numbered in time order (``rn``); a window function gives, for each
action, the number ``last_rn`` of the last action on the key at most ``window`` later. The
action's partners are then exactly the rows ``rn + 1 .. min(last_rn, rn + K)``: they are
generated with ``range`` and joined back on ``(key, rn)`` by equality, so the work is linear in
the output, never quadratic in a hot key's size. ``K`` is the hot-key bound
``max_key_fanout``. Every query is parameterised; table names are our own constants.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import ibis
import ibis.expr.operations as ops
import numpy as np
import pandas as pd
import pyarrow as pa

from ...connections import connect
from .coded import CODE_SQL, coded_link, evidence_table, read_coded, registered
from .pairs import key_runs
from .summary import edge_order, edge_runs, evidence_rows, filter_edges

__all__ = [
    "LinkTables",
    "actions_on_duckdb",
    "key_is_costly",
    "sql_pair_join",
    "pair_join",
    "memory_limit",
    "LINK_MEMORY_LIMIT",
    "summarise",
    "finish",
    "number_actions",
    "expand_pairs",
]

_EDGE_ORDER = "weight DESC, account_a, account_b"


@dataclass(frozen=True)
class LinkTables:
    """What :func:`pair_join` computes: edges, evidence and the keys the bound cut."""

    edges: pd.DataFrame
    evidence: pa.Table
    bounded_keys: pd.DataFrame


@contextlib.contextmanager
def actions_on_duckdb(actions) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """Yield a DuckDB connection and the name of a view holding ``actions``.

    An Ibis table over DuckDB runs on its own connection (no copy); an Arrow table is
    registered on a fresh in-memory connection.
    """
    name = f"_tw_actions_{uuid.uuid4().hex[:8]}"
    if isinstance(actions, pa.Table):
        con = connect()
        con.register(name, actions)
        try:
            yield con, name
        finally:
            con.close()
        return
    con = actions.get_backend().con
    kind = "TABLE" if key_is_costly(actions) else "VIEW"
    con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {ibis.to_sql(actions, dialect='duckdb')}")
    try:
        yield con, name
    finally:
        con.execute(f"DROP {kind} IF EXISTS {name}")


def key_is_costly(actions: ibis.Table) -> bool:
    """Whether computing ``actions.key`` runs a regular expression (QUT's co-tweet text key).

    The link reads the key twice (codes, then the strings of the linked actions); a regex
    key would be computed twice, and four times where a filter repeats it, so
    :func:`actions_on_duckdb` materialises such actions once in a temporary table instead of
    a view. Cheap keys (a column, a ``coalesce``) stay a view: materialising 10 million
    reposts would cost more than it saves.
    """
    node = actions.op()
    return isinstance(node, ops.Project) and _runs_regex(node.values.get("key"))


_REGEX_OPS = (ops.RegexReplace, ops.RegexSearch, ops.RegexExtract, ops.RegexSplit)


def _runs_regex(node) -> bool:
    # Walks the value expression only, through the projections (and filters) that define it.
    if isinstance(node, ops.Field):
        rel = node.rel
        while isinstance(rel, ops.Filter):
            rel = rel.parent
        return isinstance(rel, ops.Project) and _runs_regex(rel.values.get(node.name))
    if isinstance(node, _REGEX_OPS):
        return True
    if isinstance(node, tuple):
        return any(_runs_regex(arg) for arg in node)
    return isinstance(node, ops.Value) and any(_runs_regex(arg) for arg in node.args)


def sql_pair_join(con: duckdb.DuckDBPyConnection, actions: str, params: dict) -> LinkTables:
    """The windowed self-join of view ``actions`` all in SQL on strings (slow; test oracle)."""
    _prepare_actions(con, actions, params["min_participation"])
    number_actions(con, params["window_s"])
    expand_pairs(con, params["max_key_fanout"], params.get("max_key_pairs"))
    return finish(con, params)


def finish(con: duckdb.DuckDBPyConnection, params: dict) -> LinkTables:
    """Summarise, filter and fetch the post pairs in ``_tw_pairs`` (then drop the work tables)."""
    _summarise_edges(con)
    _filter_edges(con, params)
    if params["tfidf"]:
        _add_tfidf(con)
    tables = LinkTables(
        edges=_fetch(con, f"SELECT * FROM _tw_edges ORDER BY {_EDGE_ORDER}"),
        evidence=con.sql(_EVIDENCE_SQL).to_arrow_table(),
        bounded_keys=_bounded_keys(con, params["max_key_fanout"]),
    )
    for table in (
        "_tw_acts",
        "_tw_numbered",
        "_tw_pairs",
        "_tw_edges",
        "_tw_sim_posts",
        "_tw_shingles",
    ):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return tables


def _prepare_actions(con, actions: str, min_participation: int) -> None:
    # Distinct actions with a usable account, key and time; keys acted on by a single
    # account cannot link anyone and are dropped early (cheap, and hot keys stay hot).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _tw_acts AS
        WITH a AS (
            SELECT DISTINCT CAST(account_id AS VARCHAR) AS account_id,
                   CAST(key AS VARCHAR) AS key,
                   CAST(time AS TIMESTAMPTZ) AS time, CAST(post_id AS VARCHAR) AS post_id
            FROM {actions}
            WHERE account_id IS NOT NULL AND key IS NOT NULL AND time IS NOT NULL
        ), active AS (
            SELECT account_id FROM a GROUP BY account_id HAVING count(DISTINCT key) >= ?
        )
        SELECT a.* FROM a SEMI JOIN active USING (account_id)
        WHERE key IN (SELECT key FROM a GROUP BY key HAVING count(DISTINCT account_id) > 1)
    """,
        [min_participation],
    )


def number_actions(con, window_s: float) -> None:
    # last_rn counts the actions on the key up to `window` after this one: with ties on
    # time, every tied action is inside the frame, so partners are rn+1 .. last_rn.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tw_numbered AS
        SELECT *, row_number() OVER (PARTITION BY key ORDER BY t, post_id, account_id) AS rn,
               count(*) OVER (PARTITION BY key ORDER BY t
                              RANGE BETWEEN UNBOUNDED PRECEDING AND ? FOLLOWING) AS last_rn
        FROM (SELECT *, epoch_us(time) AS t FROM _tw_acts)
    """,
        [round(window_s * 1_000_000)],
    )


ORDERED_PAIRS_SQL = """
    SELECT least(acc_1, acc_2) AS account_a, greatest(acc_1, acc_2) AS account_b, key,
           CASE WHEN acc_1 < acc_2 THEN post_1 ELSE post_2 END AS post_a,
           CASE WHEN acc_1 < acc_2 THEN post_2 ELSE post_1 END AS post_b,
           CASE WHEN acc_1 < acc_2 THEN time_1 ELSE time_2 END AS time_a,
           CASE WHEN acc_1 < acc_2 THEN time_2 ELSE time_1 END AS time_b,
           gap_s
    FROM joined
"""
"""Post pairs ``joined`` (``acc_1, acc_2, post_1, ...``) with the smaller account first, in
SQL that DuckDB and Spark both run (:mod:`trendwatch.engines.spark_link` uses it too)."""


def expand_pairs(con, max_key_fanout: int | None, max_key_pairs: int | None = None) -> None:
    # The hot-key bound of :mod:`.pairs` in SQL: per key, the fanout, lowered to
    # max(1, max_key_pairs // n_actions) when the fanout-capped pairs exceed the budget.
    fanout = "NULL" if max_key_fanout is None else str(int(max_key_fanout))
    budget = "NULL" if max_key_pairs is None else str(int(max_key_pairs))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _tw_pairs AS
        WITH lim AS (
            SELECT key, CASE
                WHEN {budget} IS NOT NULL AND sum(least(last_rn - rn, {fanout})) > {budget}
                THEN greatest(1, least({fanout}, {budget} // count(*)))
                ELSE {fanout} END AS lim
            FROM _tw_numbered GROUP BY key
        ), partner AS (
            SELECT key, account_id, post_id, time, t,
                   unnest(range(rn + 1, coalesce(least(last_rn, rn + lim), last_rn) + 1)) AS rn_b
            FROM _tw_numbered JOIN lim USING (key) WHERE last_rn > rn
        ), joined AS (
            SELECT p.key, p.account_id AS acc_1, b.account_id AS acc_2,
                   p.post_id AS post_1, b.post_id AS post_2, p.time AS time_1, b.time AS time_2,
                   (b.t - p.t) / 1e6 AS gap_s
            FROM partner p JOIN _tw_numbered b ON b.key = p.key AND b.rn = p.rn_b
            WHERE b.account_id <> p.account_id
        )
        {ORDERED_PAIRS_SQL}
    """)


EDGE_SUMMARY_SQL = """
    SELECT account_a, account_b, count(*) AS weight, count(DISTINCT key) AS n_keys,
           count(DISTINCT post_a) AS a_posts, count(DISTINCT post_b) AS b_posts,
           least(count(DISTINCT post_a), count(DISTINCT post_b))
             / greatest(count(DISTINCT post_a), count(DISTINCT post_b)) AS symmetry,
           median(gap_s) AS median_gap_s, min(gap_s) AS min_gap_s
    FROM {pairs} GROUP BY account_a, account_b
"""
"""The edges of a table of post pairs, in SQL that DuckDB and Spark both run (the Spark
engine's link, :mod:`trendwatch.engines.spark_link`, uses it too)."""


def _summarise_edges(con) -> None:
    edges = EDGE_SUMMARY_SQL.format(pairs="_tw_pairs")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _tw_edges AS {edges}")


def _filter_edges(con, params: dict) -> None:
    cut = 0.0
    if params["weight_percentile"] is not None:
        cut = (
            con.execute(
                "SELECT quantile_cont(weight, ?) FROM _tw_edges",
                [params["weight_percentile"] / 100],
            ).fetchall()[0][0]
            or 0.0
        )
    con.execute(
        "DELETE FROM _tw_edges WHERE weight < ? OR weight < ? OR symmetry < ?",
        [params["min_weight"], cut, params["min_symmetry"]],
    )


def _add_tfidf(con) -> None:
    # tf = actions of the account on the key; idf = ln(accounts / accounts on the key);
    # cosine of the two accounts' vectors over all their keys (not only the linked ones).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _tw_tfidf AS
        WITH tf AS (SELECT account_id, key, count(*) AS tf FROM _tw_acts GROUP BY ALL),
        df AS (SELECT key, count(*) AS df FROM tf GROUP BY key),
        n AS (SELECT count(DISTINCT account_id) AS n FROM tf)
        SELECT account_id, key, tf * ln(n.n / df.df) AS w FROM tf JOIN df USING (key), n
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _tw_edges AS
        WITH norm AS (SELECT account_id, sqrt(sum(w * w)) AS norm FROM _tw_tfidf GROUP BY 1),
        dot AS (
            SELECT e.account_a, e.account_b, sum(x.w * y.w) AS dot
            FROM _tw_edges e
            JOIN _tw_tfidf x ON x.account_id = e.account_a
            JOIN _tw_tfidf y ON y.account_id = e.account_b AND y.key = x.key
            GROUP BY ALL
        )
        SELECT e.*, coalesce(d.dot / nullif(na.norm * nb.norm, 0), 0) AS tfidf
        FROM _tw_edges e LEFT JOIN dot d USING (account_a, account_b)
        JOIN norm na ON na.account_id = e.account_a JOIN norm nb ON nb.account_id = e.account_b
    """)
    con.execute("DROP TABLE _tw_tfidf")


def _bounded_keys(con, max_key_fanout: int | None) -> pd.DataFrame:
    if max_key_fanout is None:
        return pd.DataFrame({"key": pd.Series([], dtype=str), "n_actions": []})
    return _fetch(
        con,
        f"""
        SELECT key, count(*) AS n_actions FROM _tw_numbered GROUP BY key
        HAVING max(last_rn - rn) > {int(max_key_fanout)} ORDER BY n_actions DESC, key
    """,
    )


_EVIDENCE_SQL = """
    SELECT p.* FROM _tw_pairs p SEMI JOIN _tw_edges e USING (account_a, account_b)
    ORDER BY p.account_a, p.account_b, p.time_a, p.post_a, p.post_b
"""


def _fetch(con, sql: str) -> pd.DataFrame:
    return con.sql(sql).to_arrow_table().to_pandas()


LINK_MEMORY_LIMIT = "400MB"
"""DuckDB's memory limit while linking: its sorts spill to disk beyond it (peak RSS stays
under 2 GB on 10 million actions; the connection's own limit is restored afterwards)."""


READ_MEMORY_LIMIT = "1000MB"
"""DuckDB's memory limit for the sorted read of the coded actions, which comes first: nothing
else is held yet, and 10 million actions then sort without spilling. At 700 MB, DuckDB 2.0
wrote 135 MB of that sort to disk; the compute took 5.08-6.17 s against 5.11-5.69 s without
the spill (four alternating runs each, peak 1.61-1.71 against 1.64-1.66 GB)."""


def pair_join(con: duckdb.DuckDBPyConnection, actions: str, params: dict) -> LinkTables:
    """Link the actions of view ``actions`` (the fast path, see :mod:`.coded`) into edges."""
    with memory_limit(con, READ_MEMORY_LIMIT):
        acts = read_coded(con, actions, params["min_participation"])
    with memory_limit(con, LINK_MEMORY_LIMIT):
        acts, found, resolved, pairs = coded_link(con, actions, params, acts)
        bounded = _coded_bounded_keys(con, actions, acts, found)
        del found
        if not params["tfidf"]:
            acts = None  # only TF-IDF needs every action from here on: free them
        return summarise(con, pairs, acts, resolved, params, bounded)


@contextlib.contextmanager
def memory_limit(con, limit: str):
    """Lower ``con``'s DuckDB memory limit to ``limit`` (never raise it) for the block."""
    old = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    lower = _bytes(limit) < _bytes(old)
    if lower:
        con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        if lower:
            con.execute(f"SET memory_limit = '{old}'")


_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_UNITS |= {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "bytes": 1}


def _bytes(setting: str) -> float:
    # DuckDB spells its limits "1.0 GiB", "953.6 MiB", "1GB"; anything else is not a limit.
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", setting)
    if not match or match[2] not in _UNITS:
        return float("inf")
    return float(match[1]) * _UNITS[match[2]]


def summarise(con, pairs: pa.Table, acts, resolved, params: dict, bounded_keys: pd.DataFrame):
    """Edges, evidence and bounded keys from a coded pair table (see :func:`.coded.pair_table`)."""
    runs = edge_runs(con, pairs)
    keep = filter_edges(runs.edges, params)
    # A filter copies every column, even when it keeps every edge (min_weight 1, the default).
    edges = runs.edges if keep.all() else runs.edges.filter(keep)
    if params["tfidf"]:
        edges = _with_coded_tfidf(con, edges, acts, resolved)
    rows = evidence_rows(runs, keep)
    # Only the columns the evidence shows are taken (1.8 million rows on the 10 M co-retweet).
    shown = pairs.drop_columns(["p_lo", "p_hi", "t_lo"])
    # The evidence gets its strings on the second core while the edges get theirs: Arrow's
    # takes release the GIL, and the two share only read-only arrays.
    with ThreadPoolExecutor(1) as pool:
        evidence = pool.submit(lambda: evidence_table(shown.take(rows), resolved))
        named = _named_edges(edges.take(edge_order(edges)), resolved)
        return LinkTables(edges=named, evidence=evidence.result(), bounded_keys=bounded_keys)


def _named_edges(edges: pa.Table, resolved) -> pd.DataFrame:
    a = resolved.accounts.take(edges["lo"])
    b = resolved.accounts.take(edges["hi"])
    rest = edges.drop_columns(["lo", "hi"])
    named = pa.table([a, b, *rest.columns], names=["account_a", "account_b", *rest.column_names])
    return named.to_pandas()


def _with_coded_tfidf(con, edges: pa.Table, acts, resolved) -> pa.Table:
    # As _add_tfidf, over the coded actions; edge ranks are mapped to account hashes.
    hashes = np.zeros(len(resolved.accounts), np.uint64)
    hashes[resolved.account] = acts.a[resolved.positions]
    with (
        registered(con, pa.table({"a": acts.a, "k": acts.k})) as a_k,
        registered(con, pa.table({"rank": np.arange(hashes.size), "a": hashes})) as ranks,
        registered(con, edges) as edge_table,
    ):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _tw_tfidf AS
            WITH tf AS (SELECT a, k, count(*) AS tf FROM {a_k} GROUP BY ALL),
            df AS (SELECT k, count(*) AS df FROM tf GROUP BY k),
            n AS (SELECT count(DISTINCT a) AS n FROM tf)
            SELECT a, k, tf * ln(n.n / df.df) AS w FROM tf JOIN df USING (k), n
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _tw_edges AS
            WITH e AS (
                SELECT e.*, ra.a AS ha, rb.a AS hb FROM {edge_table} e
                JOIN {ranks} ra ON ra.rank = e.lo JOIN {ranks} rb ON rb.rank = e.hi
            ), norm AS (SELECT a, sqrt(sum(w * w)) AS norm FROM _tw_tfidf GROUP BY 1),
            dot AS (
                SELECT e.lo, e.hi, sum(x.w * y.w) AS dot FROM e
                JOIN _tw_tfidf x ON x.a = e.ha JOIN _tw_tfidf y ON y.a = e.hb AND y.k = x.k
                GROUP BY ALL
            )
            SELECT e.* EXCLUDE (ha, hb),
                   coalesce(d.dot / nullif(na.norm * nb.norm, 0), 0) AS tfidf
            FROM e LEFT JOIN dot d USING (lo, hi)
            JOIN norm na ON na.a = e.ha JOIN norm nb ON nb.a = e.hb
        """)
    out = con.sql("SELECT * FROM _tw_edges ORDER BY lo, hi").to_arrow_table()
    con.execute("DROP TABLE _tw_tfidf; DROP TABLE _tw_edges")
    return out


def _coded_bounded_keys(con, source: str, acts, found) -> pd.DataFrame:
    empty = pd.DataFrame({"key": pd.Series([], dtype=str), "n_actions": [], "fanout": []})
    if not found.cut.any():
        return empty
    starts, lengths = key_runs(acts.k)
    cut_runs = np.maximum.reduceat(found.cut, starts).astype(bool)
    runs = pa.table(
        {
            "k": acts.k[starts[cut_runs]],
            "n_actions": lengths[cut_runs],
            "fanout": found.limit[starts[cut_runs]],
        }
    )
    with registered(con, runs) as name:
        return _fetch(
            con,
            f"""
            SELECT s.key, r.n_actions, r.fanout FROM {name} r JOIN (
                SELECT DISTINCT k, key FROM (
                    SELECT {CODE_SQL["k"]} AS k, CAST(key AS VARCHAR) AS key
                    FROM {source} WHERE key IS NOT NULL
                ) SEMI JOIN {name} USING (k)
            ) s USING (k) ORDER BY r.n_actions DESC, s.key
            """,
        )
