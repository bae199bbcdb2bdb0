"""Groups of coordinated accounts: significant links of several methods, fused, then grouped.

1. Each method runs through the engine (:func:`~.engine.coordinate`) and every linked pair is
   tested against the configuration null (:mod:`.significance`); the p-values of all methods'
   pairs are adjusted together (Benjamini-Hochberg), and a link is kept when its q-value is at
   most ``q`` and it has at least ``min_events`` events.
2. The methods' kept links are **fused** into one undirected graph: one edge per account pair,
   ``weight`` = the sum of the methods' weights, ``events`` the sum of their events,
   ``q_value`` the smallest, ``methods`` which methods link the pair.
3. Groups are the **connected components** of that graph (default), or Leiden communities
   (Traag, Waltman & van Eck 2019, via ``leidenalg``) inside each component. Components,
   because the test already removed the chance links: on the simulator's planted networks
   (five seeds) every network is exactly one component (F1 1.0), while Leiden's modularity
   cut the retweet ring into three groups, the link network into two and the reply raid into
   one to three (seeds 1-3, F1 0.55-0.76 for those): a dense group whose links carry uneven
   weights looks like several communities to modularity. Groups smaller than
   ``min_size`` (3: a pair is a link, not a group) are dropped.
4. Each group is scored (:mod:`.scores`) and the scope gets a verdict (:mod:`.verdict`).

Default methods (:data:`DEFAULT_METHODS`), each where the data holds actions of it by two
accounts or more, with its own window: co-retweet, co-tweet and co-link (60 s), co-reply and
co-reply-account (120 s: replies to one post, and to one account, as a raid does), co-hashtag
(300 s: a flood's wave). Together they cover the common shapes: a retweet ring, copy-paste,
a link network, a reply raid, a hashtag flood. Not by default: co-similar (near-duplicate
texts, tested on their clusters: :mod:`.near_duplicates`; its MinHash link costs more than
all the defaults together on a big archive), co-mention (a celebrity's handle
is shared by everyone talking about them), sync-post (everybody active in the same half hour)
and hashtag-sequence (co-hashtag's waves cover it); ask for them with ``methods=``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import igraph
import leidenalg
import pandas as pd
import pyarrow as pa

from ...connections import connect
from ...errors import ParameterError
from ...runs import is_read_only
from .coded import registered
from .engine import (
    DEFAULT_MAX_KEY_PAIRS,
    CoordinationResult,
    Scope,
    _recorded,
    _scope,
    actions,
    check_scope,
    coordinate,
)
from .group_runs import record_groups_run
from .methods import get_method
from .results import decoded
from .significance import (
    DEFAULT_Q,
    MIN_EVENTS,
    null_params,
    tested_edges,
    with_q_values,
)

__all__ = [
    "DEFAULT_METHODS",
    "GroupsResult",
    "groups",
    "applicable_methods",
    "fuse_edges",
    "partition",
]

DEFAULT_METHODS = (
    "co-retweet",
    "co-tweet",
    "co-link",
    "co-reply",
    "co-reply-account",
    "co-hashtag",
)
ALGORITHMS = ("components", "leiden")
DEFAULT_MIN_SIZE = 3
_PAIR = ["account_a", "account_b"]


@dataclass(frozen=True)
class GroupsResult:
    """Groups of accounts, their scores, and the fused significant edges behind them.

    Attributes
    ----------
    members : DataFrame
        ``account_id, group_id, degree, strength, methods`` (one row per account in a group;
        ``degree`` / ``strength`` count edges / weight inside the group).
    groups : DataFrame
        One row per group with its scores (see :func:`~.scores.group_scores`).
    edges : DataFrame
        The fused significant edges: ``account_a, account_b, weight, events, q_value,
        n_methods, methods, min_gap_s, group_id`` (``group_id`` when both ends are in the same
        group).
    evidence : DataFrame
        The significant edges' evidence, with a ``method`` column.
    runs : dict
        Method -> run id of its coordination run (None when not recorded).
    tests : dict
        Method -> ``{"pairs": tested pairs, "significant": kept links, "window_s": ...}``.
    params : dict
        Every parameter used.
    verdict : Verdict or None
        What the groups say about the scope (:mod:`.verdict`).
    run_id : str or None
        The groups run in the store (:mod:`.group_runs`); None when not recorded.
    """

    members: pd.DataFrame
    groups: pd.DataFrame
    edges: pd.DataFrame
    evidence: pd.DataFrame
    runs: dict = field(default_factory=dict)
    tests: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    verdict: object = None
    run_id: str | None = None

    def graph(self) -> igraph.Graph:
        """The fused significant edges as an undirected igraph Graph.

        Vertex ``name`` = account id and ``group_id`` (0: in no group, group ids count from
        1); edge attributes are the edge columns, ``group_id`` 0 for an edge between groups.
        """
        edges = self.edges.assign(group_id=self.edges["group_id"].fillna(0).astype(int))
        graph = igraph.Graph.DataFrame(edges, directed=False, use_vids=False)
        group_of = dict(zip(self.members["account_id"], self.members["group_id"], strict=True))
        graph.vs["group_id"] = [int(group_of.get(name, 0)) for name in graph.vs["name"]]
        return graph

    def summary(self) -> dict:
        """Counts a user reads first."""
        return {
            "methods": list(self.runs),
            "groups": len(self.groups),
            "accounts_in_groups": len(self.members),
            "significant_edges": len(self.edges),
            "runs": self.runs,
        }


def applicable_methods(store, scope: Scope | None = None, methods=DEFAULT_METHODS) -> list[str]:
    """The ``methods`` with actions by at least two distinct accounts in the scope.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> applicable_methods(Store(":memory:"))
    []
    """
    sizes = method_sizes(store, scope, methods)
    return [name for name in methods if sizes[name]["accounts"] >= 2]


def method_sizes(store, scope: Scope | None, methods) -> dict[str, dict]:
    """Per method: its ``actions`` and distinct ``accounts`` in the scope."""
    sizes = {}
    for name in methods:
        acts = actions(store, name, scope)
        row = acts.aggregate(n=acts.count(), accounts=acts.account_id.nunique()).to_pyarrow()
        sizes[name] = {"actions": row["n"][0].as_py(), "accounts": row["accounts"][0].as_py()}
    return sizes


_COSTLIEST_FIRST = ("sync-post", "co-hashtag", "co-mention", "co-retweet", "co-tweet")
"""Methods whose keys many accounts share link the most post pairs: they run first, on a
clean heap (the whole IRA archive: co-hashtag first peaked at 1.65 GB, last at 1.8 GB)."""


def _costliest_first(names: list[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(_COSTLIEST_FIRST)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


def fuse_edges(per_method: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One edge per account pair from several methods' edges (see the module docs).

    Examples
    --------
    >>> e = pd.DataFrame({"account_a": ["a"], "account_b": ["b"], "weight": [2], "events": [2],
    ...                   "q_value": [1e-6], "min_gap_s": [1.0]})
    >>> fuse_edges({"co-tweet": e, "co-link": e})[["weight", "methods"]].values.tolist()
    [[4, 'co-link,co-tweet']]
    """
    columns = [*_PAIR, "weight", "events", "q_value", "min_gap_s"]
    frames = [e[columns].assign(method=m) for m, e in per_method.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        names = [*_PAIR, "weight", "events", "q_value", "n_methods", "methods", "min_gap_s"]
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in names})
    stacked = pd.concat(frames, ignore_index=True).sort_values("method")
    fused = stacked.groupby(_PAIR, as_index=False).agg(
        weight=("weight", "sum"),
        events=("events", "sum"),
        q_value=("q_value", "min"),
        n_methods=("method", "nunique"),
        methods=("method", ",".join),
        min_gap_s=("min_gap_s", "min"),
    )
    return fused.sort_values(["weight", *_PAIR], ascending=[False, True, True], ignore_index=True)


