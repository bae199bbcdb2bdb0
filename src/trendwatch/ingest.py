"""Ingest: files -> format detection -> records -> batches -> store, with full accounting.

For every file, ``read = added + duplicates + skipped + quarantined`` (see
:mod:`trendwatch.formats.items`), and the store holds exactly what the report says: ``added``
posts more, ``quarantined`` quarantine rows more (a record quarantined again, from the same
input, is a duplicate). A record is counted once the batch holding it is written.

A file that cannot be read at all, or fails part way (a truncated gzip, a table the parser
gives up on, a file replaced during the read, any exception), is reported with its error; what
was read before the error is written and counted, the rest of the file is one quarantined
record whose reason is the error, and the other files are still ingested.

Each file's report also counts its records whose time named no offset (``naive_times``):
they are read in the ``assume_tz`` zone of the read options, UTC by default
(:mod:`trendwatch.formats.zoned`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
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
from .formats.items import AccountTable, NaiveTimes
from .formats.package import package_folder
from .formats.tabular import PARQUET_MAGIC, sniff_delimited
from .formats.zoned import zoned_items
from .hugepages import huge_pages_off
from .model import Account, Post, accounts_to_arrow, posts_to_arrow
from .store import QUARANTINE_SCHEMA, BatchCounts, Store, open_store

__all__ = [
    "FileReport",
    "IngestReport",
    "RecordBatch",
    "detect_input_format",
    "ingest",
    "ingest_file",
]

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
BATCH_QUARANTINE_BYTES = 64 << 20
"""A batch is also written once its quarantined records hold this many bytes, so that a file
of long bad records does not gather thousands of them (each up to the record size cap) in
memory."""
PREFETCH_ITEMS = 1_000
"""Items the reader thread hands over at once (a table is handed over as soon as it is read)."""
COUNT_FIELDS = ("read", "added", "duplicates", "skipped", "quarantined")


@dataclass
class FileReport:
    """Counts for one input file; ``error`` is set when the file could not be read, or not
    to its end (the counts are then those of what was read, plus the unread rest).
    ``naive_times`` counts the records read whose time named no offset, read in the zone
    ``assumed_tz``."""

    path: str
    format: str | None = None
    read: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    error: str | None = None
    naive_times: int = 0
    assumed_tz: str = "UTC"

    def naive_note(self) -> str | None:
        """``1,204 times without an offset, read as UTC`` (or ``as Europe/Paris time``);
        None when there were none."""
        if not self.naive_times:
            return None
        zone = "UTC" if self.assumed_tz.upper() == "UTC" else f"{self.assumed_tz} time"
        plural = "s" if self.naive_times != 1 else ""
        return f"{self.naive_times:,} time{plural} without an offset, read as {zone}"

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
            entry |= {"naive_times": report.naive_times, "assumed_tz": report.assumed_tz}
            if report.naive_times:
                entry["naive_note"] = report.naive_note()
            if report.error:
                entry["error"] = report.error
        totals = self.totals | {"naive_times": sum(f.naive_times for f in self.files)}
        return {"files": files, "totals": totals}


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
        ``--map`` column mapping and platform for generic tables, the record size cap.
    progress : callable, optional
        Called after each batch with the records read and bytes read of the current file.

    Returns
    -------
    IngestReport
        Per-file counts. A file that could not be opened or recognised carries an ``error``
        and counts nothing; one that failed while it was read carries an ``error`` and counts
        what was read before it, plus one quarantined record for the unread rest.

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
    """Ingest one file into an open store; what went wrong lands in the report's ``error``.

    A file that cannot be opened or recognised counts nothing. An error while it is read
    (a truncated or corrupt compressed file, a table the parser gives up on, a file changed
    during the read, even an unexpected exception) ends this file only: the records read
    before it are written and counted, and the unread rest of the file is one quarantined
    record whose reason is the error.
    """
    options = options or ReadOptions()
    report = FileReport(path=path, format=format, assumed_tz=options.assume_tz)
    if format is None and (folder := package_folder(path)) is not None:
        return _ingest_package(store, folder, report)
    try:
        source = open_input(path)
    except Exception as exc:  # an InputError, or anything else: this file only
        report.error = _describe(exc, path)
        return report
    try:
        _read_file(store, source, report, options, progress)
    finally:
        source.close()
    return report


def _ingest_package(store: Store, folder: Path, report: FileReport) -> FileReport:
    """A data package (:mod:`trendwatch.exports.package_import`): checked, then read whole."""
    from .exports.package_import import import_package

    report.format = "package"
    try:
        counts = import_package(store, folder)
    except Exception as exc:  # a refused package, or anything else: this input only
        report.error = _describe(exc, str(folder))
        return report
    report.read, report.added, report.duplicates = counts.read, counts.added, counts.duplicates
    return report


def _read_file(
    store: Store,
    source: InputFile,
    report: FileReport,
    options: ReadOptions,
    progress: ProgressCallback | None,
) -> None:
    if _is_empty(source):  # nothing to read is not an error: 0 records
        return
    try:
        report.format = report.format or detect_input_format(source, options)
        reader = get_format(report.format)
    except Exception as exc:  # unrecognised (an InputError), or a sniffer's failure
        report.error = _describe(exc, source.name)
        return
    writer = _FileWriter(store, source, report, progress)
    try:
        # JSON readers: 1.5x faster without the cycle collector (see trendwatch.collector);
        # every reader: less system time without huge pages (see trendwatch.hugepages).
        store_threads = contextlib.nullcontext()
        if getattr(reader, "READS_WITH_DUCKDB", False):
            store_threads = store.threads_at_most(WRITER_THREADS)
        with cycle_collection_paused(), huge_pages_off(), store_threads:
            writer.consume(zoned_items(reader.read(source, options), options.assumed_zone))
    except Exception as exc:  # one file's failure, whatever it is, must not end the run
        writer.fail(exc)


_EMPTY_DOCUMENT = re.compile(rb"(\[\s*\]|\{\s*\}|null)?\s*")


def _is_empty(source: InputFile) -> bool:
    """True for a file with nothing to read: 0 bytes, blank lines (and a byte-order mark),
    or one empty JSON value (``[]``, ``{}``, ``null``); the head is then the whole file."""
    return len(source.head) < HEAD_BYTES and _EMPTY_DOCUMENT.fullmatch(source.head) is not None


def detect_input_format(source: InputFile, options: ReadOptions) -> str:
    """The format from the first bytes; with ``--map`` a table format (only tables map)."""
    path = source.name
    if not options.mapping:
        return detect_format(source.head, path)
    if source.head.startswith(PARQUET_MAGIC):
        return "parquet"
    if sniff_delimited(source.head):
        return "csv"
    raise UnknownFormatError(
        f"{path}: --map applies to tables, but this is not a CSV/TSV (no delimited header "
        "line) nor a Parquet file; drop --map or give the table"
    )


class RecordBatch:
    """Records waiting to be written, and how many records they are (read, skipped,
    quarantined): the report counts them once the batch is written. The watcher writes its
    sources' records through it too (:mod:`trendwatch.watch.loop`)."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.tables: list[pa.Table] = []
        self.accounts: list[Account] = []
        self.account_tables: list[pa.Table] = []
        self.numbers: list[int] = []  # the quarantine's columns
        self.raws: list[str | None] = []
        self.reasons: list[str] = []
        self.quarantine_bytes = 0
        self.records = self.read = self.skipped = self.naive = 0
        self.last_number = 0  # the largest record number seen (of skipped or quarantined)

    @property
    def full(self) -> bool:
        return self.records >= BATCH_RECORDS or self.quarantine_bytes >= BATCH_QUARANTINE_BYTES

    def add(self, item) -> None:
        if isinstance(item, Post):  # one per record: the readers of X v1.1, Mastodon, Bluesky
            self.posts.append(item)
            self.read += item.collected
            self.records += item.collected
        elif isinstance(item, PostTable):
            self.tables.append(item.table)
            self.read += pa.compute.sum(item.table["collected"]).as_py() or 0
            self.records += item.table.num_rows
        else:
            self._add_other(item)

    def _add_other(self, item) -> None:
        if isinstance(item, Account):
            self.accounts.append(item)
        elif isinstance(item, AccountTable):
            self.account_tables.append(item.table)
        elif isinstance(item, NaiveTimes):
            self.naive += item.count
        elif isinstance(item, Quarantined):
            self.quarantine(item.record_no, item.raw, item.reason)
        elif isinstance(item, Skipped):
            self.skipped += 1
            self.count(item.record_no)
        else:  # a reader bug, not a user error
            raise TypeError(f"format reader yielded {type(item).__name__}")

    def quarantine(self, number: int, raw: str | None, reason: str) -> None:
        self.numbers.append(number)
        self.raws.append(raw)
        self.reasons.append(reason)
        self.quarantine_bytes += len(raw or "") + len(reason)
        self.count(number)

    def count(self, number: int) -> None:
        """Count one record item (skipped or quarantined) numbered ``number``."""
        self.read += 1
        self.records += 1
        self.last_number = max(self.last_number, number)

    def write(self, store: Store, source_name: str) -> BatchCounts:
        posts = self.tables + ([posts_to_arrow(self.posts)] if self.posts else [])
        accounts = self.account_tables + (
            [accounts_to_arrow(self.accounts)] if self.accounts else []
        )
        return store.write_batch(
            pa.concat_tables(posts) if posts else None,
            pa.concat_tables(accounts) if accounts else None,
            self._quarantine_table(source_name) if self.numbers else None,
        )

    def count_into(self, report, counts: BatchCounts) -> None:
        """Add this batch, written with ``counts``, to a report's ``read``, ``added``,
        ``duplicates``, ``skipped`` and ``quarantined`` (a quarantined record stored before
        is a duplicate), and ``naive_times`` (records whose time named no offset)."""
        report.naive_times += self.naive
        report.read += self.read
        report.skipped += self.skipped
        report.added += counts.added
        report.duplicates += counts.duplicates + counts.quarantine_duplicates
        report.quarantined += counts.quarantined

    def _quarantine_table(self, source_name: str) -> pa.Table:
        names = pa.array([source_name] * len(self.numbers), pa.string())
        columns = [names, pa.array(self.numbers, pa.int64())]
        columns += [pa.array(self.raws, pa.string()), pa.array(self.reasons, pa.string())]
        return pa.Table.from_arrays(columns, schema=QUARANTINE_SCHEMA)


