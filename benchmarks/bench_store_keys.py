"""Time the stored-key lookup of one batch into a large store, with and without fingerprints.

Usage: ``python benchmarks/bench_store_keys.py [--copies N] [path/to/ira_tweets.parquet]``

Builds a store of the IRA archive and ``N - 1`` more copies of its posts with other ids
(default 10 copies: 24.4 M posts, 2.4 GB on disk, in a temporary directory), then takes one
batch of 245,760 new keys and times, in the same process:

- the former path: the batch's keys looked up among the stored ones (``posts`` semi join),
  which reads the key column of every stored post;
- the fingerprint path (:mod:`trendwatch.storekeys`): the batch's hashes checked against the
  fingerprints of the stored keys, after which only the batch's own repeats are looked at;
- the one-off cost of reading the fingerprints when an ingest starts on that store.

Prints the ratio of the two paths per batch and how many batches pay for the one-off read.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trendwatch.ingest import ingest
from trendwatch.store import Store, _keys_of, _numbered

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/ira-troll-tweets/ira_tweets.parquet"
BATCH_ROWS = 245_760


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(action) -> tuple[float, float]:
    """(wall, CPU) seconds of ``action()``."""
    wall, used = time.perf_counter(), cpu()
    action()
    return time.perf_counter() - wall, cpu() - used


def build(path: Path, parquet: Path, copies: int) -> int:
    ingest([parquet], path)
    with Store(path) as store:
        for copy in range(1, copies):
            # The same posts under other ids: ids as random as derived ones, no repeats.
            store.con.execute(
                "INSERT INTO posts SELECT * REPLACE (post_id || ? AS post_id) FROM posts "
                "WHERE NOT contains(post_id, '~')",
                [f"~{copy}"],
            )
        return store.con.execute("SELECT count(*) FROM posts").fetchone()[0]


def new_batch(store: Store) -> pa.Table:
    posts = store.con.sql(
        "SELECT * EXCLUDE (text_norm, ingested_at) FROM posts LIMIT ?", params=[BATCH_ROWS]
    ).to_arrow_table()
    fresh = pc.binary_join_element_wise(posts["post_id"], pa.scalar("~new"), "")
    return _numbered(posts.set_column(posts.schema.get_field_index("post_id"), "post_id", fresh))


def former_path(store: Store, batch: pa.Table) -> None:
    # Every row of the batch looked up among the stored keys, as before the fingerprints.
    store._stage_special(_keys_of(batch, np.arange(batch.num_rows)), may_be_stored=True)


def fingerprint_path(store: Store, batch: pa.Table) -> None:
    # What Store._write_posts now does before inserting a batch.
    undecided, may_be_stored = store._undecided(store._batch_key_hashes())
    if undecided.size:
        store._stage_special(_keys_of(batch, undecided), may_be_stored)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("parquet", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.duckdb"
        rows = build(path, args.parquet, args.copies)
        print(f"store: {rows:,} posts")
        with Store(path) as store:
            batch = new_batch(store)
            store.con.register("_batch", batch)
            store._began_a_batch = True  # as from an ingest's second batch on
            one_off = timed(store._stored_keys)
            former, fingerprint = [], []
            for _ in range(3):  # alternated: the machine is shared
                former.append(timed(lambda: former_path(store, batch)))
                fingerprint.append(timed(lambda: fingerprint_path(store, batch)))
    best = {name: min(runs) for name, runs in (("former", former), ("new", fingerprint))}
    for label, (wall, used) in [
        ("former lookup, per batch", best["former"]),
        ("fingerprint path, per batch", best["new"]),
        ("reading the fingerprints once", one_off),
    ]:
        print(f"{label + ':':32s} {wall:5.2f} s wall {used:5.2f} CPU-s")
    print(f"ratio former / fingerprint (CPU): {best['former'][1] / best['new'][1]:6.1f}")
    saved = best["former"][1] - best["new"][1]
    print(f"batches that pay for the one-off read: {one_off[1] / saved:4.1f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")


if __name__ == "__main__":
    main()