def partition(
    edges: pd.DataFrame,
    *,
    algorithm: str = "components",
    seed: int = 0,
    min_size: int = DEFAULT_MIN_SIZE,
    resolution: float = 1.0,
) -> pd.DataFrame:
    """Assign accounts to groups: ``account_id, group_id`` for groups of ``min_size`` or more.

    Group ids count from 1, largest group first (ties: the smallest account id first), so
    they are stable for a given graph and seed.

    Examples
    --------
    >>> e = pd.DataFrame({"account_a": ["a", "a", "b"], "account_b": ["b", "c", "c"],
    ...                   "weight": [1, 1, 1]})
    >>> partition(e).values.tolist()
    [['a', 1], ['b', 1], ['c', 1]]
    """
    if algorithm not in ALGORITHMS:
        raise ParameterError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if edges.empty:
        return pd.DataFrame({"account_id": pd.Series([], dtype=object), "group_id": []})
    graph = igraph.Graph.DataFrame(edges[[*_PAIR, "weight"]], directed=False, use_vids=False)
    labels = _labels(graph, algorithm, seed, resolution)
    found = pd.DataFrame({"account_id": graph.vs["name"], "label": labels})
    return _number_groups(found, min_size)


def _labels(graph: igraph.Graph, algorithm: str, seed: int, resolution: float) -> list[int]:
    components = graph.connected_components().membership
    if algorithm == "components":
        return components
    # Leiden per connected component: a component's split then depends only on its own
    # edges, so a dense clique of 40 accounts is not cut in two because most of the whole
    # graph's weight happens to sit in it (modularity's resolution limit).
    labels = [0] * graph.vcount()
    next_label = 0
    for members in _groups_of_vertices(components):
        sub = graph.subgraph(members)
        found = leidenalg.find_partition(
            sub,
            leidenalg.RBConfigurationVertexPartition,
            resolution_parameter=resolution,
            seed=seed,
        )
        for vertex, label in zip(members, found.membership, strict=True):
            labels[vertex] = next_label + label
        next_label += max(found.membership) + 1
    return labels


