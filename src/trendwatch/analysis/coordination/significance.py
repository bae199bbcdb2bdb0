"""Significance of coordination edges against the same engine run on time-shuffled data.

The null model
--------------
An edge says "these two accounts acted on the same key within the window". Some such edges
are expected by chance: busy accounts, popular keys, bursts of activity. The null model keeps
everything about each account's activity except the alignment of its keys with its times:

* **Key methods** (co-retweet, co-tweet, co-link, co-similar, ...): within each
  ``(account, clock hour)`` block (``block_s`` = 3600 s, UTC), the action times are randomly
  permuted among that account's actions of that block. Each account keeps its volume per
  hour -- so per day -- and the exact moments at which it was active (its activity profile);
  only *which key it acted on at which of its moments* is random. An account that acted once
  in the hour keeps its one action unchanged, so a single co-action of two accounts that were
  active only then (two strangers retweeting the same viral post within a minute) is never
  evidence, while accounts that act on many keys in the same minutes as each other, again
  and again, stand out.

  Why an hour and not the whole day (the issue's first idea): permuting within the day
  moves each organic retweet of a viral post to some other moment of the account's day, so
  the shuffles lose the viral post's burst and every pair of busy accounts that met in two
  bursts looks significant. On the simulator's archive (seed 7, co-retweet, 60 s) a day
  block leaves 2,524 significant edges touching 550 organic accounts (16 %); an hour block
  leaves 41 edges touching 45 (1.3 %), with 776 of the 780 attacker pairs significant in
  both. ``block_s=86400`` gives the day block.
* **Time-keyed methods** (sync-post, whose key is the time bin): permuting times would change
  nothing, so each ``(account, UTC day)`` is instead shifted by one random offset, circularly
  within the day (volume and the account's rhythm kept, synchrony with others broken), and
  the bin keys are recomputed from the shifted times.

The engine (:func:`~.engine.link`, with the same window, hot-key bound and filters, but
``min_weight=1`` so the whole null distribution is seen) is run on ``shuffles`` shuffled
copies (default 20, numbered with ``seed``). Per observed edge:

``expected_weight`` / ``null_sd``
    mean and standard deviation of the pair's weight over the shuffles (0 when absent).
``z``
    ``(weight - expected_weight) / sqrt(null_sd**2 + 1/shuffles)``. The pseudo-variance
    ``1/shuffles`` keeps ``z`` finite for a pair never seen in the shuffles: it then says at
    most ``weight * sqrt(shuffles)``.
``p_value``
    the empirical p-value ``(1 + #{shuffles with weight >= observed}) / (1 + shuffles)``
    (North, Curtis & Sham 2002): never 0; its smallest value is ``1/(1 + shuffles)``.
``significant``
    ``p_value <= alpha`` **and** ``weight >= weight_threshold``.

Why a weight threshold too: any one pair meeting by chance is rare, but among millions of
pairs some do, so a weight-1 edge of two busy accounts gets a small p-value although the
shuffles produce thousands of such edges. ``weight_threshold`` is the smallest weight ``w``
such that the shuffled copies hold, on average, at most ``fdr`` (5 %) as many edges passing
the same rule (``p <= alpha`` judged against the other copies, weight ``>= w``) as the data
does: an estimate of the false discovery rate of the rule. The counts are in
:attr:`SignificanceResult.null_counts`.

Cost: the method's actions are read once; all shuffled copies go through one windowed join
(integer-coded). On the simulator's archive (15,000 co-retweet actions, 156,000 observed
edges, most from viral cascades) the 20 copies take about 4 s on 2 cores; the whole
``trendwatch groups`` run there (4 methods) about 13 s. co-similar runs its MinHash link
once per copy (about 20 s there). ``time_source="snowflake"`` runs are not supported: the
null uses ``created_at``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ...connections import connect
from ...errors import ParameterError
from .engine import ACTION_COLUMNS, CoordinationResult, Scope, actions, coordinate, link
from .join import expand_pairs, number_actions
from .methods import get_method

__all__ = [
    "DEFAULT_SHUFFLES",
    "DEFAULT_ALPHA",
    "DEFAULT_FDR",
    "DEFAULT_BLOCK_S",
    "SignificanceResult",
    "significance",
    "edge_significance",
    "shuffle_times",
    "shift_times",
    "null_weights",
    "weight_threshold",
]

DEFAULT_SHUFFLES = 20
"""Shuffled copies per test: the smallest count for which ``p <= 0.05`` is attainable."""
DEFAULT_ALPHA = 0.05
DEFAULT_BLOCK_S = 3600
"""Times are permuted among an account's actions within the same clock hour (see module docs)."""
DEFAULT_FDR = 0.05

