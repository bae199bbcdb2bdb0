"""Hostile inputs for ingest, and the accounting check every hostile test makes.

The check (:func:`ingest_accounted`): for every file ``read = added + duplicates + skipped +
quarantined``, and the store changed by exactly what the report says: ``added`` collected
posts more, ``quarantined`` quarantine rows more.

The generator (:func:`hostile_input`) mixes valid records of a format with what breaks
readers: records cut short, bytes that are not UTF-8, deep nesting, lines over the record
size cap, blank lines, a byte-order mark; then it may compress the whole (gzip, bz2, zstd)
and cut or damage the compressed bytes. The property test (tests/test_ingest_hostile.py)
draws from it with hypothesis, the fuzz benchmark (benchmarks/fuzz_ingest.py) with
``random.Random`` for minutes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from trendwatch.formats import ReadOptions
from trendwatch.formats.items import Parallelism
from trendwatch.ingest import IngestReport, ingest
from trendwatch.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTILE = FIXTURES / "hostile"

VALID_SOURCES = {
    "twarc2": "x_v2/pages.jsonl",
    "twarc2-flat": "x_v2/flat.jsonl",
    "x-v1": "x_v1/stream.jsonl",
    "gnip-activity": "x_v1/links_activity.jsonl",
    "mastodon": "mastodon/statuses.jsonl",
    "bluesky": "bluesky/postviews_lines.jsonl",
    "jetstream": "bluesky/jetstream.jsonl",
    "csv": "tabular/ira.csv",
}
"""A fixture of valid records for each reader of lines (the CSV's first line is its header)."""
FORMATS = sorted([*VALID_SOURCES, "parquet"])
"""Every reader: those of lines, and Parquet (a valid table, maybe cut or damaged)."""

SMALL_CAP = 2048
"""The record size cap the generated inputs are read with: their long lines go over it."""


@dataclass(frozen=True)
class StoreCounts:
    posts: int
    quarantine: int


def store_counts(store: Store) -> StoreCounts:
    [(posts, quarantine)] = store.con.execute(
        "SELECT (SELECT count(*) FROM posts WHERE collected), (SELECT count(*) FROM quarantine)"
    ).fetchall()
    return StoreCounts(posts, quarantine)


def ingest_accounted(paths, store: Store, **kwargs) -> IngestReport:
    """:func:`trendwatch.ingest` with the accounting checked against the store."""
    before = store_counts(store)
    report = ingest(paths, store, **kwargs)
    assert_accounted(report, store, before)
    return report


def assert_accounted(report: IngestReport, store: Store, before: StoreCounts) -> None:
    for file in report.files:
        parts = file.added + file.duplicates + file.skipped + file.quarantined
        assert file.read == parts, file
    after = store_counts(store)
    assert after.posts - before.posts == report.totals["added"], (before, after, report)
    assert after.quarantine - before.quarantine == report.totals["quarantined"], (
        before,
        after,
        report,
    )


# -- the generator ----------------------------------------------------------------------------


def valid_lines(fmt: str) -> tuple[bytes, list[bytes]]:
    """(header or b"", the valid record lines) of a format's fixture."""
    lines = (FIXTURES / VALID_SOURCES[fmt]).read_bytes().splitlines()
    return (lines[0], lines[1:]) if fmt == "csv" else (b"", lines)


def hostile_line(rng: random.Random, valid: list[bytes], fmt: str) -> bytes:
    """One line: valid, cut short, not UTF-8, deeply nested, over the cap, or blank."""
    kind = rng.choice(
        ["valid", "valid", "valid", "cut", "bytes", "deep", "long", "blank", "bad_utf8"]
    )
    line = rng.choice(valid) or b"{}"
    if kind == "cut":
        return line[: rng.randrange(len(line))]
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))).replace(b"\n", b"")
    if kind == "deep":
        depth = rng.choice([300, 1000, 3000])
        return (b"[" if fmt != "csv" else b"") + b'{"a":' * depth + b"1" + b"}" * depth
    if kind == "long":
        return line + b"x" * (SMALL_CAP + rng.randrange(SMALL_CAP))
    if kind == "blank":
        return b" " * rng.randrange(4)
    if kind == "bad_utf8":
        at = rng.randrange(len(line))
        return line[:at] + b"\xff\xfe\xc3" + line[at:]
    return line


def hostile_input(rng: random.Random, fmt: str) -> bytes:
    """A whole input of a format: a mixture of lines, maybe compressed, maybe damaged."""
    if fmt == "parquet":
        return damaged(rng, parquet_table(rng))
    header, valid = valid_lines(fmt)
    lines = [hostile_line(rng, valid, fmt) for _ in range(rng.randrange(1, 12))]
    if rng.random() < 0.2:
        lines = [b""] * rng.randrange(1, 5) + lines
    data = (header + b"\n" if header else b"") + b"\n".join(lines)
    data += b"\n" if rng.random() < 0.8 else b""
    if rng.random() < 0.1:
        data = b"\xef\xbb\xbf" + data
    return damaged(rng, compressed(rng, data))


def parquet_table(rng: random.Random) -> bytes:
    """A CooRTweet-layout Parquet file of a few row groups, some rows without a time."""
    rows = rng.randrange(1, 400)
    times = [None if rng.random() < 0.05 else str(1_600_000_000 + i) for i in range(rows)]
    table = pa.table(
        {
            "object_id": [f"o{i % 5}" for i in range(rows)],
            "account_id": [f"a{i % 7}" for i in range(rows)],
            "content_id": [f"c{rng.randrange(rows * 2)}" for i in range(rows)],
            "timestamp_share": times,
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=rng.choice([7, 50, 1000]))
    return out.getvalue()


def compressed(rng: random.Random, data: bytes) -> bytes:
    how = rng.choice(["none", "none", "gzip", "bz2", "zstd"])
    if how == "gzip":
        return gzip.compress(data)
    if how == "bz2":
        return bz2.compress(data)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def damaged(rng: random.Random, data: bytes) -> bytes:
    """The bytes as they are, cut short, or with one byte flipped (past the magic bytes)."""
    how = rng.choice(["none", "none", "cut", "flip"])
    if how == "cut" and len(data) > 1:
        return data[: rng.randrange(1, len(data))]
    if how == "flip" and len(data) > 8:
        at = rng.randrange(4, len(data))
        return data[:at] + bytes([data[at] ^ (1 + rng.randrange(255))]) + data[at + 1 :]
    return data


def read_options(workers: bool = False) -> ReadOptions:
    """The options generated inputs are read with: the small cap, and with ``workers`` the
    parallel reader of X v2 on any file (pieces of 512 bytes)."""
    parallel = Parallelism(workers=2, min_bytes=0, chunk_bytes=512) if workers else Parallelism(0)
    return ReadOptions(max_record_bytes=SMALL_CAP, parallel=parallel)
