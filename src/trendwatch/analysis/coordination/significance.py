"""Which links are more than chance: a configuration null over co-action cells, with FDR control.

An edge says "these two accounts acted on the same key within ``window`` seconds". Busy accounts
and popular keys meet by chance; the test asks whether a pair met **more often than its two
activity levels predict**, and controls the false discovery rate over every pair tested.

Cells
-----
Time is cut into bins of ``2 * window`` seconds, twice: once from the epoch, once shifted by
``window``. A *cell* is a (key, bin) of one binning; an account *is in* a cell when it acted on
the key during the bin (once, however often). Two actions at most ``window`` apart share a
cell in at least one of the two binnings, so every evidence row of the engine is counted; two
actions further apart than ``2 * window`` never are. For a pair, ``events`` is the number of
distinct cells holding evidence of the two (the larger count of the two binnings).

The null model
--------------
A configuration model of the bipartite graph accounts x cells, **per UTC day** (Chung-Lu's
approximation of the stochastic degree sequence model; Neal 2014, "The backbone of bipartite
projections"; Saracco et al. 2017 for its use on projections): each account keeps its number
of cells that day (``x_a``, its activity), each cell keeps its number of accounts (``d_c``,
the key's burst), and who is in which cell is otherwise random. A pair's expected number of
shared cells in a set of cells ``C`` of one day is then

    lambda_ab = x_a * x_b * sum_{c in C} d_c * (d_c - 1) / (E**2 - sum_a x_a**2),

with ``E`` the day's account-cell memberships: the day's co-occurrences spread over all pairs in
proportion to their activity. ``events`` is compared to Poisson(lambda) (the upper tail).

What it keeps: each account's activity per day, each key's burst (a viral post retweeted by
400 accounts in ten minutes is a big cell, and meeting there is expected), the day's volume.
What it breaks: which accounts meet in which cells. Why these choices, measured on the
simulator's planted networks and look-alikes (six seeds; ``trendwatch.simulate``):

* **Cell sizes are tested in strata** (``d_c`` in 2, 3-4, 5-8, 9-16, ...: powers of two), each
  stratum its own Poisson test, the pair's p-value the smallest times the number of strata
  (Bonferroni). Without strata, the co-occurrences of a few viral cascades dominate everybody's
  expectation, and a retweet ring meeting in small cells of 3 to 15 accounts is never
  significant by co-retweet alone (0 of 40 attackers found at seed 2); with strata, all 40.
* **Days, not hours.** The burst is the campaign: a null that keeps each account's activity
  per hour (or six hours) explains a two-hour push by its own members' activity in those
  hours (0 of 40 found). Days keep long archives honest: two accounts active in the same
  month of a six-year archive are expected to meet more than their whole-archive activity
  says.
* **Every co-action counts once per event**, not once per key: a link network that posts 25
  different articles and a flood that repeats the same hashtags every few hours are both 25
  events; the permutation of each account's times within its hour, which this replaced, kept
  an account that acts once an hour unchanged in every shuffle, so once-per-event groups
  were never significant.
* A link needs at least ``min_events`` (2) events: one co-action is never evidence.

Scoped tests (a hashtag, a time slice)
--------------------------------------
The members of a campaign are most of its scope, and a null built from the campaign alone
finds their co-occurrence ordinary (0 of 40 attackers in the simulator's attack scope). The
null is therefore built from the **context**: every post of the same platform on the whole
days the scope spans (a time slice too: a day is the null's unit); ``events`` still counts
only the scope's evidence. See :func:`context_of`.

A live check (:mod:`trendwatch.watch`) passes ``day_end``, its stream time: its days are then
the 24-hour spans ending at that instant, and its context the whole such days the scope spans.
A UTC day that has only begun would be the null's unit otherwise: at 11:00, a morning push
makes up so much of its day that its members' co-occurrence looks ordinary (the simulator's
40-account push, replayed live: no core found before noon, two hours after it ended).

Multiple tests
--------------
``q_value`` is the Benjamini-Hochberg adjusted p-value over every pair tested (in
:func:`~.groups.groups`, over every pair of every method together). ``significant`` means
``q_value <= q`` and ``events >= min_events``. The default ``q`` (:data:`DEFAULT_Q`, 1e-4) is
strict because the null is an approximation: real crowds share more structure than it knows
(a live debate, a news alert), and a looser ``q`` lets some of it through (at q = 1e-3, 0.4-0.7 %
of the simulator's organic accounts landed in a group; at 1e-4, none in six seeds).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from ...errors import ParameterError
from .engine import CoordinationResult, Scope, _recorded, _scope, coordinate
from .methods import get_method
from .near_duplicates import cluster_keys, evidence_with_cluster_keys, with_cluster_keys
from .null_tables import count_cells, null_tables
from .results import decoded

__all__ = [
    "DEFAULT_Q",
    "MIN_EVENTS",
    "TEST_COLUMNS",
    "SignificanceResult",
    "significance",
    "context_of",
    "context_actions",
    "pair_tests",
    "benjamini_hochberg",
    "with_q_values",
]

DEFAULT_Q = 1e-4
"""The false discovery rate allowed over all pairs tested (see the module docs)."""
MIN_EVENTS = 2
"""A link needs at least this many events (distinct shared cells)."""
TEST_COLUMNS = ("events", "expected", "p_value", "q_value", "significant")
_PAIR = ["account_a", "account_b"]


@dataclass(frozen=True)
class SignificanceResult:
    """One method's run and its edges with the test's columns.

    Attributes
    ----------
    result : CoordinationResult
        The observed run, unchanged (all edges, all evidence).
    edges : DataFrame
        ``result.edges`` plus :data:`TEST_COLUMNS`.
    params : dict
        The test's parameters: ``q``, ``min_events``, ``null`` and the context scope.
    """

    result: CoordinationResult
    edges: pd.DataFrame
    params: dict

    def significant_only(self) -> CoordinationResult:
        """The observed result restricted to significant edges (and their evidence)."""
        keep = self.edges[self.edges["significant"]].reset_index(drop=True)
        evidence = self.result.evidence.merge(keep[_PAIR], on=_PAIR)
        return dataclasses.replace(
            self.result,
            edges=keep,
            evidence_table=pa.Table.from_pandas(evidence, preserve_index=False),
            params={**self.result.params, "significance": self.params},
        )


def _check(q: float, min_events: int) -> None:
    if not 0 < q <= 1:
        raise ParameterError(f"q (the false discovery rate) must be in (0, 1], got {q!r}")
    if min_events < 1:
        raise ParameterError(f"min_events must be at least 1, got {min_events!r}")


# --- the context -------------------------------------------------------------------------------


def context_of(store, scope: Scope, day_end: datetime | None = None) -> Scope:
    """The posts the null is built from: every post of the scope's platform on the whole UTC
    days its posts span (the scope itself when it has neither hashtags nor a time slice);
    with ``day_end``, on the whole 24-hour spans ending at ``day_end`` that its posts span.

    A day's activity is the null's unit (module docs): a slice of a day, or one campaign's
    posts, would leave out the crowd its accounts are compared with.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> context_of(Store(":memory:"), Scope(hashtags=("x",))).hashtags is None
    True
    """
    if not (scope.hashtags or scope.since or scope.until):
        return scope
    span = scope.apply(store.posts()).aggregate(
        first=lambda t: t.created_at.min(), last=lambda t: t.created_at.max()
    ).to_pyarrow().to_pylist()[0]  # fmt: skip
    if span["first"] is None:
        return Scope(since=scope.since, until=scope.until, platform=scope.platform)
    if day_end is not None:
        days = max(1, math.ceil((day_end - span["first"]) / timedelta(days=1)))
        return Scope(since=day_end - timedelta(days=days), until=day_end, platform=scope.platform)
    since = _day_start(span["first"])
    until = _day_start(span["last"]) + timedelta(days=1)
    return Scope(since=since, until=until, platform=scope.platform)


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def context_actions(
    store, method: str, scope: Scope, params: dict, day_end: datetime | None = None
) -> ibis.Table:
    """``account_id, key, time, post_id`` of ``method`` over the context of ``scope`` (an
    Ibis table over the store: the null's tables are built where the posts are).

    ``params`` are the run's resolved method parameters: a hashtag scope's own hashtags stay
    out of co-hashtag's keys in the context as in the scope.
    """
    spec = get_method(method)
    merged = {**spec.resolve({k: params[k] for k in spec.defaults if k in params}, scope)}
    context = context_of(store, scope, day_end)
    posts = context.apply(store.posts(text_keys=spec.text_keys(merged)))
    built = spec.build(posts, merged).select("account_id", "key", "time", "post_id")
    return built.filter(built.time.notnull() & built.key.notnull())


# --- the test ----------------------------------------------------------------------------------


def pair_tests(
    context: pa.Table | ibis.Table,
    evidence: pa.Table,
    window_s: float,
    min_events: int = MIN_EVENTS,
    day_origin_s: float = 0.0,
) -> pd.DataFrame:
    """Test every pair of ``evidence`` against the configuration null of ``context``.

    Parameters
    ----------
    context : Arrow table, or Ibis table over DuckDB, ``account_id, key, time``
        The method's actions the null is built from (:func:`context_actions`); an Ibis
        table is read where it lives, in its own DuckDB connection.
    evidence : Arrow table ``account_a, account_b, key, time_a, time_b``
        The engine's evidence rows (post pairs at most ``window_s`` apart).
    window_s : float
        The method's window; cells are ``2 * window_s`` long (module docs).
    min_events : int
        Pairs with fewer events get ``p_value`` 1 (they are still counted as tests).
    day_origin_s : float
        Seconds after midnight UTC at which the null's days start (0: UTC days).

    Returns
    -------
    DataFrame ``account_a, account_b, events, expected, p_value``, one row per pair;
    ``expected`` (the null's mean of the better binning) is NaN for untested pairs.
    """
    if not window_s > 0:
        raise ParameterError(f"the test needs a window > 0 seconds, got {window_s!r}")
    if not evidence.num_rows:
        columns = {c: pd.Series([], dtype=object) for c in _PAIR}
        return pd.DataFrame({**columns, "events": [], "expected": [], "p_value": []})
    with null_tables(context) as (tables, relation):
        cells = count_cells(tables, relation, evidence, window_s, min_events, day_origin_s)
    out = cells.events.merge(_p_values(cells.counts, cells.n_strata), on=_PAIR, how="left")
    return out.assign(p_value=out["p_value"].fillna(1.0)).astype({c: object for c in _PAIR})


def _p_values(counts: pd.DataFrame, n_strata: int) -> pd.DataFrame:
    """Per pair: the Bonferroni-corrected smallest stratum p-value of the better binning."""
    if counts.empty:
        columns = {c: pd.Series([], dtype=object) for c in _PAIR}
        return pd.DataFrame({**columns, "expected": [], "p_value": []})
    p = stats.poisson.sf(counts["n"].to_numpy() - 1, counts["lam"].to_numpy())
    counts = counts.assign(p=p)
    keys = ["o", *_PAIR]
    per = counts.groupby(keys, as_index=False).agg(
        events=("n", "sum"), expected=("lam", "sum"), p=("p", "min")
    )
    per["p"] = np.minimum(per["p"] * n_strata, 1.0)
    # Ties between the binnings go to the first (o = 0): the same pick on every engine,
    # whatever order its rows came in.
    order = per.sort_values(["p", "events", "o"], ascending=[True, False, True], kind="stable")
    best = order.drop_duplicates(_PAIR)
    best = best.assign(p_value=np.minimum(best["p"] * 2, 1.0))  # the better of two binnings
    return best[[*_PAIR, "expected", "p_value"]].astype({c: object for c in _PAIR})


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input's order.

    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.2]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    if not p.size:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def with_q_values(
    edges: dict[str, pd.DataFrame], q: float = DEFAULT_Q, min_events: int = MIN_EVENTS
) -> dict[str, pd.DataFrame]:
    """Add ``q_value`` and ``significant`` to several methods' tested edges, adjusting over all
    of their pairs together (one family of tests)."""
    _check(q, min_events)
    names = [n for n, e in edges.items() if not e.empty]
    if not names:
        return {n: e.assign(q_value=pd.Series(dtype=float), significant=pd.Series(dtype=bool))
                for n, e in edges.items()}  # fmt: skip
    q_values = benjamini_hochberg(np.concatenate([edges[n]["p_value"].to_numpy() for n in names]))
    bounds = np.cumsum([0] + [len(edges[n]) for n in names])
    out = dict(edges)
    for name, start, stop in zip(names, bounds[:-1], bounds[1:], strict=True):
        frame = edges[name].assign(q_value=q_values[start:stop])
        frame["significant"] = (frame["q_value"] <= q) & (frame["events"] >= min_events)
        out[name] = frame
    for name in set(edges) - set(names):
        out[name] = edges[name].assign(q_value=pd.Series(dtype=float), significant=False)
    return out


# --- one method, end to end --------------------------------------------------------------------


def tested_edges(
    store, result: CoordinationResult, min_events: int = MIN_EVENTS, day_end=None
) -> pd.DataFrame:
    """``result.edges`` with ``events, expected, p_value`` from :func:`pair_tests`
    (``day_end``: the null's days end at that instant, see the module docs)."""
    scope = _scope_of(result)
    context = context_actions(store, result.method, scope, result.params, day_end)
    evidence = result.evidence_table
    if get_method(result.method).link is not None:  # co-similar: clusters as keys
        context, evidence = _keyed_by_clusters(store, result, scope, context, day_end)
    origin = day_end.timestamp() % 86400 if day_end is not None else 0.0
    tests = pair_tests(context, evidence, result.params["window_s"], min_events, origin)
    merged = result.edges.merge(tests, on=_PAIR, how="left")
    # Every edge has evidence, so every edge has been counted; fill only the empty case.
    events = merged["events"].fillna(0).astype(np.int64)
    return merged.assign(events=events, p_value=merged["p_value"].fillna(1.0))


def significance(
    store,
    method: str,
    *,
    q: float = DEFAULT_Q,
    min_events: int = MIN_EVENTS,
    hashtags=None,
    since=None,
    until=None,
    platform: str | None = None,
    progress=None,
    **coordinate_kwargs,
) -> SignificanceResult:
    """Run ``method`` (:func:`~.engine.coordinate`) and test every edge (see the module docs).

    Parameters
    ----------
    store : Store
    method : str
        A coordination method name (co-similar is tested on its near-duplicate clusters,
        :mod:`.near_duplicates`).
    q : float
        The false discovery rate over this method's pairs (default :data:`DEFAULT_Q`).
    min_events : int
        Fewest events of a significant link (default 2).
    hashtags, since, until, platform, **coordinate_kwargs :
        As for :func:`~.engine.coordinate` (``window``, method parameters...); ``record``
        stores the run with every edge's test (and all its evidence) when the store is
        writable.
    progress : callable, optional
        Called with the name of each step as it starts (the CLI shows it on a terminal).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> significance(Store(":memory:"), "co-retweet", record=False).edges.empty
    True
    """
    _check(q, min_events)
    record = coordinate_kwargs.pop("record", True)
    step = progress or (lambda _step: None)
    step(f"linking accounts ({method})")
    result = coordinate(
        store, method, hashtags=hashtags, since=since, until=until, platform=platform,
        record=False, **coordinate_kwargs,
    )  # fmt: skip
    step("testing links against the null")
    edges = with_q_values({method: tested_edges(store, result, min_events)}, q, min_events)
    test = null_params(store, result, q, min_events)
    tested = dataclasses.replace(
        result, edges=_by_evidence(edges[method]), params={**result.params, "significance": test}
    )
    if record:  # into the store, or the lake's results with Spark
        tested = _recorded(store, tested)
    return SignificanceResult(tested, tested.edges, test)


def _by_evidence(edges: pd.DataFrame) -> pd.DataFrame:
    """Strongest evidence first: q-value, then weight."""
    order = edges.sort_values(["q_value", "weight"], ascending=[True, False], kind="stable")
    return order.reset_index(drop=True)


def _keyed_by_clusters(store, result, scope: Scope, context: ibis.Table, day_end=None):
    """Context actions and evidence keyed by near-duplicate clusters (:mod:`.near_duplicates`).

    The clusters come from the method's links over the whole context, so a post outside a
    hashtag scope joins the cluster of its near-duplicates inside it.
    """
    linked = result
    wider = context_of(store, scope, day_end)
    if wider != scope:
        linked = coordinate(store, result.method, record=False, **_link_args(result, wider))
    clusters = cluster_keys(decoded(linked.evidence_table.select(["post_a", "post_b"])))
    actions = with_cluster_keys(context.to_pyarrow(), clusters)
    evidence = decoded(result.evidence_table)
    return actions, evidence_with_cluster_keys(evidence, clusters)


def _link_args(result: CoordinationResult, scope: Scope) -> dict:
    """The run's own parameters over another scope."""
    spec = get_method(result.method)
    p = result.params
    method_params = {k: p[k] for k in spec.defaults if k in p}
    return dict(window=p["window_s"], since=scope.since, until=scope.until,
                platform=scope.platform, **method_params)  # fmt: skip


def null_params(store, result: CoordinationResult, q: float, min_events: int, day_end=None) -> dict:
    """The test's parameters as runs record them."""
    context = context_of(store, _scope_of(result), day_end)
    days = "UTC day" if day_end is None else f"24 h ending at {day_end:%H:%M:%S} UTC"
    return {
        "null": f"configuration model per {days}, cell sizes in strata",
        "q": q,
        "min_events": min_events,
        "context": {"since": context.since, "until": context.until, "platform": context.platform},
    }


def _scope_of(result: CoordinationResult) -> Scope:
    # coordinate() stored the scope it used in the run parameters.
    p = result.params
    return _scope(p.get("hashtags") or None, p.get("since"), p.get("until"), p.get("platform"))


__all__ += ["tested_edges", "null_params"]
