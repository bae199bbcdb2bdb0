"""Jetstream into the store, against a local server speaking the protocol."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.watch.servers import BASE_US, JetstreamServer, like_event, post_event
from trendwatch.errors import ParameterError
from trendwatch.store import Store
from trendwatch.watch import Backoff, Jetstream, load_cursor, watch, watch_gaps
from trendwatch.watch.jetstream import REWIND_SECONDS


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


def run(db, sources, seconds: float = 1.5, **options):
    return watch(db, sources, stop_after=seconds, backoff=fast_backoff, **options)


def stored(db) -> list[tuple[str, str]]:
    with Store(db, read_only=True) as store:
        return store.con.execute(
            "SELECT post_id, kind FROM posts WHERE collected ORDER BY post_id"
        ).fetchall()


def test_posts_and_reposts_are_stored_likes_skipped_bad_frames_quarantined(tmp_path):
    repost = {
        "did": "did:plc:carol", "time_us": BASE_US + 5_000_000, "kind": "commit",
        "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.repost",
                   "rkey": "rp1", "cid": "c",
                   "record": {"$type": "app.bsky.feed.repost", "createdAt": "2024-11-20T10:00:05Z",
                              "subject": {"cid": "c", "uri": post_event(1)["commit"]["rkey"]}}},
    }  # fmt: skip
    repost["commit"]["record"]["subject"]["uri"] = "at://did:plc:alice/app.bsky.feed.post/x"
    events = [post_event(1), like_event(2), "{not json", repost, {"did": "did:plc:x"}]
    db = tmp_path / "s.duckdb"
    with JetstreamServer(events) as server:
        report = run(db, [Jetstream(server.url, collections=["posts", "reposts", "likes"])])
    # read = added + duplicates + skipped + quarantined, as in ingest
    assert (report.read, report.added, report.skipped, report.quarantined) == (5, 2, 1, 2)
    assert [kind for _, kind in stored(db)] == ["post", "repost"]
    with Store(db, read_only=True) as store:
        reasons = [r for (r,) in store.con.execute("SELECT reason FROM quarantine ORDER BY 1")
                   .fetchall()]  # fmt: skip
    assert reasons[0].startswith("malformed Jetstream event (missing field 'time_us')")
    assert reasons[1].startswith("unreadable Jetstream frame")


def test_the_subscription_asks_for_the_collections_and_accounts(tmp_path):
    events = [post_event(1, did="did:plc:alice"), post_event(2, did="did:plc:bob"), like_event(3)]
    with JetstreamServer(events) as server:
        report = run(tmp_path / "s.duckdb", [Jetstream(server.url, dids=["did:plc:bob"])])
        [path] = server.requests
    assert "wantedCollections=app.bsky.feed.post" in path
    assert "wantedCollections=app.bsky.feed.repost" in path
    assert "wantedDids=did%3Aplc%3Abob" in path and "cursor" not in path
    assert (report.read, report.added) == (1, 1)  # the server filtered the rest


def test_zstd_frames_with_jetstreams_dictionary(tmp_path):
    events = [post_event(n) for n in range(1, 21)]
    with JetstreamServer(events) as server:
        report = run(tmp_path / "s.duckdb", [Jetstream(server.url, compress=True)])
        assert "compress=true" in server.requests[0]
    assert (report.read, report.added, report.quarantined) == (20, 20, 0)


def test_a_dropped_connection_resumes_from_the_cursor_with_no_gap_and_no_duplicate(tmp_path):
    events = [post_event(n) for n in range(1, 31)]
    db = tmp_path / "s.duckdb"
    with JetstreamServer(events, disconnect_after=[10, 12]) as server:
        report = run(db, [Jetstream(server.url)], seconds=2.0)
        requests = server.requests
    assert len(stored(db)) == 30
    # Second connection: the cursor of event 10, rewound by REWIND_SECONDS: events 5-10 again
    # (the server replays from the first event at or after the cursor).
    cursor = int(requests[1].split("cursor=")[1].split("&")[0])
    assert cursor == BASE_US + 10 * 1_000_000 - int(REWIND_SECONDS * 1e6)
    assert report.added == 30 and report.duplicates == 6 + 6
    assert len(report.gaps) == 2
    assert all("resumed from the cursor" in g.reason for g in report.gaps)
    with Store(db, read_only=True) as store:
        assert len(watch_gaps(store)) == 2
        cursor = load_cursor(store, f"jetstream {server.url}")[0]
    assert cursor == str(BASE_US + 30_000_000)


def test_a_restart_resumes_from_the_stored_cursor(tmp_path):
    db = tmp_path / "s.duckdb"
    with JetstreamServer([post_event(n) for n in range(1, 11)]) as server:
        run(db, [Jetstream(server.url)], seconds=1.0)
        server.events = [post_event(n) for n in range(1, 21)]  # the stream went on
        report = run(db, [Jetstream(server.url)], seconds=1.0)
        path = server.requests[1]
    assert f"cursor={BASE_US + 10_000_000 - 5_000_000}" in path
    assert (report.read, report.added, report.duplicates) == (16, 10, 6)  # events 5-10 again
    assert len(stored(db)) == 20


def test_unknown_collection_is_refused():
    with pytest.raises(ParameterError, match="unknown Jetstream collection"):
        Jetstream("ws://x/subscribe", collections=["posts", "blocks"])


def test_a_replayed_malformed_frame_is_quarantined_once(tmp_path):
    bad = json.dumps(
        {
            "did": "did:plc:a",
            "time_us": BASE_US + 2_000_000,
            "kind": "commit",
            "commit": {"operation": "create", "collection": "app.bsky.feed.post"},
        }
    )
    events = [post_event(1), bad, post_event(3)]
    db = tmp_path / "s.duckdb"
    with JetstreamServer(events) as server:
        run(db, [Jetstream(server.url)], seconds=0.8)
        report = run(db, [Jetstream(server.url)], seconds=0.8)  # rewinds over the bad frame
    assert report.quarantined == 0 and report.duplicates == 3  # 2 posts, 1 quarantined frame
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1


def test_stream_time_is_the_events_time_us(tmp_path):
    with JetstreamServer([post_event(1), post_event(7)]) as server:
        report = run(tmp_path / "s.duckdb", [Jetstream(server.url)], seconds=0.8)
    assert report.stream_time == datetime(2024, 11, 20, 10, 0, 7, tzinfo=UTC)
