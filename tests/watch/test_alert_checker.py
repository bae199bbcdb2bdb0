"""The checker's plumbing: alert lines, the alerts file and table, escalation state, restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.errors import InputError, ParameterError
from trendwatch.store import Store
from trendwatch.watch.alerts import (
    Alert,
    AlertFile,
    Checker,
    _store_alert,
    alert_line,
    stored_alerts,
)
from trendwatch.watch.rules import AlertRules, Previous


def _alert(kind="coordination", subject="push", minute=0, posts=120, core=30) -> Alert:
    return Alert(T0 + timedelta(minutes=minute), kind, subject, posts, 40, 3600, "groups-1",
                 "new", {"core_accounts": core, "reading": "push"})  # fmt: skip


def test_the_alert_line_has_the_fixed_fields_first_then_the_numbers():
    line = json.loads(alert_line(_alert()))
    assert list(line)[:9] == ["time", "kind", "hashtag", "posts", "accounts", "window_s",
                              "run_id", "escalation", "core_accounts"]  # fmt: skip
    assert line["time"] == "2024-03-01T12:00:00Z"
    raid = json.loads(alert_line(_alert("reply-raid", "@someone")))
    assert raid["target"] == "@someone" and "hashtag" not in raid


def test_the_alert_line_is_ascii_and_decodes_to_the_same_strings():
    hostile = "d\u00e9bat\u202e\x1b[31m\u0085"
    text = alert_line(_alert(subject=hostile))
    assert text.isascii() and "\n" not in text
    assert json.loads(text)["hashtag"] == hostile


def test_a_local_time_is_written_in_utc():
    paris = datetime(2024, 3, 1, 13, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris"))  # fmt: skip
    alert = Alert(paris, "trend", "x", 1, 1, 60, None, "new")
    assert json.loads(alert_line(alert))["time"] == "2024-03-01T13:00:00Z"


def test_the_alerts_file_gets_one_line_per_alert(tmp_path):
    sink = AlertFile(tmp_path / "alerts.jsonl")
    sink(_alert(minute=0))
    sink(_alert(minute=1))
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(x)["time"] for x in lines] == ["2024-03-01T12:00:00Z",
                                                      "2024-03-01T12:01:00Z"]  # fmt: skip
    with pytest.raises(InputError, match="folder"):
        AlertFile(tmp_path)


def test_stored_alerts_keep_the_line_and_filter_by_time(store):
    for minute in (0, 5, 10):
        _store_alert(store, _alert(minute=minute))
    found = stored_alerts(store, since=T0 + timedelta(minutes=5))
    assert [json.loads(b)["time"][11:16] for b in found["body"]] == ["12:05", "12:10"]
    assert set(found["groups_run"]) == {"groups-1"} and set(found["hashtag"]) == {"push"}


def test_a_restarted_checker_knows_the_last_alert_of_each_subject(store):
    _store_alert(store, _alert(minute=0, posts=100, core=10))
    _store_alert(store, _alert(minute=5, posts=210, core=12))
    _store_alert(store, _alert("reply-raid", "@target", minute=7, posts=30, core=8))
    previous = Checker(store)._previous
    assert previous[("hashtag", "push")] == Previous(
        "coordination", 210, 12, T0 + timedelta(minutes=5), T0 + timedelta(minutes=5)
    )
    assert previous[("target", "@target")].core_accounts == 8


def test_state_is_forgotten_after_a_quiet_window(store):
    checker = Checker(store, rules=AlertRules(window=timedelta(minutes=30)))
    checker._note_held(("hashtag", "a"), "trend", 100, 0, T0, alerted=True)
    checker._note_held(("hashtag", "a"), "trend", 150, 0, T0 + timedelta(minutes=20),
                       alerted=False)  # fmt: skip
    kept = checker._previous[("hashtag", "a")]
    assert (kept.posts, kept.time, kept.last_held) == (100, T0, T0 + timedelta(minutes=20))
    checker._forget_quiet(T0 + timedelta(minutes=50))
    assert ("hashtag", "a") in checker._previous  # quiet for exactly the window: kept
    checker._forget_quiet(T0 + timedelta(minutes=50, seconds=1))
    assert ("hashtag", "a") not in checker._previous


def test_a_quiet_store_raises_nothing_and_times_each_check(store):
    add_posts(store, [make_post(k, f"a{k}", T0 - timedelta(minutes=k), hashtags=("x",))
                      for k in range(30)])  # fmt: skip
    sunk = []
    checker = Checker(store, sinks=[sunk.append], targets=["@nobody"])
    assert checker(T0) == [] and checker(T0 + timedelta(minutes=1)) == [] and sunk == []
    assert len(checker.check_seconds) == len(checker.check_cpu_seconds) == 2


def test_a_read_only_store_is_refused(tmp_path):
    Store(tmp_path / "s.duckdb").close()
    with Store(tmp_path / "s.duckdb", read_only=True) as ro, pytest.raises(ParameterError):
        Checker(ro)
