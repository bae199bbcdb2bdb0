"""The watcher: live sources into the store, and a check hook on the stream's clock.

One asyncio loop runs every source (:func:`.sources.run_source`: reconnects, gaps) and one
consumer that gathers their records into :class:`~trendwatch.ingest.RecordBatch` batches,
one per source, the batches ``ingest`` writes: the same dedup by primary key, the same
quarantine with a reason. A write runs in a worker thread while the consumer fills the next
batches; the write after it waits for it, and meanwhile the sources' queue fills and then
holds the sources back (backpressure down to TCP) instead of growing memory.

How the store is shared (see the README, "Analysing while collecting"): the watcher writes
at every check of stream time and at least once per ``flush_every`` seconds of wall time,
and between writes keeps the store open only while no other process waits for it (a
waiting process leaves a mark, :func:`trendwatch.storelock.others_waiting`); it closes it
before each check hook. While another process holds the store, the watcher waits for the
lock and keeps receiving.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from ..collector import cycle_collection_paused
from ..errors import AccessRefusedError, ParameterError, StoreError
from ..ingest import RecordBatch
from ..store import Store
from ..storelock import others_waiting, writer_waiting
from . import jetstream, mastodon
from .sources import RECONNECT_ERRORS, Backoff, Received, Source, run_source, utc_now
from .state import Gap, load_cursor, record_gaps, save_cursors

__all__ = ["watch", "WatchReport", "CheckHook", "check_times", "QUEUE_EVENTS", "MAX_CLOCK_SKEW"]

log = logging.getLogger(__name__)

CheckHook = Callable[[datetime], None]
"""``on_check(stream_time)``: see :func:`watch`."""
QUEUE_EVENTS = 20_000
"""Events waiting between the sources and the consumer; beyond it sources wait (about a
second of the benchmark's 20,000 events/s, a minute of the network's rate)."""
MAX_CLOCK_SKEW = timedelta(minutes=5)
"""An event dated further ahead of the wall clock than this (a client's wrong clock on
Mastodon) does not move the stream's clock."""
_RECONNECT_ERRORS = RECONNECT_ERRORS + jetstream.ERRORS + mastodon.ERRORS


@dataclass
class WatchReport:
    """What a watch did. Counts as ``ingest`` gives them: ``read = added + duplicates +
    skipped + quarantined`` over the records written; ``checks`` the stream times
    ``on_check`` was called with; ``writes`` the store writes."""

    read: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    naive_times: int = 0  # records whose time named no offset, read as UTC
    gaps: list[Gap] = field(default_factory=list)
    checks: list[datetime] = field(default_factory=list)
    writes: int = 0
    stream_time: datetime | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["gaps"] = [{**asdict(g), "seconds": g.seconds} for g in self.gaps]
        return data


def check_times(after: datetime, until: datetime, every: float) -> list[datetime]:
    """The check times in ``(after, until]``: multiples of ``every`` seconds since the epoch.

    >>> t = datetime(2026, 1, 1, 0, 2, 30, tzinfo=UTC)
    >>> [c.strftime("%H:%M") for c in check_times(t, t + timedelta(minutes=2), 60)]
    ['00:03', '00:04']
    """
    first = math.floor(after.timestamp() / every) + 1
    last = math.floor(until.timestamp() / every)
    return [datetime.fromtimestamp(n * every, UTC) for n in range(first, last + 1)]


def watch(
    db,
    sources: Sequence[Source],
    *,
    check_every: float = 60.0,
    on_check: CheckHook | None = None,
    stop_after: float | None = None,
    flush_every: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    backoff: Callable[[], Backoff] = Backoff,
) -> WatchReport:
    """Collect from live sources into the store until stopped, calling a hook on the stream's clock.

    Parameters
    ----------
    db : path
        The store (created if needed); shared with other processes as the module says.
    sources : sequence of Source
        :class:`~.jetstream.Jetstream`, :class:`~.mastodon.MastodonStream`,
        :class:`~.stdin.StdinSource` (any mix; each resumes from its stored cursor).
    check_every : float
        Seconds of *stream time* between checks (default 60).
    on_check : callable, optional
        ``on_check(stream_time)``, the seam for rolling detection. The contract: it is called
        once for every multiple of ``check_every`` seconds since the Unix epoch that the
        stream's clock (the latest event time seen: Jetstream's ``time_us``, a status's or
        post's ``created_at``) passes, in order, with that multiple as a UTC datetime; when it
        is called, every event received before the first event at or after that time is
        committed to the store, and the watcher has closed the store (``on_check`` may open
        it, to read or to record a run). The same events give the same calls whatever the
        speed they arrive at. Sources keep being received during the call; the next write
        waits for it to return. An exception from it stops the watch and is raised.
    stop_after : float, optional
        Stop after this many seconds of wall time (``--for``). SIGINT and SIGTERM also stop
        the watch cleanly: everything received is written before it returns.
    flush_every : float, optional
        Write at least this often in wall-clock seconds (default ``check_every``), so readers
        see data at most that old even while the stream's clock stalls.
    clock, backoff
        Seams for tests: the wall clock (monotonic seconds) and the reconnect backoff.

    Returns
    -------
    WatchReport
        The counts written, gaps, checks and writes.

    Raises
    ------
    AccessRefusedError
        A source's server refused the access (a Mastodon instance answering 401 or 403):
        the watch stops, after writing what every source delivered. Other failures of a
        connection are retried with backoff.

    Examples
    --------
    >>> import os, tempfile
    >>> from trendwatch.watch import StdinSource
    >>> lines = os.path.join(tempfile.mkdtemp(), "stream.jsonl")
    >>> with open(lines, "w") as f:
    ...     _ = f.write('{"did": "did:plc:a", "time_us": 1732096800000000, "kind": "commit", '
    ...                 '"commit": {"operation": "create", "collection": "app.bsky.feed.post", '
    ...                 '"rkey": "1", "record": {"text": "#hi", '
    ...                 '"createdAt": "2024-11-20T10:00:00Z"}}}\\n')
    >>> report = watch(lines + ".duckdb", [StdinSource(name=lines)])
    >>> report.read, report.added
    (1, 1)
    """
    if not check_every > 0:
        raise ParameterError(f"check_every must be a positive number of seconds, not {check_every}")
    watcher = _Watcher(str(db), list(sources), check_every, on_check, flush_every or check_every,
                       clock, backoff)  # fmt: skip
    return _run_to_completion(lambda: watcher.run(stop_after))


