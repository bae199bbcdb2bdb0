"""Time Mastodon ingest on a large file made of the real rtoot statuses.

Takes every Status entity of ``../shared/data/mastodon-rtoot/responses`` (pages, single
statuses, contexts), writes them as JSON Lines copied until the file holds ``--statuses``
statuses, each copy with fresh ids (every quoted run of 6+ digits gets the copy number in
front: status, reblog, reply and account ids alike, so each copy adds new posts), then times
``trendwatch.ingest`` of that file into a fresh DuckDB store, ``--repeat`` times. Prints the
statuses per second of wall time and of CPU time: on a shared machine the wall time depends
on the neighbours, the CPU time much less. The CPU time is this process's and its waited-for
children's, which leaves out the parsing workers (the fork server's children): ``--serial``
reads in this process, so that its CPU time is the whole ingest's.

Usage::

    python benchmarks/bench_ingest_mastodon.py [--statuses 200000] [--repeat 3] [--dir DIR]
        [--serial]
"""

from __future__ import annotations

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

import orjson

from trendwatch.formats import ReadOptions
from trendwatch.formats.items import Parallelism
from trendwatch.ingest import ingest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mastodon-rtoot" / "responses"
_QUOTED_DIGITS = re.compile(rb'"(\d{6,25})"')


def statuses() -> list[bytes]:
    """Every Status entity of the recorded responses, one JSON line each."""
    found = []
    for path in sorted(SHARED.glob("*.json")):
        for response in orjson.loads(path.read_bytes()):
            found += [orjson.dumps(s) for s in _statuses_of(response.get("body"))]
    if not found:
        raise SystemExit(f"no Mastodon statuses found under {SHARED}")
    return found


def _statuses_of(body) -> list[dict]:
    if isinstance(body, dict) and ("ancestors" in body or "descendants" in body):
        return [*(body.get("ancestors") or ()), *(body.get("descendants") or ())]
    values = body if isinstance(body, list) else [body]
    return [v for v in values if isinstance(v, dict) and "content" in v and "account" in v]


def generate(path: Path, wanted: int) -> int:
    """Write copies of the statuses with fresh ids until ``wanted``; return how many."""
    lines, written, copy = statuses(), 0, 0
    with path.open("wb") as out:
        while written < wanted:
            copy += 1
            fresh = b'"%05d\\1"' % copy  # each quoted id, the copy number in front
            for line in lines[: wanted - written]:
                out.write(_QUOTED_DIGITS.sub(fresh, line))
                out.write(b"\n")
            written += min(len(lines), wanted - written)
    return written


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_ingest(path: Path, folder: Path, run: int, serial: bool) -> tuple[float, float, int]:
    """(wall s, CPU s, posts added) of one ingest into a new store."""
    db = folder / f"bench-{run}.duckdb"
    options = ReadOptions(parallel=Parallelism(workers=0)) if serial else None
    cpu, wall = cpu_seconds(), time.perf_counter()
    report = ingest([str(path)], str(db), options=options)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    db.unlink()
    return wall, cpu, report.totals["added"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statuses", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="keep the generated file here")
    parser.add_argument("--serial", action="store_true", help="read in this process only")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="tw-bench-masto-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mastodon-{args.statuses}.jsonl"
    if not path.exists():
        generate(path, args.statuses)
    print(f"{path}: {args.statuses:,} statuses, {path.stat().st_size / 1e6:,.1f} MB")
    for run in range(1, args.repeat + 1):
        wall, cpu, added = time_ingest(path, folder, run, args.serial)
        print(
            f"run {run}: {wall:6.2f} s wall ({args.statuses / wall:9,.0f} statuses/s), "
            f"{cpu:6.2f} CPU-s ({args.statuses / cpu:9,.0f} statuses/CPU-s), {added:,} added"
        )


if __name__ == "__main__":
    main()
