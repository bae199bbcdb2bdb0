"""Time the IRA Parquet ingest against the floor of a plain DuckDB scan of the same file.

Usage: ``python benchmarks/bench_ingest_ira.py [path/to/ira_tweets.parquet]``

Prints the floor (``read_parquet`` full scan, every column materialised), the store floor (the
raw columns copied into a fresh on-disk DuckDB file: what any store pays before normalising
anything), the reader alone
(records normalised into Arrow tables, no store), the ingest into a fresh store (posts/s, and
its CPU time: on a shared machine the wall time depends on what else runs), their ratios, and
the peak RSS of the process. Target: >= 300,000
posts/s and <= 2 GB on a 2-core machine.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from trendwatch.formats import PostTable, ReadOptions, get_format, open_input
from trendwatch.ingest import ingest

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/ira-troll-tweets/ira_tweets.parquet"


def scan_floor(path: Path) -> float:
    """Seconds for DuckDB to read every column of every row (into a temporary table)."""
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TEMP TABLE t AS SELECT * FROM read_parquet(?)", [str(path)])
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def store_floor(path: Path) -> float:
    """Seconds to copy the raw columns into a fresh on-disk DuckDB file (compressed, on disk)."""
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        start = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [str(path)])
        con.execute("CHECKPOINT")
        elapsed = time.perf_counter() - start
        con.close()
    return elapsed


def time_reader(path: Path) -> tuple[float, int]:
    """Seconds for the Parquet reader alone to turn the file into post tables, and the rows."""
    source = open_input(str(path))
    start, rows = time.perf_counter(), 0
    try:
        for item in get_format("parquet").read(source, ReadOptions()):
            rows += item.table.num_rows if isinstance(item, PostTable) else 0
    finally:
        source.close()
    return time.perf_counter() - start, rows


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_ingest(path: Path) -> tuple[float, float, dict]:
    """Seconds (wall, then CPU) to ingest the file into a fresh on-disk store, and the totals."""
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), cpu_seconds()
        report = ingest([path], Path(tmp) / "bench.duckdb", format="parquet")
        return time.perf_counter() - start, cpu_seconds() - cpu, report.totals


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    floor = scan_floor(path)
    stored = store_floor(path)
    reader_seconds, rows = time_reader(path)
    seconds, cpu, totals = time_ingest(path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"floor (read_parquet scan): {floor:6.2f} s")
    reader_rate = rows / reader_seconds
    print(f"store floor (raw copy):    {stored:6.2f} s  {rows / stored:,.0f} posts/s")
    print(f"reader alone:              {reader_seconds:6.2f} s  {reader_rate:,.0f} posts/s")
    print(f"ingest:                    {seconds:6.2f} s  {totals['read'] / seconds:,.0f} posts/s")
    print(f"ingest CPU (all threads):  {cpu:6.2f} s  ({cpu / seconds:.0%} of one core)")
    print(f"ratio ingest / floor:      {seconds / floor:6.1f}")
    print(f"ratio ingest / store floor: {seconds / stored:5.1f}")
    print(f"share of ingest after reading (store): {1 - reader_seconds / seconds:.0%}")
    print(f"target 300,000 posts/s reached: {totals['read'] / seconds >= 300_000}")
    print(f"peak RSS:                  {peak_mb:,.0f} MB")
    print(f"totals: {totals}")


if __name__ == "__main__":
    main()
