"""Ingest: files -> format detection -> records -> batches -> store, with full accounting.

For every file, ``read = added + duplicates + skipped + quarantined`` (see
:mod:`trendwatch.formats.items`). A file that cannot be read at all is reported with its error
and the other files are still ingested.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from .collector import cycle_collection_paused
from .errors import InputError, UnknownFormatError
from .formats import (
    HEAD_BYTES,
    InputFile,
    PostTable,
    Quarantined,
    ReadOptions,
    Skipped,
    detect_format,
    get_format,
    open_input,
)
from .formats.items import AccountTable
from .formats.tabular import PARQUET_MAGIC, sniff_delimited
from .hugepages import huge_pages_off
from .model import Account, Post, accounts_to_arrow, posts_to_arrow
from .store import Store, open_store

__all__ = ["FileReport", "IngestReport", "ingest", "ingest_file"]

BATCH_RECORDS = 130_000
"""Records per written batch (one transaction). At least one DuckDB row group (122,880 rows):
DuckDB writes such a batch straight into the database file, while a smaller one goes through
the write-ahead log and then a checkpoint. On a 1 GB twarc2 file 50,000 spent 1 s more CPU in
the writing process and was 11 % slower (13.5 vs 12.0 s, three alternating runs each)."""
WRITER_THREADS = max(1, (os.cpu_count() or 2) // 2)
"""DuckDB threads of the store while it ingests a table: half the cores, since the table
reader runs its own DuckDB beside it (``READS_WITH_DUCKDB``). On 2 cores, the IRA archive's
ingest took 16.4-16.9 CPU-s with one store thread against 17.9-18.1 with two (9.5-9.8 s
against 10.3-11.0 s, two alternating runs each). JSON readers keep every thread: there the
store is what the parsing workers wait for (a 1 GB twarc2 file: 35,300-42,500 tweets/s with
one thread, against 39,500-43,600 with two)."""
PREFETCH_ITEMS = 1_000
"""Items the reader thread hands over at once (a table is handed over as soon as it is read)."""
COUNT_FIELDS = ("read", "added", "duplicates", "skipped", "quarantined")


@dataclass
class FileReport:
    """Counts for one input file; ``error`` is set when the file could not be read at all."""

    path: str
    format: str | None = None
    read: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    """Per-file counts and their totals."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(f, name) for f in self.files) for name in COUNT_FIELDS}

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.error]

    def to_dict(self) -> dict:
        files = [{k: f.to_dict()[k] for k in ("path", "format", *COUNT_FIELDS)} for f in self.files]
        for entry, report in zip(files, self.files, strict=True):
            if report.error:
                entry["error"] = report.error
        return {"files": files, "totals": self.totals}


ProgressCallback = Callable[[int, int], None]
"""Called with (records read so far in this file, bytes of this file read so far or 0)."""


