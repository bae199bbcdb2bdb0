"""A groups run in the store: its settings, the coordination runs it read, and its groups.

:func:`~.groups.groups` (with ``record=True``, on a writable store) records its result as a
run of kind ``groups`` (:meth:`~trendwatch.store.Store.record_run`). The run's parameters are
the result's (scope, methods, every setting) plus ``method_runs`` (method -> the coordination
run it read); its summary holds the result's counts, its other fields (``tests``, ``verdict``...)
and the column names of its tables. Three tables keep its rows under its ``run_id``:

``group_members``
    ``account_id, group_id``: one row per account in a group.
``group_edges``
    ``account_a, account_b, methods, group_id``: the fused significant edges; ``methods``
    (comma-separated) says which methods link the pair.
``group_scores``
    ``group_id``: one row per group.

Every row also keeps its whole row of the result's frame as JSON (``data``) and its place in
the frame (``row_no``), so a column the result gains later is stored and read back without a
change to the tables: :func:`load_groups_run` gives back every column there was, as JSON
values (a time comes back as ISO 8601 text). The coordination runs are named in
``run_inputs`` (:mod:`trendwatch.runs`, role = method): the evidence of a pair in a groups run
is read from them (:mod:`.pair_evidence`), never copied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import orjson
import pandas as pd
import pyarrow as pa

from ...errors import ParameterError
from ...runs import (
    find_run,
    has_table,
    insert_rows,
    is_read_only,
    record_inputs,
    run_inputs,
    transaction,
)

__all__ = [
    "KIND",
    "TABLES",
    "StoredGroups",
    "record_groups_run",
    "load_groups_run",
    "latest_groups_run",
    "latest_groups_run_linking",
    "pair_methods",
    "create_tables",
]

KIND = "groups"
"""The ``runs.kind`` of a groups run."""

TABLES = {
    "members": ("group_members", ("account_id", "group_id")),
    "edges": ("group_edges", ("account_a", "account_b", "methods", "group_id")),
    "groups": ("group_scores", ("group_id",)),
}
"""Result frame -> (its table, the columns kept as typed SQL columns besides ``data``)."""

_DDL = """
CREATE TABLE IF NOT EXISTS group_members (
    run_id VARCHAR, row_no BIGINT, account_id VARCHAR, group_id BIGINT, data JSON
);
CREATE TABLE IF NOT EXISTS group_edges (
    run_id VARCHAR, row_no BIGINT, account_a VARCHAR, account_b VARCHAR, methods VARCHAR,
    group_id BIGINT, data JSON
);
CREATE TABLE IF NOT EXISTS group_scores (run_id VARCHAR, row_no BIGINT, group_id BIGINT, data JSON);
"""
_NOT_IN_SUMMARY = {"members", "groups", "edges", "evidence", "runs", "params", "run_id"}


@dataclass(frozen=True)
class StoredGroups:
    """A groups run read back from the store.

    Attributes
    ----------
    run_id : str
    params : dict
        The run's parameters, ``method_runs`` included.
    summary : dict
        Its counts and the result's other fields (``tests``, ``verdict``...).
    runs : dict
        Method -> the coordination run it read.
    members, groups, edges : DataFrame
        The result's frames, every column they had (see the module docs).
    """

    run_id: str
    params: dict
    summary: dict
    runs: dict
    members: pd.DataFrame
    groups: pd.DataFrame
    edges: pd.DataFrame


def record_groups_run(store, result):
    """Record a :class:`~.groups.GroupsResult` as a groups run; return it with its ``run_id``.

    A read-only store records nothing (the result comes back unchanged), as
    :func:`~.engine.coordinate` does. Every method must have its coordination run recorded.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.analysis.coordination.groups import groups
    >>> store = Store(":memory:")
    >>> result = record_groups_run(store, groups(store, record=False))
    >>> result.run_id.startswith("groups-"), load_groups_run(store, result.run_id).edges.empty
    (True, True)
    """
    if is_read_only(store):
        return result
    _check_method_runs(result.runs)
    params = {**result.params, "method_runs": dict(result.runs)}
    with transaction(store):
        run_id = store.record_run(KIND, params, _summary(result))
        store.con.execute(_DDL)
        record_inputs(store, run_id, result.runs)
        for name, (table, keys) in TABLES.items():
            insert_rows(store, table, _stored_rows(run_id, getattr(result, name), keys))
    return dataclasses.replace(result, run_id=run_id)


def _check_method_runs(runs: dict) -> None:
    missing = sorted(method for method, run_id in runs.items() if not run_id)
    if missing:
        raise ParameterError(
            f"cannot record a groups run without the coordination runs of {', '.join(missing)}: "
            "compute the groups with record=True on a writable store"
        )


def _summary(result) -> dict:
    """The result's counts, its other fields (tests, verdict...) and its tables' column names."""
    extras = {
        f.name: getattr(result, f.name)
        for f in dataclasses.fields(result)
        if f.name not in _NOT_IN_SUMMARY and not isinstance(getattr(result, f.name), pd.DataFrame)
    }
    columns = {name: [str(c) for c in getattr(result, name).columns] for name in TABLES}
    return {**extras, **result.summary(), "columns": columns}


def _stored_rows(run_id: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> pa.Table:
    """``frame`` as rows of its table: run_id, row_no, the typed ``keys``, the row as JSON."""
    rows = pd.DataFrame({"run_id": run_id, "row_no": range(len(frame))}, index=range(len(frame)))
    for key in keys:
        values = (
            frame[key].reset_index(drop=True) if key in frame else pd.Series([None] * len(frame))
        )
        rows[key] = values.astype("Int64") if key == "group_id" else values.astype("string")
    rows["data"] = [_json_row(row) for row in frame.to_dict("records")]
    return pa.Table.from_pandas(rows, preserve_index=False)


def _json_row(row: dict) -> str:
    return orjson.dumps(row, default=_plain, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _plain(value):
    """JSON for what orjson does not know: missing values, times, anything else as text."""
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):  # a numpy value orjson leaves
        return value.tolist()
    return str(value)


def load_groups_run(store, run_id: str) -> StoredGroups:
    """The groups run ``run_id`` as stored (see the module docs).

    Raises :class:`~trendwatch.errors.ParameterError` when ``run_id`` is not a groups run.
    """
    run = find_run(store, run_id)
    if run is None or run.kind != KIND:
        raise ParameterError(f"{run_id} is not a groups run: `trendwatch runs` lists them")
    columns = run.summary.get("columns", {})
    frames = {
        name: _load_frame(store, table, run_id, columns.get(name, list(keys)))
        for name, (table, keys) in TABLES.items()
    }
    return StoredGroups(
        run_id, run.params, run.summary, run_inputs(store, run_id), **frames
    )  # fmt: skip


def _load_frame(store, table: str, run_id: str, columns: list[str]) -> pd.DataFrame:
    if not has_table(store, table):
        return pd.DataFrame(columns=columns)
    found = store.con.execute(
        f"SELECT data FROM {table} WHERE run_id = ? ORDER BY row_no", [run_id]
    ).fetchall()
    return pd.DataFrame.from_records([orjson.loads(data) for (data,) in found], columns=columns)


_PAIR_SQL = "((account_a = ? AND account_b = ?) OR (account_a = ? AND account_b = ?))"


def _pair_params(pair) -> list[str]:
    a, b = (str(account) for account in pair)
    return [a, b, b, a]


def latest_groups_run(store) -> str | None:
    """The id of the latest groups run, or None when the store holds none.

    >>> from trendwatch.store import Store
    >>> latest_groups_run(Store(":memory:")) is None
    True
    """
    found = store.con.execute(
        "SELECT run_id FROM runs WHERE kind = ? ORDER BY created_at DESC, run_id DESC LIMIT 1",
        [KIND],
    ).fetchall()
    return found[0][0] if found else None


def latest_groups_run_linking(store, pair, method: str | None = None) -> str | None:
    """The latest groups run whose fused edges link the two accounts of ``pair`` (either
    order), by ``method`` when given; None when no groups run links them.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> latest_groups_run_linking(Store(":memory:"), ("a", "b")) is None
    True
    """
    if not has_table(store, "group_edges"):
        return None
    found = store.con.execute(
        "SELECT e.run_id FROM group_edges e JOIN runs r USING (run_id) "
        f"WHERE r.kind = ? AND {_PAIR_SQL} AND (?::VARCHAR IS NULL OR "
        "list_contains(string_split(e.methods, ','), ?::VARCHAR)) "
        "ORDER BY r.created_at DESC, e.run_id DESC LIMIT 1",
        [KIND, *_pair_params(pair), method, method],
    ).fetchall()
    return found[0][0] if found else None


def pair_methods(store, run_id: str, pair) -> list[str]:
    """The methods that link the two accounts of ``pair`` in groups run ``run_id`` ([] for
    none), in the order the run lists them.

    >>> from trendwatch.store import Store
    >>> pair_methods(Store(":memory:"), "groups-x", ("a", "b"))
    []
    """
    if not has_table(store, "group_edges"):
        return []
    found = store.con.execute(
        f"SELECT methods FROM group_edges WHERE run_id = ? AND {_PAIR_SQL} LIMIT 1",
        [run_id, *_pair_params(pair)],
    ).fetchall()
    linked = set(found[0][0].split(",")) if found and found[0][0] else set()
    return [method for method in run_inputs(store, run_id) if method in linked]


def create_tables(store) -> None:
    """Create the groups runs' tables if the store lacks them."""
    store.con.execute(_DDL)
