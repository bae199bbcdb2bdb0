"""Result tables in the store: a run's edges and evidence, keyed by ``run_id``.

``coordination_edges`` and ``coordination_evidence`` are created on first use; every run adds
rows under its own ``run_id`` (from :meth:`Store.record_run`), so runs never overwrite each
other and ``trendwatch evidence`` reads them back without recomputing.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow as pa

__all__ = [
    "decoded",
    "create_tables",
    "save_result",
    "load_evidence",
    "load_edges",
    "latest_run_id",
    "list_runs",
]

_DDL = """
CREATE TABLE IF NOT EXISTS coordination_edges (
    run_id VARCHAR, account_a VARCHAR, account_b VARCHAR, weight BIGINT, n_keys BIGINT,
    a_posts BIGINT, b_posts BIGINT, symmetry DOUBLE, median_gap_s DOUBLE, min_gap_s DOUBLE,
    tfidf DOUBLE
);
CREATE TABLE IF NOT EXISTS coordination_evidence (
    run_id VARCHAR, account_a VARCHAR, account_b VARCHAR, key VARCHAR, post_a VARCHAR,
    post_b VARCHAR, time_a TIMESTAMPTZ, time_b TIMESTAMPTZ, gap_s DOUBLE
);
ALTER TABLE coordination_edges ADD COLUMN IF NOT EXISTS events BIGINT;
ALTER TABLE coordination_edges ADD COLUMN IF NOT EXISTS expected DOUBLE;
ALTER TABLE coordination_edges ADD COLUMN IF NOT EXISTS p_value DOUBLE;
ALTER TABLE coordination_edges ADD COLUMN IF NOT EXISTS q_value DOUBLE;
ALTER TABLE coordination_edges ADD COLUMN IF NOT EXISTS significant BOOLEAN;
"""
# The test's columns were added after the first stores were written: ALTER brings them in.
_EDGE_COLS = (
    "account_a",
    "account_b",
    "weight",
    "n_keys",
    "a_posts",
    "b_posts",
    "symmetry",
    "median_gap_s",
    "min_gap_s",
    "tfidf",
    "events",
    "expected",
    "p_value",
    "q_value",
    "significant",
)
_EVIDENCE_COLS = ("account_a", "account_b", "key", "post_a", "post_b", "time_a", "time_b", "gap_s")


def save_result(store, result):
    """Record the run's provenance, store its edges and evidence; return it with its run_id."""
    summary = {k: v for k, v in result.summary().items() if k != "run_id"}
    params = {**result.params, "bounded_keys": len(result.bounded_keys)}
    run_id = store.record_run(f"coordination:{result.method}", params, summary)
    store.con.execute(_DDL)
    edges = result.edges.reindex(columns=list(_EDGE_COLS))
    edges["significant"] = edges["significant"].astype("boolean")  # NA for untested runs
    _insert(store.con, "coordination_edges", run_id, edges)
    evidence = decoded(result.evidence_table.select(list(_EVIDENCE_COLS)))
    _insert(store.con, "coordination_evidence", run_id, evidence)
    return dataclasses.replace(result, run_id=run_id)


def decoded(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded columns cast back to their value type."""
    columns = [
        col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col
        for col in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _insert(con, table: str, run_id: str, frame: pd.DataFrame | pa.Table) -> None:
    arrow = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    arrow = arrow.add_column(0, "run_id", pa.array([run_id] * arrow.num_rows, pa.string()))
    con.register("_tw_save", arrow)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _tw_save")
    finally:
        con.unregister("_tw_save")


def _has_tables(store) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'coordination_evidence'"
    ).fetchall()
    return bool(row[0][0])


def list_runs(store) -> pd.DataFrame:
    """Every coordination run: run_id, method, created_at, version, fingerprint, params."""
    return (
        store.con.sql("""
        SELECT run_id, replace(kind, 'coordination:', '') AS method, created_at, version,
               fingerprint, params, summary
        FROM runs WHERE kind LIKE 'coordination:%' ORDER BY created_at, run_id
    """)
        .to_arrow_table()
        .to_pandas()
    )


def latest_run_id(store, method: str | None = None, *, linking=None) -> str | None:
    """The most recent coordination run (of ``method`` when given), or None.

    ``linking=(account_a, account_b)`` keeps only runs that link those two accounts, so
    ``trendwatch evidence A B`` does not land on a later run of another scope or method
    that has no evidence for them.
    """
    sql, params = "SELECT run_id FROM runs WHERE kind LIKE 'coordination:%'", []
    if method is not None:
        sql, params = sql + " AND kind = ?", [*params, f"coordination:{method}"]
    if linking is not None:
        if not _has_tables(store):
            return None
        sql += (
            " AND run_id IN (SELECT run_id FROM coordination_evidence"
            " WHERE account_a = ? AND account_b = ?)"
        )
        params += sorted(map(str, linking))
    row = store.con.execute(sql + " ORDER BY created_at DESC, run_id DESC LIMIT 1", params)
    found = row.fetchall()
    return found[0][0] if found else None


def load_edges(store, run_id: str) -> pd.DataFrame:
    """The stored edges of one run."""
    if not _has_tables(store):
        return pd.DataFrame(columns=list(_EDGE_COLS))
    return (
        store.con.sql(
            "SELECT * EXCLUDE (run_id) FROM coordination_edges WHERE run_id = ? "
            "ORDER BY weight DESC, account_a, account_b",
            params=[run_id],
        )
        .to_arrow_table()
        .to_pandas()
    )


def load_evidence(
    store, run_id: str, account_a: str, account_b: str, *, texts: bool = False
) -> pd.DataFrame:
    """The stored evidence behind the link of two accounts (in either order) in one run.

    ``texts=True`` adds ``text_a`` and ``text_b``: the two posts' texts (None for a post
    no longer in the store).
    """
    a, b = sorted([str(account_a), str(account_b)])
    if not _has_tables(store):
        columns = [*_EVIDENCE_COLS, *(("text_a", "text_b") if texts else ())]
        return pd.DataFrame(columns=columns)
    text_columns = (
        ", (SELECT any_value(text) FROM posts p WHERE p.post_id = e.post_a) AS text_a"
        ", (SELECT any_value(text) FROM posts p WHERE p.post_id = e.post_b) AS text_b"
        if texts
        else ""
    )
    return (
        store.con.sql(
            f"SELECT e.* EXCLUDE (run_id){text_columns} FROM coordination_evidence e "
            "WHERE run_id = ? AND account_a = ? AND account_b = ? ORDER BY time_a, post_a, post_b",
            params=[run_id, a, b],
        )
        .to_arrow_table()
        .to_pandas()
    )


def create_tables(store) -> None:
    """Create the result tables (and their later columns) if the store lacks them."""
    store.con.execute(_DDL)
