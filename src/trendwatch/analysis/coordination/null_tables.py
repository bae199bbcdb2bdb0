"""The significance test's tables, built where the actions are: on DuckDB or on Spark.

The configuration null (:mod:`.significance`) needs, per binning, day and cell-size stratum,
each account's cells and each cell's size, and per pair the cells it shares. Those are
relational steps over the context actions (millions of rows on a big archive): they run on the
engine that holds the actions, and only the per-pair counts and expectations reach Python,
where the Poisson tails and Benjamini-Hochberg are computed the same way for both engines.

Written once
------------
Each step is one ``SELECT`` below, run as ``CREATE TEMP TABLE name AS`` on DuckDB and as a
persisted temporary view on Spark (:class:`DuckDBTables`, :class:`SparkTables`). The text is
the same for both engines but for three spellings filled per engine (:data:`DIALECTS`): the
epoch in microseconds (``epoch_us`` / ``unix_micros``), a 64-bit hash of a key (``hash`` /
``xxhash64``) and the semi-join (``SEMI JOIN`` / ``LEFT SEMI JOIN``), plus the
named-parameter marker (``$w`` on DuckDB, ``:w`` on Spark). The rest
(``GROUP BY ALL``, ``::`` casts, ``power``, ``any_value``, ``VALUES`` lists) both engines read
as written.

Why templates and not sqlglot (installed with Ibis): sqlglot 27.29 transpiles the DuckDB
text (``sqlglot.transpile(sql, read="duckdb", write="spark")``) with ``EPOCH_US`` left as it
is (Spark has no such function: the statement fails) and DuckDB's 64-bit ``hash(key)`` turned
into Spark's ``HASH(key)``, a 32-bit Murmur3: over a million distinct keys some hundred pairs
of keys collide and merge their cells, so the counts and p-values would differ from DuckDB's
without an error. Both would need a post-edit of sqlglot's output; the spellings are
filled here instead, where they can be read, and the parity tests hold both engines to the
same numbers.

Parameters are parameters (the window, the day origin, the fewest events); the only text
formatted into the statements is our own table names.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass

import ibis
import pandas as pd
import pyarrow as pa

from ...connections import connect
from .coded import registered
from .engine import on_spark
from .join import memory_limit
from .results import decoded

__all__ = ["DIALECTS", "CellCounts", "count_cells", "null_tables"]

DIALECTS = {
    "duckdb": {"epoch_us": "epoch_us", "hash64": "hash", "semi_join": "SEMI JOIN"},
    "spark": {"epoch_us": "unix_micros", "hash64": "xxhash64", "semi_join": "LEFT SEMI JOIN"},
}
"""The spellings that differ between the engines, by engine."""

NULL_MEMORY_LIMIT = "500MB"
"""DuckDB's memory limit while the null's tables are built (its joins spill beyond it): the
whole IRA archive's co-hashtag cells would otherwise stay in DuckDB's buffers, and the
groups of all methods peaked at 1.99 GB instead of staying well under 2 GB."""

# Memberships of accounts in cells, for both binnings o = 0, 1; a cell's day is its start's.
# Keys are hashed (64 bits): a repost's key can be its original's whole text.
_CELL_TABLES = (
    ("_tw_ac", """
        SELECT DISTINCT o, account_id, {hash64}(key) AS key,
               floor(({epoch_us}(time) / 1e6 + o * $w) / (2 * $w))::BIGINT AS bin
        FROM {actions} CROSS JOIN (VALUES (0), (1)) AS binnings(o)
    """),
    ("_tw_cells", """
        SELECT o, key, bin, count(*) AS d,
               floor((bin * 2 * $w - o * $w - $day_origin) / 86400)::BIGINT AS day
        FROM _tw_ac GROUP BY ALL
    """),
    ("_tw_x", """
        SELECT o, account_id, day, count(*)::DOUBLE AS x
        FROM _tw_ac JOIN _tw_cells USING (o, key, bin) GROUP BY ALL
    """),
    ("_tw_s", """
        SELECT o, day, floor(log2(d - 1))::INTEGER AS s, sum(d * (d - 1))::DOUBLE AS s_sum
        FROM _tw_cells WHERE d >= 2 GROUP BY ALL
    """),
    ("_tw_dd", """
        SELECT o, day, power(sum(x), 2) - sum(x * x) AS denominator FROM _tw_x GROUP BY ALL
    """),
)  # fmt: skip
# Evidence rows whose two actions share a cell, once per (pair, cell), with the cell's stratum.
_EVENTS_TABLE = ("_tw_n", """
    WITH binned AS (
        SELECT o, account_a, account_b, {hash64}(key) AS key,
               floor(({epoch_us}(time_a) / 1e6 + o * $w) / (2 * $w))::BIGINT AS bin,
               floor(({epoch_us}(time_b) / 1e6 + o * $w) / (2 * $w))::BIGINT AS bin_b
        FROM {evidence} CROSS JOIN (VALUES (0), (1)) AS binnings(o)
    ), shared AS (
        SELECT DISTINCT o, account_a, account_b, key, bin FROM binned WHERE bin = bin_b
    )
    SELECT o, account_a, account_b, day, floor(log2(greatest(d, 2) - 1))::INTEGER AS s,
           count(*) AS n
    FROM shared JOIN _tw_cells USING (o, key, bin) GROUP BY ALL
