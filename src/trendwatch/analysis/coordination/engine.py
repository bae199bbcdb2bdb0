"""The coordination engine: posts -> actions -> linked account pairs with their evidence.

A *method* (see :mod:`.methods`) maps posts to **actions** ``(account_id, key, time,
post_id)``. Two distinct accounts are **linked** when they act on the same key within
``window_s`` seconds of each other (``|Δt| <= window_s``, both ends inclusive, as in the QUT
toolkit and CooRTweet). Every linked *post pair* is one row of **evidence**; an edge summarises
the evidence of one unordered account pair:

``weight``
    the number of distinct evidence rows, i.e. post pairs ``(post_a, post_b)`` of the two
    accounts acting on the same key within the window (CooRTweet's count of coordinated
    shares). A post acting on several keys (co-link, co-hashtag) counts once per key.
``n_keys``
    distinct keys the pair shares within the window.
``a_posts`` / ``b_posts``
    distinct posts of each account in the evidence (``a_posts`` is the QUT toolkit's directed
    weight from ``account_a`` to ``account_b``).
``symmetry``
    ``min(a_posts, b_posts) / max(a_posts, b_posts)``: CooRTweet's edge-symmetry score; 1
    when both accounts contribute equally, near 0 when one account's many posts meet a few.
``median_gap_s`` / ``min_gap_s``
    the time gaps of the evidence rows.
``tfidf``
    (when ``tfidf=True``) the cosine similarity of the two accounts' TF-IDF vectors over the
    account × key matrix (Pacheco et al. 2021): rare keys count more than hot ones.

Hot keys
--------
A key acted on by very many accounts in a short time (a post reposted by 200,000 accounts
within an hour) would yield billions of pairs. The join is sort-based (:mod:`.pairs`): per key,
actions are ordered by time (actions at the same time by ``post_id``, then ``account_id``,
compared as UTF-8 bytes, on every engine) and each action is paired with **at most
``max_key_fanout`` (1,000) following actions within the window**, and fewer on a key whose
actions would give more than ``max_key_pairs`` (1,000,000) pairs: there each action keeps its next
``max(1, max_key_pairs // n_actions)``. The output is at most ``max_key_fanout`` rows per
action and at most ``max(max_key_pairs, n_actions)`` per key: linear in the input. Keys where
the bound cut pairs are listed in :attr:`CoordinationResult.bounded_keys` with their number of
actions and the fanout applied, and both bounds are in the result's ``params``.
``max_key_fanout=None`` removes the bound (the published tools have none; parity tests use
it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

import ibis
import igraph
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import NoDataError, ParameterError
from ...hugepages import huge_pages_off
from ...runs import is_read_only
from ...text import normalize_hashtag
from ...times import parse_bound
from .coded import evidence_frame
from .join import actions_on_duckdb, pair_join
from .methods import get_method
from .results import save_result

__all__ = [
    "Scope",
    "CoordinationResult",
    "actions",
    "link",
    "coordinate",
    "DEFAULT_MAX_KEY_FANOUT",
    "DEFAULT_MAX_KEY_PAIRS",
    "EDGE_COLUMNS",
    "EVIDENCE_COLUMNS",
    "ACTION_COLUMNS",
]

DEFAULT_MAX_KEY_FANOUT = 1000
"""Each action pairs with at most this many following actions on its key within the window."""
DEFAULT_MAX_KEY_PAIRS = 1_000_000
"""A key whose actions would give more pairs than this gets a lower fanout (module docs)."""
MAX_WINDOW_S = 366 * 86400
"""The longest window (366 days): longer ones overflow the time arithmetic and mean nothing."""

ACTION_COLUMNS = ("account_id", "key", "time", "post_id")
EDGE_COLUMNS = (
    "account_a",
    "account_b",
    "weight",
    "n_keys",
    "a_posts",
    "b_posts",
    "symmetry",
    "median_gap_s",
    "min_gap_s",
)
EVIDENCE_COLUMNS = (
    "account_a",
    "account_b",
    "key",
    "post_a",
    "post_b",
    "time_a",
    "time_b",
    "gap_s",
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which posts a method looks at: all collected posts, or a hashtag / time / platform slice.

    ``hashtags`` are matched normalised (a post is in scope when it carries any of them);
    ``since`` is inclusive and ``until`` exclusive. Context posts are never in scope.
    """

    hashtags: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    platform: str | None = None

    def apply(self, posts: ibis.Table) -> ibis.Table:
        """Filter an Ibis posts table to this scope."""
        if self.hashtags:
            tags = [normalize_hashtag(t) for t in self.hashtags]
            posts = posts.filter(ibis.or_(*(posts.hashtags.contains(t) for t in tags)))
        if self.since is not None:
            posts = posts.filter(posts.created_at >= self.since)
        if self.until is not None:
            posts = posts.filter(posts.created_at < self.until)
        if self.platform is not None:
            posts = posts.filter(posts.platform == self.platform)
        return posts


