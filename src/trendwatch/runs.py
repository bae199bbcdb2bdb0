"""Stored runs: find one, list them all, and record which runs a run was built from.

Every analysis run is a row of ``runs`` (:meth:`~trendwatch.store.Store.record_run`) and
rows keyed by its ``run_id`` in result tables: ``coordination_edges`` and
``coordination_evidence`` for a coordination run, ``group_members``, ``group_edges`` and
``group_scores`` for a groups run. A run built from other runs (a groups run from one
coordination run per method) names them in ``run_inputs`` (``run_id, input_run_id, role``;
the role of a coordination run is its method), so its evidence can be read back from them and
``trendwatch runs prune`` never removes a run that a kept run still reads.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pyarrow as pa

from .connections import registered

__all__ = [
    "RUN_INPUTS",
    "Run",
    "find_run",
    "list_all_runs",
    "has_table",
    "result_tables",
    "record_inputs",
    "run_inputs",
    "all_inputs",
    "insert_rows",
    "is_read_only",
    "transaction",
    "create_run_inputs",
    "RUN_CHANGES",
    "mark_changed",
    "run_changes",
]

RUN_INPUTS = "run_inputs"
"""The table naming, for each run built from other runs, those runs and their roles."""

_RUN_INPUTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {RUN_INPUTS} (run_id VARCHAR, input_run_id VARCHAR, role VARCHAR)
"""
_COORDINATION = "coordination:"


@dataclass(frozen=True)
class Run:
    """One row of ``runs``: what kind of analysis, when, with which parameters.

    ``kind`` is ``coordination:<method>`` or ``groups`` (or another analysis's name);
    ``method`` is the method of a coordination run, else None.
    """

    run_id: str
    kind: str
    created_at: datetime
    params: dict
    summary: dict

    @property
    def method(self) -> str | None:
        """The method of a coordination run (``co-retweet``...), None for other kinds."""
        return self.kind.removeprefix(_COORDINATION) if self.is_coordination else None

    @property
    def is_coordination(self) -> bool:
        return self.kind.startswith(_COORDINATION)


def find_run(store, run_id: str) -> Run | None:
    """The stored run ``run_id``, or None when the store has no such run.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> find_run(store, store.record_run("coordination:co-link", {"window_s": 60})).method
    'co-link'
    >>> find_run(store, "no-such-run") is None
    True
    """
    found = store.con.execute(
        "SELECT run_id, kind, created_at, params, summary FROM runs WHERE run_id = ?", [run_id]
    ).fetchall()
    if not found:
        return None
    run_id, kind, created_at, params, summary = found[0]
    return Run(run_id, kind, created_at, _json(params), _json(summary))


def _json(text) -> dict:
    return json.loads(text) if text else {}


def has_table(store, name: str) -> bool:
    """Whether the store has table ``name`` (result tables are created on first use).

    >>> from trendwatch.store import Store
    >>> has_table(Store(":memory:"), "runs"), has_table(Store(":memory:"), "group_edges")
    (True, False)
    """
    [(count,)] = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
    ).fetchall()
    return bool(count)


def result_tables(store) -> list[str]:
    """Every table with rows keyed by ``run_id`` except ``runs`` itself (those a prune clears).

    Found from the schema, so a result table added later is cleared too.

    >>> from trendwatch.store import Store
    >>> result_tables(Store(":memory:"))  # the notes of runs changed since (forget)
    ['run_changes']
    """
    found = store.con.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() "
        "WHERE column_name = 'run_id' AND table_name <> 'runs' AND NOT internal "
        "AND database_name = current_database() AND schema_name = current_schema() "
        "ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in found]


def is_read_only(store) -> bool:
    """Whether the store's database is open without write access.

    >>> from trendwatch.store import Store
    >>> is_read_only(Store(":memory:"))
    False
    """
    found = store.con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return bool(found and found[0][0])


@contextlib.contextmanager
def transaction(store) -> Iterator[None]:
    """Run the block in one transaction: all of its writes, or (on any error) none."""
    store.con.execute("BEGIN TRANSACTION")
    try:
        yield
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise


def insert_rows(store, table: str, frame: pd.DataFrame | pa.Table) -> None:
    """Insert ``frame``'s columns by name into ``table`` (its other columns stay NULL)."""
    arrow = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    with registered(store.con, "_tw_rows", arrow):
        store.con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _tw_rows')


def record_inputs(store, run_id: str, inputs: dict[str, str]) -> None:
    """Note that run ``run_id`` was built from the runs ``inputs`` (role -> input run id).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> record_inputs(store, "groups-1", {"co-link": "coordination:co-link-1"})
    >>> run_inputs(store, "groups-1")
    {'co-link': 'coordination:co-link-1'}
    """
    store.con.execute(_RUN_INPUTS_DDL)
    rows = pd.DataFrame(
        {"run_id": run_id, "input_run_id": list(inputs.values()), "role": list(inputs)},
        columns=["run_id", "input_run_id", "role"],
    ).astype(str)
    insert_rows(store, RUN_INPUTS, rows)


