"""What a store holds: the numbers ``trendwatch info`` prints (library first, CLI second)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from .store import Store

__all__ = ["StoreOverview", "overview"]


@dataclass(frozen=True)
class StoreOverview:
    """Counts over the collected posts (context posts excluded) and the quarantine.

    ``accounts`` counts the account profiles stored; ``authors`` the distinct accounts that
    wrote collected posts (tables without profiles have authors but no accounts).
    ``top_hashtags`` counts, for each hashtag, the collected posts that carry it: a post that
    repeats a tag counts once; ``hashtags`` is how many distinct hashtags there are in all.
    """

    posts: int
    accounts: int
    authors: int
    context_posts: int
    by_platform: dict[str, int]
    by_kind: dict[str, int]
    first: datetime | None
    last: datetime | None
    quarantined: int
    top_quarantine_reasons: list[tuple[str, int]]
    top_hashtags: list[tuple[str, int]]
    hashtags: int = 0
    watch_gaps: list[dict] = field(default_factory=list)
    """The latest times a watched source was not collecting (``trendwatch watch``)."""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["first"] = self.first.isoformat() if self.first else None
        data["last"] = self.last.isoformat() if self.last else None
        data["top_hashtags"] = [list(pair) for pair in self.top_hashtags]
        data["top_quarantine_reasons"] = [list(pair) for pair in self.top_quarantine_reasons]
        return data


def overview(store: Store, *, top: int = 10) -> StoreOverview:
    """Summarise a store; ``top``: rows of the hashtag and quarantine-reason lists (0: all).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> overview(Store(":memory:")).posts
    0
    """
    con = store.con
    posts, context, first, last, authors = con.execute(
        "SELECT count(*) FILTER (WHERE collected), count(*) FILTER (WHERE NOT collected), "
        "min(created_at) FILTER (WHERE collected), max(created_at) FILTER (WHERE collected), "
        "count(DISTINCT (platform, author_id)) FILTER (WHERE collected AND author_id IS NOT NULL) "
        "FROM posts"
    ).fetchone()
    return StoreOverview(
        posts=posts,
        accounts=con.execute("SELECT count(*) FROM accounts").fetchone()[0],
        authors=authors,
        context_posts=context,
        by_platform=dict(_counts(store, "platform")),
        by_kind=dict(_counts(store, "kind")),
        first=first,
        last=last,
        quarantined=con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
        top_quarantine_reasons=_top_reasons(store, top),
        top_hashtags=_top_hashtags(store, top),
        hashtags=_hashtag_count(store),
        watch_gaps=_latest_gaps(store, top),
    )


def _latest_gaps(store: Store, top: int) -> list[dict]:
    from .watch.state import watch_gaps

    gaps = watch_gaps(store, limit=top)
    return [
        {**row, "gap_from": row["gap_from"].isoformat(), "gap_to": row["gap_to"].isoformat()}
        for row in gaps.to_dict("records")
    ]


def _counts(store: Store, column: str) -> list[tuple[str, int]]:
    # `column` is one of our own column names, never user input.
    return store.con.execute(
        f"SELECT {column}, count(*) AS n FROM posts WHERE collected GROUP BY 1 ORDER BY n DESC, 1"
    ).fetchall()


def _top_reasons(store: Store, top: int) -> list[tuple[str, int]]:
    return store.con.execute(
        "SELECT reason, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
        [top or None],
    ).fetchall()


def _hashtag_count(store: Store) -> int:
    # fetchall: a result read to its end leaves the connection free (the dashboard shares it)
    return store.con.execute(
        "SELECT count(DISTINCT tag) FROM (SELECT unnest(hashtags) AS tag FROM posts "
        "WHERE collected)"
    ).fetchall()[0][0]


def _top_hashtags(store: Store, top: int) -> list[tuple[str, int]]:
    # list_distinct: posts carrying the tag, not its occurrences ("#brexit ... #Brexit").
    return store.con.execute(
        "SELECT tag, count(*) AS n FROM (SELECT unnest(list_distinct(hashtags)) AS tag "
        "FROM posts WHERE collected) GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
        [top or None],
    ).fetchall()