@dataclass(frozen=True)
class CoordinationResult:
    """Edges (one row per unordered account pair, ``account_a < account_b``) and their evidence.

    Attributes
    ----------
    method, params : the method name and every parameter used, defaults included.
    edges : DataFrame with :data:`EDGE_COLUMNS` (+ ``tfidf`` when requested), by weight.
    evidence_table : Arrow table with :data:`EVIDENCE_COLUMNS`, one row per linked post pair
        (strings dictionary-encoded); :attr:`evidence` is the same as a DataFrame.
    bounded_keys : DataFrame ``key, n_actions, fanout``: keys where the hot-key bound cut
        pairs, and the number of following partners each of their actions was limited to.
    run_id : the provenance record in the store, when the run was recorded.
    """

    method: str
    params: dict
    edges: pd.DataFrame
    evidence_table: pa.Table
    bounded_keys: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"key": [], "n_actions": [], "fanout": []})
    )
    run_id: str | None = None

    @functools.cached_property
    def evidence(self) -> pd.DataFrame:
        """:attr:`evidence_table` as a DataFrame (built on first use: it can be large)."""
        return evidence_frame(self.evidence_table)

    @property
    def accounts(self) -> list[str]:
        """The accounts with at least one edge, sorted."""
        ends = pa.chunked_array(
            [pa.array(self.edges[c], pa.string()) for c in ("account_a", "account_b")]
        )
        return pc.unique(ends).sort().to_pylist()

    def graph(self) -> igraph.Graph:
        """The edges as an undirected igraph Graph (vertex ``name`` = account id).

        Edge attributes are the edge columns (``weight``, ``n_keys``, ``symmetry``...).
        """
        attrs = [c for c in self.edges.columns if c not in ("account_a", "account_b")]
        return igraph.Graph.DataFrame(
            self.edges[["account_a", "account_b", *attrs]], directed=False, use_vids=False
        )

    def summary(self) -> dict:
        """Counts a user reads first: accounts, edges, evidence rows, bounded keys."""
        return {
            "method": self.method,
            "accounts": len(self.accounts),
            "edges": len(self.edges),
            "evidence": self.evidence_table.num_rows,
            "bounded_keys": len(self.bounded_keys),
            "run_id": self.run_id,
        }


def actions(
    store, method: str, scope: Scope | None = None, params: dict | None = None
) -> ibis.Table:
    """The actions ``(account_id, key, time, post_id)`` of ``method`` over the scoped posts.

    An action may repeat (a post listing the same URL twice acts twice on it); the engine
    counts each distinct action once, so such repeats never add weight or evidence.

    Parameters
    ----------
    store : Store
    method : str
        A name from :data:`~.methods.METHODS` (``"co-retweet"``, ``"co-tweet"``...).
    scope : Scope, optional
        Which posts to look at (default: every collected post).
    params : dict, optional
        Method parameters (see each method's ``defaults``).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> actions(Store(":memory:"), "co-retweet").columns
    ('account_id', 'key', 'time', 'post_id')
    """
    spec = get_method(method)
    scope = scope or Scope()
    merged = spec.resolve(params or {}, scope)
    built = spec.build(scope.apply(store.posts(text_keys=spec.text_keys(merged))), merged)
    return built.select(*ACTION_COLUMNS)


def _check_link_params(
    window_s, min_weight, max_key_fanout, weight_percentile, max_key_pairs=None
) -> None:
    if window_s is None or not 0 <= window_s <= MAX_WINDOW_S:
        raise ParameterError(
            f"window must be a number of seconds from 0 to {MAX_WINDOW_S:,} (366 days), "
            f"got {window_s!r}"
        )
    if min_weight < 1:
        raise ParameterError(f"min_weight must be >= 1, got {min_weight}")
    if max_key_fanout is not None and max_key_fanout < 1:
        raise ParameterError(f"max_key_fanout must be >= 1 or None, got {max_key_fanout}")
    if max_key_pairs is not None and max_key_pairs < 1:
        raise ParameterError(f"max_key_pairs must be >= 1 or None, got {max_key_pairs}")
    if weight_percentile is not None and not 0 <= weight_percentile <= 100:
        raise ParameterError(f"weight_percentile must be in [0, 100], got {weight_percentile}")


