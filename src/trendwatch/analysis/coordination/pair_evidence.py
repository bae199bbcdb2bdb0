"""The evidence behind the link of two accounts, from the run that put them in a group.

Which stored run the evidence comes from (:func:`pair_evidence`):

1. ``run_id`` given (``trendwatch evidence A B --run RUN_ID``): that run. A groups run shows
   the evidence of each method that links the pair in it, read from the coordination run it
   used for that method; a coordination run shows its own. An unknown id, a run of another
   kind, or a run that does not link the pair is an error that says so.
2. Otherwise, the latest **groups run** whose fused significant edges link the pair (either
   order): the run behind the latest group result that holds them, not whichever
   coordination run came last (a later run of another scope or window may link them too).
3. When no groups run links them, the latest coordination run that does.

``method`` keeps only that method: in rules 2 and 3, the latest run that links the pair by it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...errors import NoDataError, ParameterError
from ...prune import pruned_for_alert
from ...runs import Run, find_run, run_inputs
from .group_runs import KIND, latest_groups_run_linking, pair_methods
from .results import latest_run_id, load_evidence

__all__ = ["RULES", "PairEvidence", "pair_evidence"]

RULES = ("groups", "latest", "asked")
"""How the run was chosen: the latest groups run linking the pair, the latest coordination
run linking it (no groups run does), or the run asked for."""


@dataclass(frozen=True)
class PairEvidence:
    """The evidence of one pair and where it comes from.

    Attributes
    ----------
    account_a, account_b : str
        The pair, ``account_a < account_b`` (the order of every evidence row).
    rule : str
        One of :data:`RULES`.
    run_id : str
        The run read: a groups run, or a coordination run.
    method_runs : dict
        Method -> the coordination run whose evidence is shown for it.
    method : str or None
        The method asked for (None: every method that links the pair).
    rows : DataFrame
        ``method, run_id`` and the evidence columns (``key, post_a, post_b, time_a, time_b,
        gap_s``; ``text_a, text_b`` when asked for), by method then time.
    """

    account_a: str
    account_b: str
    rule: str
    run_id: str
    method_runs: dict
    method: str | None
    rows: pd.DataFrame

    def source(self) -> str:
        """Where the rows come from, in words (the CLI's header).

        >>> found = PairEvidence("a", "b", "latest", "r1", {"co-link": "r1"}, None, pd.DataFrame())
        >>> found.source()
        'from the latest co-link run r1: no groups run links them'
        """
        used = ", ".join(f"{method} run {run}" for method, run in self.method_runs.items())
        if self.rule == "groups":
            return f"from groups run {self.run_id} ({used})"
        if self.rule == "latest":
            by = f" by {self.method}" if self.method else ""
            return f"from the latest {used}: no groups run links them{by}"
        if self.run_id in self.method_runs.values():
            return f"from {used}, as asked"
        return f"from groups run {self.run_id} ({used}), as asked"


def pair_evidence(
    store,
    account_a,
    account_b,
    *,
    run_id: str | None = None,
    method: str | None = None,
    texts: bool = False,
) -> PairEvidence:
    """The stored evidence behind the link of two accounts, from the run the module docs say.

    Parameters
    ----------
    store : Store
    account_a, account_b : str
        The two accounts, in either order.
    run_id : str, optional
        A coordination run or a groups run (``trendwatch runs`` lists them).
    method : str, optional
        Only this method's evidence.
    texts : bool
        Add both posts' texts (``text_a``, ``text_b``).

    Raises
    ------
    NoDataError
        No run links the pair, or ``run_id`` is unknown or does not link it.
    ParameterError
        ``run_id`` is a run of another kind or method.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> pair_evidence(Store(":memory:"), "a", "b")
    Traceback (most recent call last):
    ...
    trendwatch.errors.NoDataError: no coordination run in this store: ...
    """
    pair = tuple(sorted([str(account_a), str(account_b)]))
    if run_id is not None:
        rule, chosen, method_runs = "asked", run_id, _asked(store, pair, run_id, method)
    else:
        rule, chosen, method_runs = _default(store, pair, method)
    rows = _rows(store, pair, method_runs, texts)
    return PairEvidence(pair[0], pair[1], rule, chosen, method_runs, method, rows)


def _default(store, pair, method) -> tuple[str, str, dict]:
    """The rule, the run and its method runs when no run is asked for (rules 2 and 3)."""
    if latest_run_id(store, method) is None:
        of = f"{method} run" if method else "coordination run"
        raise NoDataError(
            f"no {of} in this store: run `trendwatch groups` or `trendwatch coordination`"
        )
    groups_run = latest_groups_run_linking(store, pair, method)
    if groups_run is not None:
        return "groups", groups_run, _groups_method_runs(store, groups_run, pair, method)
    latest = latest_run_id(store, method, linking=pair)
    if latest is None:
        of = f"{method} run" if method else "coordination run"
        raise NoDataError(f"no stored {of} links {pair[0]} and {pair[1]}")
    return "latest", latest, {find_run(store, latest).method: latest}


def _asked(store, pair, run_id: str, method) -> dict:
    """Method -> coordination run to read for the run asked for; errors say what is wrong."""
    run = find_run(store, run_id)
    if run is None:
        why = pruned_for_alert(store, run_id)
        raise NoDataError(why or f"no run {run_id} in this store: `trendwatch runs` lists the runs")
    if run.kind == KIND:
        return _asked_groups(store, pair, run, method)
    if not run.is_coordination:
        raise ParameterError(f"run {run_id} is a {run.kind} run, which keeps no evidence")
    if method is not None and run.method != method:
        raise ParameterError(f"run {run_id} is a {run.method} run, not a {method} run")
    if load_evidence(store, run_id, *pair).empty:
        raise NoDataError(f"{run.method} run {run_id} does not link {pair[0]} and {pair[1]}")
    return {run.method: run_id}


def _asked_groups(store, pair, run: Run, method) -> dict:
    linked = pair_methods(store, run.run_id, pair)
    if not linked:
        raise NoDataError(f"groups run {run.run_id} does not link {pair[0]} and {pair[1]}")
    if method is not None and method not in linked:
        raise NoDataError(
            f"groups run {run.run_id} links {pair[0]} and {pair[1]} by "
            f"{', '.join(linked)}, not by {method}"
        )
    return _groups_method_runs(store, run.run_id, pair, method)


def _groups_method_runs(store, groups_run: str, pair, method) -> dict:
    inputs = run_inputs(store, groups_run)
    linked = pair_methods(store, groups_run, pair)
    return {m: inputs[m] for m in linked if method is None or m == method}


_EVIDENCE_COLUMNS = ["key", "post_a", "post_b", "time_a", "time_b", "gap_s"]


def _rows(store, pair, method_runs: dict, texts: bool) -> pd.DataFrame:
    """Each method run's evidence for the pair, labelled with its method and run id."""
    frames = [
        load_evidence(store, run, *pair, texts=texts)
        .drop(columns=["account_a", "account_b"])
        .assign(method=method, run_id=run)
        for method, run in method_runs.items()
    ]
    columns = ["method", "run_id", *_EVIDENCE_COLUMNS, *(["text_a", "text_b"] if texts else [])]
    frames = [frame[columns] for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)
