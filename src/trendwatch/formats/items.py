"""What format readers yield, and how each item counts in the ingest accounting.

Accounting per file: ``read = added + duplicates + skipped + quarantined``. A reader yields, for
every input record, exactly one *record item*: a collected :class:`~trendwatch.model.Post`, a
row of a :class:`PostTable`, a :class:`Skipped` or a :class:`Quarantined`. Context posts
(``collected=False``) and :class:`~trendwatch.model.Account` observations ride along and are
not records. :class:`NaiveTimes` items count the records whose time named no offset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import tzinfo

import pyarrow as pa

from ..errors import ParameterError
from ..model import Account, Post
from ..times import zone

__all__ = [
    "Skipped",
    "Quarantined",
    "PostTable",
    "AccountTable",
    "NaiveTimes",
    "Parallelism",
    "ReadOptions",
    "Item",
    "MAX_RECORD_BYTES",
    "KEPT_BYTES",
]

MAX_RECORD_BYTES = 16 << 20
"""The default record size cap: 16 MiB per record (a JSON line without its line end). A
longer record is quarantined with its first :data:`KEPT_BYTES` bytes and its length, and is
never held whole in memory (parsing holds about ten times a line's size). The largest twarc2
page (100 tweets with their includes) is well under 1 MiB."""
KEPT_BYTES = 4096
"""Bytes of an over-long record kept in the quarantine."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record deliberately not stored (e.g. a stream ``delete`` or ``limit`` message)."""

    record_no: int
    reason: str


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be normalised; kept raw with the reason."""

    record_no: int
    raw: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class PostTable:
    """Collected posts already in Arrow form (:data:`~trendwatch.model.POST_SCHEMA`).

    Tabular formats use it to stay vectorised; every row counts as one record read.
    """

    table: pa.Table


@dataclass(frozen=True, slots=True)
class AccountTable:
    """Account observations already in Arrow form (:data:`~trendwatch.model.ACCOUNT_SCHEMA`)."""

    table: pa.Table


@dataclass(frozen=True, slots=True)
class NaiveTimes:
    """``count`` more collected records whose time named no offset (``2025-11-14 09:07:33``),
    read in the ``--assume-tz`` zone (UTC by default). Not a record: it rides along with
    them, and the ingest report counts it with the batch that holds it."""

    count: int


@dataclass(frozen=True)
class Parallelism:
    """When and how a reader may parse a large file in worker processes.

    workers
        Processes that parse pieces of the file; 0 reads every file in this process. Two
        when the machine has two cores or more (on two cores the store writes while two
        workers parse: the writer's share is small next to the parsing), else 0.
    min_bytes
        Smaller files are read in this process. Starting the workers costs most of a
        second, and one process (with the garbage collector paused) reads about 25,000
        tweets/s against about 30,000 for two workers and the writer: on twarc2 files of
        100, 256 and 512 MB, one process took 1.5, 4.0 and 7.9-8.6 s, workers 2.1, 3.6-3.8
        and 6.4-6.8 s. The two break even near 200 MB.
    chunk_bytes
        Size of the pieces handed to the workers (cut at line ends). With a few pieces in
        flight per worker this bounds the memory the workers and their results take; 16 MB
        was the fastest size on a 1 GB file (smaller pieces cost more in per-piece work).
    """

    workers: int = field(default_factory=lambda: 2 if (os.cpu_count() or 1) >= 2 else 0)
    min_bytes: int = 192 << 20
    chunk_bytes: int = 16 << 20


@dataclass(frozen=True)
class ReadOptions:
    """Options a reader may use.

    mapping
        ``--map column=field`` pairs for generic tables (field names of :class:`Post`).
    platform
        Platform for formats that do not say (tables); ``x`` by default.
    parallel
        When the JSON Lines readers that can (X v2) parse a large file in worker processes.
    max_record_bytes
        The record size cap (:data:`MAX_RECORD_BYTES` by default; ``--max-record-bytes``).
        A CSV is parsed in blocks of at least this size, and a row longer than a block stops
        the file there (the parser cannot read past it).
    assume_tz
        The zone (IANA name) in which input times without an offset are read; ``UTC`` by
        default. Times with an offset are never changed.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    platform: str = "x"
    parallel: Parallelism = field(default_factory=Parallelism)
    max_record_bytes: int = MAX_RECORD_BYTES
    assume_tz: str = "UTC"

    @property
    def assumed_zone(self) -> tzinfo:
        """The zone of :attr:`assume_tz`."""
        return zone(self.assume_tz)

    def __post_init__(self) -> None:
        zone(self.assume_tz)  # an unknown name is refused here, before any file is read
        if self.max_record_bytes < 1:
            raise ParameterError(
                f"max_record_bytes must be at least 1, not {self.max_record_bytes}"
            )


Item = Post | Account | Skipped | Quarantined | PostTable | AccountTable | NaiveTimes
