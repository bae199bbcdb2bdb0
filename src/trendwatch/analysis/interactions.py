"""Who reposts, quotes, replies to and mentions whom: the directed networks behind a campaign.

Each post in scope may name other accounts, and each naming is one directed interaction from
the post's author (``source``) to the named account (``target``):

``repost``
    a repost of the target's post (``ref_author_id`` of a repost);
``quote``
    a quote of the target's post (``ref_author_id`` of a quote);
``reply``
    a reply to the target's post (``reply_to_author_id``);
``mention``
    an ``@handle`` in an original post, a reply or a quote. A repost's mentions are the
    original's (X even puts the reposted author first), so they are not the reposter's.

Interactions of an account with itself (threads, self-quotes) are left out: they link no
one. A mentioned handle is matched, without case, to an account the store knows (a profile
or a post's author on the same platform); a handle it does not know stays a node of its own,
``@handle``, with that handle as label, so no mention is lost.

Edges are counted per (source, target, kind), with the first and last time; nodes carry the
handle (the label a reader needs), the posts in scope and, when a groups run or a groups
result is given, the coordination group (0: in none). This is the relational step (Ibis,
like the other analyses); the export is :mod:`trendwatch.exports.interactions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis
import pandas as pd

from ..errors import NoDataError, ParameterError
from ..handles import account_handles
from .coordination.engine import Scope, _scope
from .coordination.group_runs import load_groups_run

__all__ = ["KINDS", "InteractionNetwork", "interaction_network", "top_accounts", "groups_of_run"]

KINDS = ("repost", "quote", "reply", "mention")
"""The interaction kinds, in the order tables list them."""

EDGE_COLUMNS = ["source", "source_handle", "target", "target_handle", "kind", "count", "first",
                "last"]  # fmt: skip
NODE_COLUMNS = ["account_id", "handle", "group", "posts", "out_count", "in_count"]


@dataclass(frozen=True)
class InteractionNetwork:
    """The directed interaction network of a scope.

    Attributes
    ----------
    nodes : DataFrame
        ``account_id`` (``@handle`` for a mentioned handle the store does not know),
        ``handle`` (None when unknown), ``group`` (coordination group, 0: none), ``posts``
        (the account's posts in scope), ``out_count`` / ``in_count`` (interactions it made
        / received); most interactions first.
    edges : DataFrame
        ``source``, ``source_handle``, ``target``, ``target_handle``, ``kind``, ``count``,
        ``first``, ``last`` (UTC); by count, largest first.
    scope : Scope
        The posts the network was built from.
    kinds : tuple of str
        The interaction kinds asked for.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    scope: Scope
    kinds: tuple[str, ...]

    def summary(self) -> dict:
        """Counts for a headline: accounts, links, interactions, and interactions per kind."""
        by_kind = self.edges.groupby("kind")["count"].sum()
        return {
            "accounts": len(self.nodes),
            "links": len(self.edges),
            "interactions": int(self.edges["count"].sum()),
            "by_kind": {kind: int(by_kind.get(kind, 0)) for kind in self.kinds},
        }


def interaction_network(
    store,
    hashtags=None,
    *,
    since=None,
    until=None,
    platform: str | None = None,
    kinds: Iterable[str] = KINDS,
    groups: Mapping[str, int] | None = None,
) -> InteractionNetwork:
    """The directed network of reposts, quotes, replies and mentions among a scope's posts.

    Parameters
    ----------
    store : Store
    hashtags : str or list of str, optional
        Posts carrying any of these hashtags (all collected posts when None).
    since, until : datetime or ISO 8601 str, optional
        Posts at or after ``since`` and before ``until``.
    platform : str, optional
    kinds : iterable of str
        Which of :data:`KINDS` to keep (default: all).
    groups : mapping account id -> group id, optional
        Each account's coordination group (e.g. :func:`groups_of_run`); others get 0.

    Raises
    ------
    ParameterError
        For an unknown kind.
    NoDataError
        When no post is in scope.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> from datetime import datetime, UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow([
    ...     Post(platform="x", post_id="1", author_id="a", created_at=t, kind="post",
    ...          author_handle="ann", mentions=("bob",)),
    ...     Post(platform="x", post_id="2", author_id="b", created_at=t, kind="repost",
    ...          author_handle="bob", ref_post_id="1", ref_author_id="a")]))
    >>> net = interaction_network(store)
    >>> net.edges[["source_handle", "target_handle", "kind", "count"]].values.tolist()
    [['ann', 'bob', 'mention', 1], ['bob', 'ann', 'repost', 1]]
    """
    kinds = _checked_kinds(kinds)
    scope = _scope(hashtags, since, until, platform)
    posts = scope.apply(store.posts())
    if posts.count().to_pyarrow().as_py() == 0:
        raise NoDataError(f"no posts in this scope{_scope_words(scope)}: nothing to draw")
    raw = _interactions(posts, kinds).to_pandas()
    raw = _resolve_mentions(store, raw)
    edges = _count_edges(raw)
    nodes = _nodes(store, posts, edges, groups or {})
    edges = _with_edge_handles(edges, nodes)
    return InteractionNetwork(nodes, edges, scope, kinds)