class _FileWriter:
    """One file's records on their way to the store, batch by batch, and its report."""

    def __init__(
        self,
        store: Store,
        source: InputFile,
        report: FileReport,
        progress: ProgressCallback | None,
    ) -> None:
        self.store, self.source, self.report, self.progress = store, source, report, progress
        self.name = str(Path(source.name).resolve()) if source.path else source.name
        self.batch = RecordBatch()
        self.last_number = 0

    def consume(self, items: Iterator) -> None:
        with contextlib.closing(_prefetched(items)) as prefetched:
            for item in prefetched:
                self.batch.add(item)
                if self.batch.full:
                    self.flush()
        self.flush()

    def flush(self) -> None:
        """Write the batch; only then are its records counted in the report."""
        batch, self.batch = self.batch, RecordBatch()
        counts = batch.write(self.store, self.name)
        report = self.report
        batch.count_into(report, counts)
        self.last_number = max(self.last_number, batch.last_number, report.read)
        if self.progress:
            self.progress(report.read, _bytes_read(self.source))

    def fail(self, exc: Exception) -> None:
        """After an error: the file's error, and the records read before it written along
        with one quarantined record for the rest of the file, whose reason is the error."""
        error = _describe(exc, self.source.name)
        self.report.error = error
        batch = self.batch
        number = max(self.last_number, batch.last_number, self.report.read + batch.read) + 1
        batch.quarantine(number, None, f"{_REST_NOT_READ}: {_without_name(error, self.source)}")
        try:
            self.flush()
        except Exception as again:  # noqa: BLE001 - the store failed too: say so, go on
            self.report.error = (
                f"{error}; the last {batch.read:,} records read were not stored either "
                f"({_describe(again, self.source.name)})"
            )


_REST_NOT_READ = "the rest of the input was not read"


def _describe(exc: Exception, name: str) -> str:
    """The report's error for an exception raised while a file was read."""
    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return (
            f"{name}: out of memory while reading it; a lower --max-record-bytes bounds the "
            "memory one record takes"
        )
    if isinstance(exc, RecursionError):
        return f"{name}: a record is nested too deeply to read ({exc})"
    return f"{name}: unexpected {type(exc).__name__} while reading it ({exc}); please report it"


def _without_name(error: str, source: InputFile) -> str:
    """The error without the file name it starts with (the quarantine row names its source)."""
    return error.removeprefix(f"{source.name}: ")


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
