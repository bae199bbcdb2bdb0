"""Standard input as a live source: lines in any format ``ingest`` reads.

For X (``twarc2 stream | trendwatch watch --source stdin``) and anything else that can write
records to a pipe. The format is detected from the first 64 KiB, as ``ingest -`` does (so the
first records reach the watcher once that much has arrived, or the input ends), then the
format's reader runs in a thread and its items become :class:`~.sources.Received` events:
one per record, with the accounts and context posts that came before it. A post's
``created_at`` is its time on the stream's clock. The source ends with its input.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable, Iterator

from ..formats import InputFile, PostTable, Quarantined, ReadOptions, Skipped, get_format
from ..formats.stream import open_input
from ..formats.zoned import zoned_items
from ..ingest import detect_input_format
from ..model import Post
from .sources import Received

__all__ = ["StdinSource", "received_events"]

_END = object()


class StdinSource:
    """Records from standard input (or any opened :class:`~trendwatch.formats.InputFile`).

    ``format`` forces a format instead of detecting it.
    """

    resumes = False
    finite = True

    def __init__(self, *, format: str | None = None, name: str = "-", opener=open_input) -> None:
        self.format, self.input_name, self.opener = format, name, opener
        self.name = "stdin" if name == "-" else f"lines {name}"

    async def events(self, cursor: str | None) -> AsyncIterator[Received]:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        loop = asyncio.get_running_loop()
        thread = threading.Thread(
            target=self._read, args=(loop, queue), name="trendwatch-stdin", daemon=True
        )
        thread.start()
        while (event := await queue.get()) is not _END:
            if isinstance(event, BaseException):
                raise event
            yield event

    def _read(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        def put(event) -> None:
            asyncio.run_coroutine_threadsafe(queue.put(event), loop).result()

        try:
            source = self.opener(self.input_name)
            try:
                for event in received_events(self.name, _items(source, self.format)):
                    put(event)
            finally:
                source.close()
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - raised in the watcher's loop
            put(exc)


def _items(source: InputFile, format: str | None) -> Iterator:
    options = ReadOptions()
    reader = get_format(format or detect_input_format(source, options))
    # Counted like ingest's (WatchReport.naive_times), read as UTC.
    return zoned_items(reader.read(source, options), options.assumed_zone)


def received_events(name: str, items: Iterable) -> Iterator[Received]:
    """Group a reader's items into one event per record (a row of a table is a record).

    >>> from trendwatch.formats import Skipped
    >>> [len(e.items) for e in received_events("stdin", [Skipped(1, "delete")])]
    [1]
    """
    pending: list = []
    for item in items:
        pending.append(item)
        if isinstance(item, Post) and item.collected:
            yield Received(name, pending, item.created_at)
        elif isinstance(item, PostTable | Skipped | Quarantined):
            yield Received(name, pending, _table_time(item))
        else:
            continue
        pending = []
    if pending:
        yield Received(name, pending)


def _table_time(item) -> object:
    if isinstance(item, PostTable) and item.table.num_rows:
        return item.table["created_at"].to_pylist()[-1]
    return None
