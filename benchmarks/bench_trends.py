"""Time trends, one campaign and one comparison on the IRA archive (2.46 M posts).

Usage: ``python benchmarks/bench_trends.py [store.duckdb | ira_tweets.parquet]``

With a Parquet file (the default: ../shared/data/ira-troll-tweets/ira_tweets.parquet) the
archive is first ingested into a temporary store (not timed). Prints, in the same run, the
floor — a plain full scan of the posts table (every column, into Arrow) — then:

* trends: the trending list at 1-hour buckets with all five scorers (target ≤ 10 s), and the
  onsets of each method over the whole archive;
* one campaign's metrics, #ToDoListBeforeChristmas (target ≤ 2 s);
* compare #ToDoListBeforeChristmas with #2016In4Words (target ≤ 3 s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from trendwatch.analysis.campaign import campaign
from trendwatch.analysis.compare import compare
from trendwatch.analysis.trends import METHODS, onsets, trending
from trendwatch.ingest import ingest
from trendwatch.store import Store

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/ira-troll-tweets/ira_tweets.parquet"
TARGETS = {"trends (all five scorers)": 10.0, "campaign": 2.0, "compare": 3.0}


def timed(label: str, work, floor: float | None = None):
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    target = TARGETS.get(label)
    verdict = "" if target is None else (" ok" if seconds <= target else f" SLOW (> {target} s)")
    ratio = f"  {seconds / floor:5.1f}x floor" if floor else ""
    print(f"{label:34s} {seconds:7.2f} s{ratio}{verdict}")
    return result


def scan_floor(store: Store) -> float:
    start = time.perf_counter()
    store.con.sql("SELECT * FROM posts").to_arrow_table()
    return time.perf_counter() - start


def run(store: Store) -> None:
    posts = store.posts().count().execute()
    print(f"store: {posts:,} collected posts")
    floor = scan_floor(store)
    print(f"{'floor (full scan of posts)':34s} {floor:7.2f} s")
    timed("trends (all five scorers)", lambda: trending(store, window="1h"), floor)
    for method in METHODS:
        found = timed(f"onsets --method {method}", lambda m=method: onsets(store, method=m), floor)
        print(f"{'':34s} {len(found):,} onsets")
    timed("campaign", lambda: campaign(store, ["ToDoListBeforeChristmas"]), floor)
    timed("compare", lambda: compare(store, "ToDoListBeforeChristmas", "2016In4Words"), floor)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if path.suffix == ".duckdb":
        with Store(path, read_only=True) as store:
            run(store)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        print(f"ingesting {path} (not timed)...")
        ingest([path], db)
        with Store(db, read_only=True) as store:
            run(store)


if __name__ == "__main__":
    main()