def _groups_of_vertices(membership: list[int]) -> list[list[int]]:
    grouped: dict[int, list[int]] = {}
    for vertex, label in enumerate(membership):
        grouped.setdefault(label, []).append(vertex)
    return list(grouped.values())


def _number_groups(found: pd.DataFrame, min_size: int) -> pd.DataFrame:
    stats = found.groupby("label").agg(size=("account_id", "size"), first=("account_id", "min"))
    stats = stats[stats["size"] >= min_size].sort_values(["size", "first"], ascending=[False, True])
    ids = pd.Series(range(1, len(stats) + 1), index=stats.index)
    kept = found[found["label"].isin(ids.index)]
    out = kept.assign(group_id=kept["label"].map(ids).astype(int))[["account_id", "group_id"]]
    return out.sort_values(["group_id", "account_id"], ignore_index=True)


def _member_stats(groups_of: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Per member: degree, strength and methods of its edges inside its group."""
    inner = edges[edges["group_id"].notna()]
    ends = pd.concat(
        [inner.rename(columns={"account_a": "account_id"}), inner.rename(
            columns={"account_b": "account_id"})],
        ignore_index=True,
    )  # fmt: skip
    stats = ends.groupby("account_id").agg(
        degree=("weight", "size"),
        strength=("weight", "sum"),
        methods=("methods", lambda m: ",".join(sorted(set(",".join(m).split(","))))),
    )
    return groups_of.merge(stats.reset_index(), on="account_id", how="left")


def _label_edges(edges: pd.DataFrame, groups_of: pd.DataFrame) -> pd.DataFrame:
    group = groups_of.set_index("account_id")["group_id"]
    a, b = edges["account_a"].map(group), edges["account_b"].map(group)
    return edges.assign(group_id=a.where(a == b).astype("Int64"))


def groups(
    store,
    methods=None,
    *,
    hashtags=None,
    since=None,
    until=None,
    platform: str | None = None,
    window: float | None = None,
    q: float = DEFAULT_Q,
    min_events: int = MIN_EVENTS,
    algorithm: str = "components",
    min_size: int = DEFAULT_MIN_SIZE,
    resolution: float = 1.0,
    seed: int = 0,
    record: bool = True,
    progress=None,
    null_day_end: datetime | None = None,
) -> GroupsResult:
    """Find groups of coordinated accounts: tested links, fused, grouped, scored, judged.

    Parameters
    ----------
    store : Store
    methods : list of str, optional
        Method names; default: the :data:`DEFAULT_METHODS` that apply to the scoped data.
    hashtags, since, until, platform :
        The scope (the campaign); group scores' shares are relative to it.
    window : float, optional
        Seconds, for every method; default: each method's own (module docs).
    q : float
        False discovery rate over every pair of every method (default 1e-4).
    min_events : int
        Fewest events (distinct shared cells) of a kept link (default 2).
    algorithm : "components" or "leiden"
    min_size : int
        Smallest group reported (default 3).
    resolution : float
        Leiden's resolution (1.0: modularity).
    seed : int
        Seeds Leiden: the same seed gives the same groups.
    record : bool
        Store each method's run with its tested edges and the kept links' evidence, and
        the groups run (:func:`~.group_runs.record_groups_run`; the result's ``run_id``).
    progress : callable, optional
        Called with the name of each step as it starts (the CLI shows it on a terminal).
    null_day_end : datetime, optional
        The test's days are the 24-hour spans ending at this instant instead of UTC days
        (a live check passes its stream time; :mod:`.significance`).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> groups(Store(":memory:"), record=False).groups.empty
    True
    """
    from .scores import group_scores
    from .verdict import verdict_of

    scope = _scope(hashtags, since, until, platform)
    check_scope(store, scope)
    names = list(methods) if methods else applicable_methods(store, scope)
    for name in names:
        get_method(name)
    runs, tested = {}, {}
    step = progress or (lambda _step: None)
    for name in _costliest_first(names):  # only candidates' evidence is kept
        step(f"linking and testing {name}")
        runs[name], tested[name] = _tested_run(
            store, name, scope, window, q, min_events, null_day_end
        )
    step("grouping and scoring")
    runs, tested = {n: runs[n] for n in names}, {n: tested[n] for n in names}
    tested = with_q_values(tested, q, min_events)
    kept = {name: _significant(runs[name], tested[name]) for name in names}
    if record and _keeps_results(store):
        runs = {name: _saved(store, runs[name], tested[name], kept[name], q, min_events,
                             null_day_end) for name in names}  # fmt: skip
    fused = fuse_edges({name: r.edges for name, r in kept.items()})
    groups_of = partition(
        fused, algorithm=algorithm, seed=seed, min_size=min_size, resolution=resolution
    )
    fused = _label_edges(fused, groups_of)
    evidence = _stack_evidence(kept)
    scores = group_scores(store, groups_of, fused, evidence, scope)
    params = {
        "methods": names, "hashtags": list(scope.hashtags or ()), "since": since,
        "until": until, "platform": platform, "window": window, "q": q,
        "min_events": min_events, "algorithm": algorithm, "min_size": min_size,
        "resolution": resolution, "seed": seed,
    }  # fmt: skip
    if null_day_end is not None:
        params["null_day_end"] = null_day_end
    result = GroupsResult(
        members=_member_stats(groups_of, fused),
        groups=scores,
        edges=fused,
        evidence=evidence,
        runs={name: r.run_id for name, r in runs.items()},
        tests={name: _test_summary(runs[name], tested[name]) for name in names},
        params=params,
        verdict=verdict_of(store, scores, scope, names),
    )
    return _recorded_groups(store, result) if record else result


def _keeps_results(store) -> bool:
    """Whether runs are recorded: a writable store, or a lake (Spark writes back there)."""
    return getattr(store, "engine", "duckdb") == "spark" or not is_read_only(store)


def _recorded_groups(store, result: GroupsResult) -> GroupsResult:
    if getattr(store, "engine", "duckdb") == "spark":
        from ...engines.lake_results import save_groups

        return save_groups(store, result)
    return record_groups_run(store, result)


def _run(store, name: str, scope: Scope, window) -> CoordinationResult:
    """The method's links (the test needs no TF-IDF weight; its pair budget, see Method)."""
    budget = get_method(name).pair_budget or DEFAULT_MAX_KEY_PAIRS
    return coordinate(
        store, name, window=window, hashtags=scope.hashtags, since=scope.since,
        until=scope.until, platform=scope.platform, record=False, tfidf=False,
        max_key_pairs=budget,
    )  # fmt: skip


def _tested_run(store, name, scope, window, q, min_events, day_end=None):
    """``(run with the evidence of its candidate links only, every edge with its test)``.

    A pair whose p-value is above ``q`` cannot pass Benjamini-Hochberg at ``q`` (its q-value
    is at least its p-value), so the evidence of the others is dropped before the next method
    runs: on the IRA archive co-hashtag alone links 6.4 million post pairs.
    """
    run = _run(store, name, scope, window)
    tested = tested_edges(store, run, min_events, day_end)
    candidates = tested.loc[tested["p_value"] <= q, _PAIR]
    return dataclasses.replace(run, evidence_table=_evidence_of(run, candidates)), tested


def _evidence_of(run: CoordinationResult, pairs: pd.DataFrame) -> pa.Table:
    """The run's evidence rows of ``pairs`` (in Arrow: the evidence can be millions of rows)."""
    con = connect()
    try:
        with (
            registered(con, decoded(run.evidence_table)) as ev,
            registered(
                con, pa.Table.from_pandas(pairs.astype(str), preserve_index=False)
            ) as wanted,
        ):
            sql = f"SELECT * FROM {ev} SEMI JOIN {wanted} USING (account_a, account_b)"
            return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _significant(run: CoordinationResult, tested: pd.DataFrame) -> CoordinationResult:
    """The run restricted to its significant links and their evidence."""
    keep = tested[tested["significant"]].reset_index(drop=True)
    return dataclasses.replace(run, edges=keep, evidence_table=_evidence_of(run, keep[_PAIR]))


def _saved(store, run, tested, kept, q, min_events, day_end=None) -> CoordinationResult:
    """Record the run: every tested edge with its test, the kept links' evidence only."""
    test = null_params(store, run, q, min_events, day_end)
    stored = dataclasses.replace(
        run,
        edges=tested,
        evidence_table=kept.evidence_table,
        params={**run.params, "significance": test, "evidence": "significant links only"},
    )
    return _recorded(store, stored)


def _test_summary(run: CoordinationResult, tested: pd.DataFrame) -> dict:
    return {
        "window_s": run.params["window_s"],
        "pairs": len(tested),
        "significant": int(tested["significant"].sum()) if len(tested) else 0,
    }


def _stack_evidence(tested: dict) -> pd.DataFrame:
    columns = [*_PAIR, "key", "post_a", "post_b", "time_a", "time_b", "gap_s"]
    frames = [r.evidence[columns].assign(method=m) for m, r in tested.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in [*columns, "method"]})
    return pd.concat(frames, ignore_index=True)
