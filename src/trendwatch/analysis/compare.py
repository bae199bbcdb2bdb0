"""Two campaigns side by side: one time axis, metrics, account overlap, concentration.

Overlap, on authors of collected posts: ``jaccard`` = |A ∩ B| / |A ∪ B|; ``accounts_in_both``
= |A ∩ B|; ``bridging_accounts`` = accounts with at least one post carrying hashtags of both
campaigns (``bridging_posts`` counts those posts). The more concentrated campaign is the one
with the higher Gini of posts per account; ``gini_difference`` is how much higher, and
``top50_share_ratio`` compares the share of posts made by each side's 50 most active accounts.

The ``headline`` (:func:`headline`) states the differences a reader weighs first, side by
side: the share of each campaign's posts made by its :data:`HEADLINE_TOP` most active accounts,
the share made by new accounts (``new_account_share``), and how fast each reached
:data:`HEADLINE_MILESTONE` posts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd

from .campaign import Campaign, campaign, campaign_posts, format_span, top_share

__all__ = ["Comparison", "compare", "headline", "TIMELINE_BUCKETS"]

HEADLINE_TOP = 10
"""The headline compares the share of posts made by this many most active accounts."""
HEADLINE_MILESTONE = 2000
"""The headline compares how fast each campaign reached this many posts."""

TIMELINE_BUCKETS = ("1min", "5min", "15min", "1h", "6h", "1D")
"""Shared time axis: the finest of these giving at most :data:`MAX_TIMELINE_ROWS` buckets."""
MAX_TIMELINE_ROWS = 500


@dataclass(frozen=True, eq=False)
class Comparison:
    """Campaigns ``a`` and ``b``, their ``overlap`` (dict) and a shared ``timeline``.

    ``timeline`` columns: start (UTC), a, b (posts per bucket).
    """

    a: Campaign
    b: Campaign
    overlap: dict
    timeline: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        timeline = self.timeline.assign(start=self.timeline["start"].map(lambda t: t.isoformat()))
        return {
            "headline": headline(self.a, self.b),
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "overlap": self.overlap,
            "timeline": timeline.to_dict("records"),
        }


def compare(store, a, b) -> Comparison:
    """Compare the campaigns of hashtag lists ``a`` and ``b`` (each a hashtag or a list).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> compare(Store(":memory:"), "a", "b")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NoDataError: no collected post carries #a
    """
    first, second = campaign(store, a), campaign(store, b)
    overlap = _account_overlap(first, second)
    overlap.update(_bridges(store, first.hashtags, second.hashtags))
    overlap.update(_concentration(first, second))
    return Comparison(first, second, overlap, _timeline(first, second))


def headline(a: Campaign, b: Campaign) -> str:
    """The differences that matter, A's figure then B's: concentration on the most active
    accounts, new accounts, speed to 2,000 posts.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> from datetime import datetime, timedelta, UTC
    >>> t0 = datetime(2025, 1, 1, tzinfo=UTC)
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow([
    ...     Post("x", str(i), f"u{i % n}", t0 + timedelta(minutes=i), hashtags=(tag,))
    ...     for n, tag, start in ((2, "a", 0), (20, "b", 100)) for i in range(start, start + 40)]))
    >>> print(headline(campaign(store, "a"), campaign(store, "b")))
    the 10 most active accounts made 100 % of A's posts and 50 % of B's; accounts under 30 days old made ? (no account data) of A's posts and ? (no account data) of B's; to 2,000 posts: A never got there (40 posts), B never got there (40 posts)
    """  # noqa: E501
    counts = [c.per_account["posts"].to_numpy() for c in (a, b)]
    top = [round(top_share(x, HEADLINE_TOP) * 100) for x in counts]
    return "; ".join(
        [
            f"the {HEADLINE_TOP} most active accounts made {top[0]} % of A's posts and "
            f"{top[1]} % of B's",
            f"accounts under 30 days old made {_new_share(a)} of A's posts and "
            f"{_new_share(b)} of B's",
            f"to {HEADLINE_MILESTONE:,} posts: {_speed(a, 'A')}, {_speed(b, 'B')}",
        ]
    )


def _new_share(c: Campaign) -> str:
    if c.new_account_share is None:
        return "? (no account data)"
    return f"{round(c.new_account_share * 100)} %"


def _speed(c: Campaign, side: str) -> str:
    minutes = c.minutes_to.get(HEADLINE_MILESTONE)
    if minutes is None:
        return f"{side} never got there ({c.posts:,} posts)"
    return f"{side} in {format_span(timedelta(minutes=minutes))}"


def _account_overlap(a: Campaign, b: Campaign) -> dict:
    accounts_a = set(a.per_account["author_id"])
    accounts_b = set(b.per_account["author_id"])
    both, either = accounts_a & accounts_b, accounts_a | accounts_b
    return {
        "accounts_a": len(accounts_a),
        "accounts_b": len(accounts_b),
        "accounts_in_both": len(both),
        "jaccard": len(both) / len(either) if either else None,
    }


def _bridges(store, tags_a, tags_b) -> dict:
    """Posts carrying hashtags of both campaigns, and the accounts that made them."""
    posts = campaign_posts(store, tags_a)
    carries_b = posts.hashtags.contains(tags_b[0])
    for tag in tags_b[1:]:
        carries_b |= posts.hashtags.contains(tag)
    both = posts.filter(carries_b)
    row = both.aggregate(posts=both.count(), accounts=both.author_id.nunique()).to_pandas()
    return {
        "bridging_posts": int(row["posts"].iloc[0]),
        "bridging_accounts": int(row["accounts"].iloc[0] or 0),
    }


def _concentration(a: Campaign, b: Campaign) -> dict:
    if a.gini is None or b.gini is None or a.gini == b.gini:
        more = None
    else:
        more = "a" if a.gini > b.gini else "b"
    ratio = a.top50_share / b.top50_share if b.top50_share else None
    return {
        "more_concentrated": more,
        "gini_difference": None if more is None else abs(a.gini - b.gini),
        "top50_share_ratio": ratio,
    }


def _timeline(a: Campaign, b: Campaign) -> pd.DataFrame:
    """Posts of both campaigns per bucket on one axis (zero-filled)."""
    first, last = min(a.first, b.first), max(a.last, b.last)
    freq = _timeline_freq(last - first)
    series = {
        name: c.per_minute.set_index("minute")["posts"].resample(freq).sum()
        for name, c in (("a", a), ("b", b))
    }
    frame = pd.DataFrame(series).fillna(0).astype("int64")
    frame.index.name = "start"
    return frame.reset_index()


def _timeline_freq(span: timedelta) -> str:
    for freq in TIMELINE_BUCKETS:
        if span / pd.Timedelta(freq) <= MAX_TIMELINE_ROWS:
            return freq
    return TIMELINE_BUCKETS[-1]
