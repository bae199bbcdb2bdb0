"""Results written back to a lake: the Spark engine's runs, edges, evidence and groups.

The same tables as in a store (:mod:`trendwatch.analysis.coordination.results`), one Hive
partition per run, so runs never overwrite each other and any engine reads them back::

    DIR/results/runs/run_id=<id>/part-0.parquet                  kind, params, version,
                                                                 fingerprint, created_at, summary
    DIR/results/coordination_edges/run_id=<id>/part-0.parquet     the edge columns
    DIR/results/coordination_evidence/run_id=<id>/part-0.parquet  the evidence columns
    DIR/results/group_members/run_id=<id>/part-0.parquet         a groups run's members,
    DIR/results/group_edges/run_id=<id>/part-0.parquet           fused edges and scores:
    DIR/results/group_scores/run_id=<id>/part-0.parquet          row_no, keys, data (JSON)

The driver writes them (they are the reduced result, not the posts): the lake must be a path
the driver can write, as it is when the lake sits on a shared file system.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..analysis.coordination.results import _EDGE_COLS, _EVIDENCE_COLS, decoded
from ..errors import NoDataError

__all__ = [
    "RESULT_TABLES", "save_coordination", "save_groups", "read_groups", "read_run", "lake_runs",
]  # fmt: skip

RESULT_TABLES = (
    "runs", "coordination_edges", "coordination_evidence",
    "group_members", "group_edges", "group_scores",
)  # fmt: skip
"""The result tables of a lake, under ``DIR/results/``."""

_RUN_SCHEMA = pa.schema(
    [("kind", pa.string()), ("params", pa.string()), ("version", pa.string()),
     ("fingerprint", pa.string()), ("created_at", pa.timestamp("us", tz="UTC")),
     ("summary", pa.string())]
)  # fmt: skip
_EDGE_TYPES = {
    "weight": pa.int64(), "n_keys": pa.int64(), "a_posts": pa.int64(), "b_posts": pa.int64(),
    "symmetry": pa.float64(), "median_gap_s": pa.float64(), "min_gap_s": pa.float64(),
    "tfidf": pa.float64(), "events": pa.int64(), "expected": pa.float64(),
    "p_value": pa.float64(), "q_value": pa.float64(), "significant": pa.bool_(),
}  # fmt: skip


def save_coordination(store, result):
    """Write ``result`` (a coordination run on ``store``, a SparkStore) under its lake."""
    run_id = _run_id(f"coordination-{result.method}")
    summary = {k: v for k, v in result.summary().items() if k != "run_id"}
    params = {**result.params, "bounded_keys": len(result.bounded_keys), "engine": "spark"}
    results = Path(store.lake) / "results"
    _write_run(store, run_id, f"coordination:{result.method}", params, summary)
    _write(results / "coordination_edges", run_id, _edge_table(result.edges))
    evidence = decoded(result.evidence_table.select(list(_EVIDENCE_COLS)))
    _write(results / "coordination_evidence", run_id, evidence)
    return dataclasses.replace(result, run_id=run_id)


def save_groups(store, result):
    """Write a groups run on ``store`` (a SparkStore) under its lake, as a store records it
    (:mod:`~trendwatch.analysis.coordination.group_runs`): the run, whose parameters name
    the coordination runs it read (``method_runs``), and its members, fused edges and scores,
    each row with its typed key columns and the whole row as JSON (``data``)."""
    from ..analysis.coordination.group_runs import (
        KIND,
        TABLES,
        _check_method_runs,
        _stored_rows,
        _summary,
    )  # fmt: skip

    _check_method_runs(result.runs)
    run_id = _run_id(KIND)
    params = {**result.params, "method_runs": dict(result.runs), "engine": "spark"}
    _write_run(store, run_id, KIND, params, _summary(result))
    for name, (table, keys) in TABLES.items():
        rows = _stored_rows(run_id, getattr(result, name), keys).drop_columns(["run_id"])
        _write(Path(store.lake) / "results" / table, run_id, rows)
    return dataclasses.replace(result, run_id=run_id)


def read_groups(lake, run_id: str) -> dict[str, pd.DataFrame]:
    """A groups run's ``members``, ``edges`` and ``groups`` frames read back from ``lake``,
    every column they had (JSON values: a time comes back as ISO 8601 text)."""
    from ..analysis.coordination.group_runs import TABLES

    frames = {}
    for name, (table, _keys) in TABLES.items():
        rows = read_run(lake, run_id, table).to_pandas().sort_values("row_no")
        frames[name] = pd.DataFrame.from_records([orjson.loads(d) for d in rows["data"]])
    return frames


def _run_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _write_run(store, run_id: str, kind: str, params: dict, summary: dict) -> None:
    from .. import __version__

    run = {
        "kind": [kind],
        "params": [orjson.dumps(params, default=str).decode()],
        "version": [__version__],
        "fingerprint": [store.fingerprint()],
        "created_at": [datetime.now(UTC)],
        "summary": [orjson.dumps(summary, default=str).decode()],
    }
    _write(Path(store.lake) / "results" / "runs", run_id, pa.table(run, schema=_RUN_SCHEMA))


def _edge_table(edges: pd.DataFrame) -> pa.Table:
    frame = edges.reindex(columns=list(_EDGE_COLS))
    fields = [(c, _EDGE_TYPES.get(c, pa.string())) for c in _EDGE_COLS]
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def _write(folder: Path, run_id: str, table: pa.Table) -> None:
    # Written under a hidden name, renamed when whole: readers never see half a run.
    partition = folder / f"run_id={run_id}"
    partition.mkdir(parents=True, exist_ok=False)
    part = partition / ".part-0.parquet.part"
    pq.write_table(table, part)
    os.replace(part, partition / "part-0.parquet")


def lake_runs(lake) -> pd.DataFrame:
    """The runs written back to ``lake``, newest first (columns: run_id and the run's fields).

    Examples
    --------
    >>> import tempfile
    >>> lake_runs(tempfile.mkdtemp()).columns.tolist()[:2]
    ['run_id', 'kind']
    """
    folder = Path(lake) / "results" / "runs"
    if not folder.is_dir():
        return pd.DataFrame(columns=["run_id", *_RUN_SCHEMA.names])
    table = _read(folder)
    frame = table.to_pandas()[["run_id", *_RUN_SCHEMA.names]]
    return frame.sort_values("created_at", ascending=False).reset_index(drop=True)


def read_run(lake, run_id: str, table: str) -> pa.Table:
    """One result table of one run written back to ``lake`` (see :data:`RESULT_TABLES`)."""
    folder = Path(lake) / "results" / table / f"run_id={run_id}"
    if table not in RESULT_TABLES or not folder.is_dir():
        raise NoDataError(f"no {table} for run {run_id!r} in the lake at {lake}")
    return pq.read_table(folder / "part-0.parquet")


def _read(folder: Path) -> pa.Table:
    import pyarrow.dataset as pds

    dataset = pds.dataset(folder, format="parquet", partitioning="hive")
    return dataset.to_table()