def link(
    actions: ibis.Table | pa.Table,
    *,
    window_s: float,
    min_weight: int = 1,
    max_key_fanout: int | None = DEFAULT_MAX_KEY_FANOUT,
    max_key_pairs: int | None = DEFAULT_MAX_KEY_PAIRS,
    min_participation: int = 1,
    min_symmetry: float = 0.0,
    weight_percentile: float | None = None,
    tfidf: bool = False,
    method: str = "custom",
    params: dict | None = None,
) -> CoordinationResult:
    """Link accounts acting on the same key within ``window_s`` seconds.

    Parameters
    ----------
    actions : Ibis table (over a DuckDB backend) or Arrow table
        Columns ``account_id, key, time, post_id`` (see :func:`actions`).
    window_s : float
        Two actions on the same key are linked when ``|Δt| <= window_s``.
    min_weight : int
        Keep edges with at least this weight (default 1: no filter).
    max_key_fanout : int or None
        The hot-key bound (see the module docs); ``None`` for none.
    max_key_pairs : int or None
        The per-key pair budget of the hot-key bound (module docs); ``None``: fanout only.
    min_participation : int
        Before linking, drop accounts acting on fewer distinct keys (CooRTweet's
        ``min_participation``; default 1: no filter).
    min_symmetry : float
        Keep edges whose symmetry score is at least this (CooRTweet; default 0: no filter).
    weight_percentile : float, optional
        Keep edges whose weight is at least this percentile (0-100) of all edge weights.
    tfidf : bool
        Add the ``tfidf`` cosine weight column.

    Examples
    --------
    >>> import pyarrow as pa, datetime as dt
    >>> t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> acts = pa.table({"account_id": ["a", "b"], "key": ["k", "k"],
    ...                  "time": [t, t + dt.timedelta(seconds=5)], "post_id": ["1", "2"]})
    >>> link(acts, window_s=10).edges[["account_a", "account_b", "weight"]].values.tolist()
    [['a', 'b', 1]]
    """
    _check_link_params(window_s, min_weight, max_key_fanout, weight_percentile, max_key_pairs)
    all_params = {
        **(params or {}),
        "window_s": window_s,
        "min_weight": min_weight,
        "max_key_fanout": max_key_fanout,
        "max_key_pairs": None if max_key_fanout is None else max_key_pairs,
        "min_participation": min_participation,
        "min_symmetry": min_symmetry,
        "weight_percentile": weight_percentile,
        "tfidf": tfidf,
    }
    if on_spark(actions):
        from ...engines.spark_link import spark_pair_join

        tables = spark_pair_join(actions, all_params)
    else:
        with actions_on_duckdb(actions) as (con, name), huge_pages_off():  # trendwatch.hugepages
            tables = pair_join(con, name, all_params)
    return CoordinationResult(
        method=method,
        params=all_params,
        edges=tables.edges,
        evidence_table=tables.evidence,
        bounded_keys=tables.bounded_keys,
    )


def coordinate(
    store,
    method: str,
    *,
    window: float | str | None = None,
    min_weight: int = 1,
    hashtags=None,
    since=None,
    until=None,
    platform: str | None = None,
    record: bool = True,
    max_key_fanout: int | None = DEFAULT_MAX_KEY_FANOUT,
    max_key_pairs: int | None = DEFAULT_MAX_KEY_PAIRS,
    min_participation: int = 1,
    min_symmetry: float = 0.0,
    weight_percentile: float | None = None,
    tfidf: bool | None = None,
    time_source: str = "created_at",
    **method_params,
) -> CoordinationResult:
    """Run one method over the store: :func:`actions` then :func:`link` (+ run provenance).

    Parameters
    ----------
    store : Store
    method : str
        A method name (see :func:`~.methods.method_names`).
    window : float, "auto" or None
        Seconds; ``"auto"`` estimates it from the data as CooRnet does
        (:func:`~.window.estimate_window`); ``None`` (default): the method's own window
        (:attr:`~.methods.Method.window`: 60 s for most, 120 s for replies, 300 s for
        hashtags).
    hashtags, since, until, platform :
        The :class:`Scope`.
    time_source : "created_at" or "snowflake"
        ``"snowflake"`` takes each X post's time from its id (millisecond precision), as the
        QUT toolkit does; X v2 ``created_at`` is truncated to the second, so pairs at the
        window's edge can differ by up to a second. For QUT parity.
    record : bool
        Store the run (parameters, version, fingerprint), its edges and evidence, when the
        store is writable; the result's ``run_id`` names it.
    **method_params :
        Method parameters (e.g. ``threshold=0.8`` for co-similar, ``text_mode="qut"``).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> coordinate(Store(":memory:"), "co-retweet", window=10, record=False).edges.shape[0]
    0
    """
    spec = get_method(method)
    scope = _scope(hashtags, since, until, platform)
    check_scope(store, scope)
    params = spec.resolve(method_params, scope)
    window_s = _resolve_window(store, spec, scope, params, window)
    if tfidf is None:
        tfidf = spec.tfidf_default
    posts = scope.apply(store.posts(text_keys=spec.text_keys(params)))
    acts = _with_time_source(spec.build(posts, params), time_source)
    run_params = {
        "time_source": time_source,
        **{k: v for k, v in params.items() if not k.startswith("_")},
        "method": method,
        "window": window,
        "hashtags": list(scope.hashtags or ()),
        "since": since,
        "until": until,
        "platform": platform,
    }
    link_kwargs = dict(
        window_s=window_s,
        min_weight=min_weight,
        max_key_fanout=max_key_fanout,
        max_key_pairs=max_key_pairs,
        min_participation=min_participation,
        min_symmetry=min_symmetry,
        weight_percentile=weight_percentile,
        tfidf=tfidf,
        method=method,
        params=run_params,
    )
    result = spec.link(acts, link_kwargs) if spec.link else link(acts, **link_kwargs)
    return _recorded(store, result) if record else result


