"""The coordination link on Spark: the windowed self-join with its hot-key bound, in Spark SQL.

On DuckDB the link is a NumPy walk over integer-coded actions (:mod:`trendwatch.analysis.
coordination.coded`), checked against the same steps in DuckDB SQL
(:func:`~trendwatch.analysis.coordination.join.sql_pair_join`). Those steps are what runs
here, one for one, as Spark SQL over the actions' DataFrame:

1. distinct actions with an account, key and time; accounts acting on fewer than
   ``min_participation`` keys and keys acted on by one account only are dropped;
2. per key, actions numbered in time order (``rn``) and, for each, the number ``last_rn`` of
   the last action at most ``window`` later (a ``RANGE`` frame on microseconds);
3. the hot-key bound per key (``lim``), then each action's partners ``rn + 1 ..
   min(last_rn, rn + lim)`` generated with ``sequence`` and joined back on ``(key, rn)``:
   linear in the output, as on DuckDB;
4. edges (weight, keys, posts per side, symmetry, median and least gap), the filters, the
   TF-IDF cosine, the evidence of the kept edges and the keys the bound cut.

Only the edges, the evidence of kept edges and the bounded keys reach the driver. Why not Ibis:
step 2 needs a ``RANGE`` frame over microseconds and step 3 a generated series joined back,
which Ibis 12 does not spell the same on both backends; the steps are short, and the parity
tests hold them to the DuckDB engine's results. SQL text holds only our own view names and
numbers formatted here.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pyarrow as pa

from ..analysis.coordination.join import EDGE_SUMMARY_SQL, ORDERED_PAIRS_SQL, LinkTables

__all__ = ["spark_pair_join", "pair_join_frame", "spark_actions", "cache_view"]


def spark_actions(actions):
    """The Spark DataFrame of an Ibis actions table over the PySpark backend."""
    backend = actions.get_backend()
    return backend.raw_sql(backend.compile(actions))


def spark_pair_join(actions, params: dict) -> LinkTables:
    """Link an Ibis actions table over PySpark into edges, evidence and bounded keys."""
    session = actions.get_backend()._session
    return pair_join_frame(session, spark_actions(actions), params)


def pair_join_frame(session, frame, params: dict, refine=None) -> LinkTables:
    """:func:`spark_pair_join` over a Spark DataFrame of actions.

    ``refine(session, names, cached)``, when given, runs between steps 3 and 4: it may
    replace the post pairs (view ``names.pairs``) and the actions TF-IDF reads
    (``names.tf``, ``account_id, key``), caching what it makes with :func:`cache_view` or
    computing it at once with :func:`checkpoint_view` (co-similar: :mod:`.spark_similar`,
    which drops its own views).
    """
    names = _Names(uuid.uuid4().hex[:8])
    frame.createOrReplaceTempView(names.source)
    cached = []
    try:
        # The distinct actions are read by three steps: cached, the lake is scanned once.
        cache_view(session.sql(_distinct_sql(names)), names.distinct, cached)
        numbered = cache_view(session.sql(_numbered_sql(names, params)), names.numbered, cached)
        cache_view(session.sql(_limits_sql(names, params)), names.limits, cached)
        cache_view(session.sql(_pairs_sql(names)), names.pairs, cached)
        if refine is not None:
            refine(session, names, cached)
        edges = _edges(session, names, params, cached)
        del numbered
        return LinkTables(
            edges=edges,
            evidence=_evidence(session, names),
            bounded_keys=_bounded_keys(session, names, params),
        )
    finally:
        for frame in cached:
            frame.unpersist()
        for view in names.all():
            session.catalog.dropTempView(view)


class _Names:
    """The temporary view names of one link (unique per call)."""

    def __init__(self, tag: str):
        self.source = f"tw_link_source_{tag}"
        self.distinct = f"tw_link_distinct_{tag}"
        self.numbered = f"tw_link_numbered_{tag}"
        self.limits = f"tw_link_limits_{tag}"
        self.pairs = f"tw_link_pairs_{tag}"
        self.edges = f"tw_link_edges_{tag}"
        self.tf = self.numbered

    def all(self) -> list[str]:
        return [self.source, self.distinct, self.numbered, self.limits, self.pairs, self.edges]


def cache_view(frame, view: str, cached: list):
    """Persist ``frame`` as temporary view ``view``; ``cached`` collects it to unpersist."""
    frame = frame.persist()
    frame.createOrReplaceTempView(view)
    cached.append(frame)
    return frame


def checkpoint_view(frame, view: str):
    """Compute ``frame`` now and name the result ``view``, its plan cut to a scan of it."""
    frame = frame.localCheckpoint()
    frame.createOrReplaceTempView(view)
    return frame


def _distinct_sql(names: _Names) -> str:
    # Step 1's input: each action once.
    return f"""
        SELECT DISTINCT CAST(account_id AS STRING) AS account_id,
               CAST(key AS STRING) AS key, CAST(time AS TIMESTAMP) AS time,
               CAST(post_id AS STRING) AS post_id
        FROM {names.source}
        WHERE account_id IS NOT NULL AND key IS NOT NULL AND time IS NOT NULL
    """


def _numbered_sql(names: _Names, params: dict) -> str:
    # Steps 1 and 2. Shared keys are counted before the participation filter, as on DuckDB.
    window_us = round(float(params["window_s"]) * 1_000_000)
    participation = int(params["min_participation"])
    return f"""
        WITH a AS (SELECT * FROM {names.distinct}), active AS (
            SELECT account_id FROM a GROUP BY account_id
            HAVING count(DISTINCT key) >= {participation}
        ), shared AS (
            SELECT key FROM a GROUP BY key HAVING count(DISTINCT account_id) > 1
        ), acts AS (
            SELECT a.*, unix_micros(a.time) AS t FROM a
            LEFT SEMI JOIN active ON a.account_id = active.account_id
            LEFT SEMI JOIN shared ON a.key = shared.key
        )
        SELECT *,
               row_number() OVER (PARTITION BY key ORDER BY t, post_id, account_id) AS rn,
               count(*) OVER (PARTITION BY key ORDER BY t
                              RANGE BETWEEN UNBOUNDED PRECEDING AND {window_us} FOLLOWING)
                 AS last_rn
        FROM acts
    """


def _limits_sql(names: _Names, params: dict) -> str:
    # Step 3's bound per key: the fanout, lowered to max(1, budget // n) over the budget.
    fanout, budget = params["max_key_fanout"], params.get("max_key_pairs")
    if fanout is None:
        return f"SELECT key, CAST(NULL AS BIGINT) AS lim FROM {names.numbered} GROUP BY key"
    fanout = int(fanout)
    if budget is None:
        return f"SELECT key, CAST({fanout} AS BIGINT) AS lim FROM {names.numbered} GROUP BY key"
    budget = int(budget)
    return f"""
        SELECT key, CAST(CASE
            WHEN sum(least(last_rn - rn, {fanout})) > {budget}
            THEN greatest(1, least({fanout}, {budget} DIV count(*)))
            ELSE {fanout} END AS BIGINT) AS lim
        FROM {names.numbered} GROUP BY key
    """


def _pairs_sql(names: _Names) -> str:
    # Step 3: partners by position, joined back by equality on (key, rn).
    return f"""
        WITH partner AS (
            SELECT n.key, n.account_id, n.post_id, n.time, n.t,
                   explode(sequence(n.rn + 1,
                       CASE WHEN l.lim IS NULL THEN n.last_rn
                            ELSE least(n.last_rn, n.rn + l.lim) END)) AS rn_b
            FROM {names.numbered} n JOIN {names.limits} l ON n.key = l.key
            WHERE n.last_rn > n.rn
        ), joined AS (
            SELECT p.key, p.account_id AS acc_1, b.account_id AS acc_2,
                   p.post_id AS post_1, b.post_id AS post_2, p.time AS time_1,
                   b.time AS time_2, (b.t - p.t) / 1e6 AS gap_s
            FROM partner p JOIN {names.numbered} b ON b.key = p.key AND b.rn = p.rn_b
            WHERE b.account_id <> p.account_id
        )
        {ORDERED_PAIRS_SQL}
    """


def _edges_sql(names: _Names) -> str:
    return EDGE_SUMMARY_SQL.format(pairs=names.pairs)


def _edges(session, names: _Names, params: dict, cached: list) -> pd.DataFrame:
    """Step 4: the edges, filtered (weight, percentile, symmetry), with TF-IDF if asked."""
    edges = cache_view(session.sql(_edges_sql(names)), names.edges, cached)
    cut = 0.0
    if params["weight_percentile"] is not None:
        share = float(params["weight_percentile"]) / 100
        [row] = session.sql(f"SELECT percentile(weight, {share!r}) FROM {names.edges}").collect()
        cut = row[0] or 0.0
    floor = max(float(params["min_weight"]), float(cut))
    kept = edges.where(f"weight >= {floor!r} AND symmetry >= {float(params['min_symmetry'])!r}")
    kept = cache_view(kept, names.edges, cached)
    if params["tfidf"]:
        kept = cache_view(session.sql(_tfidf_sql(names)), names.edges, cached)
    ordered = kept.orderBy(kept.weight.desc(), "account_a", "account_b")
    return _arrow(ordered).to_pandas()


def _tfidf_sql(names: _Names) -> str:
    # As the DuckDB engine: tf = the account's actions on the key, idf = ln(accounts / accounts
    # on the key), cosine over all of the two accounts' keys.
    return f"""
        WITH tf AS (
            SELECT account_id, key, count(*) AS tf FROM {names.tf} GROUP BY account_id, key
        ), df AS (SELECT key, count(*) AS df FROM tf GROUP BY key),
        n AS (SELECT count(DISTINCT account_id) AS n FROM tf),
        w AS (SELECT tf.account_id, tf.key, tf.tf * ln(n.n / df.df) AS w
              FROM tf JOIN df ON tf.key = df.key CROSS JOIN n),
        norm AS (SELECT account_id, sqrt(sum(w * w)) AS norm FROM w GROUP BY account_id),
        dot AS (
            SELECT e.account_a, e.account_b, sum(x.w * y.w) AS dot
            FROM {names.edges} e
            JOIN w x ON x.account_id = e.account_a
            JOIN w y ON y.account_id = e.account_b AND y.key = x.key
            GROUP BY e.account_a, e.account_b
        )
        SELECT e.*, coalesce(d.dot / nullif(na.norm * nb.norm, 0), 0) AS tfidf
        FROM {names.edges} e
        LEFT JOIN dot d ON d.account_a = e.account_a AND d.account_b = e.account_b
        JOIN norm na ON na.account_id = e.account_a JOIN norm nb ON nb.account_id = e.account_b
    """


def _evidence(session, names: _Names) -> pa.Table:
    frame = session.sql(f"""
        SELECT p.* FROM {names.pairs} p LEFT SEMI JOIN {names.edges} e
            ON p.account_a = e.account_a AND p.account_b = e.account_b
        ORDER BY p.account_a, p.account_b, p.time_a, p.post_a, p.post_b
    """)
    return _arrow(frame)


def _bounded_keys(session, names: _Names, params: dict) -> pd.DataFrame:
    if params["max_key_fanout"] is None:
        return pd.DataFrame({"key": pd.Series([], dtype=str), "n_actions": [], "fanout": []})
    frame = session.sql(f"""
        SELECT n.key, count(*) AS n_actions, first(l.lim) AS fanout
        FROM {names.numbered} n JOIN {names.limits} l ON n.key = l.key
        GROUP BY n.key HAVING max(n.last_rn - n.rn) > first(l.lim)
        ORDER BY n_actions DESC, n.key
    """)
    return _arrow(frame).to_pandas()


def _arrow(frame) -> pa.Table:
    """A Spark DataFrame as an Arrow table, times as UTC (the session's zone)."""
    table = frame.toArrow()
    columns = [_utc(column) for column in table.columns]
    return pa.table(columns, names=table.column_names)


def _utc(column):
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return column.cast(pa.timestamp(kind.unit, tz="UTC"))
    return column