_DAY_US = 86_400 * 1_000_000
_TIME_KEYED = {"sync-post"}
_NULL_FILTERS = {"min_weight": 1, "weight_percentile": None, "tfidf": False}
SIGNIFICANCE_COLUMNS = ("expected_weight", "null_sd", "z", "p_value", "significant")
__all__ += ["SIGNIFICANCE_COLUMNS"]


@dataclass(frozen=True)
class SignificanceResult:
    """The observed result, its edges with significance columns, and the null's edge counts.

    Attributes
    ----------
    result : CoordinationResult
        The observed run, unchanged (all edges, all evidence).
    edges : DataFrame
        ``result.edges`` plus :data:`SIGNIFICANCE_COLUMNS`.
    weight_threshold : float
        The smallest weight kept (see the module docs); ``inf`` when none qualifies.
    null_counts : DataFrame
        ``weight, observed, null_mean``: edges of weight ``>= weight`` in the data and, on
        average, in one shuffled copy.
    params : dict
        ``shuffles, seed, alpha, fdr, null`` (the null's name).
    """

    result: CoordinationResult
    edges: pd.DataFrame
    weight_threshold: float
    null_counts: pd.DataFrame
    params: dict

    def significant_only(self) -> CoordinationResult:
        """The observed result restricted to significant edges (and their evidence)."""
        keep = self.edges[self.edges["significant"]].reset_index(drop=True)
        pairs = keep[["account_a", "account_b"]]
        evidence = self.result.evidence.merge(pairs, on=["account_a", "account_b"])
        test = {**self.params, "weight_threshold": self.weight_threshold}
        params = {**self.result.params, "significance": test}
        return dataclasses.replace(
            self.result,
            edges=keep,
            evidence_table=pa.Table.from_pandas(evidence, preserve_index=False),
            params=params,
        )


def _check(shuffles: int, alpha: float, fdr: float) -> None:
    if not isinstance(shuffles, int | np.integer) or shuffles < 1:
        raise ParameterError(f"shuffles must be a positive integer, got {shuffles!r}")
    if not 0 < alpha <= 1 or not 0 < fdr <= 1:
        raise ParameterError(f"alpha and fdr must be in (0, 1], got {alpha} and {fdr}")
    if 1 / (1 + shuffles) > alpha:
        need = math.ceil(1 / alpha) - 1
        raise ParameterError(
            f"with {shuffles} shuffles no p-value can reach alpha={alpha}: "
            f"use at least {need} shuffles or a larger alpha"
        )


def shuffle_times(
    acts: pa.Table, rng: np.random.Generator, block_s: float = DEFAULT_BLOCK_S
) -> pa.Table:
    """Permute action times within each ``(account, UTC day)``; keys and post ids stay.

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> acts = pa.table({"account_id": ["a", "a"], "key": ["k", "j"],
    ...                  "time": [t, t + dt.timedelta(hours=1)], "post_id": ["1", "2"]})
    >>> sorted(shuffle_times(acts, np.random.default_rng(0))["time"].to_pylist()) == [
    ...     t, t + dt.timedelta(hours=1)]
    True
    """
    return _time_permuter(acts, block_s)(rng)


def _time_permuter(acts: pa.Table, block_s: float):
    """``rng -> shuffled copy`` with the per-account-day grouping computed once."""
    micros, group = _account_blocks(acts, block_s)
    by_time = micros[np.lexsort((micros, group))]

    def permute(rng: np.random.Generator) -> pa.Table:
        by_random = np.lexsort((rng.random(len(micros)), group))
        shuffled = np.empty_like(micros)
        # Both orders sort by group first, so block i of one is block i of the other.
        shuffled[by_random] = by_time
        return _with_times(acts, shuffled)

    return permute


