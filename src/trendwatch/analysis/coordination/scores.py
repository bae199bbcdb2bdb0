"""Group scores: what a reader needs to judge a group of accounts linked by coordination.

Per group (see :func:`group_scores`):

``size``, ``density``
    accounts; edges inside the group over ``size * (size - 1) / 2``.
``median_gap_s``
    median time gap of the evidence (post pairs) linking members to each other.
``posts``, ``share_posts``
    the members' posts in the scope (the campaign) and their share of all its posts.
``share_first_2000``
    their share of the campaign's first 2,000 posts (by time, then post id): a trend is
    decided early, so a group that wrote much of the start pushed it.
``median_age_days``, ``min_age_days``
    account age (``accounts.created_at``) at the member's first post in the scope, in days,
    over members whose creation date is known (NaN when none is).
``median_followers``
    over members whose follower count is known.
``share_flagged``
    share of members with at least two account signals (new, hyperactive, amplifier,
    generated handle, declared bot: :mod:`trendwatch.analysis.accounts`).
``top_keys``
    the keys most members share (by accounts, then post pairs): a list of
    ``{method, key, accounts, pairs, example_post, example_text}``.
``top_hashtag``, ``hashtag_posts``, ``hashtag_share``, ``hashtag_share_first``
    the hashtag the members used most (in the scope, the scope's own hashtags included), how
    many posts of the scope carry it, and the members' share of those posts and of their first
    2,000: "these 40 accounts made 97 % of #tag", the number a reader checks first. Only when
    at least :data:`FOCUS_SHARE` (25 %) of the members' posts carry it: a reply raid or a link
    network pushes no hashtag, and the tag its members happen to use most says nothing.
``reading``
    :func:`~.verdict.reading_of` that share: ``push``, ``organised core in a crowd`` or
    ``coordinated minority`` (None without a top hashtag).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ...connections import connect
from ..accounts import FLAGGED_SIGNALS, account_signals
from .engine import Scope

__all__ = ["FIRST_POSTS", "TOP_KEYS", "SCORE_COLUMNS", "group_scores", "top_keys", "density"]

FIRST_POSTS = 2000
"""The campaign's first posts, whose share by each group is reported."""
TOP_KEYS = 3
FOCUS_SHARE = 0.25
"""A group's top hashtag names its campaign when at least this share of its posts carry it."""
_EXAMPLE_CHARS = 140


def density(n_edges: int, size: int) -> float:
    """Edges over possible edges in an undirected group of ``size`` accounts.

    >>> density(3, 3)
    1.0
    """
    possible = size * (size - 1) / 2
    return n_edges / possible if possible else 0.0


def _structure(groups_of: pd.DataFrame, edges: pd.DataFrame, evidence: pd.DataFrame):
    sizes = groups_of.groupby("group_id").size().rename("size")
    inner = edges[edges["group_id"].notna()].astype({"group_id": int})
    n_edges = inner.groupby("group_id").size().reindex(sizes.index, fill_value=0)
    gaps = _inner_evidence(evidence, groups_of).groupby("group_id")["gap_s"].median()
    frame = pd.DataFrame({"size": sizes})
    frame["density"] = [density(n_edges[g], s) for g, s in sizes.items()]
    frame["median_gap_s"] = gaps.reindex(sizes.index)
    return frame


