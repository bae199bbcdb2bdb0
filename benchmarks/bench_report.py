"""Time the HTML report on the IRA archive (2.46 M posts); target ≤ 60 s.

Usage: ``python benchmarks/bench_report.py [store.duckdb | ira_tweets.parquet]``

With a Parquet file (the default: ../shared/data/ira-troll-tweets/ira_tweets.parquet) the
archive is first ingested into a temporary store (not timed). A ``.duckdb`` store is opened
read-only (coordination runs are then not recorded). Prints, in the same run, the floor — a
plain full scan of the posts table (every column, into Arrow) — then the time of
:func:`trendwatch.report.write_report`:

* with no hashtag (the report picks the two biggest trend onsets' hashtags);
* with two named hashtag-game campaigns, #ToDoListBeforeChristmas and #2016In4Words.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from trendwatch.ingest import ingest
from trendwatch.report import write_report
from trendwatch.store import Store

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/ira-troll-tweets/ira_tweets.parquet"
TARGET_S = 60.0
NAMED = ["ToDoListBeforeChristmas", "2016In4Words"]


def scan_floor(store: Store) -> float:
    start = time.perf_counter()
    store.con.sql("SELECT * FROM posts").to_arrow_table()
    return time.perf_counter() - start


def timed_report(label: str, store: Store, out: Path, floor: float, **kwargs) -> None:
    start = time.perf_counter()
    path = write_report(store, out, **kwargs)
    seconds = time.perf_counter() - start
    verdict = "ok" if seconds <= TARGET_S else f"SLOW (> {TARGET_S:.0f} s)"
    size = path.stat().st_size / 1e6
    print(f"{label:34s} {seconds:7.2f} s  {seconds / floor:5.1f}x floor  {size:5.1f} MB  {verdict}")


def run(store: Store, folder: Path) -> None:
    posts = store.posts().count().execute()
    print(f"store: {posts:,} collected posts")
    floor = scan_floor(store)
    print(f"{'floor (full scan of posts)':34s} {floor:7.2f} s")
    timed_report("report (campaigns picked)", store, folder / "auto.html", floor)
    timed_report("report (two named campaigns)", store, folder / "named.html", floor,
                 hashtags=NAMED)  # fmt: skip


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if path.suffix != ".duckdb":
            print(f"ingesting {path} (not timed)...")
            ingest([path], folder / "bench.duckdb")
            path = folder / "bench.duckdb"
        with Store(path, read_only=True) as store:
            run(store, folder)


if __name__ == "__main__":
    main()
