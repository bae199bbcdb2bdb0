"""The dashboard's live page: its data (rising hashtags, alerts, gaps), never cached, escaped."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import T0, add_posts, make_post
from tests.serve.conftest import running
from trendwatch.serve.security import CONTENT_SECURITY_POLICY
from trendwatch.store import Store
from trendwatch.watch.alerts import Alert, _store_alert
from trendwatch.watch.live import LIVE_ROWS, live_status

HOSTILE = "<img src=x onerror=alert(1)>\u202egnp"


def _alert(n: int, subject: str = "push") -> Alert:
    return Alert(T0 + timedelta(minutes=n), "coordination", subject, 120 + n, 40, 3600,
                 f"groups-{n}", "new", {"core_accounts": 30, "reading": "push"})  # fmt: skip


@pytest.fixture
def watched_store(tmp_path):
    """A store with a day of a steady hashtag, then a burst of ``push`` in the last hour."""
    with Store(tmp_path / "live.duckdb") as store:
        steady = [make_post(f"s{k}", f"u{k}", T0 - timedelta(hours=25) + k * timedelta(hours=1),
                            hashtags=("steady",)) for k in range(25)]  # fmt: skip
        burst = [make_post(f"p{k}", f"a{k % 30}", T0 - timedelta(seconds=3000 - 20 * k),
                           hashtags=("push", HOSTILE)) for k in range(150)]  # fmt: skip
        add_posts(store, steady + burst)
        yield store


def test_the_live_data_ranks_the_rising_hashtags_and_lists_alerts_newest_first(watched_store):
    for n in range(3):
        _store_alert(watched_store, _alert(n))
    watched_store.con.execute(
        "INSERT INTO watch_gaps VALUES ('jetstream', ?, ?, 'connection reset')",
        [T0 - timedelta(minutes=5), T0 - timedelta(minutes=4)],
    )
    data = live_status(watched_store)
    assert data["at"] == (T0 - timedelta(seconds=20) + timedelta(seconds=1)).isoformat()
    assert [r["hashtag"] for r in data["rising"][:2]] == sorted(["push", HOSTILE])
    assert data["rising"][0]["posts"] == 150 and data["rising"][0]["accounts"] == 30
    assert [a["run_id"] for a in data["alerts"]] == ["groups-2", "groups-1", "groups-0"]
    assert data["alerts"][0]["core_accounts"] == 30 and data["alerts"][0]["hashtag"] == "push"
    assert data["gaps"] == [{"source": "jetstream", "gap_from": str(T0 - timedelta(minutes=5)),
                             "gap_to": str(T0 - timedelta(minutes=4)),
                             "reason": "connection reset"}]  # fmt: skip


def test_only_the_latest_alerts_are_shown(watched_store):
    for n in range(LIVE_ROWS + 5):
        _store_alert(watched_store, _alert(n))
    shown = live_status(watched_store)["alerts"]
    assert len(shown) == LIVE_ROWS and shown[0]["run_id"] == f"groups-{LIVE_ROWS + 4}"


def test_a_store_made_before_alerts_shows_none(tmp_path):
    with Store(tmp_path / "old.duckdb") as store:
        add_posts(store, [make_post(1, "a", T0, hashtags=("x",))])
        store.con.execute("DROP TABLE alerts; DROP TABLE watch_gaps")
    with Store(tmp_path / "old.duckdb", read_only=True) as old:
        data = live_status(old)
    assert data["alerts"] == [] and data["gaps"] == []


def _get(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def test_the_live_page_is_computed_at_every_request_and_escaped(watched_store):
    with running(watched_store) as server:
        _, _, first = _get(server.url + "/api/live")
        assert json.loads(first)["alerts"] == []
        _store_alert(watched_store.cursor(), _alert(1, subject=HOSTILE))
        status, headers, body = _get(server.url + "/api/live")
        assert status == 200 and json.loads(body)["alerts"][0]["hashtag"] == HOSTILE
        status, headers, page = _get(server.url + "/live")
    html = page.decode()
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert '<div id="live" data-api="/api/live"' in html
    assert '<script src="/static/live.js"></script>' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\u202e" not in html.split('<script type="application/json"')[0]


def test_the_live_script_is_served_and_other_pages_do_not_load_it(watched_store):
    with running(watched_store) as server:
        status, headers, script = _get(server.url + "/static/live.js")
        _, _, overview = _get(server.url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"textContent" in script and b"innerHTML" not in script
    assert b"live.js" not in overview and b'href="/live"' in overview


def test_the_live_data_of_an_empty_store():
    with Store(":memory:") as store:
        assert live_status(store)["rising"] == []
    assert datetime(2025, 1, 1, tzinfo=UTC)  # the page needs no data to render
