"""The replay keeps the watcher's contract: at each tick, exactly the posts created before it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.errors import ParameterError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store
from trendwatch.watch.replay import replay, ticks_between

MINUTE = timedelta(minutes=1)


@pytest.fixture
def source(store):
    """25 posts 17 s apart from T0 + 5 s (the last at T0 + 6 min 53 s), and one account."""
    add_posts(store, [make_post(k, f"a{k % 4}", T0 + timedelta(seconds=5 + 17 * k))
                      for k in range(25)])  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a1", handle="Alice")]))
    return store


class Recorder:
    """A checker that notes what the store holds at each tick."""

    def __init__(self, store):
        self.store, self.seen = store, []

    def __call__(self, tick):
        [(n, before, last)] = self.store.con.execute(
            "SELECT count(*), count(*) FILTER (created_at < ?), max(created_at) FROM posts",
            [tick],
        ).fetchall()
        self.seen.append((tick, n, before, last))
        return [tick] if n % 2 else []


def _replayed(source, **options):
    with Store(":memory:") as target:
        recorder = Recorder(target)
        report = replay(source, target, recorder, **options)
        accounts = target.con.execute("SELECT handle FROM accounts").fetchall()
        return report, recorder.seen, accounts


def test_each_tick_sees_exactly_the_posts_created_before_it(source):
    report, seen, accounts = _replayed(source)
    assert [s[0] for s in seen] == [T0 + k * MINUTE for k in range(1, 8)]
    assert [s[1] for s in seen] == [4, 7, 11, 14, 18, 21, 25]  # posts at 5 + 17k s < tick
    assert all(n == before for _, n, before, _ in seen)
    assert report.posts == 25 and report.checks == 7
    assert accounts == [("Alice",)]


@pytest.mark.parametrize("batch_posts", [1, 3, 7, 100])
def test_the_batch_size_changes_nothing(source, batch_posts):
    reference, seen, _ = _replayed(source)
    report, other, _ = _replayed(source, batch_posts=batch_posts)
    assert other == seen
    assert report.alerts == reference.alerts


def test_speed_paces_the_replay_against_the_wall_clock(source):
    started = time.monotonic()
    _, paced, _ = _replayed(source, speed=600.0)
    elapsed = time.monotonic() - started
    _, unpaced, _ = _replayed(source)
    assert paced == unpaced
    # the last tick is 7 min - 5 s of stream time after the first post: 0.69 s at 600x
    assert elapsed >= 415 / 600


def test_a_paced_replay_sleeps_until_each_tick_is_due(source):
    waits = []
    _replayed(source, speed=60.0, sleep=waits.append)
    # the clock does not move while the fake sleeps: each wait is the tick's whole offset
    # from the first post (T0 + 5 s) at 60x, give or take the time the replay itself took
    due = [(55 + 60 * k) / 60 for k in range(7)]
    assert waits == pytest.approx(due, abs=0.5)


def test_since_writes_history_unchecked_and_until_stops(source):
    report, seen, _ = _replayed(source, since=T0 + 3 * MINUTE, until=T0 + 5 * MINUTE)
    assert [s[0] for s in seen] == [T0 + 4 * MINUTE, T0 + 5 * MINUTE]
    assert [s[1] for s in seen] == [14, 18]
    assert report.posts == 18  # 11 of history before T0 + 3 min, 7 replayed


def test_ticks_are_on_the_epoch_grid_whatever_the_start():
    start = datetime(2025, 1, 1, 0, 0, 59, tzinfo=UTC)
    ticks = ticks_between(start, start + timedelta(seconds=1), timedelta(seconds=60))
    assert ticks == [datetime(2025, 1, 1, 0, 1, tzinfo=UTC)]
    with pytest.raises(ParameterError, match="at least one second"):
        ticks_between(start, start, timedelta(0))


def test_bad_options_are_refused(source):
    with pytest.raises(ParameterError, match="batch_posts"):
        replay(source, Store(":memory:"), lambda t: [], batch_posts=0)
    with pytest.raises(ParameterError, match="speed"):
        replay(source, Store(":memory:"), lambda t: [], speed=0)


def test_without_history_the_store_starts_empty_at_since(source):
    # posts at 5 + 17k s; from T0 + 180 s: k = 11 (192 s) on; before 240 s: k = 11..13;
    # before 300 s: k = 11..17
    report, seen, accounts = _replayed(
        source, since=T0 + 3 * MINUTE, until=T0 + 5 * MINUTE, history=False
    )
    assert [s[1] for s in seen] == [3, 7]
    assert report.posts == 7 and accounts == [("Alice",)]
