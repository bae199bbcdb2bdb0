"""The alert rules on hand-made stores: which hashtags burst, with numbers worked out by hand."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.analysis.coordination.verdict import Verdict
from trendwatch.analysis.trends import trending
from trendwatch.errors import ParameterError
from trendwatch.watch.rules import (
    AlertRules,
    Previous,
    core_grew,
    escalation,
    kind_of,
    rising_hashtags,
    scored_window,
)

HOUR = timedelta(hours=1)


def _tagged(prefix: str, tag: str, times, authors) -> list:
    return [
        make_post(f"{prefix}{i}", author, when, hashtags=(tag,))
        for i, (when, author) in enumerate(zip(times, authors, strict=True))
    ]


@pytest.fixture
def bursting(store):
    """Before T0: ``steady`` 2 posts an hour for 26 hours. In [T0 - 1h, T0): ``push`` 120 posts
    by 40 accounts (nothing before), ``small`` 60 posts (new too), ``steady`` its usual 2.
    At and after T0: 500 ``late`` posts and 100 more ``push`` posts, which no check at T0 sees."""
    steady_times = [T0 - timedelta(hours=26) + k * timedelta(minutes=30) for k in range(52)]
    posts = _tagged("s", "steady", steady_times, [f"u{k}" for k in range(52)])
    window = [T0 - HOUR + timedelta(seconds=29 * k + 1) for k in range(120)]
    posts += _tagged("p", "push", window, [f"a{k % 40}" for k in range(120)])
    posts += _tagged("m", "small", window[:60], [f"b{k}" for k in range(60)])
    after = [T0 + timedelta(seconds=k) for k in range(500)]
    posts += _tagged("l", "late", after, [f"c{k}" for k in range(500)])
    posts += _tagged("q", "push", after[:100], [f"a{k % 40}" for k in range(100)])
    add_posts(store, posts)
    return store


def test_only_the_push_bursts_with_its_hand_worked_score(bursting):
    found = rising_hashtags(bursting, T0)
    assert found["hashtag"].tolist() == ["push"]
    row = found.iloc[0]
    # expected: (0 posts in the 24 previous hours + 1) / 24; score C ln(C/B) + B - C
    assert (row["posts"], row["accounts"]) == (120, 40)
    assert row["expected"] == pytest.approx(1 / 24)
    assert row["poisson"] == pytest.approx(120 * math.log(120 * 24) + 1 / 24 - 120)
    assert row["poisson"] == pytest.approx(835.907, abs=1e-3)


def test_steady_and_small_hashtags_are_scored_but_do_not_burst(bursting):
    scored = scored_window(bursting, T0, AlertRules()).set_index("hashtag")
    # steady: 48 posts in the 24 hours before the window -> (48 + 1) / 24 expected, 2 seen
    assert scored.loc["steady", "expected"] == pytest.approx(49 / 24)
    assert scored.loc["steady", "poisson"] == 0
    assert scored.loc["small", "posts"] == 60 and scored.loc["small", "poisson"] > 10
    assert "late" not in scored.index


def test_the_window_scores_agree_with_the_trending_list(bursting):
    ours = scored_window(bursting, T0, AlertRules()).set_index("hashtag")
    theirs = trending(bursting, at=T0, window="1h", top=None).table.set_index("hashtag")
    for tag in ("push", "small", "steady"):
        assert ours.loc[tag, "posts"] == theirs.loc[tag, "posts"]
        assert ours.loc[tag, "expected"] == pytest.approx(theirs.loc[tag, "expected"])
        assert ours.loc[tag, "poisson"] == pytest.approx(theirs.loc[tag, "poisson"])


def test_a_lower_min_posts_lets_the_small_burst_through(bursting):
    found = rising_hashtags(bursting, T0, AlertRules(min_posts=50))
    assert found["hashtag"].tolist() == ["push", "small"]


@pytest.fixture
def new_store(store):
    """A store whose first post is at T0 - 1h (the window's start): ``new`` 150 posts by 30
    accounts, ``few`` 99 posts, in [T0 - 1h, T0)."""
    window = [T0 - HOUR + timedelta(seconds=20 * k) for k in range(150)]
    add_posts(store, _tagged("p", "new", window, [f"a{k % 30}" for k in range(150)]))
    add_posts(store, _tagged("f", "few", window[:99], [f"b{k}" for k in range(99)]))
    return store


def test_the_first_window_of_a_store_has_no_expectation(new_store):
    scored = scored_window(new_store, T0, AlertRules()).set_index("hashtag")
    assert math.isnan(scored.loc["new", "expected"]) and scored.loc["new", "poisson"] == 0
    assert not scored["baseline"].any()


def test_without_a_baseline_every_hashtag_with_enough_posts_is_judged(new_store):
    found = rising_hashtags(new_store, T0)
    assert found["hashtag"].tolist() == ["new"]  # 150 posts; "few" has 99, under the floor
    assert (found.loc[0, "posts"], found.loc[0, "accounts"], found.loc[0, "baseline"]) == (
        150, 30, False
    )  # fmt: skip
    assert rising_hashtags(new_store, T0, AlertRules(min_posts=99))["hashtag"].tolist() == [
        "new", "few"
    ]  # fmt: skip


def test_a_second_of_history_is_no_baseline(new_store):
    # at T0 + 1 s the window [T0 - 1h + 1 s, T0 + 1 s) leaves the first post (T0 - 1h) one
    # bucket back, but that bucket holds 1 s of history: too little for a rate. Counted as a
    # whole bucket (before), "new" expected (1 + 1) / 1 = 2 posts and its 149 "burst".
    scored = scored_window(new_store, T0 + timedelta(seconds=1), AlertRules()).set_index("hashtag")
    assert not scored["baseline"].any() and scored["expected"].isna().all()
    assert scored.loc["new", "posts"] == 149 and scored.loc["new", "poisson"] == 0
    found = rising_hashtags(new_store, T0 + timedelta(seconds=1))
    assert found["hashtag"].tolist() == ["new"] and not found.loc[0, "baseline"]


def test_a_quarter_window_of_history_gives_a_baseline_and_the_burst_rule_again(new_store):
    # at T0 + 15 min the bucket before the window, [T0 - 1h 45, T0 - 45 min), holds 15 min
    # of history (a quarter bucket) with 45 posts of "new" (one every 20 s): expected
    # (45 + 1) / 0.25 = 184 posts; the window holds the other 105: no burst.
    at = T0 + timedelta(minutes=15)
    scored = scored_window(new_store, at, AlertRules()).set_index("hashtag")
    assert scored["baseline"].all()
    assert scored.loc["new", "posts"] == 105
    assert scored.loc["new", "expected"] == pytest.approx(184.0)
    assert scored.loc["new", "poisson"] == 0
    assert rising_hashtags(new_store, at).empty
    # one second earlier: 14 min 59 s of history, under a quarter: no baseline
    assert not scored_window(new_store, at - timedelta(seconds=1), AlertRules())["baseline"].any()


def test_a_store_with_history_has_a_baseline_for_every_hashtag(bursting):
    assert scored_window(bursting, T0, AlertRules())["baseline"].all()


def test_rules_are_validated():
    with pytest.raises(ParameterError, match="window"):
        AlertRules(window=timedelta(days=2))
    with pytest.raises(ParameterError, match="at least 1"):
        AlertRules(min_posts=0)
    assert AlertRules(window=timedelta(minutes=30)).window_s == 1800


def _verdict(finding, reading=None, heavy=0.0, core=0):
    return Verdict(finding, "", "#t", 500, 100, core_accounts=core, reading=reading,
                   heavy_share=heavy)  # fmt: skip


@pytest.mark.parametrize(
    ("verdict", "kind"),
    [
        (_verdict("coordinated core", "push", core=40), "coordination"),
        (_verdict("coordinated core", "coordinated minority", core=12), "coordination"),
        (_verdict("coordinated core", "organised core in a crowd", core=8), None),
        (_verdict("coordinated core", "organised core in a crowd", heavy=0.6, core=8), "trend"),
        (_verdict("no coordinated core", heavy=0.5), "trend"),
        (_verdict("no coordinated core", heavy=0.49), None),
    ],
)
def test_kind_of_each_verdict(verdict, kind):
    assert kind_of(verdict) == kind


def test_escalation_needs_a_higher_kind_or_twice_the_posts_or_core():
    p = Previous("coordination", 500, 10, T0, T0)
    assert escalation(p, "trend", 5000, 0) is None  # a lower kind never re-alerts
    assert escalation(p, "coordination", 999, 19) is None
    assert escalation(p, "coordination", 1000, 19) == "posts x2"
    assert escalation(p, "coordination", 999, 20) == "core accounts x2"  # x2 and +10
    raid = Previous("reply-raid", 30, 0, T0, T0)
    assert escalation(raid, "reply-raid", 40, 9) is None  # from no core: +9 is under the floor
    assert escalation(raid, "reply-raid", 40, 10) == "core accounts x2"


@pytest.mark.parametrize(
    ("largest", "core", "grew"),
    [(3, 7, False), (3, 9, False), (3, 13, True), (4, 13, False), (4, 14, True),
     (16, 31, False), (16, 32, True), (35, 69, False), (35, 70, True), (0, 10, True)],
)  # fmt: skip
def test_a_core_escalates_at_twice_the_largest_and_ten_accounts_more(largest, core, grew):
    assert core_grew(largest, core) is grew
