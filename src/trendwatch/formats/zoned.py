"""Input times without an offset: counted per file, and read in the ``--assume-tz`` zone.

Readers parse such a time as UTC in the zone :data:`~trendwatch.times.UNSTATED` (see
:func:`~trendwatch.times.read_input_time`). Here, on their way to the store, the records
whose own time named no offset are counted (:class:`~.items.NaiveTimes` items), and every
such time (of a post, a context post or an account) is read in the assumed zone instead of
UTC. Times with an offset are never changed. Tables read in DuckDB do the same in SQL
(:mod:`.tabular`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from ..model import ACCOUNT_SCHEMA, POST_SCHEMA, Account, Post
from ..times import UNSTATED, assumed
from .items import NaiveTimes

__all__ = ["zoned_items", "zoned_rows", "COUNT_EVERY"]

COUNT_EVERY = 1_000
"""Naive records counted before their count is handed on (one item, not one per record)."""

_CREATED = POST_SCHEMA.names.index("created_at")
_COLLECTED = POST_SCHEMA.names.index("collected")
_ACCOUNT_TIMES = tuple(ACCOUNT_SCHEMA.names.index(n) for n in ("created_at", "observed_at"))


def _unstated(moment: datetime | None) -> bool:
    return moment is not None and moment.tzinfo is UNSTATED


def zoned_items(items: Iterator, tz: tzinfo) -> Iterator:
    """``items`` with their :class:`~trendwatch.model.Post` and
    :class:`~trendwatch.model.Account` times read in ``tz`` when they named no offset, and
    :class:`~.items.NaiveTimes` items counting the collected posts whose time did.

    The count of the records read before an error is handed on before the error is raised.

    >>> from trendwatch.times import read_input_time, zone
    >>> post = Post("x", "1", "u", read_input_time("2025-01-15 12:00"))
    >>> [getattr(i, "count", None) or i.created_at.isoformat()
    ...  for i in zoned_items(iter([post]), zone("Europe/Paris"))]
    ['2025-01-15T11:00:00+00:00', 1]
    """
    pending = 0
    try:
        for item in items:
            kind = type(item)
            if kind is Post and _unstated(item.created_at):
                pending += item.collected
                item = _zoned_post(item, tz)
            elif kind is Account and tz is not UTC:
                item = _zoned_account(item, tz)
            yield item
            if pending >= COUNT_EVERY:
                yield NaiveTimes(pending)
                pending = 0
    except Exception:
        if pending:
            yield NaiveTimes(pending)
        raise
    if pending:
        yield NaiveTimes(pending)


def _zoned_post(post: Post, tz: tzinfo) -> Post:
    if tz is UTC:
        return post
    return dataclasses.replace(post, created_at=assumed(post.created_at, tz))


def _zoned_account(account: Account, tz: tzinfo) -> Account:
    if not (_unstated(account.created_at) or _unstated(account.observed_at)):
        return account
    return dataclasses.replace(
        account,
        created_at=assumed(account.created_at, tz),
        observed_at=assumed(account.observed_at, tz),
    )


def zoned_rows(posts: list[tuple], accounts: list[tuple], tz: tzinfo) -> int:
    """Read the times without an offset of post and account rows (tuples in
    :data:`~trendwatch.model.POST_SCHEMA` / :data:`~trendwatch.model.ACCOUNT_SCHEMA` order)
    in ``tz``, in place; the number of collected posts whose time named no offset.

    >>> from trendwatch.times import read_input_time, zone
    >>> row = [None] * len(POST_SCHEMA)
    >>> row[_CREATED], row[_COLLECTED] = read_input_time("2025-07-14 12:00"), True
    >>> posts = [tuple(row)]
    >>> zoned_rows(posts, [], zone("Europe/Paris")), posts[0][_CREATED].isoformat()
    (1, '2025-07-14T10:00:00+00:00')
    """
    at = _CREATED  # the hot path: no call per row
    naive = [i for i, row in enumerate(posts) if row[at] is not None and row[at].tzinfo is UNSTATED]
    if tz is not UTC:
        for i in naive:
            row = posts[i]
            posts[i] = (*row[:_CREATED], assumed(row[_CREATED], tz), *row[_CREATED + 1 :])
        _zone_accounts(accounts, tz)
    return sum(1 for i in naive if posts[i][_COLLECTED])


def _zone_accounts(accounts: list[tuple], tz: tzinfo) -> None:
    for i, row in enumerate(accounts):
        if any(_unstated(row[k]) for k in _ACCOUNT_TIMES):
            fields = list(row)
            for k in _ACCOUNT_TIMES:
                fields[k] = assumed(fields[k], tz)
            accounts[i] = tuple(fields)
