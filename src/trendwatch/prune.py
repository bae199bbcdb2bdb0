"""Prune stored runs: remove old runs and every row they keep, never a run a kept run reads.

A run is removed with its row of ``runs`` and its rows in every result table
(:func:`~trendwatch.runs.result_tables`: coordination edges and evidence, group members, edges
and scores, the groups run's ``run_inputs``). Which runs: those created before ``before``,
or all but the ``keep_latest`` latest of each kind, or both (each kind: ``groups``,
``coordination:co-retweet``...), of the ``kinds`` given (default: every kind).

A coordination run that a staying groups run reads stays too: the groups run would otherwise
point at evidence that is gone. :attr:`Pruned.kept_in_use` lists those runs; they go with the
groups run that reads them, in the prune that removes it (a later ``before``, or
``kinds=("groups",)`` first).

DELETE does not make a DuckDB file smaller: the freed blocks are reused by later writes, and a
CHECKPOINT gives back only part of them, how much depending on where the removed rows lay
(``benchmarks/bench_prune.py``: 46.4 MB before and after; stores built with the CLI:
19.4 -> 19.1 MB, once 40.4 -> 10.5 MB). :func:`trendwatch.compact.compact_store` rewrites
the file to shrink it (6.3 MB in each of those cases); ``trendwatch runs prune`` does both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from .errors import ParameterError
from .runs import all_inputs, result_tables, transaction
from .times import parse_time

__all__ = ["Pruned", "prune_runs", "select_runs", "kind_matches"]


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (or, on a dry run, would remove).

    Attributes
    ----------
    removed : DataFrame
        ``run_id, kind, created_at`` of the runs removed, oldest first.
    kept_in_use : DataFrame
        ``run_id, kind, created_at`` of the runs that matched but stay, because a kept run
        reads them.
    rows : dict
        Table -> rows removed (``runs`` included); empty on a dry run.
    dry_run : bool
    """

    removed: pd.DataFrame
    kept_in_use: pd.DataFrame
    rows: dict
    dry_run: bool = False


def kind_matches(kind: str, wanted: str) -> bool:
    """Whether run kind ``kind`` is of ``wanted``: the same, or one of its kinds.

    >>> kind_matches("coordination:co-link", "coordination"), kind_matches("groups", "coord")
    (True, False)
    """
    return kind == wanted or kind.startswith(wanted + ":")


def select_runs(
    store, *, before=None, keep_latest: int | None = None, kinds=()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs a prune with these settings removes, and those it keeps because they are in use
    (each ``run_id, kind, created_at``, oldest first).

    See :func:`prune_runs` for the settings.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> first, second = (store.record_run("coordination:co-link", {}) for _ in range(2))
    >>> chosen, in_use = select_runs(store, keep_latest=1)
    >>> chosen["run_id"].tolist() == [first], in_use.empty
    (True, True)
    """
    cutoff = _cutoff(before, keep_latest)
    runs = store.con.sql(
        "SELECT run_id, kind, created_at FROM runs ORDER BY created_at, run_id"
    ).to_arrow_table().to_pandas()  # fmt: skip
    chosen = pd.Series(True, index=runs.index)
    if kinds:
        chosen &= runs["kind"].map(lambda kind: any(kind_matches(kind, k) for k in kinds))
    if cutoff is not None:
        chosen &= runs["created_at"] < cutoff
    if keep_latest is not None:
        chosen &= runs.groupby("kind").cumcount(ascending=False) >= keep_latest
    selected, in_use = _spare_inputs(set(runs.loc[chosen, "run_id"]), all_inputs(store))
    removed = runs[runs["run_id"].isin(selected)].reset_index(drop=True)
    return removed, runs[runs["run_id"].isin(in_use)].reset_index(drop=True)


def _cutoff(before, keep_latest):
    """``before`` as an aware time, after checking that the settings choose something."""
    if before is None and keep_latest is None:
        raise ParameterError("say which runs to remove: --before DATE and/or --keep-latest N")
    if keep_latest is not None and (isinstance(keep_latest, bool) or keep_latest < 0):
        raise ParameterError(f"keep_latest must be 0 or more, got {keep_latest!r}")
    if before is None or isinstance(before, datetime):
        return parse_time(before)
    try:
        return parse_time(datetime.fromisoformat(str(before).strip().replace("Z", "+00:00")))
    except ValueError:
        raise ParameterError(
            f"before must be an ISO 8601 date or time (2025-11-14, 2025-11-14T12:00Z), "
            f"not {before!r}"
        ) from None


def _spare_inputs(selected: set, inputs: pd.DataFrame) -> tuple[set, set]:
    """``selected`` without the runs that a run staying reads (through chains of inputs)."""
    in_use: set = set()
    while True:
        staying = ~inputs["run_id"].isin(selected)
        used = set(inputs.loc[staying, "input_run_id"]) & selected
        if not used:
            return selected, in_use
        selected, in_use = selected - used, in_use | used


def prune_runs(
    store, *, before=None, keep_latest: int | None = None, kinds=(), dry_run: bool = False
) -> Pruned:
    """Remove runs and every row they keep (see the module docs), in one transaction.

    Parameters
    ----------
    store : Store
        A writable store.
    before : str or datetime, optional
        Remove runs created before this time (ISO 8601; a date is its midnight, UTC).
    keep_latest : int, optional
        Keep the latest ``keep_latest`` runs of each kind (with ``before``: remove the runs
        before it except those).
    kinds : sequence of str
        Only runs of these kinds: ``groups``, ``coordination``, ``coordination:co-link``...
    dry_run : bool
        Say what would be removed, remove nothing.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> _ = store.record_run("coordination:co-link", {})
    >>> pruned = prune_runs(store, before="2999-01-01")
    >>> len(pruned.removed), pruned.rows["runs"], store.runs().count().execute()
    (1, 1, 0)
    """
    removed, in_use = select_runs(store, before=before, keep_latest=keep_latest, kinds=kinds)
    if dry_run or removed.empty:
        return Pruned(removed, in_use, {}, dry_run)
    ids = removed["run_id"].tolist()
    with transaction(store):
        rows = {table: _delete(store, table, ids) for table in [*result_tables(store), "runs"]}
    store.con.execute("CHECKPOINT")
    return Pruned(removed, in_use, rows, dry_run)


def _delete(store, table: str, run_ids: list[str]) -> int:
    # ``table`` comes from the store's schema (result_tables), never from a user.
    [(count,)] = store.con.execute(
        f'DELETE FROM "{table}" WHERE run_id IN (SELECT unnest(?::VARCHAR[]))', [run_ids]
    ).fetchall()
    return int(count)
