"""The check hook on the stream's clock, the backoff, and the store shared while watching."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from tests.watch.servers import BASE_US, JetstreamServer, post_event
from trendwatch.store import Store
from trendwatch.watch import Backoff, Jetstream, check_times, watch


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(BASE_US / 1e6 + seconds, UTC)


def test_check_times_are_the_multiples_crossed():
    t = datetime(2026, 1, 1, 0, 0, 59, tzinfo=UTC)
    assert check_times(t, t + timedelta(seconds=1), 60) == [datetime(2026, 1, 1, 0, 1, tzinfo=UTC)]
    assert check_times(t, t + timedelta(seconds=0.5), 60) == []
    assert len(check_times(t, t + timedelta(minutes=10), 60)) == 10


def test_backoff_doubles_up_to_its_cap_with_full_jitter():
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def replay_checks(db, pause: float, seconds: float) -> tuple[list, list]:
    """Events every 0.5 s of stream time for 4.5 s, checks every second; at each check, the
    posts the store holds (the watcher has closed it, so the hook can open it)."""
    events = [post_event(0, time_us=BASE_US + k * 500_000) for k in range(10)]
    for k, event in enumerate(events):
        event["commit"]["rkey"] = f"k{k}"
    seen = []

    def on_check(stream_time):
        with Store(db, read_only=True, lock_wait=5) as store:
            seen.append(store.con.execute("SELECT count(*) FROM posts").fetchone()[0])

    with JetstreamServer(events, pause=pause) as server:
        report = watch(db, [Jetstream(server.url)], check_every=1.0, on_check=on_check,
                       stop_after=seconds)  # fmt: skip
    return report.checks, seen


def test_a_replay_at_1000x_checks_at_the_same_stream_times_as_at_1x(tmp_path):
    checks_1x, seen_1x = replay_checks(tmp_path / "a.duckdb", pause=0.5, seconds=5.5)
    checks_fast, seen_fast = replay_checks(tmp_path / "b.duckdb", pause=0.0005, seconds=1.0)
    assert checks_1x == checks_fast == [at(1), at(2), at(3), at(4)]
    # Every event before the check time is stored when the hook runs: 2 per second.
    assert seen_1x == seen_fast == [2, 4, 6, 8]


READER = """
import json, sys, time
from trendwatch.storelock import connect_waiting
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    started = time.monotonic()
    con = connect_waiting(sys.argv[1], read_only=True, wait=5)
    opened = time.monotonic() - started
    count = con.execute("SELECT count(*) FROM posts").fetchone()[0]
    con.close()
    print(json.dumps([time.time(), opened, count]), flush=True)
    time.sleep(0.05)
"""


def test_readers_in_other_processes_open_the_store_while_the_watcher_runs(tmp_path):
    """Another process opens the store read-only again and again while events arrive: it
    always gets in (the watcher holds the file only to write) and sees data at most a flush
    interval old."""
    db = tmp_path / "s.duckdb"
    Store(db).close()
    events = [post_event(n) for n in range(1, 1000)]
    command = [sys.executable, "-c", READER, str(db), "3.0"]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = reader.stdout.readline()  # the reader is up before the watcher starts
    with JetstreamServer(events, pause=0.01) as server:
        thread = threading.Thread(target=watch, args=(db, [Jetstream(server.url)]),
                                  kwargs={"stop_after": 3.5, "flush_every": 0.25})  # fmt: skip
        thread.start()
        out, err = reader.communicate(timeout=60)
        thread.join()
    assert reader.returncode == 0, err
    rows = [json.loads(line) for line in [first, *out.splitlines()]]
    counts = [count for _, _, count in rows]
    assert len(rows) >= 5 and counts == sorted(counts) and len(set(counts)) >= 3
    assert max(opened for _, opened, _ in rows) < 2.0


def test_a_slow_check_hook_holds_the_stream_back_and_loses_nothing(tmp_path):
    """A consumer slower than the stream: the hook takes 0.3 s per check of one stream second
    while the server sends as fast as it can; backpressure, not loss."""
    db = tmp_path / "s.duckdb"
    events = [post_event(0, time_us=BASE_US + k * 100_000) for k in range(60)]
    for k, event in enumerate(events):
        event["commit"]["rkey"] = f"s{k}"
    with JetstreamServer(events) as server:
        report = watch(db, [Jetstream(server.url)], check_every=1.0, stop_after=4.0,
                       on_check=lambda t: time.sleep(0.3))  # fmt: skip
    assert report.checks == [at(s) for s in range(1, 6)]
    assert (report.read, report.added) == (60, 60)
