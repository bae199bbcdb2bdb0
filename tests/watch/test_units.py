"""The watcher's parts without sockets: sources' helpers, state, the loop on fake sources."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import zstandard

from tests.conftest import make_post
from trendwatch.errors import ParameterError
from trendwatch.formats import PostTable, Quarantined, Skipped
from trendwatch.model import Account, posts_to_arrow
from trendwatch.store import Store
from trendwatch.storelock import lock_holder
from trendwatch.watch import Backoff, Jetstream, MastodonStream, Received, watch
from trendwatch.watch.config import make_sources
from trendwatch.watch.jetstream import _Decoder, jetstream_dictionary
from trendwatch.watch.loop import MAX_CLOCK_SKEW, check_times
from trendwatch.watch.mastodon import message_items
from trendwatch.watch.sources import run_source
from trendwatch.watch.state import (
    Gap,
    has_watch_tables,
    load_cursor,
    record_gaps,
    save_cursors,
    watch_gaps,
)
from trendwatch.watch.stdin import received_events

T = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


class FakeSource:
    """Yields prepared events; each item of ``connections`` is one connection: a list of
    events, then an exception (the connection breaks) or None (the stream ends)."""

    resumes = False

    def __init__(self, name, connections, *, finite=True, resumes=False):
        self.name, self.connections, self.finite, self.resumes = (
            name,
            list(connections),
            finite,
            resumes,
        )
        self.cursors = []

    async def events(self, cursor):
        self.cursors.append(cursor)
        events, ending = self.connections.pop(0) if self.connections else ([], None)
        for event in events:
            yield event
        if ending is not None:
            raise ending


def run_async(factory):
    """``asyncio.run(factory())`` in a thread of its own: the browser tests leave Playwright's
    loop running in the main thread."""
    outcome = {}

    def run():
        try:
            outcome["value"] = asyncio.run(factory())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def post_received(name, n, when, cursor=None):
    return Received(name, [make_post(f"p{n}", "a", when)], when, cursor)


# -- the loop on fake sources ------------------------------------------------------------------


def test_checks_come_at_each_multiple_passed_even_across_a_jump(tmp_path):
    times = [T + timedelta(seconds=s) for s in (1, 30, 59, 61, 250)]
    source = FakeSource(
        "fake", [([post_received("fake", i, t) for i, t in enumerate(times)], None)]
    )
    seen = []
    report = watch(tmp_path / "s.duckdb", [source], check_every=60, on_check=seen.append)
    assert seen == [T + timedelta(minutes=m) for m in (1, 2, 3, 4)] == report.checks
    assert report.added == 5 and report.stream_time == times[-1]


def test_an_event_dated_far_in_the_future_does_not_move_the_clock(tmp_path):
    future = datetime.now(UTC) + MAX_CLOCK_SKEW + timedelta(hours=1)
    events = [post_received("fake", 1, T), post_received("fake", 2, future),
              post_received("fake", 3, T + timedelta(seconds=5))]  # fmt: skip
    report = watch(tmp_path / "s.duckdb", [FakeSource("fake", [(events, None)])], check_every=60)
    assert report.stream_time == T + timedelta(seconds=5) and report.checks == []
    assert report.added == 3  # stored all the same


def test_a_broken_connection_is_a_gap_and_the_cursor_is_passed_back(tmp_path):
    first = [post_received("fake", 1, T, cursor="c1")]
    source = FakeSource("fake", [(first, ConnectionResetError("reset by peer")),
                                 ([post_received("fake", 2, T, cursor="c2")], None)],
                        resumes=True)  # fmt: skip
    report = watch(tmp_path / "s.duckdb", [source], backoff=lambda: Backoff(base=0.01, cap=0.01))
    assert source.cursors == [None, "c1"]
    [gap] = report.gaps
    assert gap.reason.startswith("ConnectionResetError: reset by peer; resumed from the cursor")
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        assert load_cursor(store, "fake")[0] == "c2"


def test_a_source_that_fails_for_another_reason_stops_the_watch_with_its_error(tmp_path):
    source = FakeSource("fake", [([post_received("fake", 1, T)], RuntimeError("a bug"))])
    with pytest.raises(RuntimeError, match="a bug"):
        watch(tmp_path / "s.duckdb", [source])
    with Store(tmp_path / "s.duckdb", read_only=True) as store:  # what came before is stored
        assert store.con.execute("SELECT count(*) FROM posts").fetchone() == (1,)


def test_two_sources_write_their_own_quarantine_rows(tmp_path):
    a = FakeSource("a", [([Received("a", [Quarantined(7, "x", "bad")])], None)])
    b = FakeSource("b", [([Received("b", [Quarantined(7, "x", "bad")])], None)])
    report = watch(tmp_path / "s.duckdb", [a, b])
    assert report.quarantined == 2
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT source FROM quarantine ORDER BY 1").fetchall() == [
            ("a",), ("b",)]  # fmt: skip


def test_bad_parameters_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="check_every"):
        watch(tmp_path / "s.duckdb", [], check_every=0)
    twice = [FakeSource("same", []), FakeSource("same", [])]
    with pytest.raises(ParameterError, match="twice"):
        watch(tmp_path / "s.duckdb", twice)


def test_check_times_on_an_exact_multiple():
    assert check_times(T, T, 60) == []
    assert check_times(T - timedelta(seconds=1), T, 60) == [T]


# -- run_source --------------------------------------------------------------------------------


def test_run_source_stops_when_told_while_it_backs_off():
    async def scenario():
        queue, stop = asyncio.Queue(), asyncio.Event()
        source = FakeSource("f", [([], OSError("down"))] * 100, finite=False)
        task = asyncio.create_task(run_source(source, None, queue, stop,
                                              backoff=Backoff(base=30, cap=30)))  # fmt: skip
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 2)  # did not sleep its 30 s
        return source.cursors

    assert run_async(scenario) == [None]


# -- Jetstream, Mastodon, stdin helpers ----------------------------------------------------------


def test_subscribe_url_keeps_the_urls_own_query_and_asks_for_zstd():
    source = Jetstream("wss://js.example/subscribe?requireHello=false", collections=["likes"],
                       compress=True)  # fmt: skip
    assert source.subscribe_url(None) == (
        "wss://js.example/subscribe?requireHello=false&wantedCollections=app.bsky.feed.like"
        "&compress=true")  # fmt: skip


def test_decoder_reads_zstd_frames_and_quarantines_garbage():
    frame = zstandard.ZstdCompressor(dict_data=jetstream_dictionary()).compress(
        b'{"did": "did:plc:a", "time_us": 5, "kind": "account"}'
    )
    decode = _Decoder("js", compressed=True)
    received = decode(frame)
    assert isinstance(received.items[0], Skipped) and received.cursor == "5"
    bad = decode(b"\x00\x01 not zstd")
    assert isinstance(bad.items[0], Quarantined) and bad.items[0].record_no == 5
    assert bad.items[0].reason.startswith("unreadable Jetstream frame")


def test_mastodon_streams_and_urls():
    assert MastodonStream("https://m.example/", "hashtag:local:Lyon").sse_url() == (
        "https://m.example/api/v1/streaming/hashtag/local?tag=Lyon"
    )
    assert MastodonStream("http://m.example", "public:remote",
                          transport="websocket").websocket_url() == (
        "ws://m.example/api/v1/streaming?stream=public%3Aremote")  # fmt: skip
    with pytest.raises(ParameterError, match="transport"):
        MastodonStream("https://m.example", transport="grpc")
    for bad in ("hashtag", "hashtag:", "list:1"):
        with pytest.raises(ParameterError):
            MastodonStream("https://m.example", bad)


def test_message_items_for_updates_edits_and_broken_payloads():
    status = ('{"id": "9", "created_at": "2024-11-20T10:00:00Z", "content": "<p>#a</p>",'
              ' "tags": [{"name": "a"}], "account": {"id": "1", "acct": "Ann"}}')  # fmt: skip
    items, when = message_items("status.update", status, 3)
    assert [type(i).__name__ for i in items] == ["Account", "Post"]
    assert when == datetime(2024, 11, 20, 10, tzinfo=UTC) and items[-1].hashtags == ("a",)
    items, when = message_items("update", '{"id": "9"}', 4)
    assert isinstance(items[0], Quarantined) and when is None and items[0].record_no == 4
    items, _ = message_items("notification", "{}", 5)
    assert items[0].reason == "Mastodon streaming notification event"


def test_received_events_group_accounts_with_their_record():
    account = Account(platform="x", account_id="a")
    post = make_post("1", "a", T)
    table = posts_to_arrow([make_post("2", "a", T + timedelta(seconds=9))])
    events = list(received_events("stdin", [account, post, PostTable(table), account]))
    assert [len(e.items) for e in events] == [2, 1, 1]
    assert events[0].time == T and events[1].time == T + timedelta(seconds=9)
    assert events[2].time is None  # a trailing account observation


def test_make_sources_needs_urls_except_for_stdin():
    with pytest.raises(ParameterError, match="needs at least one --url"):
        make_sources("jetstream")
    with pytest.raises(ParameterError, match="unknown source"):
        make_sources("rss", ["https://x"])
    [source] = make_sources("jetstream", ["ws://h/subscribe"], dids=["did:plc:a", "did:plc:a"])
    assert source.dids == ["did:plc:a"]


# -- state ---------------------------------------------------------------------------------------


def test_cursors_are_replaced_and_gaps_listed_latest_first(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert has_watch_tables(store)
        save_cursors(store, {"a": "1"})
        save_cursors(store, {"a": "2", "b": "9"})
        assert load_cursor(store, "a")[0] == "2" and load_cursor(store, "c") is None
        hour = timedelta(hours=1)
        record_gaps(store, [Gap("a", T, T + timedelta(seconds=3), "one"),
                            Gap("b", T + hour, T + 2 * hour, "two")])  # fmt: skip
        gaps = watch_gaps(store)
        assert gaps["reason"].tolist() == ["two", "one"]
        assert gaps["seconds"].tolist() == [3600, 3]
        assert len(watch_gaps(store, limit=1)) == 1


def test_lock_holder_names_a_live_process():
    holder = lock_holder(Exception(f"Conflicting lock is held in /usr/bin/x (PID {os.getpid()})"))
    # This process's command line, without the interpreter when it runs a script (pytest).
    assert holder.startswith(f"pid {os.getpid()} (") and holder.endswith(")")
    assert "pytest" in holder
    assert lock_holder(Exception("no pid here")) is None


def test_a_post_table_batch_counts_each_row(tmp_path):
    rows = posts_to_arrow([make_post(str(n), "a", T) for n in range(3)])
    source = FakeSource("t", [([Received("t", [PostTable(rows)], T)], None)])
    report = watch(tmp_path / "s.duckdb", [source])
    assert (report.read, report.added) == (3, 3)
    assert isinstance(rows, pa.Table)


def test_watch_runs_where_an_event_loop_already_runs(tmp_path):
    """As in Jupyter, or after a sync Playwright session in the same thread."""
    source = FakeSource("fake", [([post_received("fake", 1, T)], None)])

    async def inside_a_loop():
        return watch(tmp_path / "s.duckdb", [source])

    assert run_async(inside_a_loop).added == 1
    failing = FakeSource("bad", [([], RuntimeError("a bug"))])

    async def failing_inside_a_loop():
        return watch(tmp_path / "s.duckdb", [failing])

    with pytest.raises(RuntimeError, match="a bug"):
        run_async(failing_inside_a_loop)
