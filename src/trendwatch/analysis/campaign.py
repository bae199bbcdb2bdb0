"""Campaign measurement: how big, how fast, carried by how many accounts, how concentrated.

A campaign is the set of collected posts carrying any of its hashtags (a post with two of them
counts once). The counting is relational (Ibis over :meth:`Store.posts`, run by DuckDB); only
per-account and per-minute counts reach pandas, where the concentration measures are computed.

Definitions (each has a hand-worked test):

* ``busiest_minute_posts`` — the most posts in one calendar minute (UTC). A count, not a
  rate: trend onsets report ``peak_rate_per_min``, the mean posts per minute over their busiest
  bucket (an hour by default), which is lower for the same hashtag; the two names keep them
  apart in every output.
* ``minutes_to_N`` — minutes from the first post to the N-th post (N = 100, 1,000, 2,000);
  null when the campaign has fewer posts.
* ``gini`` — Gini coefficient of posts per account (0 = every account posted equally; towards
  1 = a few accounts made nearly everything); ``hhi`` — Herfindahl–Hirschman index, the sum of
  squared account shares; ``top1pct_share`` — share of posts by the most active 1 % of accounts
  (at least one account); ``top50_share`` — share by the 50 most active accounts.
* ``repost_share``, ``reply_share``, ``quote_share`` — shares of posts of each kind.
* ``new_account_share`` — among posts whose author's creation date is known, the share made by
  accounts created within ``new_account_days`` (30) days before posting; null without account
  data.
* ``first_movers`` — the first 20 accounts to post; ``first_movers_share`` — their share of the
  posts of the first hour.
* ``summary`` — one line; it names the *smallest* number k of most active accounts that made at
  least half the posts, and their exact share: a small k against many accounts is the point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd

from ..errors import NoDataError, ParameterError
from ..handles import account_handles
from ..text import normalize_hashtag
from ..wording import plural

__all__ = [
    "Campaign",
    "campaign",
    "campaign_posts",
    "gini",
    "hhi",
    "top_share",
    "accounts_for_half",
    "format_span",
]

MILESTONES = (100, 1000, 2000)
FIRST_MOVERS = 20
TOP_LISTED = 10


@dataclass(frozen=True, eq=False)
class Campaign:
    """A campaign's metrics (numbers) and its tables (data frames); see the module docstring."""

    hashtags: tuple[str, ...]
    posts: int
    accounts: int
    first: datetime | None
    last: datetime | None
    busiest_minute_posts: int | None
    minutes_to: dict[int, float | None]
    gini: float | None
    hhi: float | None
    top1pct_share: float | None
    top50_share: float | None
    repost_share: float | None
    reply_share: float | None
    quote_share: float | None
    new_account_share: float | None
    first_movers_share: float | None
    summary: str
    per_account: pd.DataFrame = field(repr=False)
    """author_id, handle, posts, first_post, last_post; most active first."""
    per_minute: pd.DataFrame = field(repr=False)
    """minute (UTC start), posts."""
    first_movers: pd.DataFrame = field(repr=False)
    """author_id, handle, first_post, posts_first_hour: the first accounts to post."""
    amplifiers: pd.DataFrame = field(repr=False)
    """account (id, else handle), handle, reposts: whose posts were reposted most within the
    campaign."""
    languages: pd.DataFrame = field(repr=False)
    """lang, posts, share."""
    cohashtags: pd.DataFrame = field(repr=False)
    """hashtag, posts: the other hashtags of the campaign's posts."""

    @property
    def duration(self) -> timedelta | None:
        return None if self.first is None else self.last - self.first

    def to_dict(self, top: int = TOP_LISTED) -> dict:
        """JSON-ready: numbers, ISO 8601 UTC times, and the first ``top`` rows (0: all) of
        the top accounts, amplifiers, languages and co-hashtags (all the first movers)."""
        return {
            "hashtags": list(self.hashtags),
            "posts": self.posts,
            "accounts": self.accounts,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "duration_min": _minutes(self.duration),
            "busiest_minute_posts": self.busiest_minute_posts,
            **{f"minutes_to_{n}": value for n, value in self.minutes_to.items()},
            "gini": self.gini,
            "hhi": self.hhi,
            "top1pct_share": self.top1pct_share,
            "top50_share": self.top50_share,
            "repost_share": self.repost_share,
            "reply_share": self.reply_share,
            "quote_share": self.quote_share,
            "new_account_share": self.new_account_share,
            "first_movers_share": self.first_movers_share,
            "first_movers": _records(self.first_movers),
            "top_accounts": _records(_head(self.per_account, top)),
            "amplifiers": _records(_head(self.amplifiers, top)),
            "languages": _records(_head(self.languages, top)),
            "cohashtags": _records(_head(self.cohashtags, top)),
            "summary": self.summary,
        }


