"""Time X API v2 ingest on a large twarc2 file, against plain orjson parsing and twitwi.

Builds a twarc2 file of the requested size by replicating the real pages of
``../shared/data/twitter-v2-twarc`` with fresh tweet ids per copy (so every copy adds new posts),
then times:

a. plain ``orjson.loads`` of every line (the floor: parsing alone);
b. twitwi's ``normalize_tweets_payload_v2`` on a sample of pages (rate extrapolated);
c. trendwatch's reader alone (normalisation into records, no store);
d. ``trendwatch.ingest`` into a fresh DuckDB store (normalisation + storing).

and prints tweets/s for each, the ratios, and the peak resident memory.

Usage::

    python benchmarks/bench_ingest_v2.py [--size-mb 1024] [--twitwi-pages 30] [--dir DIR]
"""

from __future__ import annotations

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
from twitwi import normalize_tweets_payload_v2

from trendwatch.formats import PostTable, ReadOptions, get_format, open_input
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def time_reader(path: Path) -> tuple[float, int]:
    source = open_input(str(path))
    start, posts = time.perf_counter(), 0
    try:
        for item in get_format("twarc2").read(source, ReadOptions()):
            if isinstance(item, PostTable):
                posts += pa.compute.sum(item.table["collected"]).as_py() or 0
            else:
                posts += getattr(item, "collected", False) is True
    finally:
        source.close()
    return time.perf_counter() - start, posts


def time_ingest(path: Path, db: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    report = ingest([path], db, format="twarc2")
    return time.perf_counter() - start, report.totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="file size (default 1 GB)")
    parser.add_argument("--twitwi-pages", type=int, default=30, help="pages timed with twitwi")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        run(Path(tmp), int(args.size_mb * 1024 * 1024), args.twitwi_pages)


def run(folder: Path, size: int, twitwi_pages: int) -> None:
    path = folder / "pages.jsonl"
    start = time.perf_counter()
    n_pages, n_tweets = generate(path, size)
    print(
        f"generated {path.stat().st_size / 1e6:.0f} MB: {n_pages} pages, {n_tweets} tweets "
        f"in {time.perf_counter() - start:.1f} s"
    )
    rates = {}
    for label, timer in (
        ("a. orjson parse only", lambda: time_orjson(path)),
        ("b. twitwi (sample)", lambda: time_twitwi(path, twitwi_pages)),
        ("c. trendwatch reader", lambda: time_reader(path)),
    ):
        seconds, tweets = timer()
        rates[label] = tweets / seconds
        print(
            f"{label:26s} {tweets:>9d} tweets {seconds:7.2f} s {rates[label]:>10,.0f} tweets/s"
            f"   peak RSS {peak_rss_mb():,.0f} MB"
        )
    seconds, totals = time_ingest(path, folder / "bench.duckdb")
    rates["d. trendwatch ingest"] = totals["read"] / seconds
    print(
        f"{'d. trendwatch ingest':26s} {totals['read']:>9d} tweets {seconds:7.2f} s "
        f"{rates['d. trendwatch ingest']:>10,.0f} tweets/s   peak RSS {peak_rss_mb():,.0f} MB"
    )
    print(f"   accounting: {totals}")
    twitwi = rates["b. twitwi (sample)"]
    print(
        f"ingest / twitwi = {rates['d. trendwatch ingest'] / twitwi:.1f}x, "
        f"reader / twitwi = {rates['c. trendwatch reader'] / twitwi:.1f}x, "
        f"ingest / orjson = {rates['d. trendwatch ingest'] / rates['a. orjson parse only']:.2f}"
    )
    store_share = 1 - rates["d. trendwatch ingest"] / rates["c. trendwatch reader"]
    print(f"share of ingest time spent after reading (arrow + store): {store_share:.0%}")


if __name__ == "__main__":
    main()
