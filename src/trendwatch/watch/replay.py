"""Replay an archive through a store in stream order, checking as a live watcher would.

"When would we have been alerted?": :func:`replay` writes a source store's posts into another
store in the order of their ``created_at`` and calls the checker at every multiple of
``check_every`` seconds of stream time (counted from the Unix epoch, so the ticks do not depend
on where the replay starts), once every post created before the tick is written: the contract
the live watcher keeps. ``speed`` paces it against the wall clock (3600: an hour of stream a
second); by default it runs as fast as it can. Neither the pace nor the batch size changes
the alerts: a check reads only posts created before its tick.

Posts before ``since`` are written first, unchecked (the history the scores need), unless
``history`` is False: then the store starts empty at ``since``, as a watcher started then on
a new store would; the replay stops at ``until``. The source's accounts are written first, as
a watcher learns an author with their first post. Posts without a time (context posts some
formats name but do not date) have no place in the stream and are not replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import NoDataError, ParameterError
from ..model import ACCOUNT_SCHEMA, POST_SCHEMA

__all__ = ["ReplayReport", "replay", "ticks_between"]

_POSTS_SQL = (
    "SELECT {columns} FROM posts WHERE created_at >= ? AND created_at < ? "
    "ORDER BY created_at, platform, post_id"
)


@dataclass
class ReplayReport:
    """What a replay did: posts written, checks run and the alerts they raised."""

    posts: int = 0
    checks: int = 0
    alerts: list = field(default_factory=list)
    first_tick: datetime | None = None
    last_tick: datetime | None = None


def ticks_between(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """The check times after ``start`` up to and including the first at or after ``end``.

    >>> t = datetime(2025, 1, 1, 0, 0, 30, tzinfo=UTC)
    >>> [x.strftime("%H:%M:%S") for x in ticks_between(t, t + timedelta(seconds=70),
    ...                                                  timedelta(seconds=60))]
    ['00:01:00', '00:02:00']
    """
    step = int(every.total_seconds())
    if step < 1:
        raise ParameterError(f"check_every must be at least one second, got {every}")
    first = (int(start.timestamp()) // step + 1) * step
    last = -(-int(end.timestamp()) // step) * step
    return [datetime.fromtimestamp(s, UTC) for s in range(first, max(last, first) + 1, step)]


def replay(
    source,
    store,
    checker: Callable[[datetime], list],
    *,
    check_every: timedelta = timedelta(seconds=60),
    since: datetime | None = None,
    until: datetime | None = None,
    batch_posts: int = 10_000,
    speed: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    history: bool = True,
) -> ReplayReport:
    """Write ``source``'s posts into ``store`` in stream order, calling ``checker`` at each tick.

    Parameters
    ----------
    source : Store
        The archive, as a store (read-only is enough).
    store : Store
        The store the checker reads (the watcher's).
    checker : callable
        Called with each tick's stream time; returns the alerts raised.
    check_every : timedelta
        Stream time between checks.
    since, until : datetime, optional
        Check from / stop at these stream times (default: the first and last post).
    batch_posts : int
        Posts read and written at once (between ticks, a batch is cut at each tick).
    speed : float, optional
        Stream seconds per wall-clock second; None: as fast as possible.
    sleep : callable
        How to wait (a test passes a fake).
    history : bool
        Write the posts before ``since`` first (False: start from an empty store at
        ``since``, as a new watcher would).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> replay(Store(":memory:"), Store(":memory:"), lambda t: [])
    Traceback (most recent call last):
    trendwatch.errors.NoDataError: the source store holds no dated posts to replay
    """
    if batch_posts < 1 or (speed is not None and speed <= 0):
        raise ParameterError("batch_posts must be at least 1 and speed positive")
    first, last = _time_range(source)
    since = max(since or first, first)
    until = min(until or last + timedelta(seconds=1), last + timedelta(seconds=1))
    _copy_accounts(source, store)
    written = _copy_posts(source, store, first, since, batch_posts) if history else 0
    report = ReplayReport(posts=written)
    ticks = ticks_between(since, until, check_every)
    pace = _Pacer(since, speed, sleep)
    for batch in _batches(source, since, until, batch_posts):
        report.posts += _write_until_ticks(store, batch, ticks, checker, pace, report)
    while ticks:
        _check(ticks.pop(0), checker, pace, report)
    return report


def _time_range(source) -> tuple[datetime, datetime]:
    [(first, last)] = source.con.execute(
        "SELECT min(created_at), max(created_at) FROM posts WHERE created_at IS NOT NULL"
    ).fetchall()
    if first is None:
        raise NoDataError("the source store holds no dated posts to replay")
    return first.astimezone(UTC), last.astimezone(UTC)


def _copy_accounts(source, store) -> None:
    sql = f"SELECT {', '.join(ACCOUNT_SCHEMA.names)} FROM accounts"
    table = source.con.sql(sql).to_arrow_table()
    if table.num_rows:
        store.write_batch(accounts=table.cast(ACCOUNT_SCHEMA))


def _batches(source, since: datetime, until: datetime, size: int):
    sql = _POSTS_SQL.format(columns=", ".join(POST_SCHEMA.names))
    reader = source.cursor().con.sql(sql, params=[since, until]).to_arrow_reader(size)
    for batch in reader:
        yield pa.Table.from_batches([batch]).cast(POST_SCHEMA)


def _copy_posts(source, store, first: datetime, since: datetime, size: int) -> int:
    """Write the history before ``since`` (unchecked); return the posts written."""
    written = 0
    if since > first:
        for batch in _batches(source, first, since, size):
            store.write_batch(posts=batch)
            written += batch.num_rows
    return written


def _write_until_ticks(store, batch: pa.Table, ticks, checker, pace, report) -> int:
    """Write ``batch``, cut at each tick it passes; check at each such tick."""
    times = batch["created_at"]
    start = 0
    while ticks and start < batch.num_rows:
        before = pc.sum(pc.less(times.slice(start), pa.scalar(ticks[0], times.type))).as_py()
        if start + before == batch.num_rows:
            break
        store.write_batch(posts=batch.slice(start, before))
        start += before
        _check(ticks.pop(0), checker, pace, report)
    if start < batch.num_rows:
        store.write_batch(posts=batch.slice(start))
    return batch.num_rows


def _check(tick: datetime, checker, pace, report: ReplayReport) -> None:
    pace.wait_for(tick)
    report.alerts.extend(checker(tick))
    report.checks += 1
    report.first_tick = report.first_tick or tick
    report.last_tick = tick


class _Pacer:
    """Waits so that stream time runs ``speed`` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float | None, sleep):
        self.start, self.speed, self.sleep = start, speed, sleep
        self.wall = time.monotonic()

    def wait_for(self, moment: datetime) -> None:
        if self.speed is None:
            return
        due = self.wall + (moment - self.start).total_seconds() / self.speed
        ahead = due - time.monotonic()
        if ahead > 0:
            self.sleep(ahead)
