"""Mastodon streaming (server-sent events and websocket) into the store, locally."""

from __future__ import annotations

import json

import pytest

from tests.watch.servers import MastodonServer, status
from trendwatch.errors import ParameterError
from trendwatch.store import Store
from trendwatch.watch import Backoff, MastodonStream, watch
from trendwatch.watch.config import make_sources

EVENTS = [
    ("update", status(1)),
    ("delete", "109000000001"),
    ("update", "{broken"),
    ("status.update", status(1)),
    ("update", status(2, acct="bob@other.example")),
]


def run(db, sources, seconds=1.2):
    return watch(db, sources, stop_after=seconds, backoff=lambda: Backoff(base=5, cap=5))


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_updates_are_stored_deletes_skipped_malformed_quarantined(tmp_path, transport):
    db = tmp_path / "s.duckdb"
    with MastodonServer(EVENTS, stay=True) as server:
        url = server.sse_url if transport == "sse" else server.url
        source = MastodonStream(url, "hashtag:tag", transport=transport, token="t0ken")
        report = run(db, [source])
        [(path, auth)] = server.requests
    # read = added + duplicates (the edit) + skipped (the delete) + quarantined
    assert (report.read, report.added, report.duplicates, report.skipped, report.quarantined) == (
        5, 2, 1, 1, 1)  # fmt: skip
    assert auth == "Bearer t0ken" and "t0ken" not in path
    assert path == ("/api/v1/streaming/hashtag?tag=tag" if transport == "sse"
                    else "/api/v1/streaming?stream=hashtag&tag=tag")  # fmt: skip
    with Store(db, read_only=True) as store:
        handles = store.con.execute(
            "SELECT author_handle, post_url FROM posts ORDER BY 1"
        ).fetchall()
    assert handles == [  # each status keeps its address (its url)
        ("ann", "https://m.example/@ann/1"),
        ("bob@other.example", "https://m.example/@bob@other.example/2"),
    ]


def test_a_websocket_error_message_is_quarantined(tmp_path):
    events = [("raw", json.dumps({"error": "Unknown stream type", "status": 400}))]
    with MastodonServer(events, stay=True) as server:
        report = run(tmp_path / "s.duckdb", [MastodonStream(server.url, transport="websocket")])
    assert report.quarantined == 1


def test_an_ended_stream_is_a_gap_and_a_restart_records_the_time_away(tmp_path):
    db = tmp_path / "s.duckdb"
    with MastodonServer([("update", status(1))]) as server:  # ends each stream at once
        report = watch(db, [MastodonStream(server.sse_url)], stop_after=1.0,
                       backoff=lambda: Backoff(base=0.2, cap=0.2))  # fmt: skip
        assert len(server.requests) >= 2
        assert report.gaps and report.gaps[0].reason == "the server ended the stream"
        assert "replayed" not in report.gaps[0].reason  # Mastodon cannot replay
        report = watch(db, [MastodonStream(server.sse_url)], stop_after=0.3)
    assert report.gaps[0].reason == "the watcher was not running"


def test_several_instances_in_one_watcher(tmp_path):
    with (
        MastodonServer([("update", status(1))], stay=True) as a,
        MastodonServer([("update", status(2))], stay=True) as b,
    ):
        report = run(tmp_path / "s.duckdb", make_sources("mastodon", [a.sse_url, b.sse_url]))
    assert report.added == 2


def test_the_token_comes_from_the_environment_only(monkeypatch):
    monkeypatch.delenv("TW_TEST_TOKEN", raising=False)
    with pytest.raises(ParameterError, match="TW_TEST_TOKEN"):
        make_sources("mastodon", ["https://m.example"], token_env="TW_TEST_TOKEN")
    monkeypatch.setenv("TW_TEST_TOKEN", "abc")
    [source] = make_sources("mastodon", ["https://m.example"], token_env="TW_TEST_TOKEN")
    assert source.token == "abc"


def test_unknown_stream_is_refused():
    with pytest.raises(ParameterError, match="unknown Mastodon stream"):
        MastodonStream("https://m.example", "user")