def _checked_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise ParameterError(
            f"interaction kinds are {', '.join(KINDS)}; got {', '.join(unknown) or 'none'}"
        )
    return chosen


def _scope_words(scope: Scope) -> str:
    parts = [f"#{t}" for t in scope.hashtags or ()]
    parts += [f"{name} {value}" for name, value in
              (("since", scope.since), ("until", scope.until), ("platform", scope.platform))
              if value is not None]  # fmt: skip
    return f" ({', '.join(parts)})" if parts else ""


def _interactions(posts: ibis.Table, kinds: tuple[str, ...]) -> ibis.Table:
    """One row per interaction: platform, source, target (an id, or a handle for mentions),
    kind, time."""

    def named(filtered: ibis.Table, target, kind: str) -> ibis.Table:
        return filtered.select(
            platform=filtered.platform, source=filtered.author_id, target=target(filtered),
            kind=ibis.literal(kind), created_at=filtered.created_at,
        )  # fmt: skip

    parts = {
        "repost": lambda: named(posts.filter(posts.kind == "repost"), lambda t: t.ref_author_id,
                                "repost"),
        "quote": lambda: named(posts.filter(posts.kind == "quote"), lambda t: t.ref_author_id,
                               "quote"),
        "reply": lambda: named(posts, lambda t: t.reply_to_author_id, "reply"),
        "mention": lambda: _mentions(posts),
    }  # fmt: skip
    found = ibis.union(*(parts[kind]() for kind in kinds))
    return found.filter(found.target.notnull() & (found.source != found.target))


def _mentions(posts: ibis.Table) -> ibis.Table:
    own = posts.filter(posts.kind != "repost")
    rows = own.select(platform=own.platform, source=own.author_id,
                      target=own.mentions.unnest(), created_at=own.created_at)  # fmt: skip
    return rows.select(
        platform=rows.platform, source=rows.source, target="@" + rows.target.lower(),
        kind=ibis.literal("mention"), created_at=rows.created_at,
    )  # fmt: skip


def _resolve_mentions(store, raw: pd.DataFrame) -> pd.DataFrame:
    """Mention targets ``@handle`` -> the account id with that handle on the same platform."""
    mentioned = raw["kind"] == "mention"
    if not mentioned.any():
        return raw
    known = _ids_by_handle(store, sorted(set(raw.loc[mentioned, "target"].str[1:])))
    resolved = [
        known.get((platform, target[1:]), target)
        for platform, target in zip(raw.loc[mentioned, "platform"], raw.loc[mentioned, "target"],
                                    strict=True)
    ]  # fmt: skip
    raw = raw.copy()
    raw.loc[mentioned, "target"] = resolved
    return raw[raw["source"] != raw["target"]]