""")  # fmt: skip
# Every pair's events: its distinct shared cells in the better binning (one row per pair).
_EVENTS_PER_PAIR_SQL = """
    SELECT account_a, account_b, max(total) AS events FROM (
        SELECT o, account_a, account_b, sum(n) AS total FROM _tw_n GROUP BY ALL
    ) GROUP BY ALL
"""
# Per (binning, pair, stratum) of the pairs with at least $min_events shared cells in the
# binning (the tested ones): the shared cells and the expected number, summed over the days
# both are active. Two collects, not one joined frame of every pair's strata: on the whole
# IRA archive that frame did not fit DuckDB's memory limit for the null (NULL_MEMORY_LIMIT),
# nor did this statement with an inner join in place of the semi-join.
_EXPECTED_SQL = """
    WITH totals AS (
        SELECT o, account_a, account_b, s, sum(n) AS n FROM _tw_n GROUP BY ALL
    ), enough AS (
        SELECT o, account_a, account_b FROM totals GROUP BY ALL HAVING sum(n) >= $min_events
    ), tested AS (
        SELECT * FROM totals {semi_join} enough USING (o, account_a, account_b)
    )
    SELECT t.o, t.account_a, t.account_b, t.s, any_value(t.n) AS n,
           coalesce(sum(xa.x * xb.x * st.s_sum / nullif(dd.denominator, 0)), 0) AS lam
    FROM tested t
    JOIN _tw_x xa ON xa.o = t.o AND xa.account_id = t.account_a
    JOIN _tw_x xb ON xb.o = t.o AND xb.account_id = t.account_b AND xb.day = xa.day
    JOIN _tw_s st ON st.o = t.o AND st.day = xa.day AND st.s = t.s
    JOIN _tw_dd dd ON dd.o = t.o AND dd.day = xa.day
    GROUP BY ALL
"""
_STRATA_SQL = "SELECT count(DISTINCT s) AS strata FROM _tw_s"
_TABLE_NAMES = [name for name, _ in _CELL_TABLES] + [_EVENTS_TABLE[0]]


@dataclass(frozen=True)
class CellCounts:
    """What the null's tables give Python.

    Attributes
    ----------
    events : DataFrame ``account_a, account_b, events``
        Every pair's events (distinct shared cells, the better binning).
    counts : DataFrame ``o, account_a, account_b, s, n, lam``
        The tested pairs' shared cells and expectation per binning and stratum.
    n_strata : int
        The cell-size strata of the context (at least 1).
    """

    events: pd.DataFrame
    counts: pd.DataFrame
    n_strata: int

    @classmethod
    def from_frames(cls, events: pd.DataFrame, counts: pd.DataFrame, strata: int) -> CellCounts:
        """From :data:`_EVENTS_PER_PAIR_SQL`'s and :data:`_EXPECTED_SQL`'s rows, in a stable
        order (engines return rows in any order)."""
        pair = ["account_a", "account_b"]
        events = events.sort_values(pair).reset_index(drop=True)
        counts = counts.sort_values(["o", *pair, "s"]).reset_index(drop=True)
        return cls(events, counts, max(int(strata), 1))


def _used(params: dict, statement: str) -> dict:
    """The named parameters a statement uses (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in statement}