def _run_to_completion(coroutine: Callable[[], Awaitable[WatchReport]]) -> WatchReport:
    """``asyncio.run``, or, where this thread already runs an event loop (Jupyter, a sync
    Playwright session), the same in a thread of its own (signals then stay as they are)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["report"] = asyncio.run(coroutine())
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="trendwatch-watch")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["report"]


class _Watcher:
    def __init__(self, db, sources, check_every, on_check, flush_every, clock, backoff) -> None:
        self.db, self.sources, self.check_every = db, sources, check_every
        self.on_check, self.flush_every, self.clock, self.backoff = (
            on_check,
            flush_every,
            clock,
            backoff,
        )
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ParameterError(f"the same source is given twice: {', '.join(names)}")
        self.report = WatchReport()
        self.pending = self._empty_batches()
        self.cursors: dict[str, str] = {}
        self.gaps: list[Gap] = []
        self.last_write = clock()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_EVENTS)
        self.stop = asyncio.Event()
        self.store: Store | None = None  # held between writes while no one else waits for it
        self.next_check = datetime.min.replace(tzinfo=UTC)  # set by the first event
        self.latest_believable = utc_now() + MAX_CLOCK_SKEW
        self.writing: asyncio.Future | None = None

    def _empty_batches(self) -> dict[str, RecordBatch]:
        return {s.name: RecordBatch() for s in self.sources}

    async def run(self, stop_after: float | None) -> WatchReport:
        cursors = await asyncio.to_thread(self._start)
        deadline = None if stop_after is None else self.clock() + stop_after
        tasks = [
            asyncio.create_task(self._run_source(s, cursors.get(s.name))) for s in self.sources
        ]
        try:
            with _stopping_on_signals(self.stop), _collecting_after_writes():
                try:
                    await self._consume(tasks, deadline)
                finally:
                    self.stop.set()
                    await _finish(tasks)
                self._drain()
                await self._flush()
                await self._written()
        finally:
            await asyncio.to_thread(self._release)
        _raise_failure(tasks)
        return self.report

    async def _run_source(self, source: Source, cursor: str | None) -> None:
        try:
            await run_source(source, cursor, self.queue, self.stop, backoff=self.backoff(),
                             errors=_RECONNECT_ERRORS)  # fmt: skip
        except AccessRefusedError:
            self.stop.set()  # no reconnect can succeed: stop (what arrived is written)
            raise

    def _start(self) -> dict[str, str]:
        """Create the tables, read the cursors, and record the gap since the last run of each
        source that cannot replay it."""
        with Store(self.db) as store:
            cursors = {}
            for source in self.sources:
                stored = load_cursor(store, source.name)
                if stored is None:
                    continue
                cursors[source.name] = stored[0]
                if not source.resumes:
                    self.gaps.append(Gap(source.name, stored[1], utc_now(), _NOT_RUNNING))
        return cursors

    async def _consume(self, tasks: list[asyncio.Task], deadline: float | None) -> None:
        while not self.stop.is_set():
            taken = 0
            self.latest_believable = utc_now() + MAX_CLOCK_SKEW
            if self.queue.empty():
                try:
                    await self._take(
                        await asyncio.wait_for(self.queue.get(), self._wait_time(deadline))
                    )
                    taken = 1
                except TimeoutError:
                    pass
            while not self.queue.empty() and taken < _EVENTS_PER_TURN:
                await self._take(self.queue.get_nowait())
                taken += 1
            if not taken and all(t.done() for t in tasks):
                return  # every source ended (standard input) or failed
            if deadline is not None and self.clock() >= deadline:
                return
            if self.clock() - self.last_write >= self.flush_every:
                await self._flush()

    def _wait_time(self, deadline: float | None) -> float:
        now = self.clock()
        until = self.last_write + self.flush_every
        if deadline is not None:
            until = min(until, deadline)
        return max(0.01, min(until - now, 1.0))

    async def _take(self, event: Received | Gap) -> None:
        if isinstance(event, Gap):
            self.gaps.append(event)
            return
        time_ = event.time  # the stream's clock: compared cheaply, moved on at check times
        if time_ is not None and time_ <= self.latest_believable:
            if time_ >= self.next_check:
                await self._advance_clock(time_)
            elif time_ > self.report.stream_time:
                self.report.stream_time = time_
        batch = self.pending[event.source]
        for item in event.items:
            batch.add(item)
        if event.cursor is not None:
            self.cursors[event.source] = event.cursor
        if batch.full:
            await self._flush()

    def _start_clock(self, time_: datetime) -> None:
        """The first event: checks start at the first multiple of ``check_every`` after it."""
        self.report.stream_time = time_
        self.next_check = check_times(time_, time_ + timedelta(seconds=self.check_every),
                                      self.check_every)[0]  # fmt: skip

    async def _advance_clock(self, time_: datetime) -> None:
        """An event at or after the next check time: the checks it passes."""
        if self.report.stream_time is None:
            self._start_clock(time_)
            return
        due = check_times(self.report.stream_time, time_, self.check_every)
        self.report.stream_time = time_
        self.next_check = due[-1] + timedelta(seconds=self.check_every)
        await self._flush()
        await self._check(due)

    async def _flush(self) -> None:
        """Start writing what is pending (after the previous write): the consumer goes on
        taking events meanwhile, into new batches."""
        await self._written()
        batches, self.pending = self.pending, self._empty_batches()
        cursors, self.cursors = self.cursors, {}
        gaps, self.gaps = self.gaps, []
        self.last_write = self.clock()
        if any(b.records for b in batches.values()) or cursors or gaps:
            self.writing = asyncio.ensure_future(
                asyncio.to_thread(self._write, batches, cursors, gaps)
            )

    async def _written(self) -> None:
        if self.writing is not None:
            writing, self.writing = self.writing, None
            await writing

    async def _check(self, due: Sequence[datetime]) -> None:
        """Call the hook for each check time, once everything before it is committed and the
        store is closed (the hook may open it)."""
        await self._written()
        if self.on_check is not None:
            await asyncio.to_thread(self._release)
        for check in due:
            if self.on_check is not None:
                await asyncio.to_thread(self.on_check, check)
            self.report.checks.append(check)

    def _write(self, batches: dict[str, RecordBatch], cursors: dict, gaps: list[Gap]) -> None:
        """One write: each source's batch (a transaction each), then the cursors and gaps.

        The cursors come after the records they point past: a watcher killed in between
        resumes from older cursors and counts what it reads again as duplicates. The store
        stays open for the next write unless another process waits for it.
        """
        store = self.store = self.store or _open_for_writing(self.db)
        for name, batch in batches.items():
            if batch.records:
                batch.count_into(self.report, batch.write(store, name))
        save_cursors(store, cursors)
        record_gaps(store, gaps)
        self.report.gaps += gaps
        self.report.writes += 1
        if others_waiting(self.db):
            self._release()
        del batches
        gc.collect()  # see _collecting_after_writes

    def _release(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()

    def _drain(self) -> None:
        """Take what the sources delivered before they stopped (no checks: the watch ends)."""
        while not self.queue.empty():
            event = self.queue.get_nowait()
            if isinstance(event, Gap):
                self.gaps.append(event)
                continue
            for item in event.items:
                self.pending[event.source].add(item)
            if event.cursor is not None:
                self.cursors[event.source] = event.cursor


_NOT_RUNNING = "the watcher was not running"
_EVENTS_PER_TURN = 2_000  # events taken before the consumer looks at the clock again


def _open_for_writing(db: str) -> Store:
    """The store, opened for writing as soon as no reader holds it (the watcher never gives
    up: what it received stays in memory until it is written)."""
    with writer_waiting(db):
        while True:
            try:
                return Store(db, lock_wait=60)
            except StoreError as exc:
                if "holds it" not in str(exc):
                    raise
                log.warning("still waiting to write: %s", exc)


@contextlib.contextmanager
def _collecting_after_writes():
    """Python's cyclic collector off, except once after each write.

    Parsed events hold no reference cycles, but their objects keep triggering the collector
    (see :mod:`trendwatch.collector`): it took more time than the parsing (orjson read a
    post event in 63 µs with it, 7 µs without). What is alive when the watch starts (the
    modules) is frozen out of the collections, so the collection after each write, which
    frees whatever cycles the sockets made, scans little.
    """
    with cycle_collection_paused():
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()


@contextlib.contextmanager
def _stopping_on_signals(stop: asyncio.Event):
    """SIGINT and SIGTERM set ``stop`` (in the main thread; elsewhere signals stay as they are)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _finish(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        if not task.done():
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _raise_failure(tasks: list[asyncio.Task]) -> None:
    """A source that failed for a reason other than its connection (a bug, a bad parameter)."""
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
