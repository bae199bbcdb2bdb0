"""Watch a local Jetstream replay at full speed: events/s, peak memory, reader staleness.

The replay has the real network's mix (measured from a Jetstream sample, June 2026): per
second of stream time about 69 posts, 200 likes and 25 follows. A server process sends it as
fast as the watcher takes it (the websocket's flow control is the only brake); the watcher
(this process) asks for posts, reposts, likes and follows and checks every 60 s of stream
time; a reader process opens the store read-only every ``--read-every`` seconds and notes
the newest post it sees. Printed: events/s over the whole replay, the watcher's peak
memory (maximum resident set), the writes and checks, and the staleness the reader saw: for
each of its reads, the wall time since the server sent the newest post it saw (a read also
waits while the watcher writes: its wait is printed too). Targets (issue 17): >= 20,000
events/s, <= 1 GB over a one-hour replay. Usage::

    python benchmarks/bench_watch.py [--minutes 60] [--compress] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_US = 1_780_000_000_000_000  # 2026-05-28
PER_SECOND = {"post": 69, "like": 200, "follow": 25}
CID = "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"
TAGS = ["bluesky", "art", "news", "politics", "photography", "music", "nba", "gaza", "ai"]


def events(minutes: float):
    """The replay's frames in time order (JSON text), deterministic."""
    import random

    rng = random.Random(17)
    n = 0
    for second in range(int(minutes * 60)):
        kinds = [k for k, count in PER_SECOND.items() for _ in range(count)]
        rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            n += 1
            time_us = BASE_US + second * 1_000_000 + i * 3000
            yield json.dumps(_event(kind, n, time_us, rng))


def _event(kind: str, n: int, time_us: int, rng) -> dict:
    did = f"did:plc:{rng.randrange(400_000):024x}"
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time_us / 1e6)) + ".000Z"
    if kind == "post":
        tag = rng.choice(TAGS)
        text = f"post {n} about the day, with a link and #{tag} " + "words " * rng.randrange(20)
        start = text.index("#")
        record = {"$type": "app.bsky.feed.post", "createdAt": created, "langs": ["en"],
                  "text": text,
                  "facets": [{"index": {"byteStart": start, "byteEnd": start + 1 + len(tag)},
                              "features": [{"$type": "app.bsky.richtext.facet#tag",
                                            "tag": tag}]}]}  # fmt: skip
        collection = "app.bsky.feed.post"
    elif kind == "like":
        subject = f"at://did:plc:{rng.randrange(400_000):024x}/app.bsky.feed.post/3l{n:x}"
        record = {"$type": "app.bsky.feed.like", "createdAt": created,
                  "subject": {"cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
                              "uri": subject}}  # fmt: skip
        collection = "app.bsky.feed.like"
    else:
        record = {"$type": "app.bsky.graph.follow", "createdAt": created,
                  "subject": f"did:plc:{rng.randrange(400_000):024x}"}  # fmt: skip
        collection = "app.bsky.graph.follow"
    return {"did": did, "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"3l{n:x}", "operation": "create", "collection": collection,
                       "rkey": f"3k{n:x}", "record": record,
                       "cid": CID}}  # fmt: skip


def serve(minutes: float, compress: bool, port_queue, progress_path: str) -> None:
    """The replay server (its own process): every frame as fast as the client takes them,
    and every 0.2 s (wall time, time_us sent) appended to ``progress_path``."""
    import zstandard
    from websockets.asyncio.server import serve as ws_serve

    from trendwatch.watch.jetstream import jetstream_dictionary

    frames = list(events(minutes))
    if compress:
        compressor = zstandard.ZstdCompressor(dict_data=jetstream_dictionary())
        frames = [compressor.compress(f.encode()) for f in frames]
    times = [json.loads(f)["time_us"] for f in events(minutes)] if compress else None

    async def handler(websocket) -> None:
        last_note = 0.0
        with open(progress_path, "a") as progress:
            for i, frame in enumerate(frames):
                await websocket.send(frame)
                now = time.time()
                if now - last_note >= 0.2:
                    sent = times[i] if times else json.loads(frame)["time_us"]
                    progress.write(f"{now} {sent}\n")
                    progress.flush()
                    last_note = now
            progress.write(f"{time.time()} {BASE_US + int(minutes * 60e6)} done\n")
        await websocket.wait_closed()

    async def main() -> None:
        async with ws_serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def _replay_class():
    from trendwatch.watch import Jetstream

    class Replay(Jetstream):
        """The replay's Jetstream, finite: the watch ends once every event is read."""

        finite = True

        def __init__(self, url: str, total: int, **options) -> None:
            super().__init__(url, **options)
            self.total = total

        async def events(self, cursor):
            read = 0
            async for received in super().events(cursor):
                yield received
                read += 1
                if read >= self.total:
                    return

    return Replay