def run_inputs(store, run_id: str) -> dict[str, str]:
    """Role -> input run id of the runs that ``run_id`` was built from ({} for none)."""
    if not has_table(store, RUN_INPUTS):
        return {}
    found = store.con.execute(
        f"SELECT role, input_run_id FROM {RUN_INPUTS} WHERE run_id = ? ORDER BY rowid", [run_id]
    ).fetchall()
    return dict(found)


def all_inputs(store) -> pd.DataFrame:
    """Every ``run_id, input_run_id, role`` row (an empty frame when no run has inputs)."""
    if not has_table(store, RUN_INPUTS):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _INPUT_COLUMNS})
    return store.con.sql(f"SELECT * FROM {RUN_INPUTS} ORDER BY rowid").to_arrow_table().to_pandas()


_INPUT_COLUMNS = ("run_id", "input_run_id", "role")


def _json_object(text) -> dict:
    return json.loads(text) if isinstance(text, str) and text else {}


def list_all_runs(store) -> pd.DataFrame:
    """Every run, oldest first: ``run_id, kind, method, created_at, version, fingerprint,
    params, summary, inputs, changed``; ``params`` and ``summary`` are dicts (the store keeps
    JSON).

    ``kind`` is ``coordination`` or ``groups`` (or another analysis's name); ``method`` is a
    coordination run's method, or the comma-separated methods of a groups run; ``inputs``
    maps a groups run's methods to the coordination runs it read ({} for other runs);
    ``changed`` says why the run no longer matches the store (:func:`run_changes`), or None.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> _ = store.record_run("coordination:co-link", {})
    >>> list_all_runs(store)[["kind", "method", "inputs"]].values.tolist()
    [['coordination', 'co-link', {}]]
    """
    runs = store.con.sql(
        "SELECT run_id, kind, created_at, version, fingerprint, params, summary FROM runs "
        "ORDER BY created_at, run_id"
    ).to_arrow_table().to_pandas()  # fmt: skip
    inputs = _inputs_by_run(all_inputs(store))
    runs["inputs"] = [inputs.get(run_id, {}) for run_id in runs["run_id"]]
    for column in ("params", "summary"):
        runs[column] = [_json_object(text) for text in runs[column]]
    runs["method"] = [
        kind.removeprefix(_COORDINATION) if kind.startswith(_COORDINATION) else ",".join(used)
        for kind, used in zip(runs["kind"], runs["inputs"], strict=True)
    ]
    runs["kind"] = runs["kind"].map(lambda kind: kind.split(":", 1)[0])
    changes = run_changes(store).groupby("run_id")["reason"].last()
    runs["changed"] = runs["run_id"].map(changes).astype(object).where(lambda c: c.notna(), None)
    columns = ["run_id", "kind", "method", "created_at", "version", "fingerprint"]
    return runs[[*columns, "params", "summary", "inputs", "changed"]]


def _inputs_by_run(inputs: pd.DataFrame) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for run_id, input_run_id, role in inputs[list(_INPUT_COLUMNS)].itertuples(index=False):
        found.setdefault(run_id, {})[role] = input_run_id
    return found


def create_run_inputs(store) -> None:
    """Create ``run_inputs`` if the store lacks it."""
    store.con.execute(_RUN_INPUTS_DDL)


RUN_CHANGES = "run_changes"
"""Runs changed after they were computed (``run_id, changed_at, reason``), e.g. by
:func:`trendwatch.forget.forget`: their results no longer match the store."""


def mark_changed(store, run_ids, reason: str) -> None:
    """Note that the runs ``run_ids`` changed after they were computed, and why.

    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> mark_changed(store, ["groups-1"], "an account was forgotten")
    >>> run_changes(store)[["run_id", "reason"]].values.tolist()
    [['groups-1', 'an account was forgotten']]
    """
    run_ids = list(run_ids)
    if run_ids:
        store.con.execute(
            f"INSERT INTO {RUN_CHANGES} SELECT unnest(?::VARCHAR[]), now(), ?", [run_ids, reason]
        )


def run_changes(store, run_ids=None) -> pd.DataFrame:
    """``run_id, changed_at, reason`` of the recorded changes (of ``run_ids`` when given).

    >>> from trendwatch.store import Store
    >>> run_changes(Store(":memory:")).empty
    True
    """
    if not has_table(store, RUN_CHANGES):  # a store opened read-only, from before the table
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _CHANGE_COLUMNS})
    sql, params = f"SELECT {', '.join(_CHANGE_COLUMNS)} FROM {RUN_CHANGES}", []
    if run_ids is not None:
        sql, params = sql + " WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [list(run_ids)]
    found = store.con.sql(sql + " ORDER BY changed_at, run_id", params=params)
    return found.to_arrow_table().to_pandas()


_CHANGE_COLUMNS = ("run_id", "changed_at", "reason")
