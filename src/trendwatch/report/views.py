"""The data behind every report section and dashboard page, as plain JSON-ready values.

Each ``*_view`` function takes an open :class:`~trendwatch.store.Store` first and returns dicts
and lists of ``str``, ``int``, ``float``, ``bool`` and ``None`` only (no NaN, no numpy types);
times are ISO 8601 strings in UTC. The views compute nothing of their own beyond shaping: the
numbers come from the library (:func:`~trendwatch.analysis.campaign.campaign`,
:func:`~trendwatch.analysis.compare.compare`, :func:`~trendwatch.analysis.trends.trending`,
:func:`~trendwatch.analysis.trends.onsets`,
:func:`~trendwatch.analysis.coordination.groups.groups`,
:func:`~trendwatch.analysis.coordination.results.load_evidence`,
:func:`~trendwatch.overview.overview`). The small pieces of shaping done here are tested: the
campaign timeline (posts and distinct accounts per bucket, zero-filled), the Lorenz curve
points, the handles / ages / follower counts attached to accounts, and the network's cap
(whole groups, largest first).

Chart-ready shapes (what ``static/charts.js`` draws, unchanged in the report and the dashboard):

``timeline``
    ``{"bucket": "5min", "times": [iso, ...], "series": [{"label": str, "values": [num, ...]}],
    "annotations": [{"label": str, "time": iso}]}``
``lorenz``
    ``{"points": [[x, y], ...], "gini": float | None}`` with x the cumulative share of accounts
    (least active first) and y their cumulative share of posts, from (0, 0) to (1, 1).
``network``
    ``{"nodes": [{"id", "handle", "group", "posts", "age_days", "followers"}], "edges": [{"a",
    "b", "weight", "methods": [str]}], "evidence": {"<a>|<b>": [pair, ...]}, "posts": {post_id:
    text}}``; a *pair* is one evidence row (method, key, post_a, time_a, post_b, time_b, gap_s);
    its texts are ``text_a`` / ``text_b`` when present (:func:`evidence_view`), else
    ``posts[post_a]`` / ``posts[post_b]`` (:func:`groups_view`, each text stored once).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import igraph
import numpy as np
import orjson
import pandas as pd

from ..analysis.campaign import campaign, campaign_posts, format_span
from ..analysis.compare import compare
from ..analysis.coordination.engine import (
    Scope,
    _scope,  # the same scope groups() applies
)
from ..analysis.coordination.groups import DEFAULT_METHODS, groups
from ..analysis.coordination.results import latest_run_id, list_runs, load_evidence
from ..analysis.interactions import interaction_network, top_accounts
from ..analysis.timeseries import Buckets
from ..analysis.trends import METHODS, ONSET_RULES, TrendParams, onsets, trending
from ..errors import NoDataError
from ..handles import add_key_urls, add_post_urls
from ..overview import overview
from ..runs import is_read_only

__all__ = [
    "summary_view",
    "trending_view",
    "campaign_view",
    "groups_view",
    "evidence_view",
    "interactions_view",
    "comparison_view",
    "methods_view",
    "quality_view",
    "top_campaigns",
    "archive_onsets",
    "lorenz_points",
    "timeline_bucket",
    "plain",
]

TIMELINE_BUCKETS = ("1min", "5min", "15min", "1h", "6h", "1D")
MAX_BUCKETS = 500
LORENZ_POINTS = 200
ONSET_WINDOW = "1h"
ONSET_METHOD = METHODS[0]
TOP_FINDINGS = 5
MAX_NETWORK_EDGES = 1500
MAX_NETWORK_NODES = 600
EVIDENCE_PER_EDGE = 3
NETWORK_TOP_ACCOUNTS = 30
NETWORK_MAX_LINKS = 200
TEXT_CHARS = 280
_DAY_S = 86_400.0


# -- JSON-ready values --------------------------------------------------------------------------


def plain(value):
    """Turn pandas / numpy values into JSON-ready Python values (NaN and NaT become None).

    >>> plain({"a": np.int64(2), "b": float("nan"), "c": [np.float32(0.5)]})
    {'a': 2, 'b': None, 'c': [0.5]}
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [plain(v) for v in value]
    return _scalar(value)


