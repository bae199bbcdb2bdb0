"""Time X API v2 ingest on a large twarc2 file, against plain orjson parsing and twitwi.

Builds a twarc2 file of the requested size by replicating the real pages of
``../shared/data/twitter-v2-twarc`` with fresh tweet ids per copy (so every copy adds new posts),
then times:

a. plain ``orjson.loads`` of every line (the floor: parsing alone);
b. twitwi's ``normalize_tweets_payload_v2`` on a sample of pages (rate extrapolated);
c. trendwatch's reader alone (normalisation into records, no store), in worker processes
   as ``ingest`` reads a large file;
d. ``trendwatch.ingest`` into a fresh DuckDB store (normalisation + storing);
e. with ``--serial``, the same ingest read in this process only (no workers).

and prints tweets/s for each, the ratios, and the peak resident memory: of this process, of
its largest worker, and of the whole process tree (sampled every 0.1 s), which is what the
machine must hold.

Usage::

    python benchmarks/bench_ingest_v2.py [--size-mb 1024] [--twitwi-pages 30] [--dir DIR]
        [--workers N] [--serial]

With ``--dir`` the generated file is kept there and reused by later runs of the same size.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import tempfile
import threading
import time
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
from twitwi import normalize_tweets_payload_v2

from trendwatch.formats import PostTable, ReadOptions, get_format, open_input
from trendwatch.formats.items import Parallelism
from trendwatch.ingest import ingest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter-v2-twarc"
# 2sets.jsonl repeats brexit + kpop, media_policy_violation_off repeats _on: left out.
SOURCES = (
    "brexit.jsonl",
    "kpop.jsonl",
    "noflat.jsonl",
    "withheld.jsonl",
    "entities_test.jsonl",
    "media_policy_violation_on.jsonl",
)
_QUOTED_DIGITS = re.compile(rb'"(\d{6,25})"')


def tweet_pages() -> list[bytes]:
    """The real pages that hold tweets, one JSON line each."""
    pages = []
    for name in SOURCES:
        for line in (SHARED / name).read_bytes().splitlines():
            page = orjson.loads(line)
            if isinstance(page.get("data"), list):
                pages.append(line)
    if not pages:
        raise SystemExit(f"no twarc2 pages found under {SHARED}")
    return pages


def tweet_ids(line: bytes) -> set[bytes]:
    """Every tweet id a page mentions: its tweets, included tweets, references."""
    page = orjson.loads(line)
    tweets = page["data"] + page.get("includes", {}).get("tweets", [])
    ids = {t["id"] for t in tweets}
    ids |= {r["id"] for t in tweets for r in t.get("referenced_tweets", [])}
    ids |= {t["conversation_id"] for t in tweets if "conversation_id" in t}
    return {i.encode() for i in ids}


def fresh_copy(line: bytes, ids: set[bytes], copy: int) -> bytes:
    """The page with each tweet id prefixed by the copy number (users are kept)."""
    prefix = b"%05d" % copy
    return _QUOTED_DIGITS.sub(
        lambda m: b'"' + prefix + m.group(1) + b'"' if m.group(1) in ids else m.group(0), line
    )


def generate(path: Path, size: int) -> tuple[int, int]:
    """Write at least ``size`` bytes of replicated pages; return (pages, tweets) written."""
    pages = [(line, tweet_ids(line), len(orjson.loads(line)["data"])) for line in tweet_pages()]
    written = n_pages = n_tweets = copy = 0
    with path.open("wb") as out:
        while written < size:
            copy += 1
            for line, ids, count in pages:
                data = fresh_copy(line, ids, copy)
                out.write(data + b"\n")
                written += len(data) + 1
                n_pages += 1
                n_tweets += count
                if written >= size:
                    break
    return n_pages, n_tweets


class TreeMemory:
    """Peak resident memory of this process and its descendants (workers), sampled.

    ``peak_mb`` is the largest sum over the tree at one time; ``largest_other_mb`` the
    largest peak (VmHWM) of one descendant: workers are the fork server's children, which
    ``RUSAGE_CHILDREN`` does not see.
    """

    def __init__(self, every: float = 0.1) -> None:
        self.every, self.peak_mb, self.largest_other_mb = every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every):
            tree = _tree(me)
            total = sum(_status_kb(pid, "VmRSS") for pid in tree)
            self.peak_mb = max(self.peak_mb, total / 1024)
            others = [_status_kb(pid, "VmHWM") / 1024 for pid in tree if pid != me]
            self.largest_other_mb = max([self.largest_other_mb, *others])


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc (Linux)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def memory(tree: TreeMemory) -> str:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"peak RSS: this process {own:,.0f} MB, largest worker {tree.largest_other_mb:,.0f} MB,"
        f" whole tree {tree.peak_mb:,.0f} MB (at one time)"
    )


def time_orjson(path: Path) -> tuple[float, int]:
    start, tweets = time.perf_counter(), 0
    with path.open("rb") as lines:
        for line in lines:
            tweets += len(orjson.loads(line)["data"])
    return time.perf_counter() - start, tweets


def time_twitwi(path: Path, n_pages: int) -> tuple[float, int]:
    with path.open("rb") as lines:
        sample = [orjson.loads(next(lines)) for _ in range(n_pages)]
    start, tweets = time.perf_counter(), 0
    for page in sample:
        for tweet in page["data"]:
            try:  # twitwi refuses tweets whose includes are incomplete; time what it accepts
                normalize_tweets_payload_v2({**page, "data": [tweet]})
            except Exception:  # noqa: BLE001
                continue
            tweets += 1
    return time.perf_counter() - start, tweets


def time_reader(path: Path, parallel: Parallelism) -> tuple[float, int]:
    source = open_input(str(path))
    start, posts = time.perf_counter(), 0
    try:
        for item in get_format("twarc2").read(source, ReadOptions(parallel=parallel)):
            if isinstance(item, PostTable):
                posts += pa.compute.sum(item.table["collected"]).as_py() or 0
            else:
                posts += getattr(item, "collected", False) is True
    finally:
        source.close()
    return time.perf_counter() - start, posts


def time_ingest(path: Path, db: Path, parallel: Parallelism) -> tuple[float, int]:
    start = time.perf_counter()
    report = ingest([path], db, format="twarc2", options=ReadOptions(parallel=parallel))
    seconds = time.perf_counter() - start
    totals = report.totals
    print(f"   accounting: {totals}")
    assert totals["read"] == sum(
        totals[k] for k in ("added", "duplicates", "skipped", "quarantined")
    )
    return seconds, totals["read"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="file size (default 1 GB)")
    parser.add_argument("--twitwi-pages", type=int, default=30, help="pages timed with twitwi")
    parser.add_argument("--dir", type=Path, default=None, help="keep the file here (reused)")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: auto)"
    )
    parser.add_argument("--serial", action="store_true", help="also time ingest without workers")
    args = parser.parse_args()
    default = Parallelism()
    parallel = default if args.workers is None else Parallelism(workers=args.workers)
    size = int(args.size_mb * 1024 * 1024)
    with TreeMemory() as tree, tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = (args.dir or Path(tmp)) / f"twarc2-pages-{size}.jsonl"
        if not path.exists():
            generate_file(path, size)
        run(path, Path(tmp), args.twitwi_pages, parallel, args.serial, tree)


def generate_file(path: Path, size: int) -> None:
    start = time.perf_counter()
    n_pages, n_tweets = generate(path, size)
    print(
        f"generated {path.stat().st_size / 1e6:.0f} MB: {n_pages} pages, {n_tweets} tweets "
        f"in {time.perf_counter() - start:.1f} s"
    )


def run(
    path: Path,
    folder: Path,
    twitwi_pages: int,
    parallel: Parallelism,
    serial: bool,
    tree: TreeMemory,
) -> None:
    print(f"{path} ({path.stat().st_size / 1e6:,.0f} MB), {parallel.workers} workers")
    steps = [
        ("a. orjson parse only", lambda: time_orjson(path)),
        ("b. twitwi (sample)", lambda: time_twitwi(path, twitwi_pages)),
        ("c. trendwatch reader", lambda: time_reader(path, parallel)),
        ("d. trendwatch ingest", lambda: time_ingest(path, folder / "bench.duckdb", parallel)),
    ]
    if serial:
        no_workers = Parallelism(workers=0)
        steps.append(
            (
                "e. ingest, no workers",
                lambda: time_ingest(path, folder / "serial.duckdb", no_workers),
            )
        )
    rates = {}
    for label, timer in steps:
        seconds, tweets = timer()
        rates[label[:1]] = tweets / seconds
        print(
            f"{label:26s} {tweets:>9d} tweets {seconds:7.2f} s {rates[label[:1]]:>10,.0f} tweets/s"
        )
        print(f"   {memory(tree)}")
    print(
        f"ingest / twitwi = {rates['d'] / rates['b']:.1f}x (target >= 5x), "
        f"reader / twitwi = {rates['c'] / rates['b']:.1f}x, "
        f"ingest / orjson = {rates['d'] / rates['a']:.2f}, "
        f"ingest rate {rates['d']:,.0f} tweets/s (target >= 30,000)"
    )
    if serial:
        print(f"ingest with workers / without = {rates['d'] / rates['e']:.2f}x")


if __name__ == "__main__":
    main()
