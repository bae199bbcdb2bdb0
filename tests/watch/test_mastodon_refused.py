"""A Mastodon instance refusing the access stops the watch; any other failure is retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.watch.servers import MastodonServer, status
from trendwatch.errors import AccessRefusedError
from trendwatch.watch import Backoff, MastodonStream, watch

TRANSPORTS = ["sse", "websocket"]


def _stream(server, transport, **options) -> MastodonStream:
    url = server.sse_url if transport == "sse" else server.url
    return MastodonStream(url, "hashtag:tag", transport=transport, **options)


def _watch(db, sources, seconds):
    return watch(db, sources, stop_after=seconds, backoff=lambda: Backoff(base=0.05, cap=0.05))


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("answer", [401, 403])
def test_a_refusal_stops_the_watch_at_once_and_says_what_to_do(tmp_path, transport, answer):
    with MastodonServer([], answer=answer) as server:
        source = _stream(server, transport, token="t0ken", token_env="MY_TOKEN")
        started = time.monotonic()
        with pytest.raises(AccessRefusedError) as refused:
            _watch(tmp_path / "s.duckdb", [source], seconds=30)
        took = time.monotonic() - started
        asked = len(server.requests)
    message = str(refused.value)
    assert asked == 1 and took < 10  # no reconnect, long before --for ends
    assert message.startswith(f"{source.url} refused the stream hashtag:tag ({answer} ")
    assert f'("refused ({answer})")' in message  # what the instance said
    assert "$MY_TOKEN" in message and "read:statuses" in message and "t0ken" not in message
    assert message.endswith("the watch stopped")
    assert ("does not accept" in message) == (answer == 401)
    assert ("not allowed to read" in message) == (answer == 403)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_without_a_token_the_refusal_says_to_make_one(tmp_path, transport):
    needs = pytest.raises(AccessRefusedError, match="needs an access token.*--token-env")
    with MastodonServer([], answer=401) as server, needs:
        _watch(tmp_path / "s.duckdb", [_stream(server, transport)], seconds=30)


@pytest.mark.parametrize("status", [401, 403])
def test_a_websocket_refusing_the_stream_in_a_message_stops_the_watch(tmp_path, status):
    said = json.dumps({"error": "Missing access token", "status": status})
    with MastodonServer([("raw", said)], stay=True) as server:
        source = MastodonStream(server.url, transport="websocket", token="t", token_env="TOK")
        with pytest.raises(AccessRefusedError) as refused:
            _watch(tmp_path / "s.duckdb", [source], seconds=30)
    assert str(refused.value).startswith(f"{server.url} refused the stream public ({status} ")
    assert '("Missing access token")' in str(refused.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("answer", [429, 500, 503])
def test_busy_or_failing_servers_are_retried_with_backoff(tmp_path, transport, answer):
    with MastodonServer([], answer=answer) as server:
        report = _watch(tmp_path / "s.duckdb", [_stream(server, transport, token="t")], 1.5)
        asked = len(server.requests)
    assert asked >= 2  # connected again (and again) until --for ended
    assert report.read == 0


def test_a_refused_instance_stops_the_watch_of_every_instance(tmp_path):
    with (
        MastodonServer([("update", status(1))], stay=True) as good,
        MastodonServer([], answer=403) as refusing,
    ):
        sources = [MastodonStream(good.sse_url), MastodonStream(refusing.sse_url, token="t")]
        started = time.monotonic()
        with pytest.raises(AccessRefusedError, match=refusing.sse_url.replace(".", r"\.")):
            _watch(tmp_path / "s.duckdb", sources, seconds=30)
    assert time.monotonic() - started < 10  # the good stream stays open: the refusal ended it


def test_the_command_prints_an_error_naming_the_instance_and_exits_1(tmp_path):
    with MastodonServer([], answer=401) as server:
        command = [sys.executable, "-m", "trendwatch", "watch", "--source", "mastodon",
                   "--url", server.sse_url, "--stream", "public:local", "--token-env",
                   "TW_REFUSED_TOKEN", "--no-alerts", "--for", "60",
                   "--db", str(tmp_path / "s.duckdb")]  # fmt: skip
        env = {**os.environ, "TW_REFUSED_TOKEN": "expired"}
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(
        f"Error: {server.sse_url} refused the stream public:local (401 Unauthorized)"
    )
    assert "$TW_REFUSED_TOKEN" in line and "Traceback" not in done.stderr