def _scalar(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return _iso(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _iso(moment) -> str | None:
    """ISO 8601 in UTC; None for missing values."""
    if moment is None or pd.isna(moment):
        return None
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def _records(frame: pd.DataFrame) -> list[dict]:
    return [plain(row) for row in frame.to_dict("records")]


# -- summary ----------------------------------------------------------------------------------


def summary_view(store, *, onset_table: pd.DataFrame | None = None) -> dict:
    """Headline numbers: posts, authors, span, platforms, kinds and the sharpest trend onsets.

    ``accounts`` counts account profiles in the store, ``authors`` distinct posting accounts;
    ``top_findings`` are the first onsets of the archive's list (sharpest first), and
    ``onsets_total`` how many there are.

    ``onset_table`` (from :func:`archive_onsets`) avoids computing the onsets twice.
    """
    info = overview(store)
    found = archive_onsets(store) if onset_table is None else onset_table
    span = None if info.first is None else info.last - info.first
    return plain(
        {
            "posts": info.posts,
            "accounts": info.accounts,
            "authors": _authors(store),
            "context_posts": info.context_posts,
            "first": info.first,
            "last": info.last,
            "span": None if span is None else format_span(span),
            "platforms": info.by_platform,
            "kinds": info.by_kind,
            "quarantined": info.quarantined,
            "top_hashtags": [{"hashtag": t, "posts": n} for t, n in info.top_hashtags],
            "top_findings": _onset_records(found.head(TOP_FINDINGS)),
            "onsets_total": len(found),
        }
    )


def _authors(store) -> int:
    """Distinct authors of collected posts (``accounts`` counts account profiles)."""
    return store.con.execute(
        "SELECT count(DISTINCT author_id) FROM posts WHERE collected"
    ).fetchall()[0][0]


def archive_onsets(store) -> pd.DataFrame:
    """Trend onsets over the whole archive, sharpest first (the default scorer, 1-hour buckets)."""
    return onsets(store, window=ONSET_WINDOW, method=ONSET_METHOD)


def _biggest(found: pd.DataFrame, n: int) -> pd.DataFrame:
    return found.sort_values(["posts", "start"], ascending=[False, True]).head(n)


_ONSET_FIELDS = ("hashtag", "method", "start", "peak", "end", "posts", "peak_rate_per_min",
                 "baseline_per_min", "excess_per_min")  # fmt: skip


def _onset_records(found: pd.DataFrame) -> list[dict]:
    columns = [c for c in _ONSET_FIELDS if c in found.columns]
    return _records(found[columns])


def top_campaigns(store, n: int = 2, *, onset_table: pd.DataFrame | None = None) -> list[str]:
    """The hashtags of the ``n`` biggest trend onsets (each hashtag once), biggest first.

    This is how the report picks its campaigns when the user names none.
    """
    found = archive_onsets(store) if onset_table is None else onset_table
    ranked = _biggest(found, len(found))
    return list(dict.fromkeys(ranked["hashtag"]))[:n]


# -- trending -------------------------------------------------------------------------------


def trending_view(
    store, *, at=None, window="1h", top: int = 20, onset_table: pd.DataFrame | None = None
) -> dict:
    """The trending list at ``at`` with every scorer's value, and the sharpest onsets.

    ``trends`` rows: hashtag, posts, accounts, originals, reposts, expected, then every scorer
    of :data:`~trendwatch.analysis.trends.METHODS`, ranked by the first (``method``);
    ``total``: the hashtags of the window, of which ``trends`` holds the first ``top``.
    ``onsets``: the first ``top`` onsets of the archive (sharpest first) of ``onsets_total``.
    """
    try:
        table = trending(store, at=at, window=window, top=top)
    except NoDataError:
        table = None
    found = archive_onsets(store) if onset_table is None else onset_table
    return {
        "at": None if table is None else _iso(table.at),
        "window_s": None if table is None else int(table.window.total_seconds()),
        "method": METHODS[0],
        "methods": list(METHODS),
        "total": 0 if table is None else table.total,
        "trends": [] if table is None else _records(table.table),
        "onsets": _onset_records(found.head(top)),
        "onsets_total": len(found),
        "onset_method": ONSET_METHOD,
        "onset_window": ONSET_WINDOW,
    }


# -- campaign ---------------------------------------------------------------------------------


def timeline_bucket(span: timedelta) -> str:
    """The finest bucket of :data:`TIMELINE_BUCKETS` giving at most 500 buckets over ``span``.

    >>> timeline_bucket(timedelta(hours=2))
    '1min'
    >>> timeline_bucket(timedelta(days=400))
    '1D'
    """
    for freq in TIMELINE_BUCKETS:
        if span / pd.Timedelta(freq) <= MAX_BUCKETS:
            return freq
    return TIMELINE_BUCKETS[-1]


def lorenz_points(counts, max_points: int = LORENZ_POINTS) -> list[list[float]]:
    """Lorenz curve of posts per account: cumulative shares, least active accounts first.

    Long curves are thinned to about ``max_points`` points (the ends are always kept).

    >>> lorenz_points([3, 1])
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    """
    x = np.sort(np.asarray(counts, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return []
    ys = np.concatenate([[0.0], np.cumsum(x) / x.sum()])
    xs = np.arange(x.size + 1) / x.size
    keep = np.unique(np.linspace(0, x.size, min(max_points, x.size + 1)).round().astype(int))
    return [[round(float(xs[i]), 6), round(float(ys[i]), 6)] for i in keep]


def _campaign_series(store, tags, freq: str) -> pd.DataFrame:
    """Posts and distinct accounts of the campaign per bucket (only buckets with posts)."""
    buckets = Buckets(pd.Timedelta(freq).to_pytimedelta())
    posts = campaign_posts(store, tags)
    posts = posts.mutate(bucket=buckets.of(posts.created_at))
    grouped = posts.group_by("bucket").aggregate(
        posts=posts.count(), accounts=posts.author_id.nunique()
    )
    frame = grouped.order_by("bucket").to_pandas().astype("int64")
    frame["start"] = buckets.start_of(frame["bucket"])
    return frame


def _zero_filled(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    full = pd.RangeIndex(frame["bucket"].min(), frame["bucket"].max() + 1, name="bucket")
    out = frame.set_index("bucket")[["posts", "accounts"]].reindex(full, fill_value=0)
    seconds = full.to_numpy() * int(pd.Timedelta(freq).total_seconds())
    return out.assign(start=pd.to_datetime(seconds, unit="s", utc=True)).reset_index()


def _annotations(result, found: pd.DataFrame) -> list[dict]:
    """Onset (start of the campaign's biggest onset), peak minute and the 2,000-post mark."""
    marks = []
    if not found.empty:
        marks.append({"label": "onset", "time": _iso(_biggest(found, 1)["start"].iloc[0])})
    peak = result.per_minute.loc[result.per_minute["posts"].idxmax(), "minute"]
    marks.append({"label": "peak", "time": _iso(peak)})
    if result.minutes_to.get(2000) is not None:
        mark = result.first + timedelta(minutes=result.minutes_to[2000])
        marks.append({"label": "2,000 posts", "time": _iso(mark)})
    return marks


def _timeline_chart(frame: pd.DataFrame, freq: str, series: dict, marks) -> dict:
    return {
        "bucket": freq,
        "times": [_iso(t) for t in frame["start"]],
        "series": [
            {"label": label, "values": [int(v) for v in frame[column]]}
            for label, column in series.items()
        ],
        "annotations": marks,
    }


def campaign_view(store, hashtags, *, onset_table: pd.DataFrame | None = None) -> dict:
    """One campaign: its metrics, timeline, onsets, Lorenz curve, first movers and amplifiers.

    ``metrics`` is :meth:`Campaign.to_dict`; ``timeline`` is chart-ready (posts and unique
    accounts per bucket, onset / peak / 2,000-post mark annotated); ``onsets`` are the
    campaign's hashtags' trend onsets; ``first_movers``, ``top_accounts`` (the 10 most active)
    and ``amplifiers`` carry handles.
    With ``onset_table`` (the archive's, :func:`archive_onsets`) the onsets are its rows for
    these hashtags, the same the trending list shows (and 2 s cheaper on 2.4 M posts);
    without it they are computed over these hashtags alone.
    """
    result = campaign(store, hashtags)
    freq = timeline_bucket(result.last - result.first)
    series = _zero_filled(_campaign_series(store, result.hashtags, freq), freq)
    if onset_table is None:
        found = onsets(store, window=ONSET_WINDOW, method=ONSET_METHOD, hashtags=result.hashtags)
    else:
        found = onset_table[onset_table["hashtag"].isin(result.hashtags)]
    marks = _annotations(result, found)
    counts = result.per_account["posts"].to_numpy()
    chart = _timeline_chart(series, freq, {"posts": "posts", "unique accounts": "accounts"}, marks)
    return {
        "hashtags": list(result.hashtags),
        "metrics": plain(result.to_dict()),
        "timeline": chart,
        "onsets": _onset_records(found),
        "lorenz": {"points": lorenz_points(counts), "gini": plain(result.gini)},
        "first_movers": _records(result.first_movers),
        "top_accounts": _records(result.per_account.head(10)),
        "amplifiers": _records(result.amplifiers.head(10)),
    }


# -- accounts -----------------------------------------------------------------------------------


def _account_info(store, ids) -> pd.DataFrame:
    """account_id, handle, created_at, followers for ``ids`` (handle falls back to posts)."""
    ids = sorted({str(i) for i in ids if i is not None})
    if not hasattr(store, "con"):  # the Spark engine's lake
        return _account_info_ibis(store, ids)
    return store.con.execute(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS account_id),
        seen AS (SELECT author_id AS account_id, max(author_handle) AS handle FROM posts
                 WHERE author_id IN (SELECT account_id FROM wanted) GROUP BY 1)
        SELECT w.account_id, coalesce(max(a.handle), max(s.handle)) AS handle,
               max(a.created_at) AS created_at, max(a.followers) AS followers
        FROM wanted w LEFT JOIN accounts a ON a.account_id = w.account_id
        LEFT JOIN seen s ON s.account_id = w.account_id GROUP BY 1
        """,
        [ids],
    ).df()


def _account_info_ibis(store, ids: list[str]) -> pd.DataFrame:
    """:func:`_account_info` as Ibis expressions (the same maxima), for a store without DuckDB."""
    accounts = store.accounts()
    profiles = (
        accounts.filter(accounts.account_id.isin(ids))
        .group_by("account_id")
        .aggregate(
            profile=accounts.handle.max(),
            created_at=accounts.created_at.max(),
            followers=accounts.followers.max(),
        )  # fmt: skip
        .to_pandas()
    )
    posts = store.posts()
    seen = (
        posts.filter(posts.author_id.isin(ids))
        .group_by("author_id")
        .aggregate(seen=posts.author_handle.max())
        .rename(account_id="author_id")
        .to_pandas()
    )
    frame = pd.DataFrame({"account_id": ids}).merge(profiles, how="left").merge(seen, how="left")
    handle = frame["profile"].where(frame["profile"].notna(), frame["seen"])
    return frame.assign(handle=handle)[["account_id", "handle", "created_at", "followers"]]


# -- groups and evidence ------------------------------------------------------------------------


def groups_view(
    store,
    hashtags=None,
    *,
    max_edges: int = MAX_NETWORK_EDGES,
    max_nodes: int = MAX_NETWORK_NODES,
    evidence_per_edge: int = EVIDENCE_PER_EDGE,
    **params,
) -> dict:
    """Coordination groups in the scope of ``hashtags``, their scores and the network.

    ``params`` go to :func:`~trendwatch.analysis.coordination.groups.groups` (``methods``,
    ``window``, ``seed``, ``record``...). The network holds the accounts of the largest
    groups (whole groups, up to ``max_nodes`` accounts; ``network_accounts`` says how many of
    ``accounts_in_groups`` are drawn) and the strongest ``max_edges`` links between them, each
    with up to ``evidence_per_edge`` evidence pairs (post ids, times, key, gap), whose texts
    are in ``posts``. ``record`` defaults to True when the store is writable (the runs are
    then listed by ``trendwatch runs`` and :func:`methods_view`).
    """
    params.setdefault("record", _on_spark(store) or not is_read_only(store))
    result = groups(store, hashtags=hashtags, **params)
    scope = _scope(hashtags, *(params.get(k) for k in ("since", "until", "platform")))
    shown = _largest_groups(result.members, max_nodes)
    edges = _member_edges(result.edges, shown).head(max_edges)
    evidence = _edge_evidence(store, result.evidence, edges, evidence_per_edge)
    return {
        "verdict": plain(result.verdict.to_dict()),
        "scope": plain(
            {
                "hashtags": list(scope.hashtags or ()),
                "since": scope.since,
                "until": scope.until,
                "platform": scope.platform,
            }
        ),  # fmt: skip
        "summary": plain(result.summary()),
        "groups": _records(result.groups),
        "network_accounts": len(shown),
        "nodes": (nodes := _nodes(store, shown, scope)),
        "edges": _edges_with_handles([_edge(row) for row in edges.to_dict("records")], nodes),
        "evidence": evidence,
        "posts": _evidence_texts(store, evidence),
        "runs": plain(result.runs),
        "tests": plain(result.tests),
        "params": plain(result.params),
    }


def _largest_groups(members: pd.DataFrame, max_nodes: int) -> pd.DataFrame:
    """Members of whole groups, largest first (group ids count from the largest), up to
    ``max_nodes`` accounts; the first group is always kept."""
    sizes = members.groupby("group_id").size().sort_index()
    keep = sizes.index[(sizes.cumsum() <= max_nodes) | (sizes.index == sizes.index.min())]
    return members[members["group_id"].isin(keep)]


def _member_edges(edges: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    ids = set(members["account_id"])
    inside = edges["account_a"].isin(ids) & edges["account_b"].isin(ids)
    return edges[inside].sort_values("weight", ascending=False, kind="stable")


def _edge(row: dict) -> dict:
    return {
        "a": str(row["account_a"]),
        "b": str(row["account_b"]),
        "weight": plain(row["weight"]),
        "events": plain(row.get("events")),
        "q_value": plain(row.get("q_value")),
        "methods": str(row["methods"]).split(","),
    }


def _edges_with_handles(edges: list[dict], nodes: list[dict]) -> list[dict]:
    """Each edge with ``handle_a`` and ``handle_b`` (from the nodes) after its accounts."""
    known = {n["id"]: n["handle"] for n in nodes}
    return [
        {"a": e["a"], "handle_a": known.get(e["a"]), "b": e["b"], "handle_b": known.get(e["b"]),
         **{k: v for k, v in e.items() if k not in ("a", "b")}}
        for e in edges
    ]  # fmt: skip


def _nodes(store, members: pd.DataFrame, scope: Scope) -> list[dict]:
    """Accounts in groups: handle, group, posts in the scope, account age at first post."""
    if members.empty:
        return []
    ids = list(members["account_id"])
    posts = scope.apply(store.posts())
    posts = posts.filter(posts.author_id.isin(ids))
    activity = posts.group_by("author_id").aggregate(
        posts=posts.count(), first=posts.created_at.min()
    )
    frame = members.merge(
        activity.to_pandas().rename(columns={"author_id": "account_id"}), how="left"
    )
    frame = frame.merge(_account_info(store, ids), on="account_id", how="left")
    age = (frame["first"] - frame["created_at"]).dt.total_seconds() / _DAY_S
    return [
        plain(
            {"id": r.account_id, "handle": r.handle, "group": r.group_id,
             "posts": 0 if pd.isna(r.posts) else int(r.posts), "age_days": a,
             "followers": r.followers}
        )
        for r, a in zip(frame.itertuples(), age.round(1), strict=True)
    ]  # fmt: skip


def _edge_evidence(store, evidence: pd.DataFrame, edges: pd.DataFrame, n: int) -> dict:
    """``"a|b"`` -> the first ``n`` evidence pairs of each shown edge (texts in ``posts``)."""
    if n <= 0 or edges.empty or evidence.empty:
        return {}
    shown = edges[["account_a", "account_b"]]
    rows = evidence.merge(shown, on=["account_a", "account_b"])
    rows = rows.sort_values(["time_a", "post_a"]).groupby(["account_a", "account_b"]).head(n)
    rows = add_key_urls(store, add_post_urls(store, rows, _POST_URLS))
    pairs: dict[str, list] = {}
    for row in _records(rows):
        pairs.setdefault(f"{row['account_a']}|{row['account_b']}", []).append(row)
    return pairs


def _evidence_texts(store, evidence: dict) -> dict[str, str]:
    """post id -> text of every post in the shown evidence (each text once)."""
    ids = [p[end] for rows in evidence.values() for p in rows for end in ("post_a", "post_b")]
    return store.post_texts(ids, TEXT_CHARS)


_POST_URLS = {"post_a": "url_a", "post_b": "url_b"}


def _pairs(store, rows: pd.DataFrame) -> list[dict]:
    """Evidence rows with both posts' texts cut to :data:`TEXT_CHARS` characters, and both
    posts' addresses (``url_a``, ``url_b``; None when the platform's cannot be built), and
    ``key_url``, the address of the post the key names (reposted, replied to)."""
    cut = {c: rows[c].str.slice(0, TEXT_CHARS) for c in ("text_a", "text_b")}
    return _records(add_key_urls(store, add_post_urls(store, rows.assign(**cut), _POST_URLS)))


def _latest_runs_linking(store, pair: list[str], methods) -> list[str]:
    """Per method, the latest run that links the pair (a later run of another scope may not)."""
    found = (latest_run_id(store, method, linking=pair) for method in sorted(set(methods)))
    return [run_id for run_id in found if run_id]


def evidence_view(store, account_a, account_b, run_id=None) -> dict:
    """The post pairs behind the link of two accounts, from stored coordination runs.

    With no ``run_id``, each method's latest run that links the two is read. Each pair:
    method, run_id, key, post_a, url_a, time_a, text_a, post_b, url_b, time_b, text_b, gap_s
    (``account_a < account_b``).
    """
    a, b = sorted([str(account_a), str(account_b)])
    runs = list_runs(store)
    methods = dict(zip(runs["run_id"], runs["method"], strict=True))
    chosen = [run_id] if run_id else _latest_runs_linking(store, [a, b], runs["method"])
    frames = [
        load_evidence(store, rid, a, b, texts=True).assign(method=methods.get(rid), run_id=rid)
        for rid in chosen
    ]
    frames = [f for f in frames if not f.empty]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    info = _account_info(store, [a, b]).set_index("account_id")["handle"]
    return {
        "account_a": a,
        "account_b": b,
        "handle_a": plain(info.get(a)),
        "handle_b": plain(info.get(b)),
        "pairs": [] if rows.empty else _pairs(store, rows),
    }


# -- interactions -----------------------------------------------------------------------------


def interactions_view(
    store,
    hashtags=None,
    *,
    since=None,
    until=None,
    platform=None,
    top: int = NETWORK_TOP_ACCOUNTS,
    max_links: int = NETWORK_MAX_LINKS,
    groups: dict | None = None,
) -> dict:
    """Who reposts, quotes, replies to and mentions whom among the ``top`` most interacting
    accounts of the scope, laid out for drawing.

    ``nodes``: id, handle, group, posts, out_count, in_count and ``x``, ``y`` in [0, 1]
    (Kamada-Kawai on the undirected links, weighted by count: deterministic);
    ``edges``: source, target, kind, count, first, last; ``summary``: the whole network's
    counts (:meth:`~trendwatch.analysis.interactions.InteractionNetwork.summary`);
    ``shown_accounts`` of ``summary["accounts"]``, and their ``shown_links`` strongest links
    (at most ``max_links``; the layout uses all their links).
    """
    whole = interaction_network(store, hashtags, since=since, until=until, platform=platform,
                                groups=groups)  # fmt: skip
    shown = top_accounts(whole, top)
    positions = layout(list(shown.nodes["account_id"]), shown.edges)
    nodes = [
        plain({"id": r["account_id"], "handle": r["handle"], "group": r["group"],
               "posts": r["posts"], "out_count": r["out_count"], "in_count": r["in_count"],
               "x": x, "y": y})
        for r, (x, y) in zip(shown.nodes.to_dict("records"), positions, strict=True)
    ]  # fmt: skip
    edges = shown.edges.drop(columns=["source_handle", "target_handle"])
    return {
        "summary": whole.summary(),
        "shown_accounts": len(nodes),
        "shown_links": min(len(edges), max_links),
        "nodes": nodes,
        "edges": _records(edges.head(max_links)),
    }


def layout(ids: list[str], edges: pd.DataFrame) -> list[tuple[float, float]]:
    """Positions in [0, 1]² for ``ids``: Kamada-Kawai over the links (any direction, any kind).

    >>> layout(["a"], pd.DataFrame(columns=["source", "target", "count"]))
    [(0.5, 0.5)]
    """
    if len(ids) < 2:
        return [(0.5, 0.5)] * len(ids)
    index = {account: i for i, account in enumerate(ids)}
    pairs = zip(edges["source"], edges["target"], strict=True)
    graph = igraph.Graph(n=len(ids), edges=[(index[s], index[t]) for s, t in pairs])
    coords = np.array(graph.layout_kamada_kawai().coords, dtype=float)
    low, span = coords.min(axis=0), np.ptp(coords, axis=0)
    scaled = (coords - low) / np.where(span > 0, span, 1.0)
    return [(round(float(x), 4), round(float(y), 4)) for x, y in scaled]


# -- comparison, methods, quality ---------------------------------------------------------------


def comparison_view(store, a, b) -> dict:
    """Two campaigns on one time axis (chart-ready), their metrics and their overlap."""
    result = compare(store, a, b)
    label_a, label_b = ("#" + " #".join(c.hashtags) for c in (result.a, result.b))
    freq = _freq_of(result.timeline)
    chart = _timeline_chart(result.timeline, freq, {label_a: "a", label_b: "b"}, [])
    return {
        "a": plain(result.a.to_dict()),
        "b": plain(result.b.to_dict()),
        "overlap": plain(result.overlap),
        "timeline": chart,
    }


def _freq_of(timeline: pd.DataFrame) -> str | None:
    if len(timeline) < 2:
        return None
    step = timeline["start"].iloc[1] - timeline["start"].iloc[0]
    return next((f for f in TIMELINE_BUCKETS if pd.Timedelta(f) == step), str(step))


def methods_view(store, run_ids=None) -> dict:
    """The runs recorded in the store (all, or ``run_ids``) and the trend scorers' settings;
    on the Spark engine, the runs written back to its lake."""
    rows = _lake_runs(store, run_ids) if _on_spark(store) else store.con.execute(
        "SELECT run_id, kind, created_at, version, fingerprint, params, summary FROM runs "
        "WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], run_id) "
        "ORDER BY created_at, run_id",
        [run_ids, run_ids],
    ).df()  # fmt: skip
    for column in ("params", "summary"):
        rows[column] = [orjson.loads(v) if isinstance(v, str) else v for v in rows[column]]
    defaults = TrendParams()
    return {
        "runs": _records(rows),
        "trend_methods": list(METHODS),
        "onset_rules": plain(ONSET_RULES),
        "onsets": {"method": ONSET_METHOD, "window": ONSET_WINDOW},
        "trend_params": {
            "history_s": defaults.history.total_seconds(),
            "surge_threshold": defaults.surge_threshold,
            "half_life_s": defaults.half_life.total_seconds(),
            "kleinberg_s": defaults.s,
            "kleinberg_gamma": defaults.gamma,
            "kleinberg_states": defaults.states,
            "zscore_baseline_buckets": defaults.baseline,
        },
        "coordination_default_methods": list(DEFAULT_METHODS),
    }


def _on_spark(store) -> bool:
    return getattr(store, "engine", "duckdb") == "spark"


def _lake_runs(store, run_ids) -> pd.DataFrame:
    from ..engines.lake_results import lake_runs

    rows = lake_runs(store.lake)
    if run_ids is not None:
        rows = rows[rows["run_id"].isin(run_ids)]
    columns = ["run_id", "kind", "created_at", "version", "fingerprint", "params", "summary"]
    return rows.sort_values(["created_at", "run_id"])[columns].reset_index(drop=True)


def quality_view(store, *, top: int = 10) -> dict:
    """Quarantine counts, top reasons and files; posts per client app (the ``source`` field);
    the latest gaps of watched streams (``trendwatch watch``)."""
    info = overview(store, top=top)
    files = store.con.execute(
        "SELECT source AS file, count(*) AS quarantined FROM quarantine GROUP BY 1 "
        "ORDER BY 2 DESC, 1 LIMIT ?",
        [top],
    ).df()
    clients = store.con.execute(
        "SELECT source AS client, count(*) AS posts FROM posts WHERE collected GROUP BY 1 "
        "ORDER BY 2 DESC, 1 LIMIT ?",
        [top],
    ).df()
    return {
        "posts": info.posts,
        "context_posts": info.context_posts,
        "quarantined": info.quarantined,
        "top_reasons": [{"reason": r, "records": n} for r, n in info.top_quarantine_reasons],
        "quarantine_by_file": _records(files),
        "posts_by_client": _records(clients),
        "watch_gaps": info.watch_gaps,
    }
