"""The webhook against a local HTTP receiver: delivered, retried, dropped when it is dead."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trendwatch.errors import ParameterError
from trendwatch.watch.alerts import Alert
from trendwatch.watch.webhook import Webhook


def _alert(n: int = 0) -> Alert:
    moment = datetime(2025, 11, 14, 8, 30 + n, tzinfo=UTC)
    return Alert(moment, "coordination", "remigration\u202edorsani", 442 + n, 40, 3600,
                 "groups-x", "new", {"core_accounts": 23})  # fmt: skip


class Receiver:
    """A local HTTP server that answers each POST with the next status of ``statuses``
    (then 200), optionally after ``delay`` seconds, and keeps the bodies it accepted."""

    def __init__(self, statuses=(), delay: float = 0.0):
        self.statuses, self.delay = list(statuses), delay
        self.bodies, self.attempts = [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.bodies.append((self.headers["Content-Type"], body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**options):
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_each_alert_is_posted_as_its_json_line(receiver):
    r = receiver()
    hook = Webhook(r.url)
    hook(_alert(0))
    hook(_alert(1))
    hook.close()
    assert hook.sent == 2 and not hook.dropped
    kinds = {content_type for content_type, _ in r.bodies}
    bodies = [json.loads(body) for _, body in r.bodies]
    assert kinds == {"application/json"}
    assert [b["posts"] for b in bodies] == [442, 443]
    assert bodies[0]["hashtag"] == "remigration\u202edorsani"  # same string, sent escaped
    assert b"\\u202e" in r.bodies[0][1]


def test_a_failing_receiver_is_retried_with_doubling_delays(receiver):
    r = receiver(statuses=[500, 503])
    waits = []
    hook = Webhook(r.url, sleep=waits.append)
    hook(_alert())
    hook.close()
    assert r.attempts == 3 and hook.sent == 1
    assert waits == [1.0, 2.0]


def test_after_the_last_retry_the_alert_is_dropped_and_counted(receiver, caplog):
    r = receiver(statuses=[500] * 10)
    hook = Webhook(r.url, retries=2, sleep=lambda s: None)
    hook(_alert())
    hook.close()
    assert r.attempts == 3 and hook.sent == 0
    assert hook.dropped == {"retries exhausted": 1}
    assert "3 attempts failed, last: HTTP 500" in caplog.text


def test_a_dead_receiver_never_blocks_the_caller_and_drops_when_the_queue_fills(receiver):
    r = receiver(delay=0.5)  # a receiver that hangs on each request
    hook = Webhook(r.url, queue_size=2, retries=0, timeout=5)
    started = time.monotonic()
    for n in range(6):
        hook(_alert(n))
    assert time.monotonic() - started < 0.2  # the caller (the watcher's loop) never waits
    hook.close()
    # one alert in flight, two queued: the other three found the queue full
    assert hook.dropped["queue full (receiver down or slow)"] >= 3
    assert hook.sent + sum(hook.dropped.values()) == 6


def test_an_unreachable_receiver_is_dropped_with_its_reason(caplog):
    hook = Webhook("http://127.0.0.1:9/hook", retries=1, sleep=lambda s: None, timeout=2)
    hook(_alert())
    hook.close()
    assert hook.dropped == {"retries exhausted": 1}
    assert "URLError" in caplog.text or "ConnectionRefused" in caplog.text


def test_only_http_urls_are_taken():
    with pytest.raises(ParameterError, match="http"):
        Webhook("file:///etc/passwd")
