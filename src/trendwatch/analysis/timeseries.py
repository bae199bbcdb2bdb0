"""Hashtag time series: posts, unique accounts, originals and reposts per time bucket.

The counting is relational and written as Ibis expressions over :meth:`Store.posts` (collected
posts only: context posts never count), so DuckDB does the heavy work and only one row per
(hashtag, bucket) that has posts reaches pandas. Buckets are whole multiples of a width (30 s to
days) counted from an *origin*: bucket ``b`` covers ``[origin + b·width, origin + (b+1)·width)``.
The origin defaults to the Unix epoch; the trending list puts it at ``--at`` so that the last
bucket ends exactly there.

A post counts once for each distinct hashtag it carries (hashtags are the normalised ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import ibis
import pandas as pd

from ..errors import ParameterError
from ..times import parse_bound

__all__ = [
    "Buckets",
    "parse_duration",
    "MAX_DURATION",
    "parse_at",
    "hashtag_rows",
    "hashtag_series",
    "bucket_totals",
    "history_start",
]

_UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d)\s*$", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_DURATION = timedelta(days=3660)
"""The longest window or bucket (ten years): longer ones would leave Python's time range."""


def parse_duration(text: str | timedelta, *, name: str = "window") -> timedelta:
    """Parse a duration such as ``"30s"``, ``"5min"``, ``"1h"`` or ``"1d"``.

    ``m`` means minutes. Raises :class:`~trendwatch.errors.ParameterError` on anything else and
    on durations below one second or above :data:`MAX_DURATION`.

    >>> parse_duration("5min")
    datetime.timedelta(seconds=300)
    """
    seconds = text.total_seconds() if isinstance(text, timedelta) else _duration_seconds(text, name)
    if seconds < 1 or not float(seconds).is_integer():
        raise ParameterError(f"{name} {text!r} must be a whole number of seconds, at least 1")
    if seconds > MAX_DURATION.total_seconds():
        raise ParameterError(f"{name} {text!r} is too long: at most {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def _duration_seconds(text: str, name: str) -> float:
    match = _DURATION.match(str(text))
    if match is None:
        raise ParameterError(f"{name} {text!r} is not a duration: write e.g. 30s, 5min, 1h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_at(value: str | datetime | None) -> datetime | None:
    """Parse ``--at`` (ISO 8601; no zone means UTC); None stays None.

    >>> parse_at("2016-12-01T10:00").isoformat()
    '2016-12-01T10:00:00+00:00'
    """
    if value is None or value == "":
        return None
    return parse_bound(value, "--at")


@dataclass(frozen=True, slots=True)
class Buckets:
    """A bucket grid: ``width`` long, counted from ``origin`` (see the module docstring)."""

    width: timedelta
    origin: datetime = _EPOCH

    @property
    def width_s(self) -> int:
        return int(self.width.total_seconds())

    @property
    def origin_s(self) -> int:
        return int((self.origin - _EPOCH).total_seconds())

    def index_of(self, moment: datetime) -> int:
        """The bucket that holds ``moment``."""
        return int((moment - self.origin).total_seconds() // self.width_s)

    def position_of(self, moment: datetime) -> float:
        """Where ``moment`` falls on the grid, in buckets: its bucket and the elapsed fraction.

        >>> hours = Buckets(timedelta(hours=1), origin=datetime(2025, 1, 1, tzinfo=UTC))
        >>> hours.position_of(datetime(2025, 1, 1, 10, 47, tzinfo=UTC))  # 10 h 47 min
        10.783333333333333
        """
        return (moment - self.origin).total_seconds() / self.width_s

    def start_of(self, index) -> pd.Series | datetime:
        """Start time(s) of bucket index(es); vectorised over a pandas Series."""
        if isinstance(index, pd.Series):
            seconds = index.astype("int64") * self.width_s + self.origin_s
            return pd.to_datetime(seconds, unit="s", utc=True)
        return self.origin + int(index) * self.width

    def of(self, timestamp: ibis.Value) -> ibis.Value:
        """Ibis expression: the bucket index of a timestamp column."""
        seconds = timestamp.epoch_seconds().cast("int64")
        return (seconds - self.origin_s) // self.width_s


def hashtag_rows(store, hashtags=None) -> ibis.Table:
    """One row per (collected dated post, distinct hashtag it carries).

    Columns: author_id, kind, created_at, hashtag. ``hashtags`` (normalised, without ``#``)
    restricts the rows to those hashtags. A hashtag repeated within a post counts once
    (:func:`_distinct_tag_rows`).
    """
    posts = store.posts()
    posts = posts.filter(posts.hashtags.length() > 0, posts.created_at.notnull())
    rows = _distinct_tag_rows(posts)
    if hashtags is not None:
        rows = rows.filter(rows.hashtag.isin(list(hashtags)))
    return rows


def _distinct_tag_rows(posts: ibis.Table) -> ibis.Table:
    """author_id, kind, created_at and each distinct hashtag of the post, a row each.

    The spelling differs by engine, the rows do not. On DuckDB two unnests in one select
    run in step, so the row is kept only at the tag's first position in the list: cheaper
    than ``list_distinct``, which Ibis 12 writes with a lambda syntax DuckDB 2 rejects. Spark
    crosses two generators in one select instead of zipping them (a tag written twice then
    counted twice: #brussels in the IRA archive's busiest hour, 1,419 posts against 1,359),
    so there the list is made distinct first (``array_distinct``).
    """
    if posts.get_backend().name == "pyspark":
        return posts.select(
            "author_id", "kind", "created_at", hashtag=posts.hashtags.unique().unnest()
        )
    rows = posts.select(
        "author_id",
        "kind",
        "created_at",
        tags=posts.hashtags,
        hashtag=posts.hashtags.unnest(),
        position=ibis.range(posts.hashtags.length()).unnest(),
    )
    rows = rows.filter(rows.tags.index(rows.hashtag) == rows.position)
    return rows.drop("tags", "position")


def hashtag_series(
    store, buckets: Buckets, *, hashtags=None, before=None, since=None
) -> pd.DataFrame:
    """Per (hashtag, bucket) with posts: ``posts``, ``accounts``, ``originals``, ``reposts``.

    Columns: hashtag, bucket (index), posts, accounts (distinct authors), originals (kind
    ``post``), reposts, start (UTC), sorted by hashtag then bucket. Buckets without posts are
    absent. ``before`` keeps only posts before that time, ``since`` only those at or after it
    (the watcher reads the last day only).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> hashtag_series(Store(":memory:"), Buckets(timedelta(hours=1))).columns.tolist()
    ['hashtag', 'bucket', 'posts', 'accounts', 'originals', 'reposts', 'start']
    """
    rows = hashtag_rows(store, hashtags)
    if before is not None:
        rows = rows.filter(rows.created_at < before)
    if since is not None:
        rows = rows.filter(rows.created_at >= since)
    rows = rows.mutate(bucket=buckets.of(rows.created_at))
    # Two steps (per account, then per bucket) beat one COUNT(DISTINCT author_id) in DuckDB.
    per_account = rows.group_by(["hashtag", "bucket", "author_id"]).aggregate(
        n=rows.count(),
        originals=(rows.kind == "post").sum(),
        reposts=(rows.kind == "repost").sum(),
    )
    grouped = per_account.group_by(["hashtag", "bucket"]).aggregate(
        posts=per_account.n.sum(),
        accounts=per_account.count(),
        originals=per_account.originals.sum(),
        reposts=per_account.reposts.sum(),
    )
    frame = grouped.order_by(["hashtag", "bucket"]).to_pandas()
    counts = ["posts", "accounts", "originals", "reposts"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["start"] = buckets.start_of(frame["bucket"])
    return frame


def bucket_totals(store, buckets: Buckets, *, before=None) -> pd.DataFrame:
    """All collected posts per bucket (with or without hashtags): columns bucket, posts."""
    posts = store.posts()
    posts = posts.filter(posts.created_at.notnull())
    if before is not None:
        posts = posts.filter(posts.created_at < before)
    posts = posts.mutate(bucket=buckets.of(posts.created_at))
    totals = posts.group_by("bucket").aggregate(posts=posts.count()).order_by("bucket")
    return totals.to_pandas().astype({"bucket": "int64", "posts": "int64"})


def history_start(store, buckets: Buckets) -> float | None:
    """Where the store's known history begins, in buckets of ``buckets``: the position of its
    first collected post (None when no collected post is dated).

    Its bucket is seldom whole: a watch started at 10:47 knows 13 minutes of the
    10:00-11:00 bucket, 13/60 of a bucket (:func:`~trendwatch.analysis.scores.expected_posts`
    counts history from there). The first post's time is used because the store records no
    other start in stream time: ``watch_cursors.updated_at`` and ``ingested_at`` are wall-clock
    times (a replay or an archive ingested today has them today), and an archive has no start
    but its first post. A stray post dated well before the others (a Bluesky client can
    backdate ``createdAt``) moves the start back, and every bucket within ``history`` of it
    is then read as having a longer quiet history than was collected.

    >>> from trendwatch.store import Store
    >>> history_start(Store(":memory:"), Buckets(timedelta(hours=1))) is None
    True
    """
    first = store.posts().created_at.min().execute()
    if first is None or pd.isna(first):
        return None
    return buckets.position_of(pd.Timestamp(first).to_pydatetime())