def _ids_by_handle(store, handles: list[str]) -> dict[tuple[str, str], str]:
    """(platform, lower-cased handle) -> account id, from profiles first, then post authors.

    A handle two accounts held (renamed, reused) goes to the one seen last."""
    rows = store.con.execute(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS handle),
        seen AS (
            SELECT platform, lower(handle) AS handle, account_id, 1 AS preference,
                   observed_at AS seen_at FROM accounts
            UNION ALL
            SELECT platform, lower(author_handle), author_id, 2, created_at FROM posts
        )
        SELECT platform, handle, account_id FROM (
            SELECT platform, handle, account_id, row_number() OVER (PARTITION BY platform,
                   handle ORDER BY preference, seen_at DESC NULLS LAST, account_id) AS choice
            FROM seen WHERE handle IN (SELECT handle FROM wanted)
        ) WHERE choice = 1
        """,
        [handles],
    ).fetchall()
    return {(platform, handle): account for platform, handle, account in rows}


def _count_edges(raw: pd.DataFrame) -> pd.DataFrame:
    if raw.empty:
        return pd.DataFrame(columns=["source", "target", "kind", "count", "first", "last"])
    grouped = raw.groupby(["source", "target", "kind"], sort=False)["created_at"]
    edges = grouped.agg(count="size", first="min", last="max").reset_index()
    edges["count"] = edges["count"].astype("int64")
    order = {kind: i for i, kind in enumerate(KINDS)}
    edges = edges.assign(_kind=edges["kind"].map(order))
    edges = edges.sort_values(["count", "source", "target", "_kind"],
                              ascending=[False, True, True, True], kind="stable")  # fmt: skip
    return edges.drop(columns="_kind").reset_index(drop=True)


def _nodes(store, posts: ibis.Table, edges: pd.DataFrame, groups: Mapping) -> pd.DataFrame:
    ids = sorted(set(edges["source"]) | set(edges["target"]))
    counts = posts.group_by(account_id=posts.author_id).aggregate(posts=posts.count())
    counts = counts.filter(counts.account_id.isin(ids)).to_pandas() if ids else counts.limit(0)
    made = dict(zip(counts["account_id"], counts["posts"], strict=True)) if ids else {}
    handles = account_handles(store, [i for i in ids if not i.startswith("@")])
    out_count = edges.groupby("source")["count"].sum()
    in_count = edges.groupby("target")["count"].sum()
    nodes = pd.DataFrame({
        "account_id": pd.Series(ids, dtype=object),
        "handle": pd.Series([i[1:] if i.startswith("@") else handles.get(i) for i in ids],
                            dtype=object),
        "group": [int(groups.get(i, 0)) for i in ids],
        "posts": [int(made.get(i, 0)) for i in ids],
        "out_count": [int(out_count.get(i, 0)) for i in ids],
        "in_count": [int(in_count.get(i, 0)) for i in ids],
    })  # fmt: skip
    total = nodes["out_count"] + nodes["in_count"]
    order = nodes.assign(_total=total).sort_values(
        ["_total", "account_id"], ascending=[False, True], kind="stable"
    )
    return order.drop(columns="_total").reset_index(drop=True)[NODE_COLUMNS]


def _with_edge_handles(edges: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    label = dict(zip(nodes["account_id"], nodes["handle"], strict=True))
    edges = edges.copy()
    edges.insert(
        1,
        "source_handle",
        pd.Series([label.get(s) for s in edges["source"]], index=edges.index, dtype=object),
    )
    edges.insert(
        3,
        "target_handle",
        pd.Series([label.get(t) for t in edges["target"]], index=edges.index, dtype=object),
    )
    return edges[EDGE_COLUMNS]


def top_accounts(network: InteractionNetwork, n: int) -> InteractionNetwork:
    """The network among its ``n`` accounts with the most interactions (made + received).

    Examples
    --------
    >>> nodes = pd.DataFrame({"account_id": ["a", "b", "c"], "handle": [None] * 3,
    ...     "group": 0, "posts": 1, "out_count": [5, 1, 0], "in_count": [0, 4, 2]})
    >>> edges = pd.DataFrame({"source": ["a", "a"], "source_handle": None,
    ...     "target": ["b", "c"], "target_handle": None, "kind": "repost",
    ...     "count": [4, 1], "first": None, "last": None})
    >>> small = top_accounts(InteractionNetwork(nodes, edges, Scope(), KINDS), 2)
    >>> small.nodes["account_id"].tolist(), small.edges["target"].tolist()
    (['a', 'b'], ['b'])
    """
    if n < 1:
        raise ParameterError(f"the number of accounts to show must be at least 1, not {n}")
    nodes = network.nodes.head(n)
    kept = set(nodes["account_id"])
    edges = network.edges[network.edges["source"].isin(kept) & network.edges["target"].isin(kept)]
    return InteractionNetwork(nodes, edges.reset_index(drop=True), network.scope, network.kinds)


def groups_of_run(store, run_id: str) -> dict[str, int]:
    """Account id -> group id of a stored groups run (``trendwatch runs`` lists them).

    Examples
    --------
    >>> # groups_of_run(store, "groups-20261206T162059-0ab5d4")
    """
    members = load_groups_run(store, run_id).members
    return {str(a): int(g) for a, g in zip(members["account_id"], members["group_id"],
                                           strict=True)}  # fmt: skip