def _head(frame: pd.DataFrame, top: int) -> pd.DataFrame:
    return frame.head(top) if top else frame


def _iso(moment) -> str | None:
    return None if moment is None else pd.Timestamp(moment).isoformat()


def _minutes(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 60


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].map(lambda t: t.isoformat())
    out = out.astype(object).where(out.notna(), None)  # JSON has null, not NaN
    return out.to_dict("records")


# -- concentration measures (pure functions on post counts) -----------------------------------


def gini(counts) -> float | None:
    """Gini coefficient of non-negative counts; None when there are none or all are 0.

    >>> gini([1, 3])
    0.25
    """
    x = np.sort(np.asarray(counts, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return None
    ranks = np.arange(1, x.size + 1)
    return float(((2 * ranks - x.size - 1) * x).sum() / (x.size * x.sum()))


def hhi(counts) -> float | None:
    """Herfindahl–Hirschman index: the sum of squared shares.

    >>> hhi([1, 3])
    0.625
    """
    x = np.asarray(counts, dtype=float)
    return None if x.sum() == 0 else float(((x / x.sum()) ** 2).sum())


def top_share(counts, k: int) -> float | None:
    """Share of the total made by the ``k`` largest counts.

    >>> top_share([5, 1, 3, 1], 2)
    0.8
    """
    x = np.sort(np.asarray(counts, dtype=float))[::-1]
    return None if x.sum() == 0 else float(x[:k].sum() / x.sum())


def accounts_for_half(counts) -> int:
    """The smallest number of most active accounts that made at least half the posts.

    >>> accounts_for_half([5, 1, 3, 1])
    1
    """
    x = np.sort(np.asarray(counts, dtype=float))[::-1]
    return int(np.searchsorted(np.cumsum(x), x.sum() / 2, side="left") + 1)


def format_span(span: timedelta) -> str:
    """A duration for people: ``45 s``, ``52 min``, ``1 h 52 min``, ``3 d 4 h``.

    >>> format_span(timedelta(hours=1, minutes=52, seconds=20))
    '1 h 52 min'
    """
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"


# -- relational steps -------------------------------------------------------------------------


def _clean_hashtags(hashtags) -> tuple[str, ...]:
    if isinstance(hashtags, str):
        hashtags = [hashtags]
    tags = tuple(dict.fromkeys(normalize_hashtag(str(h).lstrip("#")) for h in hashtags))
    if not tags or not all(tags):
        raise ParameterError("a campaign needs at least one non-empty hashtag, e.g. remigration")
    return tags


def campaign_posts(store, hashtags) -> ibis.Table:
    """Collected, dated posts carrying any of ``hashtags`` (each post once)."""
    posts = store.posts()
    carries = ibis.or_(*(posts.hashtags.contains(tag) for tag in _clean_hashtags(hashtags)))
    return posts.filter(carries, posts.created_at.notnull())


def _per_account(posts: ibis.Table) -> pd.DataFrame:
    table = posts.group_by("author_id").aggregate(
        posts=posts.count(),
        first_post=posts.created_at.min(),
        last_post=posts.created_at.max(),
    )
    frame = table.to_pandas().astype({"posts": "int64"})
    return frame.sort_values(["posts", "first_post"], ascending=[False, True], ignore_index=True)


def _per_minute(posts: ibis.Table) -> pd.DataFrame:
    minutes = posts.mutate(minute=posts.created_at.truncate("m"))
    table = minutes.group_by("minute").aggregate(posts=minutes.count()).order_by("minute")
    frame = table.to_pandas().astype({"posts": "int64"})
    frame["minute"] = pd.to_datetime(frame["minute"], utc=True)  # the store's clock is UTC
    return frame


def _kind_counts(posts: ibis.Table) -> dict[str, int]:
    frame = posts.group_by("kind").aggregate(n=posts.count()).to_pandas()
    return dict(zip(frame["kind"], frame["n"].astype(int), strict=True))


def _nth_post_times(posts: ibis.Table, ranks) -> dict[int, datetime]:
    ordered = posts.select("created_at").mutate(rank=ibis.row_number().over(order_by="created_at"))
    hits = ordered.filter(ordered["rank"].isin([r - 1 for r in ranks])).to_pandas()
    pairs = zip(hits["rank"], hits["created_at"], strict=True)
    return {int(r) + 1: t.to_pydatetime() for r, t in pairs}


def _languages(posts: ibis.Table, total: int) -> pd.DataFrame:
    table = posts.group_by("lang").aggregate(posts=posts.count())
    frame = table.to_pandas().astype({"posts": "int64"})
    frame["share"] = frame["posts"] / total
    return frame.sort_values(["posts", "lang"], ascending=[False, True], ignore_index=True)


def _cohashtags(posts: ibis.Table, tags: tuple[str, ...]) -> pd.DataFrame:
    rows = posts.select("platform", "post_id", hashtag=posts.hashtags.unnest())
    rows = rows.filter(~rows.hashtag.isin(list(tags)))
    rows = rows.group_by("hashtag").aggregate(posts=rows.post_id.nunique())
    frame = rows.to_pandas()
    frame = frame.astype({"posts": "int64"})
    return frame.sort_values(["posts", "hashtag"], ascending=[False, True], ignore_index=True)


def _amplifiers(posts: ibis.Table) -> pd.DataFrame:
    reposts = posts.filter(posts.kind == "repost")
    reposts = reposts.mutate(account=reposts.ref_author_id.fill_null(reposts.ref_author_handle))
    reposts = reposts.filter(reposts.account.notnull())
    frame = (
        reposts.group_by("account")
        .aggregate(seen_handle=reposts.ref_author_handle.max(), reposts=reposts.count())
        .to_pandas()
    )
    frame = frame.astype({"reposts": "int64"})
    return frame.sort_values(["reposts", "account"], ascending=[False, True], ignore_index=True)


def _with_handles(store, per_account, movers, amplifiers):
    """Handles beside the account ids (:func:`~trendwatch.handles.account_handles`); an
    amplifier the store knows no profile or post of keeps the handle its reposts named."""
    known = account_handles(store, [*per_account["author_id"], *amplifiers["account"]])
    for frame, column in ((per_account, "author_id"), (movers, "author_id")):
        frame.insert(1, "handle", _objects([known.get(a) for a in frame[column]], frame))
    seen = [h if isinstance(h, str) else None for h in amplifiers["seen_handle"]]
    handles = [known.get(a) or h for a, h in zip(amplifiers["account"], seen, strict=True)]
    amplifiers = amplifiers.drop(columns="seen_handle")
    amplifiers.insert(1, "handle", _objects(handles, amplifiers))
    return per_account, movers, amplifiers


def _objects(values: list, frame: pd.DataFrame) -> pd.Series:
    """A column of Python values (None stays None, not NaN) aligned with ``frame``."""
    return pd.Series(values, index=frame.index, dtype=object)


def _new_account_share(store, posts: ibis.Table, days: int) -> float | None:
    accounts = store.accounts()
    joined = posts.join(
        accounts,
        (posts.platform == accounts.platform) & (posts.author_id == accounts.account_id),
    )
    joined = joined.filter(joined.created_at_right.notnull())
    age = joined.created_at.epoch_seconds() - joined.created_at_right.epoch_seconds()
    young = ((age >= 0) & (age <= days * 86400)).cast("int64")
    row = joined.aggregate(known=joined.count(), young=young.sum()).to_pandas().iloc[0]
    return None if not row["known"] else float(row["young"]) / float(row["known"])


def _first_hour_counts(posts: ibis.Table, first: datetime) -> pd.Series:
    early = posts.filter(posts.created_at < first + timedelta(hours=1))
    frame = early.group_by("author_id").aggregate(n=early.count()).to_pandas()
    return frame.set_index("author_id")["n"].astype("int64")


# -- assembling ------------------------------------------------------------------------------


def campaign(store, hashtags, *, new_account_days: int = 30) -> Campaign:
    """Measure the campaign of ``hashtags`` (normalised here; ``#`` optional).

    Raises :class:`~trendwatch.errors.NoDataError` when no collected post carries any of them.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> campaign(Store(":memory:"), ["nothing"])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NoDataError: no collected post carries #nothing
    """
    tags = _clean_hashtags(hashtags)
    posts = campaign_posts(store, tags)
    per_account = _per_account(posts)
    if per_account.empty:
        raise NoDataError(
            f"no collected post carries {' or '.join('#' + t for t in tags)}: "
            "check the spelling or ingest the archive first"
        )
    counts = per_account["posts"].to_numpy()
    total = int(counts.sum())
    first = per_account["first_post"].min().to_pydatetime()
    last = per_account["last_post"].max().to_pydatetime()
    per_minute = _per_minute(posts)
    kinds = _kind_counts(posts)
    nth = _nth_post_times(posts, MILESTONES)
    movers = _first_movers(per_account, _first_hour_counts(posts, first))
    per_account, mover_table, amplifiers = _with_handles(
        store, per_account.copy(), movers.table, _amplifiers(posts)
    )
    return Campaign(
        hashtags=tags,
        posts=total,
        accounts=len(per_account),
        first=first,
        last=last,
        busiest_minute_posts=int(per_minute["posts"].max()),
        minutes_to={n: _minutes(nth[n] - first) if n in nth else None for n in MILESTONES},
        gini=gini(counts),
        hhi=hhi(counts),
        top1pct_share=top_share(counts, max(1, math.ceil(len(counts) / 100))),
        top50_share=top_share(counts, 50),
        repost_share=kinds.get("repost", 0) / total,
        reply_share=kinds.get("reply", 0) / total,
        quote_share=kinds.get("quote", 0) / total,
        new_account_share=_new_account_share(store, posts, new_account_days),
        first_movers_share=movers.share,
        summary=summary_line(counts, last - first),
        per_account=per_account,
        per_minute=per_minute,
        first_movers=mover_table,
        amplifiers=amplifiers,
        languages=_languages(posts, total),
        cohashtags=_cohashtags(posts, tags),
    )


@dataclass(frozen=True, eq=False)
class _FirstMovers:
    table: pd.DataFrame
    share: float | None


def _first_movers(per_account: pd.DataFrame, first_hour: pd.Series) -> _FirstMovers:
    """The first accounts to post, and their share of the first hour's posts."""
    movers = per_account.sort_values(["first_post", "author_id"]).head(FIRST_MOVERS)
    movers = movers[["author_id", "first_post"]].reset_index(drop=True)
    movers["posts_first_hour"] = movers["author_id"].map(first_hour).fillna(0).astype("int64")
    hour_total = int(first_hour.sum())
    share = movers["posts_first_hour"].sum() / hour_total if hour_total else None
    return _FirstMovers(movers, None if share is None else float(share))


def summary_line(counts, span: timedelta) -> str:
    """The headline: volume, span, accounts, and the few accounts that made half of it.

    >>> summary_line([5, 1, 3, 1], timedelta(hours=1, minutes=52))
    '10 posts in 1 h 52 min from 4 accounts; the most active account made 50 % of them'
    """
    k = accounts_for_half(counts)
    share = top_share(counts, k)
    leaders = "the most active account" if k == 1 else f"the top {k:,} accounts"
    return (
        f"{plural(int(np.sum(counts)), 'post')} in {format_span(span)} from "
        f"{plural(len(counts), 'account')}; {leaders} made {round(share * 100)} % of them"
    )