def shift_times(acts: pa.Table, rng: np.random.Generator, bin_s: float) -> pa.Table:
    """Shift each ``(account, UTC day)`` circularly by one random offset; keys = new bins."""
    micros, group = _account_blocks(acts, _DAY_US / 1e6)
    offsets = rng.integers(0, _DAY_US, int(group.max()) + 1 if len(group) else 0)
    day = micros // _DAY_US
    shifted = day * _DAY_US + (micros - day * _DAY_US + offsets[group]) % _DAY_US
    bin_us = int(round(bin_s * 1_000_000))
    keys = ((shifted // bin_us) * bin_us // 1_000_000).astype(str)
    table = _with_times(acts, shifted)
    return table.set_column(table.schema.get_field_index("key"), "key", pa.array(keys))


def _account_blocks(acts: pa.Table, block_s: float) -> tuple[np.ndarray, np.ndarray]:
    times = acts["time"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    micros = times.to_numpy(zero_copy_only=False)
    accounts = pd.factorize(acts["account_id"].to_numpy(zero_copy_only=False))[0]
    days = micros // int(round(block_s * 1_000_000))
    group = pd.factorize(pd.MultiIndex.from_arrays([accounts, days]))[0]
    return micros, group


def _with_times(acts: pa.Table, micros: np.ndarray) -> pa.Table:
    column = pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return acts.set_column(acts.schema.get_field_index("time"), "time", column)


def null_weights(
    acts: pa.Table,
    result: CoordinationResult,
    shuffles: int,
    seed: int,
    block_s: float = DEFAULT_BLOCK_S,
) -> pd.DataFrame:
    """Edges of ``shuffles`` shuffled copies: ``account_a, account_b, weight, shuffle``.

    Copy ``i`` is shuffled with ``numpy.random.default_rng([seed, i])``. All copies go through
    the engine's windowed join at once (accounts, keys and posts as integer codes, each copy's
    keys offset by its number), with the observed run's window, hot-key bound, participation
    and symmetry filters; methods with their own link step (co-similar) run it once per copy.
    """
    shuffle = _shuffler(result, acts, block_s)
    copies = [shuffle(np.random.default_rng([seed, i])) for i in range(shuffles)]
    if get_method(result.method).link is not None:
        return _null_by_copy(copies, _null_linker(result))
    return _null_in_one_join(copies, result.params)


def _null_by_copy(copies: list[pa.Table], link_null) -> pd.DataFrame:
    frames = [
        link_null(copy).edges[["account_a", "account_b", "weight"]].assign(shuffle=i)
        for i, copy in enumerate(copies)
    ]
    return pd.concat(frames, ignore_index=True) if frames else _empty_null()


def _coded(copies: list[pa.Table]) -> tuple[pa.Table, np.ndarray, int]:
    """The copies stacked with integer codes: (table, account names, keys per copy)."""
    stacked = pa.concat_tables(copies)
    accounts, names = pd.factorize(stacked["account_id"].to_numpy(zero_copy_only=False))
    keys, uniques = pd.factorize(stacked["key"].to_numpy(zero_copy_only=False))
    n = copies[0].num_rows
    copy = np.repeat(np.arange(len(copies), dtype=np.int64), n)
    table = pa.table(
        {
            "account_id": accounts.astype(np.int64),
            "key": copy * len(uniques) + keys,
            "time": stacked["time"].cast(pa.timestamp("us", tz="UTC")),
            "post_id": np.tile(np.arange(n, dtype=np.int64), len(copies)),
        }
    )
    return table, np.asarray(names, dtype=object), max(len(uniques), 1)


def _null_in_one_join(copies: list[pa.Table], params: dict) -> pd.DataFrame:
    table, names, n_keys = _coded(copies)
    con = connect()
    try:
        con.register("_tw_null_in", table)
        con.execute(_NULL_ACTIONS_SQL, [n_keys, params["min_participation"]])
        number_actions(con, params["window_s"])
        expand_pairs(con, params["max_key_fanout"], params.get("max_key_pairs"))
        if params["min_symmetry"] > 0:
            edges = con.execute(_NULL_EDGES_SQL, [n_keys, params["min_symmetry"]]).df()
        else:
            edges = con.execute(_NULL_WEIGHTS_SQL, [n_keys]).df()
    finally:
        con.close()
    a, b = names[edges["account_a"].to_numpy()], names[edges["account_b"].to_numpy()]
    swap = a > b
    edges["account_a"], edges["account_b"] = np.where(swap, b, a), np.where(swap, a, b)
    return edges


# The engine's action preparation (join._prepare_actions), per shuffled copy; the copy of a
# key is key // n_keys. Account codes follow first appearance, so account_a < account_b is
# re-established on the names in the edges.
_NULL_ACTIONS_SQL = """
    CREATE TEMP TABLE _tw_acts AS
    WITH a AS (
        SELECT DISTINCT account_id, key, time, post_id, key // ? AS copy
        FROM _tw_null_in WHERE time IS NOT NULL
    ), active AS (
        SELECT account_id, copy FROM a GROUP BY ALL HAVING count(DISTINCT key) >= ?
    )
    SELECT a.* EXCLUDE (copy) FROM a SEMI JOIN active USING (account_id, copy)
    WHERE key IN (SELECT key FROM a GROUP BY key HAVING count(DISTINCT account_id) > 1)
"""
_NULL_WEIGHTS_SQL = """
    SELECT account_a, account_b, count(*) AS weight, key // $1 AS shuffle
    FROM _tw_pairs GROUP BY account_a, account_b, key // $1
"""
_NULL_EDGES_SQL = """
    SELECT account_a, account_b, weight, shuffle FROM (
        SELECT account_a, account_b, key // $1 AS shuffle, count(*) AS weight,
               least(count(DISTINCT post_a), count(DISTINCT post_b))
                 / greatest(count(DISTINCT post_a), count(DISTINCT post_b)) AS symmetry
        FROM _tw_pairs GROUP BY account_a, account_b, key // $1
    ) WHERE symmetry >= $2
"""


def weight_threshold(
    edges: pd.DataFrame, null: pd.DataFrame, shuffles: int, alpha: float, fdr: float
) -> tuple[float, pd.DataFrame]:
    """The smallest weight from which at most ``fdr`` of the kept edges are expected by chance.

    ``edges`` has ``weight`` and ``p_value``. For each weight ``w`` of an edge with
    ``p_value <= alpha``: ``observed`` counts such edges of weight ``>= w``; ``null_mean``
    counts, on average per shuffled copy, the null edges that would pass the same rule, each
    judged against the *other* copies (leave one out: ``(1 + #{other copies with weight >=
    its weight}) / shuffles <= alpha``). Returns ``(threshold, counts)``; ``threshold`` is
    ``inf`` when no weight qualifies.
    """
    passed = np.sort(edges.loc[edges["p_value"] <= alpha, "weight"].to_numpy(dtype=float))
    levels = np.unique(passed)
    false = np.sort(_null_discoveries(null, shuffles, alpha))
    counts = pd.DataFrame(
        {
            "weight": levels,
            "observed": len(passed) - np.searchsorted(passed, levels, side="left"),
            "null_mean": (len(false) - np.searchsorted(false, levels, side="left")) / shuffles,
        }
    )
    ok = counts["null_mean"] <= fdr * counts["observed"]
    threshold = float(counts.loc[ok, "weight"].min()) if ok.any() else math.inf
    return threshold, counts


def _null_discoveries(null: pd.DataFrame, shuffles: int, alpha: float) -> np.ndarray:
    """Weights of the null edges that pass the p-value rule against the other copies."""
    if null.empty:
        return np.array([], dtype=float)
    weights = null["weight"].astype(float)
    # Descending rank with ties at their max = copies of this pair with weight >= this one.
    at_least = weights.groupby([null["account_a"], null["account_b"]]).rank(
        method="max", ascending=False
    )
    p_value = at_least / shuffles  # (1 + others at least as heavy) / (1 + shuffles - 1)
    return weights[p_value <= alpha].to_numpy()


def edge_significance(edges: pd.DataFrame, null: pd.DataFrame, shuffles: int) -> pd.DataFrame:
    """Add ``expected_weight, null_sd, z, p_value`` to ``edges`` given the null's edges."""
    pairs = ["account_a", "account_b"]
    merged = edges[[*pairs, "weight"]].merge(null, on=pairs, how="left", suffixes=("", "_null"))
    merged["w"] = merged["weight_null"].fillna(0.0).astype(float)
    merged["hit"] = (merged["w"] >= merged["weight"]) & merged["shuffle"].notna()
    merged["w2"] = merged["w"] ** 2
    stats = merged.groupby(pairs, sort=False).agg(
        s=("w", "sum"), s2=("w2", "sum"), k=("hit", "sum")
    )
    out = edges.merge(stats.reset_index(), on=pairs, how="left")
    mean = out["s"] / shuffles
    var = (out["s2"] / shuffles - mean**2).clip(lower=0.0)
    out["expected_weight"] = mean
    out["null_sd"] = np.sqrt(var)
    out["z"] = (out["weight"] - mean) / np.sqrt(var + 1.0 / shuffles)
    out["p_value"] = (1.0 + out["k"]) / (1.0 + shuffles)
    return out.drop(columns=["s", "s2", "k"])


def _null_linker(result: CoordinationResult):
    spec = get_method(result.method)
    keys = ("window_s", "max_key_fanout", "min_participation", "min_symmetry")
    kwargs = {k: result.params[k] for k in keys} | _NULL_FILTERS
    kwargs["max_key_pairs"] = result.params.get("max_key_pairs")
    kwargs |= {"method": result.method, "params": result.params}
    if spec.link is not None:
        return lambda acts: spec.link(acts, dict(kwargs))
    return lambda acts: link(acts, **kwargs)


def _shuffler(result: CoordinationResult, acts: pa.Table, block_s: float):
    if result.method in _TIME_KEYED:
        bin_s = result.params["bin_s"]
        return lambda rng: shift_times(acts, rng, bin_s)
    return _time_permuter(acts, block_s)


def _observed_actions(store, result: CoordinationResult, scope: Scope) -> pa.Table:
    spec = get_method(result.method)
    params = {k: result.params[k] for k in spec.defaults if k in result.params}
    table = actions(store, result.method, scope, params).distinct().to_pyarrow()
    # Repeats are dropped first: shuffled apart, two copies of one action would count twice.
    # DuckDB returns rows in no fixed order; the shuffles assign random draws by row, so
    # without a fixed order the same seed would give different nulls (and groups) per run.
    order = [(column, "ascending") for column in ACTION_COLUMNS]
    return table.select(list(ACTION_COLUMNS)).sort_by(order)


def significance(
    store,
    method: str,
    *,
    shuffles: int = DEFAULT_SHUFFLES,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    fdr: float = DEFAULT_FDR,
    block_s: float = DEFAULT_BLOCK_S,
    hashtags=None,
    since=None,
    until=None,
    platform: str | None = None,
    **coordinate_kwargs,
) -> SignificanceResult:
    """Run ``method`` (see :func:`~.engine.coordinate`) and test every edge against shuffles.

    Parameters
    ----------
    store : Store
    method : str
        A coordination method name.
    shuffles : int
        Shuffled copies of the data (default :data:`DEFAULT_SHUFFLES`).
    seed : int
        Seeds the shuffles: the same seed gives the same result.
    alpha : float
        Largest empirical p-value called significant (default 0.05).
    fdr : float
        Largest share of edges the shuffles may explain at the weight threshold (0.05).
    block_s : float
        Times are permuted among an account's actions within blocks of this many seconds
        (default :data:`DEFAULT_BLOCK_S`, one hour; 86400 = within the UTC day).
    hashtags, since, until, platform, **coordinate_kwargs :
        As for :func:`~.engine.coordinate` (``window``, ``min_weight``, method parameters...).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> significance(Store(":memory:"), "co-retweet", record=False).edges.empty
    True
    """
    _check(shuffles, alpha, fdr)
    if not block_s > 0:
        raise ParameterError(f"block_s must be > 0 seconds, got {block_s!r}")
    result = coordinate(
        store, method, hashtags=hashtags, since=since, until=until, platform=platform,
        **coordinate_kwargs,
    )  # fmt: skip
    scope = _scope_of(result)
    null = _empty_null()
    if not result.edges.empty:
        acts = _observed_actions(store, result, scope)
        null = null_weights(acts, result, shuffles, seed, block_s)
    edges = edge_significance(result.edges, null, shuffles)
    threshold, counts = weight_threshold(edges, null, shuffles, alpha, fdr)
    edges["significant"] = (edges["p_value"] <= alpha) & (edges["weight"] >= threshold)
    null_name = "account-day shift" if method in _TIME_KEYED else "account-block time permutation"
    params = {"shuffles": shuffles, "seed": seed, "alpha": alpha, "fdr": fdr, "block_s": block_s}
    params["null"] = null_name
    return SignificanceResult(result, edges, threshold, counts, params)


def _empty_null() -> pd.DataFrame:
    return pd.DataFrame({"account_a": [], "account_b": [], "weight": [], "shuffle": []}).astype(
        {"account_a": object, "account_b": object}
    )


def _scope_of(result: CoordinationResult) -> Scope:
    # coordinate() stored the scope it used (times already parsed) in the run parameters.
    from ...times import parse_time

    p = result.params
    since, until = p.get("since"), p.get("until")
    return Scope(
        hashtags=tuple(p.get("hashtags") or ()) or None,
        since=parse_time(since) if isinstance(since, str) else since,
        until=parse_time(until) if isinstance(until, str) else until,
        platform=p.get("platform"),
    )