class DuckDBTables:
    """The null's tables as temporary tables of a DuckDB connection."""

    dialect = "duckdb"

    def __init__(self, con):
        self.con = con

    def create(self, name: str, select: str, params: dict) -> None:
        sql = f"CREATE OR REPLACE TEMP TABLE {name} AS {select}"
        self.con.execute(sql, _used(params, select))

    def frame(self, select: str, params: dict) -> pd.DataFrame:
        return self.con.execute(select, _used(params, select)).df()

    @contextlib.contextmanager
    def arrow_relation(self, table: pa.Table):
        with registered(self.con, table) as name:
            yield name

    def drop(self) -> None:
        self.con.execute("".join(f"DROP TABLE IF EXISTS {t};" for t in _TABLE_NAMES))


class SparkTables:
    """The null's tables as persisted temporary views of a Spark session (driver-side, only
    the final frames are collected)."""

    dialect = "spark"

    def __init__(self, session):
        self.session = session
        self._cached = []

    def _sql(self, select: str, params: dict):
        # Spark's named parameter markers are :name where DuckDB's are $name.
        text = re.sub(r"\$(\w+)", r":\1", select)
        return self.session.sql(text, args=_used(params, select) or None)

    def create(self, name: str, select: str, params: dict) -> None:
        frame = self._sql(select, params).persist()
        frame.createOrReplaceTempView(name)
        self._cached.append(frame)

    def frame(self, select: str, params: dict) -> pd.DataFrame:
        from ...engines.spark_link import _arrow

        return _arrow(self._sql(select, params)).to_pandas()

    @contextlib.contextmanager
    def arrow_relation(self, table: pa.Table):
        name = f"tw_null_evidence_{uuid.uuid4().hex[:8]}"
        # Arrow straight in: through pandas, Spark's Arrow path refuses chunked columns and
        # falls back to row-by-row conversion (minutes for a million evidence rows).
        self.session.createDataFrame(table).createOrReplaceTempView(name)
        try:
            yield name
        finally:
            self.session.catalog.dropTempView(name)

    def drop(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        for name in _TABLE_NAMES:
            self.session.catalog.dropTempView(name)


@contextlib.contextmanager
def null_tables(context: pa.Table | ibis.Table):
    """``(tables, relation name)``: where the null's tables are built, and the context actions
    there (an Arrow table goes to a fresh DuckDB connection; an Ibis table stays on its own
    backend, DuckDB or Spark)."""
    if isinstance(context, pa.Table):
        con = connect()
        try:
            with registered(con, decoded(context)) as name, memory_limit(con, NULL_MEMORY_LIMIT):
                yield DuckDBTables(con), name
        finally:
            con.close()
        return
    backend = context.get_backend()
    name = f"tw_context_{uuid.uuid4().hex[:8]}"
    if on_spark(context):
        backend.raw_sql(backend.compile(context)).createOrReplaceTempView(name)
        try:
            yield SparkTables(backend._session), name
        finally:
            backend._session.catalog.dropTempView(name)
        return
    con = backend.con
    con.execute(f"CREATE TEMP VIEW {name} AS {ibis.to_sql(context, dialect='duckdb')}")
    try:
        with memory_limit(con, NULL_MEMORY_LIMIT):
            yield DuckDBTables(con), name
    finally:
        con.execute(f"DROP VIEW IF EXISTS {name}")


def count_cells(
    tables, actions: str, evidence: pa.Table, window_s: float, min_events: int, day_origin_s=0.0
) -> CellCounts:
    """Build the null's tables from ``actions`` (a relation of ``tables``) and count the
    evidence's shared cells: the per-pair frames :mod:`.significance` tests."""
    spell = DIALECTS[tables.dialect]
    values = {"w": float(window_s), "day_origin": float(day_origin_s), "min_events": min_events}
    evidence = decoded(evidence.select(["account_a", "account_b", "key", "time_a", "time_b"]))
    try:
        for name, select in _CELL_TABLES:
            tables.create(name, select.format(actions=actions, **spell), values)
        with tables.arrow_relation(evidence) as ev:
            name, select = _EVENTS_TABLE
            tables.create(name, select.format(evidence=ev, **spell), values)
        return CellCounts.from_frames(
            tables.frame(_EVENTS_PER_PAIR_SQL, values),
            tables.frame(_EXPECTED_SQL.format(**spell), values),
            tables.frame(_STRATA_SQL, values)["strata"].iloc[0],
        )
    finally:
        tables.drop()