def on_spark(actions) -> bool:
    """Whether ``actions`` is an Ibis table over the PySpark backend (a lake's SparkStore)."""
    return isinstance(actions, ibis.Table) and actions.get_backend().name == "pyspark"


def _recorded(store, result: CoordinationResult) -> CoordinationResult:
    # A Spark store writes its results back to its lake; a DuckDB store into its tables.
    if getattr(store, "engine", "duckdb") == "spark":
        return store.save_result(result)
    return result if is_read_only(store) else save_result(store, result)


_TWITTER_EPOCH_MS = 1288834974657


def _with_time_source(built: ibis.Table, time_source: str) -> ibis.Table:
    if time_source == "created_at":
        return built.select(*ACTION_COLUMNS)
    if time_source != "snowflake":
        raise ParameterError(
            f"time_source must be 'created_at' or 'snowflake', not {time_source!r}"
        )
    # A snowflake id holds milliseconds since Twitter's epoch in its bits above the 22nd.
    millis = built.post_id.try_cast("int64") // 4194304 + _TWITTER_EPOCH_MS
    return built.mutate(time=millis.as_timestamp("ms")).select(*ACTION_COLUMNS)


def _scope(hashtags, since, until, platform) -> Scope:
    if isinstance(hashtags, str):
        hashtags = (hashtags,)
    return Scope(
        hashtags=tuple(hashtags) if hashtags else None,
        since=parse_bound(since, "--since") if isinstance(since, str) else since,
        until=parse_bound(until, "--until") if isinstance(until, str) else until,
        platform=platform,
    )


def check_scope(store, scope: Scope) -> None:
    """Refuse a scope the user named that cannot hold a post, or holds none, before any run
    is recorded: a start not before the end is a ParameterError, a hashtag, time slice or
    platform with no collected post a NoDataError. The whole store (no scope named) passes.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> check_scope(Store(":memory:"), _scope("nothing", None, None, None))
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NoDataError: no collected post in the scope (#nothing): ...
    """
    if scope.since is not None and scope.until is not None and scope.since >= scope.until:
        raise ParameterError(
            f"--since {scope.since.isoformat()} is not before --until "
            f"{scope.until.isoformat()}: the scope holds no time"
        )
    if scope == Scope():
        return
    if scope.apply(store.posts()).limit(1).count().execute() == 0:
        raise NoDataError(
            f"no collected post in the scope ({describe_scope(scope)}): check the hashtag's "
            "spelling and the times (`trendwatch info`), or ingest the archive first"
        )


def describe_scope(scope: Scope) -> str:
    """The scope in words: ``#a or #b, from 2025-11-14T00:00:00+00:00, on x``."""
    parts = []
    if scope.hashtags:
        parts.append(" or ".join(f"#{normalize_hashtag(t)}" for t in scope.hashtags))
    if scope.since is not None:
        parts.append(f"from {scope.since.isoformat()}")
    if scope.until is not None:
        parts.append(f"until {scope.until.isoformat()}")
    if scope.platform is not None:
        parts.append(f"on {scope.platform}")
    return ", ".join(parts)


def _resolve_window(store, spec, scope: Scope, params: dict, window) -> float:
    if window is None:
        window = spec.window(params)
    if window == "auto":
        from .window import estimate_window

        return estimate_window(store, spec.name, scope=scope, params=params).window_s
    try:
        window_s = float(window)
    except (TypeError, ValueError):
        raise ParameterError(f"window must be seconds or 'auto', got {window!r}") from None
    _check_link_params(window_s, 1, None, None)
    return window_s
