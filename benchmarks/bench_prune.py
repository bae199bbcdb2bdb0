"""What makes a store file smaller after `trendwatch runs prune`: CHECKPOINT, or a copy.

Usage: ``python benchmarks/bench_prune.py [--rounds N]``

Builds the simulator's store (seed 7) in a temporary directory and records ``N`` rounds of
runs (default 10), each a whole-store co-retweet run and a groups run on the attack hashtag
(with its own coordination runs). Then, on copies of that store, prunes:

- ``keep 1``: all but the latest run of each kind;
- ``before half``: the runs of the first half of the rounds;

and prints the file's size before, after the DELETE (the prune's transaction) and a
CHECKPOINT, after VACUUM and a second CHECKPOINT, and after compaction
(:func:`trendwatch.compact.compact_store`: COPY FROM DATABASE into a new file swapped in),
with the compaction's time and a check that every table kept its rows.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.groups import groups
from trendwatch.compact import compact_store
from trendwatch.ingest import ingest
from trendwatch.prune import prune_runs
from trendwatch.simulate import simulate
from trendwatch.store import Store


def build(folder: Path, rounds: int) -> tuple[Path, str]:
    """The store with ``rounds`` rounds of runs, and the time that splits them in half."""
    simulate(folder / "archive", seed=7)
    db = folder / "tw.duckdb"
    ingest(sorted((folder / "archive").glob("*.jsonl")), db)
    half = ""
    with Store(db) as store:
        for i in range(rounds):
            coordinate(store, "co-retweet", window=30 + i)
            groups(store, hashtags=["remigrationdorsani"], seed=i)
            if i == rounds // 2 - 1:
                half = datetime.now(UTC).isoformat()
    return db, half


def counts(db: Path) -> dict:
    with Store(db, read_only=True) as store:
        tables = [
            t for (t,) in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        return {t: store.con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:6.1f} MB"


def scenario(source: Path, name: str, **settings) -> None:
    db = source.with_name(f"{name.replace(' ', '_')}.duckdb")
    shutil.copy(source, db)
    sizes = [mb(db)]
    with Store(db) as store:
        pruned = prune_runs(store, **settings)
        sizes.append(mb(db))
        store.con.execute("VACUUM")
        store.con.execute("CHECKPOINT")
        sizes.append(mb(db))
    kept = counts(db)
    started = time.perf_counter()
    compact_store(db)
    took = time.perf_counter() - started
    sizes.append(mb(db))
    same = "same rows" if counts(db) == kept else "ROWS DIFFER"
    print(
        f"{name:12} removed {len(pruned.removed):3} runs: {' -> '.join(sizes)} "
        f"(before, DELETE+CHECKPOINT, VACUUM+CHECKPOINT, compacted); compaction {took:.2f} s, "
        f"{same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, half = build(Path(tmp), args.rounds)
        print(f"store with {args.rounds} rounds of runs: {mb(db)}")
        scenario(db, "keep 1", keep_latest=1)
        scenario(db, "before half", before=half)


if __name__ == "__main__":
    main()