def ingest(
    paths: Iterable[str | os.PathLike],
    db: str | os.PathLike | Store | None = None,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest archives into a store and account for every record.

    Python's cyclic garbage collector is paused while a file is read (for every thread of
    the process; see :mod:`trendwatch.collector`) and turned back on afterwards.

    Parameters
    ----------
    paths : iterable of paths
        Files to read (``"-"`` for standard input); gzip, bz2 and zstd are read transparently.
    db : path or Store, optional
        The store (created if needed); :func:`~trendwatch.store.default_db_path` by default.
    format : str, optional
        Force a format (see :func:`trendwatch.formats.format_names`) instead of detecting it.
    options : ReadOptions, optional
        ``--map`` column mapping and platform for generic tables.
    progress : callable, optional
        Called after each batch with the records read and bytes read of the current file.

    Returns
    -------
    IngestReport
        Per-file counts; files that could not be read carry an ``error`` and count nothing.

    Examples
    --------
    >>> report = ingest([], db=":memory:")
    >>> report.totals["read"]
    0
    """
    store = db if isinstance(db, Store) else open_store(db)
    report = IngestReport()
    try:
        for path in paths:
            report.files.append(
                ingest_file(store, str(path), format=format, options=options, progress=progress)
            )
    finally:
        if not isinstance(db, Store):
            store.close()
    return report


def ingest_file(
    store: Store,
    path: str,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    progress: ProgressCallback | None = None,
) -> FileReport:
    """Ingest one file into an open store; errors about the whole file land in ``error``."""
    report = FileReport(path=path, format=format)
    try:
        source = open_input(path)
    except InputError as exc:
        report.error = str(exc)
        return report
    try:
        if _is_empty(source):  # nothing to read is not an error: 0 records
            return report
        report.format = format or _detect(source, path, options)
        reader = get_format(report.format)
        # JSON readers: 1.5x faster without the cycle collector (see trendwatch.collector);
        # every reader: less system time without huge pages (see trendwatch.hugepages).
        store_threads = contextlib.nullcontext()
        if getattr(reader, "READS_WITH_DUCKDB", False):
            store_threads = store.threads_at_most(WRITER_THREADS)
        with cycle_collection_paused(), huge_pages_off(), store_threads:
            items = reader.read(source, options or ReadOptions())
            _consume(store, items, source, report, progress)
    except InputError as exc:
        report.error = str(exc)
    finally:
        source.close()
    return report


def _is_empty(source: InputFile) -> bool:
    """True for a file of 0 bytes or only white space (the head is the whole file then)."""
    return len(source.head) < HEAD_BYTES and not source.head.strip()


def _detect(source: InputFile, path: str, options: ReadOptions | None) -> str:
    """The format from the first bytes; with ``--map`` a table format (only tables map)."""
    if options is None or not options.mapping:
        return detect_format(source.head, path)
    if source.head.startswith(PARQUET_MAGIC):
        return "parquet"
    if sniff_delimited(source.head):
        return "csv"
    raise UnknownFormatError(
        f"{path}: --map applies to tables, but this is not a CSV/TSV (no delimited header "
        "line) nor a Parquet file; drop --map or give the table"
    )


class _Batch:
    """Records waiting to be written; flushed every BATCH_RECORDS records."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.tables: list[pa.Table] = []
        self.accounts: list[Account] = []
        self.account_tables: list[pa.Table] = []
        self.quarantine: list[tuple[str, int, str | None, str]] = []
        self.records = 0

    def add(self, item, source_name: str, report: FileReport) -> None:
        if isinstance(item, Post):
            self.posts.append(item)
            if item.collected:
                report.read += 1
                self.records += 1
        elif isinstance(item, Account):
            self.accounts.append(item)
        elif isinstance(item, PostTable):
            self.tables.append(item.table)
            n_collected = pa.compute.sum(item.table["collected"]).as_py() or 0
            report.read += n_collected
            self.records += item.table.num_rows
        elif isinstance(item, AccountTable):
            self.account_tables.append(item.table)
        elif isinstance(item, Skipped):
            report.read += 1
            report.skipped += 1
            self.records += 1
        elif isinstance(item, Quarantined):
            report.read += 1
            report.quarantined += 1
            self.quarantine.append((source_name, item.record_no, item.raw, item.reason))
            self.records += 1
        else:  # a reader bug, not a user error: fail loudly
            raise TypeError(f"format reader yielded {type(item).__name__}")

    def flush(self, store: Store, report: FileReport) -> None:
        posts = self.tables + ([posts_to_arrow(self.posts)] if self.posts else [])
        accounts = self.account_tables + (
            [accounts_to_arrow(self.accounts)] if self.accounts else []
        )
        counts = store.write_batch(
            pa.concat_tables(posts) if posts else None,
            pa.concat_tables(accounts) if accounts else None,
            self.quarantine,
        )
        report.added += counts.added
        report.duplicates += counts.duplicates
        self.__init__()


def _consume(
    store: Store,
    items: Iterator,
    source: InputFile,
    report: FileReport,
    progress: ProgressCallback | None,
) -> None:
    batch = _Batch()
    source_name = str(Path(source.name).resolve()) if source.path else source.name
    with contextlib.closing(_prefetched(items)) as prefetched:
        for item in prefetched:
            batch.add(item, source_name, report)
            if batch.records >= BATCH_RECORDS:
                batch.flush(store, report)
                if progress:
                    progress(report.read, _bytes_read(source))
    batch.flush(store, report)
    if progress:
        progress(report.read, _bytes_read(source))


_DONE = object()


def _prefetched(items: Iterator) -> Iterator:
    """The items, read ahead by a thread while the caller writes the previous batch.

    Reading (DuckDB, Arrow, Parquet) and writing (DuckDB) release the GIL, so on two cores
    they overlap. At most two chunks wait (one queued, one being built), so memory stays
    bounded. An error of the reader is raised here, in the caller's thread, after the items
    read before it; when the caller stops early the reader is told to stop and closed in its
    own thread.
    """
    chunks: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(chunk) -> bool:
        while not stop.is_set():
            try:
                chunks.put(chunk, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        chunk: list = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= PREFETCH_ITEMS or isinstance(item, PostTable):
                    if not put(chunk):
                        return
                    chunk = []
            put(chunk) and put(_DONE)
        except BaseException as exc:  # raised in the caller's thread, after the items before it
            put(chunk) and put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="trendwatch-reader", daemon=True)
    thread.start()
    finished = False
    try:
        while (chunk := chunks.get()) is not _DONE:
            if isinstance(chunk, BaseException):
                raise chunk
            yield from chunk
        finished = True
    finally:
        stop.set()
        # A reader blocked on a read (a terminal on stdin) must not hang an interrupted ingest.
        thread.join(None if finished else _STOP_WAIT)


_STOP_WAIT = 5.0


def _bytes_read(source: InputFile) -> int:
    try:
        return source.stream.tell() if not source.compressed else 0
    except (OSError, ValueError):
        return 0
