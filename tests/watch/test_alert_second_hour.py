"""The checker in a store's second hour: a store whose first post came mid-bucket gives its
hashtags an expected rate from the part of that bucket it covers, so a steady hashtag does not
burst when its window first has history (before: its 13 minutes of posts were read as an
hour's, and it burst at every check of that hour).

The verdicts are stubbed: each says "trend" (heavy posters), so every verdict asked for a
hashtag that has no alert yet raises one, and the test counts the verdicts asked for."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.analysis.coordination.verdict import Verdict
from trendwatch.watch.alerts import Checker
from trendwatch.watch.rules import AlertRules, scored_window

MINUTE = timedelta(minutes=1)
FIRST_POST = T0 - 73 * MINUTE  # 10:47, T0 being 12:00


class AlwaysTrend(Checker):
    """A checker whose verdict, whenever asked, calls for a ``trend`` alert; counts them."""

    def __init__(self, store, **options):
        super().__init__(store, **options)
        self.verdicts: list = []

    def _hashtag_groups(self, hashtag, at, *, record):
        if not record:
            self.verdicts.append(at)
        verdict = Verdict("no coordinated core", "a verdict", f"#{hashtag}", 120, 60,
                          heavy_share=0.9)  # fmt: skip
        empty = pd.DataFrame(columns=["account_a", "account_b", "q_value"])
        return SimpleNamespace(verdict=verdict, run_id="groups-x" if record else None,
                               members=pd.DataFrame({"account_id": []}),
                               groups=pd.DataFrame({"size": []}), edges=empty)  # fmt: skip


@pytest.fixture
def steady(store):
    """#daily: a post every 30 s (120 an hour, 60 accounts posting twice an hour) from 10:47,
    the store's first post, to 12:47."""
    add_posts(store, [make_post(f"d{k}", f"a{k % 60}", FIRST_POST + k * timedelta(seconds=30),
                                hashtags=("daily",)) for k in range(240)])  # fmt: skip
    return store


def _checks(store, first: datetime, last: datetime) -> AlwaysTrend:
    checker = AlwaysTrend(store)
    moment = first
    while moment <= last:
        checker(moment)
        moment += MINUTE
    return checker


def test_a_steady_hashtag_raises_no_alert_in_the_second_hour(steady):
    # a checker that starts at 12:02 (`alerts replay --since` over this store, say): every
    # window from then on has a quarter bucket of history or more, and #daily its usual rate.
    # Before, 12:02 read 15 minutes of #daily (30 posts) as an hour's: expected 31 posts,
    # 120 in the window scored 120 ln(120 / 31) + 31 - 120 = 73.4, a burst, and the verdict
    # (1.5-3.5 CPU-s) ran at every check to 12:25 (24 verdicts), raising a trend alert.
    checker = _checks(steady, T0 + 2 * MINUTE, T0 + 46 * MINUTE)
    assert list(checker.verdicts) == []
    assert checker.store.con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)


def test_through_the_first_two_hours_the_steady_hashtag_is_judged_once(steady):
    # a check a minute from 10:48 to 12:46. The first window has no baseline: #daily is
    # judged once it has 100 posts (11:37, its alert says so), and again only a quarter
    # bigger (never: a window holds 120). From 11:47 to 12:01 the bucket before the window
    # holds under 15 minutes of history: no baseline either, same rule. From 12:02 on it has
    # a baseline and scores 0. Before, it burst at every check from 11:48 to 12:25: 38
    # verdicts more.
    checker = _checks(steady, FIRST_POST + MINUTE, T0 + 46 * MINUTE)
    assert checker.verdicts == [T0 - 23 * MINUTE]
    alerts = checker.store.con.execute("SELECT time, body->>'baseline' FROM alerts").fetchall()
    assert [(pd.Timestamp(t), b) for t, b in alerts] == [(pd.Timestamp(T0 - 23 * MINUTE), "false")]


def test_the_windows_of_the_second_hour_have_no_baseline_then_the_usual_rate(steady):
    rules = AlertRules()
    for minutes in (47, 50, 61):  # 11:47, 11:50, 12:01: under a quarter bucket before
        scored = scored_window(steady, T0 - 60 * MINUTE + minutes * MINUTE, rules)
        assert not scored["baseline"].any() and scored["poisson"].eq(0).all()
    # 12:02: 10:47-11:02 before the window, 30 posts: (30 + 1) / 0.25 = 124 expected
    scored = scored_window(steady, T0 + 2 * MINUTE, rules).set_index("hashtag")
    assert scored.loc["daily", "posts"] == 120
    assert scored.loc["daily", "expected"] == pytest.approx(124.0)
    assert scored.loc["daily", "poisson"] == 0
