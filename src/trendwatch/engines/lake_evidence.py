"""The runs written back to a lake, read as a store's runs are: ``runs`` and ``evidence``.

``trendwatch evidence`` and ``trendwatch runs`` answer from a store's tables
(:func:`~trendwatch.analysis.coordination.pair_evidence.pair_evidence`,
:func:`~trendwatch.runs.list_all_runs`). For a lake, a small in-memory store is filled with
the part of the lake that the question reads, and the same code answers it, so the output is
the same whichever engine made the run:

* the runs (``lake/results/runs``: one row per run, read with Arrow), and for each groups
  run the coordination runs it read (its ``method_runs`` parameter, a store's
  ``run_inputs``);
* for one pair, its rows of every run's edges and evidence and of every groups run's fused
  edges (Arrow, filtered on the pair), so a groups run that links the pair answers first,
  with every method's evidence, as on a store;
* the posts that evidence names (their texts, platforms and handles make the post URLs) and
  the handles of the accounts involved, looked up through Spark: the posts are the big
  table, and the handle rule (the profile's, else the latest post's) reads all of an
  account's posts (:func:`~trendwatch.handles.account_handles`).

Nothing is written to the lake.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.dataset as pds

from ..analysis.coordination import group_runs
from ..analysis.coordination.results import create_tables
from ..handles import account_handles
from ..runs import insert_rows, record_inputs
from ..store import Store
from .lake import read_manifest

__all__ = ["lake_runs_store", "lake_pair_store"]

_PAIR_TABLES = ("coordination_edges", "coordination_evidence", "group_edges")
"""The result tables whose rows of one pair the evidence reads."""


def lake_runs_store(lake: str | os.PathLike) -> Store:
    """An in-memory store holding the runs written back to ``lake`` (no edges, no posts).

    Examples
    --------
    >>> import tempfile
    >>> from trendwatch.engines import export_lake
    >>> lake = Path(tempfile.mkdtemp()) / "lake"
    >>> _ = export_lake(Store(":memory:"), lake)
    >>> lake_runs_store(lake).con.execute("SELECT count(*) FROM runs").fetchall()
    [(0,)]
    """
    read_manifest(lake)  # a precise error when it is not a lake
    store = Store(":memory:")
    runs = _results(lake, "runs")
    if runs is not None:
        insert_rows(store, "runs", runs)
        _record_groups_inputs(store, runs)
    return store


def _record_groups_inputs(store: Store, runs: pa.Table) -> None:
    # A store notes a groups run's coordination runs in run_inputs; the lake keeps them in
    # the run's parameters (method_runs), in the run's order of methods.
    for run_id, kind, params in zip(
        runs["run_id"].to_pylist(), runs["kind"].to_pylist(), runs["params"].to_pylist(),
        strict=True,
    ):  # fmt: skip
        if kind == group_runs.KIND:
            record_inputs(store, run_id, orjson.loads(params or "{}").get("method_runs", {}))


def lake_pair_store(spark_store, account_a: str, account_b: str) -> Store:
    """An in-memory store with the lake's runs, the pair's edges and evidence of every run,
    the posts that evidence names and the handles of the pair and of those posts' authors.

    ``spark_store`` is the lake's :class:`~trendwatch.engines.spark.SparkStore`; the pair
    may come in either order. Pass the result to
    :func:`~trendwatch.analysis.coordination.pair_evidence.pair_evidence`.
    """
    pair = sorted([str(account_a), str(account_b)])
    store = lake_runs_store(spark_store.lake)
    create_tables(store)
    group_runs.create_tables(store)
    for table in _PAIR_TABLES:
        rows = _results(spark_store.lake, table, pair)
        if rows is not None and rows.num_rows:
            insert_rows(store, table, rows)
    posts = _named_posts(spark_store, store)
    authors = posts["author_id"].to_pylist() if posts is not None else []
    if posts is not None:
        insert_rows(store, "posts", posts)
    _add_handles(store, account_handles(spark_store, [*pair, *authors]))
    return store


def _results(lake, table: str, pair: list[str] | None = None) -> pa.Table | None:
    """One result table of every run (``run_id`` from the partition), the pair's rows (in
    either order) only when ``pair`` is given; None when no run wrote that table."""
    folder = Path(lake) / "results" / table
    if not folder.is_dir():
        return None
    dataset = pds.dataset(folder, format="parquet", partitioning="hive")
    where = None
    if pair is not None:
        a, b = pds.field("account_a"), pds.field("account_b")
        where = ((a == pair[0]) & (b == pair[1])) | ((a == pair[1]) & (b == pair[0]))
    return _string_run_ids(dataset.to_table(filter=where))


def _string_run_ids(table: pa.Table) -> pa.Table:
    # Hive partition values come back dictionary-encoded; the store's run_id is a string.
    index = table.schema.get_field_index("run_id")
    return table.set_column(index, "run_id", table["run_id"].cast(pa.string()))


def _named_posts(spark_store, store: Store) -> pa.Table | None:
    """The lake's posts (context posts too) that the stored evidence names, through Spark;
    None when the evidence names none."""
    ids = store.con.execute(
        "SELECT DISTINCT p FROM coordination_evidence, unnest([post_a, post_b]) AS t(p) "
        "WHERE p IS NOT NULL ORDER BY p"
    ).fetchall()
    if not ids:
        return None
    posts = spark_store.posts(include_context=True)
    named = posts.filter(posts.post_id.isin([post_id for (post_id,) in ids]))
    return named.select(*_columns(store, "posts", named.columns)).to_pyarrow()


def _columns(store: Store, table: str, offered) -> list[str]:
    # The store's columns only: a lake may hold more (a pipeline's own, or a stray one).
    known = {name for (name, *_) in store.con.execute(f'DESCRIBE "{table}"').fetchall()}
    return [name for name in offered if name in known]


def _add_handles(store: Store, handles: dict) -> None:
    # The handle the whole lake gives each account, kept as its profile's: the in-memory
    # store then gives the same handle by the same rule, with a fraction of the posts.
    known = {account: handle for account, handle in handles.items() if handle is not None}
    rows = pa.table(
        {
            "platform": pa.array([""] * len(known), pa.string()),
            "account_id": pa.array(list(known), pa.string()),
            "handle": pa.array(list(known.values()), pa.string()),
        }
    )
    if rows.num_rows:
        insert_rows(store, "accounts", rows)
