"""What every live source gives the watcher, and the reconnect loop they share.

A source (:mod:`.jetstream`, :mod:`.mastodon`, :mod:`.stdin`) turns what it receives into
:class:`Received` events: the format module's items for one record (posts, accounts,
skipped or quarantined records, exactly as ``ingest`` gets them), the event's time on the
network's clock, and the cursor to resume from after it. :func:`run_source` keeps a source
connected: on any failure it waits (exponential backoff with full jitter, :class:`Backoff`),
connects again from the last cursor, and reports the outage as a :class:`~.state.Gap`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ..formats.items import Item
from .state import Gap

__all__ = ["Received", "Source", "Backoff", "run_source", "utc_now"]


@dataclass(frozen=True, slots=True)
class Received:
    """One record from a source: its items, its time on the network's clock (None when the
    record has none, e.g. a malformed frame), and the cursor to resume from after it."""

    source: str
    items: list[Item]
    time: datetime | None = None
    cursor: str | None = None


class Source(Protocol):
    """A live source. ``name`` keys its cursor and gaps; ``resumes`` says whether connecting
    from a cursor replays what was missed (Jetstream) or not (Mastodon); ``finite`` sources
    (standard input) end the watch when they end instead of reconnecting."""

    name: str
    resumes: bool
    finite: bool

    def events(self, cursor: str | None) -> AsyncIterator[Received]:
        """Connect (from ``cursor`` when given) and yield what arrives until the stream ends."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Backoff:
    """Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base·2ⁿ)].

    Full jitter spreads the reconnects of many clients dropped at once (a server restart), as
    AWS's analysis of backoff strategies recommends; ``reset`` after a connection delivered.

    Examples
    --------
    >>> backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
    >>> [round(backoff.next_delay(), 2) for _ in range(5)]
    [0.13, 1.69, 3.06, 2.04, 3.96]
    """

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.attempt = 0


RECONNECT_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, asyncio.TimeoutError)
"""Errors that mean "connect again"; each source module adds its library's own."""


async def run_source(
    source: Source,
    cursor: str | None,
    queue: asyncio.Queue,
    stop: asyncio.Event,
    *,
    backoff: Backoff | None = None,
    errors: tuple[type[BaseException], ...] = RECONNECT_ERRORS,
    now: Callable[[], datetime] = utc_now,
) -> None:
    """Put ``source``'s events in ``queue`` until ``stop`` is set (or a finite source ends).

    Each outage is delivered as a :class:`~.state.Gap` from the moment the stream broke to the
    first event after it, with the reason; a source that ``resumes`` says it resumed from its
    cursor (the events of the outage are then replayed, not lost).
    """
    backoff = backoff or Backoff()
    broke_at: datetime | None = None
    reason = ""
    while not stop.is_set():
        try:
            async for received in source.events(cursor):
                if broke_at is not None:
                    await queue.put(_gap(source, broke_at, now(), reason, cursor))
                    broke_at = None
                    backoff.reset()
                cursor = received.cursor or cursor
                if queue.full():
                    await queue.put(received)  # backpressure: wait for the consumer
                else:
                    queue.put_nowait(received)
            if source.finite:
                return
            reason = "the server ended the stream"
        except errors as exc:
            reason = _describe(exc)
        broke_at = broke_at or now()
        await _sleep_unless_stopped(backoff.next_delay(), stop)


def _gap(source: Source, start: datetime, end: datetime, reason: str, cursor) -> Gap:
    if source.resumes and cursor is not None:
        reason += "; resumed from the cursor, so the events of the gap were replayed"
    return Gap(source.name, start, end, reason)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