def _inner_evidence(evidence: pd.DataFrame, groups_of: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows whose two accounts are in the same group, with that ``group_id``."""
    group = groups_of.set_index("account_id")["group_id"]
    a, b = evidence["account_a"].map(group), evidence["account_b"].map(group)
    return evidence[a.notna() & (a == b)].assign(group_id=a[a.notna() & (a == b)].astype(int))


def _shares(store, groups_of: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    posts = scope.apply(store.posts()).select("author_id", "created_at", "post_id")
    members = ibis.memtable(groups_of.rename(columns={"account_id": "author_id"}))
    total = posts.count().execute()
    first = posts.order_by(["created_at", "post_id"]).limit(FIRST_POSTS)
    n_first = first.count().execute()
    counts = {}
    for name, table in (("posts", posts), ("first", first)):
        joined = table.inner_join(members, "author_id")
        counts[name] = joined.group_by("group_id").aggregate(n=joined.count()).to_pandas()
    frame = pd.DataFrame(index=pd.Index(sorted(groups_of["group_id"].unique()), name="group_id"))
    frame["posts"] = counts["posts"].set_index("group_id")["n"].reindex(frame.index, fill_value=0)
    first_n = counts["first"].set_index("group_id")["n"].reindex(frame.index, fill_value=0)
    frame["share_posts"] = frame["posts"] / total if total else np.nan
    frame["share_first_2000"] = first_n / n_first if n_first else np.nan
    return frame


def _account_scores(store, groups_of: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    # One read per member: its age at its first post in the scope, followers and signals.
    signals = account_signals(store, list(groups_of["account_id"]), scope)
    columns = ["account_id", "age_days", "followers", "signals"]
    members = groups_of.merge(signals[columns], on="account_id", how="left")
    per = members.assign(flagged=members["signals"].fillna(0) >= FLAGGED_SIGNALS).groupby(
        "group_id"
    )
    return pd.DataFrame(
        {
            "median_age_days": per["age_days"].median(),
            "min_age_days": per["age_days"].min(),
            "median_followers": per["followers"].median(),
            "share_flagged": per["flagged"].mean(),
        }
    )


# The keys most members share, per group: pairs = evidence rows, accounts = distinct ends.
_TOP_KEYS_SQL = """
    WITH inner_rows AS (
        SELECT e.*, ga.group_id FROM _tw_evidence e
        JOIN _tw_groups ga ON ga.account_id = e.account_a
        JOIN _tw_groups gb ON gb.account_id = e.account_b AND gb.group_id = ga.group_id
    ), keys AS (
        SELECT group_id, method, key, count(*) AS pairs, min(post_a) AS example_post
        FROM inner_rows GROUP BY ALL
    ), ends AS (
        SELECT group_id, method, key, count(DISTINCT account) AS accounts FROM (
            SELECT group_id, method, key, account_a AS account FROM inner_rows
            UNION ALL SELECT group_id, method, key, account_b FROM inner_rows
        ) GROUP BY ALL
    )
    SELECT group_id, method, key, accounts, pairs, example_post
    FROM keys JOIN ends USING (group_id, method, key)
    QUALIFY row_number() OVER (
        PARTITION BY group_id ORDER BY accounts DESC, pairs DESC, method, key) <= ?
    ORDER BY group_id, accounts DESC, pairs DESC, method, key
"""


def top_keys(
    store, evidence: pd.DataFrame, groups_of: pd.DataFrame, n: int = TOP_KEYS
) -> dict[int, list[dict]]:
    """Per group, its ``n`` most shared keys (by accounts, then post pairs) with an example.

    Returns ``{group_id: [{method, key, accounts, pairs, example_post, example_text}, ...]}``.
    """
    if evidence.empty or groups_of.empty:
        return {}
    con = connect()  # in SQL: the evidence of big groups is millions of post pairs
    try:
        con.register("_tw_evidence", evidence[["account_a", "account_b", "method", "key",
                                               "post_a"]])  # fmt: skip
        con.register("_tw_groups", groups_of[["account_id", "group_id"]])
        top = con.execute(_TOP_KEYS_SQL, [n]).df()
    finally:
        con.close()
    if top.empty:
        return {}
    texts = store.post_texts(top["example_post"], _EXAMPLE_CHARS)
    top = top.assign(example_text=top["example_post"].map(texts))
    cols = ["method", "key", "accounts", "pairs", "example_post", "example_text"]
    return {int(g): rows[cols].to_dict("records") for g, rows in top.groupby("group_id")}


SCORE_COLUMNS = (
    "group_id", "size", "density", "median_gap_s", "posts", "share_posts", "share_first_2000",
    "median_age_days", "min_age_days", "median_followers", "share_flagged", "top_keys",
    "top_hashtag", "hashtag_posts", "hashtag_share", "hashtag_share_first", "reading",
)  # fmt: skip


def _no_groups() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=float) for c in SCORE_COLUMNS})
    return frame.astype(
        {"group_id": int, "size": int, "posts": int, "top_keys": object, "top_hashtag": object,
         "reading": object}
    )  # fmt: skip


def group_scores(
    store,
    groups_of: pd.DataFrame,
    edges: pd.DataFrame,
    evidence: pd.DataFrame,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Score each group (see the module docs): one row per ``group_id``, in group order.

    Parameters
    ----------
    store : Store
    groups_of : DataFrame ``account_id, group_id``
    edges : DataFrame with ``account_a, account_b, group_id`` (NA when not inside a group)
    evidence : DataFrame ``account_a, account_b, method, key, post_a, gap_s, ...``
    scope : Scope
        The campaign: shares are of its posts.
    """
    scope = scope or Scope()
    if groups_of.empty:
        return _no_groups()
    frame = _structure(groups_of, edges, evidence)
    frame = frame.join(_shares(store, groups_of, scope)).join(
        _account_scores(store, groups_of, scope)
    )
    keys = top_keys(store, evidence, groups_of)
    frame["top_keys"] = [keys.get(int(g), []) for g in frame.index]
    frame = frame.join(hashtag_shares(store, groups_of, scope))
    return frame.reset_index(names="group_id")


def hashtag_shares(store, groups_of: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Per group: its most used hashtag and its share of that hashtag's posts (module docs)."""
    from .verdict import reading_of

    posts = scope.apply(store.posts()).select("author_id", "created_at", "post_id", "hashtags")
    tops = _top_hashtags(posts, groups_of)
    rows = {}
    for group_id, (tag, tagged_share) in tops.items():
        if tagged_share < FOCUS_SHARE:
            continue
        members = set(groups_of.loc[groups_of["group_id"] == group_id, "account_id"])
        n, share, first, crowd = _share_of_hashtag(posts, tag, members)
        reading = reading_of(share, first, len(members), crowd)
        rows[group_id] = {"top_hashtag": tag, "hashtag_posts": n, "hashtag_share": share,
                          "hashtag_share_first": first, "reading": reading}  # fmt: skip
    columns = ["top_hashtag", "hashtag_posts", "hashtag_share", "hashtag_share_first", "reading"]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    return frame.reindex(pd.Index(sorted(groups_of["group_id"].unique()), name="group_id"))


def _top_hashtags(posts: ibis.Table, groups_of: pd.DataFrame) -> dict[int, tuple[str, float]]:
    """group -> (its most used hashtag, the share of its posts carrying it).

    A post that repeats a tag carries it once (the share is of posts, at most 1).
    """
    members = ibis.memtable(groups_of.rename(columns={"account_id": "author_id"}))
    mine = posts.inner_join(members, "author_id")
    totals = mine.group_by("group_id").aggregate(total=mine.count()).to_pandas()
    tags = mine.select("group_id", "post_id", tag=mine.hashtags.unnest()).distinct()
    counts = tags.group_by(["group_id", "tag"]).aggregate(n=tags.count()).to_pandas()
    if counts.empty:
        return {}
    counts = counts.sort_values(["group_id", "n", "tag"], ascending=[True, False, True])
    top = counts.groupby("group_id").head(1).merge(totals, on="group_id")
    return {int(r.group_id): (r.tag, r.n / r.total) for r in top.itertuples()}


def _share_of_hashtag(posts: ibis.Table, tag: str, members: set) -> tuple:
    """(posts with ``tag``, the members' share of them, of the first 2,000, other accounts)."""
    tagged = posts.filter(posts.hashtags.contains(tag)).order_by(["created_at", "post_id"])
    frame = tagged.select("author_id").to_pandas()
    mine = frame["author_id"].isin(members).to_numpy()
    if not len(mine):
        return 0, 0.0, 0.0, 0
    crowd = frame.loc[~mine, "author_id"].nunique()
    return len(mine), float(mine.mean()), float(mine[:FIRST_POSTS].mean()), int(crowd)
