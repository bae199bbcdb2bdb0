"""The store's lock: readers together, writers alone, waiting, and naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from trendwatch.errors import StoreError
from trendwatch.store import Store

HOLD = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(db, mode: str, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode, str(seconds)],
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    return process


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    Store(path).close()
    return path


def test_several_readers_at_once(db):
    holder = hold(db, "ro", 5)
    try:
        with Store(db, read_only=True, lock_wait=0) as store:
            assert store.con.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    finally:
        holder.kill()


def test_a_writer_waits_for_a_reader_and_names_it_when_the_wait_runs_out(db):
    holder = hold(db, "ro", 30)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            Store(db, lock_wait=0.5)
        assert time.monotonic() - started >= 0.5
        message = str(caught.value)
        assert f"pid {holder.pid} (" in message and "python" in message and "-c" in message
        assert "TRENDWATCH_LOCK_WAIT" in message
    finally:
        holder.kill()


def test_a_reader_waits_for_a_writer_to_finish(db):
    holder = hold(db, "rw", 1.0)
    started = time.monotonic()
    with Store(db, read_only=True, lock_wait=20) as store:
        waited = time.monotonic() - started
        assert store.con.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    holder.wait()
    assert 0.3 < waited < 15


def test_lock_wait_comes_from_the_environment(monkeypatch):
    from trendwatch.storelock import DEFAULT_LOCK_WAIT, lock_wait_seconds

    monkeypatch.setenv("TRENDWATCH_LOCK_WAIT", "2.5")
    assert lock_wait_seconds() == 2.5
    monkeypatch.setenv("TRENDWATCH_LOCK_WAIT", "soon")
    assert lock_wait_seconds() == DEFAULT_LOCK_WAIT


def test_a_writer_waits_for_another_writer(db):
    holder = hold(db, "rw", 1.0)
    with Store(db, lock_wait=20) as store:
        assert store.con.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    holder.wait()


def test_a_waiting_process_leaves_a_mark_while_it_waits_and_removes_it(db, tmp_path):
    """The mark is what a watcher holding the store between writes looks for
    (:func:`~trendwatch.storelock.others_waiting`, which ignores its own process's)."""
    import threading

    from trendwatch.storelock import connect_waiting, others_waiting

    holder = hold(db, "rw", 1.5)
    waiter = threading.Thread(
        target=lambda: connect_waiting(str(db), read_only=True, wait=30).close()
    )
    waiter.start()
    marks = []
    deadline = time.monotonic() + 30
    while waiter.is_alive() and not marks and time.monotonic() < deadline:
        marks = list(tmp_path.glob("s.duckdb.waiting.*"))
        time.sleep(0.01)
    waiter.join()
    holder.wait()
    assert [m.name for m in marks] == [f"s.duckdb.waiting.{os.getpid()}"]
    assert not others_waiting(str(db))  # its own mark, and removed anyway
    assert not list(tmp_path.glob("*.waiting.*"))
