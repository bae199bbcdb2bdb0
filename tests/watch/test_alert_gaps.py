"""The checker through hand-made sequences of check results: a new store's first window
alerts (and says it had no baseline), a wobbling core does not re-alert, and a restarted
checker folds an episode's alerts as a running one does.

The verdicts are stubbed (each check's core and kind given by hand); the store holds real
posts, so the window's posts, accounts and burst score are the checker's own."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from types import SimpleNamespace

import pandas as pd
import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.analysis.coordination.verdict import Verdict
from trendwatch.watch.alerts import NO_BASELINE_NOTE, Checker, alert_line, stored_alerts

MINUTE = timedelta(minutes=1)


def _result(core: int, reading: str = "push", run_id: str | None = None, heavy: float = 0.9):
    """A groups result holding only what the checker reads: a verdict with ``core`` accounts."""
    finding = "coordinated core" if core else "no coordinated core"
    verdict = Verdict(finding, "a verdict", "#push", 500, 60, core_accounts=core,
                      reading=reading if core else None, heavy_share=heavy)  # fmt: skip
    members = pd.DataFrame({"account_id": [f"a{k}" for k in range(core)]})
    edges = pd.DataFrame(columns=["account_a", "account_b", "q_value"])
    groups = pd.DataFrame({"size": [core] if core else []})
    return SimpleNamespace(verdict=verdict, run_id=run_id, members=members, groups=groups,
                           edges=edges)  # fmt: skip


class Scripted(Checker):
    """A checker whose verdict on ``push`` at the k-th check has ``cores[k]`` core accounts."""

    def __init__(self, store, cores, **options):
        super().__init__(store, **options)
        self.cores, self.checks = list(cores), 0

    def __call__(self, stream_time):
        raised = super().__call__(stream_time)
        self.checks += 1
        return raised

    def _hashtag_groups(self, hashtag, at, *, record):
        return _result(self.cores[self.checks], run_id="groups-x" if record else None)


@pytest.fixture
def pushed(store):
    """``push``: 150 posts by 50 accounts in the hour before T0, 20 s apart, in a store that
    held nothing before (its first post is at T0 - 1h + 1 s)."""
    start = T0 - timedelta(hours=1)
    posts = [make_post(f"p{k}", f"a{k % 50}", start + timedelta(seconds=20 * k + 1),
                       hashtags=("push",)) for k in range(150)]  # fmt: skip
    add_posts(store, posts)
    return store


@pytest.fixture
def pushed_with_history(pushed):
    """``pushed`` and one post 2 h before T0 (tag ``other``): from T0 on, the bucket before the
    window is covered in full and ``push`` has a baseline, so every check judges it. (Without
    one, the checks a few seconds after T0 see seconds of history: no baseline, and ``push``
    is judged only once it grew a quarter; the core rule's tests need a verdict each check.)"""
    add_posts(pushed, [make_post("old", "z", T0 - timedelta(hours=2), hashtags=("other",))])
    return pushed


def _run(store, cores, ticks) -> list:
    checker = Scripted(store, cores)
    return [a for tick in ticks for a in checker(tick)]


def test_a_new_stores_first_window_alerts_and_says_it_had_no_baseline(pushed):
    [alert] = _run(pushed, [30], [T0])
    assert (alert.kind, alert.subject, alert.posts, alert.accounts) == ("coordination", "push",
                                                                       150, 50)  # fmt: skip
    line = json.loads(alert_line(alert))
    assert line["baseline"] is False and line["poisson"] is None and line["expected"] is None
    assert line["note"] == NO_BASELINE_NOTE and line["escalation"] == "new"


def test_with_a_baseline_the_alert_carries_its_score_and_no_note(pushed_with_history):
    # one post 2 h before: at T0 the store holds one bucket (hour) before the window, where
    # push had no post: expected (0 + 1) / 1
    [alert] = _run(pushed_with_history, [30], [T0])
    assert alert.numbers["baseline"] is True and "note" not in alert.numbers
    assert alert.numbers["expected"] == 1.0
    assert alert.numbers["poisson"] == round(150 * math.log(150) + 1 - 150, 2)


def _cores_alerted(store, cores) -> list[tuple[int, str]]:
    ticks = [T0 + k * timedelta(seconds=10) for k in range(len(cores))]  # all in one window
    return [(a.numbers["core_accounts"], a.escalation) for a in _run(store, cores, ticks)]


@pytest.mark.parametrize(
    ("cores", "alerted"),
    [
        # a small core's wobble: once, never again
        ([3, 7, 4, 9, 5, 8, 3, 9], [(3, "new")]),
        # the README's push: 4, then 16 (x2, +12), 13, then 35 (x2 of 16, +19)
        ([4, 16, 13, 35, 36], [(4, "new"), (16, "core accounts x2"), (35, "core accounts x2")]),
        # falling and coming back never re-alerts: the largest alerted is the reference
        ([20, 9, 20, 10, 21, 39], [(20, "new")]),
        ([20, 9, 20, 40], [(20, "new"), (40, "core accounts x2")]),
    ],
)
def test_a_wobbling_core_alerts_once_per_real_doubling(pushed_with_history, cores, alerted):
    assert _cores_alerted(pushed_with_history, cores) == alerted


def test_the_largest_alerted_core_is_the_reference_not_the_last(pushed_with_history):
    """16 alerted, then a ``posts x2`` alert with a core of 9: a core of 18 is twice the last
    alert's core but not twice the largest: no alert."""
    checker = Scripted(pushed_with_history, [16, 9, 18])
    assert [a.escalation for a in checker(T0)] == ["new"]
    more = [make_post(f"q{k}", f"c{k}", T0 + k * timedelta(seconds=1), hashtags=("push",))
            for k in range(160)]  # fmt: skip
    # at T0 + 3 min the window has lost the 9 push posts of its first 3 minutes (at 1, 21,
    # ... 161 s): 141 + 160 = 301 posts, twice the 150 alerted
    add_posts(pushed_with_history, more)
    assert [a.escalation for a in checker(T0 + 3 * MINUTE)] == ["posts x2"]
    assert checker(T0 + 4 * MINUTE) == []
    kept = checker._previous[("hashtag", "push")]
    assert (kept.posts, kept.core_accounts) == (301, 16)


def test_a_restarted_checker_folds_the_episode_as_the_running_one(pushed_with_history):
    store = pushed_with_history
    _run(store, [16, 13, 35, 30], [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE])
    stored = stored_alerts(store)
    assert [json.loads(b)["core_accounts"] for b in stored["body"]] == [16, 35]
    restarted = Checker(store)._previous[("hashtag", "push")]
    assert (restarted.kind, restarted.posts, restarted.core_accounts) == ("coordination", 150, 35)


def test_a_new_episode_starts_the_fold_again(pushed_with_history):
    checker = Scripted(pushed_with_history, [40, 12])
    checker(T0)
    checker._forget_quiet(T0 + 2 * timedelta(hours=1))  # quiet for over a window
    assert [a.escalation for a in checker(T0 + 2 * MINUTE)] == ["new"]
    restarted = Checker(pushed_with_history)._previous[("hashtag", "push")]
    assert restarted.core_accounts == 12  # the episode since the last "new" alert


class Counting(Scripted):
    """A scripted checker that counts its verdicts (no core, no heavy posters: no alert)."""

    def __init__(self, store):
        super().__init__(store, [0] * 100)
        self.verdicts = 0

    def _hashtag_groups(self, hashtag, at, *, record):
        self.verdicts += 1
        return _result(0, heavy=0.0)


def test_without_a_baseline_a_hashtag_is_judged_again_only_a_quarter_bigger(store):
    # a post every 5 s from T0 (the store's first): at T0 + s, s / 5 posts in the window
    add_posts(store, [make_post(f"p{k}", f"a{k % 40}", T0 + timedelta(seconds=5 * k),
                                hashtags=("busy",)) for k in range(400)])  # fmt: skip
    checker = Counting(store)
    seconds = [490, 500, 520, 620, 625, 700, 785, 790]  # 98, 100, 104, 124, 125, 140, 157, 158
    judged = []
    for s in seconds:
        before = checker.verdicts
        checker(T0 + timedelta(seconds=s))
        judged.append(checker.verdicts - before)
    # 100 judged (the floor); then 125 (1.25 x 100); then 157 (>= 1.25 x 125 = 156.25)
    assert judged == [0, 1, 0, 0, 1, 0, 1, 0]


def test_with_a_baseline_every_check_judges_the_bursting_hashtag(pushed_with_history):
    checker = Counting(pushed_with_history)
    for k in range(3):
        checker(T0 + k * timedelta(seconds=1))
    assert checker.verdicts == 3