READER = """
import sys, time
from trendwatch.storelock import connect_waiting
end = time.time() + float(sys.argv[2])
while time.time() < end:
    asked = time.time()
    con = connect_waiting(sys.argv[1], read_only=True, wait=60)
    opened = time.time()
    newest = con.execute("SELECT epoch_us(max(created_at)) FROM posts").fetchone()[0]
    con.close()
    print(asked, opened, newest, flush=True)
    time.sleep(float(sys.argv[3]))
"""


def staleness(reads: list[str], progress: list[str]) -> tuple[list[float], list[float]]:
    """For each read: wall seconds since the server sent the newest post it saw, and its wait."""
    sent = [(float(line.split()[0]), int(line.split()[1])) for line in progress]
    ages, waits = [], []
    for line in reads:
        asked, opened, newest = line.split()
        if newest == "None":
            continue
        sent_at = next((t for t, us in sent if us >= int(newest)), sent[-1][0])
        ages.append(float(opened) - sent_at)
        waits.append(float(opened) - float(asked))
    return ages, waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--read-every", type=float, default=1.0)
    parser.add_argument("--profile", help="cProfile the watcher into this file")
    parser.add_argument(
        "--no-alerts", action="store_true",
        help="check with a no-op hook instead of the alert check `trendwatch watch` runs",
    )  # fmt: skip
    args = parser.parse_args()

    from trendwatch.watch import watch

    Replay = _replay_class()  # noqa: N806

    folder = Path(tempfile.mkdtemp(prefix="bench_watch_"))
    db, progress_path = folder / "watch.duckdb", folder / "progress.txt"
    total = int(args.minutes * 60) * sum(PER_SECOND.values())
    ports = multiprocessing.Queue()
    options = (args.minutes, args.compress, ports, str(progress_path))
    server = multiprocessing.Process(target=serve, args=options, daemon=True)
    server.start()
    port = ports.get(timeout=600)
    from trendwatch.store import Store

    Store(db).close()
    command = [sys.executable, "-c", READER, str(db), "100000", str(args.read_every)]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    checks: list[float] = []
    source = Replay(f"ws://127.0.0.1:{port}/subscribe", total, compress=args.compress,
                    collections=["posts", "reposts", "likes", "follows"])  # fmt: skip

    from trendwatch.watch.alerts import WatchChecks

    alert_checks = None if args.no_alerts else WatchChecks(db)

    def on_check(stream_time):
        checks.append(time.time())
        if alert_checks is not None:
            alert_checks(stream_time)

    def run():
        return watch(db, [source], check_every=60, flush_every=1.0, on_check=on_check)

    started, cpu_before = time.monotonic(), _cpu_seconds()
    if args.profile:
        import cProfile

        with cProfile.Profile() as profile:
            report = run()
        profile.dump_stats(args.profile)
    else:
        report = run()
    seconds, cpu = time.monotonic() - started, _cpu_seconds() - cpu_before
    reader.terminate()
    reads = reader.communicate()[0].splitlines()
    server_cpu = _process_cpu_seconds(server.pid)
    server.terminate()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ages, waits = staleness(reads, progress_path.read_text().splitlines())
    print(f"{total:,} events ({args.minutes:g} min of stream at 294/s), compress={args.compress}")
    print(
        f"watch: {report.read:,} records read, {report.added:,} posts added, "
        f"{report.skipped:,} skipped, {report.writes} writes, {len(report.checks)} checks"
    )
    print(
        f"time {seconds:.1f} s: {report.read / seconds:,.0f} events/s; "
        f"peak memory (max RSS) {peak_mb:,.0f} MB"
    )
    print(
        f"watcher CPU {cpu:.1f} s: {report.read / cpu:,.0f} events per CPU-second "
        f"(all its threads); server CPU {server_cpu:.1f} s; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    if ages:
        ages.sort()
        print(
            f"reader: {len(ages)} reads; staleness (s since the newest post seen was sent): "
            f"median {ages[len(ages) // 2]:.2f}, p95 {ages[int(len(ages) * 0.95)]:.2f}, "
            f"max {ages[-1]:.2f}; wait to open: max {max(waits):.2f} s"
        )
    if alert_checks is not None and alert_checks.check_seconds:
        spent = sorted(alert_checks.check_seconds)
        print(f"alert checks: {len(spent)}, median {spent[len(spent) // 2]:.2f} s, "
              f"max {spent[-1]:.2f} s each")  # fmt: skip
    print(f"store {db.stat().st_size / 1e6:,.1f} MB for {report.added:,} posts")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
