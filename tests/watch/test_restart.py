"""Kill -9 mid-stream, then restart: every event of the replay stored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.watch.servers import JetstreamServer, post_event
from trendwatch.store import Store

EVENTS = 400


def start_watch(db, url: str, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "trendwatch", "watch", "--source", "jetstream",
               "--url", url, "--db", str(db), "--check-every", "1", *extra]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored_posts(db) -> tuple[int, int]:
    with Store(db, read_only=True, lock_wait=10) as store:
        return store.con.execute(
            "SELECT count(*), count(DISTINCT post_id) FROM posts WHERE collected"
        ).fetchone()


def test_kill_9_then_restart_stores_every_event_exactly_once(tmp_path):
    db = tmp_path / "s.duckdb"
    events = [post_event(n) for n in range(1, EVENTS + 1)]  # one per second of stream time
    with JetstreamServer(events, pause=0.01) as server:
        watcher = start_watch(db, server.url)
        deadline = time.monotonic() + 60
        while server.sent < EVENTS // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(watcher.pid, signal.SIGKILL)  # mid-stream, maybe mid-write
        watcher.wait(10)
        assert watcher.returncode == -signal.SIGKILL
        killed_at = server.sent
        restarted = start_watch(db, server.url, "--for", "8")
        out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    assert killed_at < EVENTS
    assert stored_posts(db) == (EVENTS, EVENTS)


def test_sigterm_stops_cleanly_with_everything_received_stored(tmp_path):
    db = tmp_path / "s.duckdb"
    events = [post_event(n) for n in range(1, 51)]
    with JetstreamServer(events) as server:
        watcher = start_watch(db, server.url, "--check-every", "3600")
        deadline = time.monotonic() + 60
        while server.sent < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # received, not yet written: the next write is an hour of stream away
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "50" in out
    assert stored_posts(db) == (50, 50)
