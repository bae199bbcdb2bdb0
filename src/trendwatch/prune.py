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

A groups run that a stored alert names (``alerts.groups_run``, the alert line's ``run_id``)
stays too, with the coordination runs it reads: the alert's ``trendwatch evidence --run``
would otherwise fail, and the watcher's alerts are kept for weeks. :attr:`Pruned.kept_for_alerts`
lists them. ``with_alert_runs=True`` removes them as any other run, and says so in each alert
naming one: its stored line gains ``run_pruned_at`` (the line's ``run_id`` stays, as the
``--alerts`` file has it) and ``trendwatch evidence --run`` on it says the run was pruned.

DELETE does not make a DuckDB file smaller: the freed blocks are reused by later writes, and a
CHECKPOINT gives back only part of them, how much depending on where the removed rows lay
(``benchmarks/bench_prune.py``: 46.4 MB before and after; stores built with the CLI:
19.4 -> 19.1 MB, once 40.4 -> 10.5 MB). :func:`trendwatch.compact.compact_store` rewrites
the file to shrink it (6.3 MB in each of those cases); ``trendwatch runs prune`` does both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from .errors import ParameterError
from .runs import all_inputs, has_table, result_tables, transaction
from .times import parse_time

__all__ = ["Pruned", "prune_runs", "select_runs", "kind_matches", "alert_runs", "pruned_for_alert"]

_RUN_COLUMNS = ["run_id", "kind", "created_at"]


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
    kept_for_alerts : DataFrame
        ``run_id, kind, created_at`` of the groups runs that matched but stay, because a
        stored alert names them (the coordination runs they read are in ``kept_in_use``).
    alerts_marked : int
        Alerts whose run was removed (``with_alert_runs``), now marked ``run_pruned_at``; on
        a dry run, the alerts that would be.
    """

    removed: pd.DataFrame
    kept_in_use: pd.DataFrame
    rows: dict
    dry_run: bool = False
    kept_for_alerts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=_RUN_COLUMNS)
    )
    alerts_marked: int = 0


def _no_runs() -> pd.DataFrame:
    return pd.DataFrame(columns=_RUN_COLUMNS)


def kind_matches(kind: str, wanted: str) -> bool:
    """Whether run kind ``kind`` is of ``wanted``: the same, or one of its kinds.

    >>> kind_matches("coordination:co-link", "coordination"), kind_matches("groups", "coord")
    (True, False)
    """
    return kind == wanted or kind.startswith(wanted + ":")


def select_runs(
    store, *, before=None, keep_latest: int | None = None, kinds=(), with_alert_runs: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The runs a prune with these settings removes, those it keeps because a kept run reads
    them, and those it keeps because a stored alert names them (each ``run_id, kind,
    created_at``, oldest first).

    See :func:`prune_runs` for the settings.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> first, second = (store.record_run("coordination:co-link", {}) for _ in range(2))
    >>> chosen, in_use, for_alerts = select_runs(store, keep_latest=1)
    >>> chosen["run_id"].tolist() == [first], in_use.empty, for_alerts.empty
    (True, True, True)
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
    selected = set(runs.loc[chosen, "run_id"])
    for_alerts = set() if with_alert_runs else selected & alert_runs(store)
    selected, in_use = _spare_inputs(selected - for_alerts, all_inputs(store))

    def of(ids) -> pd.DataFrame:
        return runs[runs["run_id"].isin(ids)].reset_index(drop=True)

    return of(selected), of(in_use), of(for_alerts)


def alert_runs(store) -> set[str]:
    """The groups runs that stored alerts name (their ``run_id``).

    >>> from trendwatch.store import Store
    >>> alert_runs(Store(":memory:"))
    set()
    """
    if not has_table(store, "alerts"):  # a store opened read-only, from before alerts
        return set()
    found = store.con.execute(
        "SELECT DISTINCT groups_run FROM alerts WHERE groups_run IS NOT NULL"
    ).fetchall()
    return {run_id for (run_id,) in found}


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
    store,
    *,
    before=None,
    keep_latest: int | None = None,
    kinds=(),
    dry_run: bool = False,
    with_alert_runs: bool = False,
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
    with_alert_runs : bool
        Remove the groups runs that stored alerts name too (by default they stay); each such
        alert is marked ``run_pruned_at``.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> store = Store(":memory:")
    >>> _ = store.record_run("coordination:co-link", {})
    >>> pruned = prune_runs(store, before="2999-01-01")
    >>> len(pruned.removed), pruned.rows["runs"], store.runs().count().execute()
    (1, 1, 0)
    """
    removed, in_use, for_alerts = select_runs(
        store, before=before, keep_latest=keep_latest, kinds=kinds, with_alert_runs=with_alert_runs
    )
    ids = removed["run_id"].tolist()
    if dry_run or removed.empty:
        return Pruned(removed, in_use, {}, dry_run, for_alerts, _alerts_naming(store, ids))
    with transaction(store):
        rows = {table: _delete(store, table, ids) for table in [*result_tables(store), "runs"]}
        marked = _mark_alerts(store, ids)
    store.con.execute("CHECKPOINT")
    return Pruned(removed, in_use, rows, dry_run, for_alerts, marked)


def _alerts_naming(store, run_ids: list[str]) -> int:
    if not run_ids or not has_table(store, "alerts"):
        return 0
    [(count,)] = store.con.execute(
        "SELECT count(*) FROM alerts WHERE groups_run IN (SELECT unnest(?::VARCHAR[]))", [run_ids]
    ).fetchall()
    return int(count)


def _mark_alerts(store, run_ids: list[str]) -> int:
    """Add ``run_pruned_at`` (now, UTC) to the stored line of each alert naming a removed run."""
    count = _alerts_naming(store, run_ids)
    if count:
        store.con.execute(
            "UPDATE alerts SET body = json_merge_patch(body, json_object('run_pruned_at', "
            "strftime(now() AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'))) "
            "WHERE groups_run IN (SELECT unnest(?::VARCHAR[]))",
            [run_ids],
        )
    return count


def pruned_for_alert(store, run_id: str) -> str | None:
    """Why ``run_id`` is missing when a stored alert named it and a prune removed it (a
    sentence for an error), else None.

    >>> from trendwatch.store import Store
    >>> pruned_for_alert(Store(":memory:"), "groups-1") is None
    True
    """
    if not has_table(store, "alerts"):
        return None
    found = store.con.execute(
        "SELECT kind, coalesce(hashtag, target), time, body->>'run_pruned_at' FROM alerts "
        "WHERE groups_run = ? AND body->>'run_pruned_at' IS NOT NULL ORDER BY time LIMIT 1",
        [run_id],
    ).fetchall()
    if not found:
        return None
    kind, subject, at, pruned_at = found[0]
    return (
        f"run {run_id} was removed by `trendwatch runs prune --with-alert-runs` at {pruned_at}; "
        f"the {kind} alert on {subject} at {at:%Y-%m-%dT%H:%M:%SZ} that named it keeps its "
        "numbers, not its evidence"
    )


def _delete(store, table: str, run_ids: list[str]) -> int:
    # ``table`` comes from the store's schema (result_tables), never from a user.
    [(count,)] = store.con.execute(
        f'DELETE FROM "{table}" WHERE run_id IN (SELECT unnest(?::VARCHAR[]))', [run_ids]
    ).fetchall()
    return int(count)
