"""Groups of coordinated accounts: significant links of several methods, fused, then partitioned.

1. Each method runs through :func:`~.significance.significance`; only its significant edges
   (and their evidence) are kept.
2. The methods' edges are **fused** into one undirected graph: one edge per account pair,
   ``weight`` = the sum of the methods' weights, ``methods`` = which methods link the pair.
3. The graph is partitioned, by connected components or (default) by Leiden (Traag, Waltman &
   van Eck 2019, "From Louvain to Leiden", via ``leidenalg``: modularity, ``seed=``, run on
   each connected component separately), whose communities are always connected. Leiden
   sees the edges unweighted: with weights, the uneven weights inside a clique of 40
   attackers let modularity cut it into three "groups" (simulator, seed 7); the weights
   already did their work in the significance test. Groups smaller than ``min_size`` (3: a pair is a
   link, not a group) are dropped.
4. Each group is scored (:mod:`.scores`).

Default methods (:data:`DEFAULT_METHODS`): those whose key is a specific piece of content
(co-retweet, co-tweet, co-link, co-reply, hashtag-sequence), each only when the data holds
actions of it by two accounts or more. co-similar is left out for cost: its null runs the
MinHash link once per shuffled copy (about 20 s on the simulator's archive, against 3-5 s
for all the others together); ask for it with ``methods=``. co-hashtag, co-mention and sync-post are
left out by default: their keys (a trending hashtag, a celebrity's handle, a half-hour bin)
are shared by everyone talking at the same moment, so they mostly measure topic and activity,
not coordination; ask for them with ``methods=``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import igraph
import leidenalg
import pandas as pd

from ...errors import ParameterError
from .engine import Scope, actions
from .group_runs import record_groups_run
from .methods import get_method
from .significance import (
    DEFAULT_ALPHA,
    DEFAULT_BLOCK_S,
    DEFAULT_FDR,
    DEFAULT_SHUFFLES,
    significance,
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
    "hashtag-sequence",
)
ALGORITHMS = ("leiden", "components")
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
        The fused significant edges: ``account_a, account_b, weight, n_methods, methods,
        min_gap_s, group_id`` (``group_id`` when both ends are in the same group).
    evidence : DataFrame
        The significant edges' evidence, with a ``method`` column.
    runs : dict
        Method -> run id of its coordination run (None when not recorded).
    thresholds : dict
        Method -> the weight threshold its significance test chose.
    params : dict
        Every parameter used.
    run_id : str or None
        The groups run in the store (:mod:`.group_runs`); None when not recorded.
    """

    members: pd.DataFrame
    groups: pd.DataFrame
    edges: pd.DataFrame
    evidence: pd.DataFrame
    runs: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
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
    found = []
    for name in methods:
        acts = actions(store, name, scope)
        if acts.account_id.nunique().execute() >= 2:
            found.append(name)
    return found


def fuse_edges(per_method: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One edge per account pair from several methods' edges (see the module docs).

    Examples
    --------
    >>> e = pd.DataFrame({"account_a": ["a"], "account_b": ["b"], "weight": [2],
    ...                   "min_gap_s": [1.0]})
    >>> fuse_edges({"co-tweet": e, "co-link": e})[["weight", "methods"]].values.tolist()
    [[4, 'co-link,co-tweet']]
    """
    frames = [e[[*_PAIR, "weight", "min_gap_s"]].assign(method=m) for m, e in per_method.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        columns = [*_PAIR, "weight", "n_methods", "methods", "min_gap_s"]
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    stacked = pd.concat(frames, ignore_index=True).sort_values("method")
    fused = stacked.groupby(_PAIR, as_index=False).agg(
        weight=("weight", "sum"),
        n_methods=("method", "nunique"),
        methods=("method", ",".join),
        min_gap_s=("min_gap_s", "min"),
    )
    return fused.sort_values(["weight", *_PAIR], ascending=[False, True, True], ignore_index=True)


def partition(
    edges: pd.DataFrame,
    *,
    algorithm: str = "leiden",
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
    >>> partition(e, algorithm="components").values.tolist()
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
    window: float = 60,
    shuffles: int = DEFAULT_SHUFFLES,
    alpha: float = DEFAULT_ALPHA,
    fdr: float = DEFAULT_FDR,
    block_s: float = DEFAULT_BLOCK_S,
    algorithm: str = "leiden",
    min_size: int = DEFAULT_MIN_SIZE,
    resolution: float = 1.0,
    seed: int = 0,
    record: bool = True,
) -> GroupsResult:
    """Find groups of coordinated accounts: significant links, fused, partitioned, scored.

    Parameters
    ----------
    store : Store
    methods : list of str, optional
        Method names; default: the :data:`DEFAULT_METHODS` that apply to the scoped data.
    hashtags, since, until, platform :
        The scope (the campaign); group scores' shares are relative to it.
    window : float
        Seconds, for every method except those with their own default window (sync-post,
        hashtag-sequence), which keep it.
    shuffles, alpha, fdr, block_s :
        The significance test (:func:`~.significance.significance`).
    algorithm : "leiden" or "components"
    min_size : int
        Smallest group reported (default 3).
    resolution : float
        Leiden's resolution (1.0: modularity).
    seed : int
        Seeds the shuffles and Leiden: the same seed gives the same groups.
    record : bool
        Store each method's coordination run (see :func:`~.engine.coordinate`) and the
        groups run (:func:`~.group_runs.record_groups_run`; the result's ``run_id``).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> groups(Store(":memory:"), record=False).groups.empty
    True
    """
    from .engine import _scope
    from .scores import group_scores

    scope = _scope(hashtags, since, until, platform)
    names = list(methods) if methods else applicable_methods(store, scope)
    for name in names:
        get_method(name)
    tested = {
        name: significance(
            store, name, shuffles=shuffles, seed=seed, alpha=alpha, fdr=fdr, block_s=block_s,
            hashtags=scope.hashtags, since=scope.since, until=scope.until,
            platform=platform, record=record, window=_window_for(name, window),
        ).significant_only()
        for name in names
    }  # fmt: skip
    fused = fuse_edges({name: r.edges for name, r in tested.items()})
    groups_of = partition(
        fused, algorithm=algorithm, seed=seed, min_size=min_size, resolution=resolution
    )
    fused = _label_edges(fused, groups_of)
    evidence = _stack_evidence(tested)
    scores = group_scores(store, groups_of, fused, evidence, scope)
    params = {
        "methods": names, "hashtags": list(scope.hashtags or ()), "since": since,
        "until": until, "platform": platform, "window": window, "shuffles": shuffles,
        "alpha": alpha, "fdr": fdr, "block_s": block_s, "algorithm": algorithm,
        "min_size": min_size, "resolution": resolution, "seed": seed,
    }  # fmt: skip
    result = GroupsResult(
        members=_member_stats(groups_of, fused),
        groups=scores,
        edges=fused,
        evidence=evidence,
        runs={name: r.run_id for name, r in tested.items()},
        thresholds={
            name: r.params["significance"]["weight_threshold"] for name, r in tested.items()
        },
        params=params,
    )
    return record_groups_run(store, result) if record else result


def _window_for(method: str, window: float):
    """The common window, except for methods that define their own (None = theirs)."""
    return None if get_method(method).default_window else window


def _stack_evidence(tested: dict) -> pd.DataFrame:
    columns = [*_PAIR, "key", "post_a", "post_b", "time_a", "time_b", "gap_s"]
    frames = [r.evidence[columns].assign(method=m) for m, r in tested.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in [*columns, "method"]})
    return pd.concat(frames, ignore_index=True)
