"""When a check raises an alert: which hashtags burst, what makes them alert, when they re-alert.

A check at stream time ``t`` looks only at posts created before ``t``, so the same store
checked at the same ``t`` gives the same answer whatever arrived later: a replay at any speed
raises the same alerts at the same stream times as the live stream.

**Bursting** (:func:`rising_hashtags`): the window ``[t - window, t)`` is scored as
:func:`trendwatch.trending` scores it with its default scorer, ``poisson``: the window's posts
against the posts the hashtag's last 24 hours lead one to expect (Neill et al., KDD 2005). A
hashtag bursts when that score is at least :data:`~trendwatch.analysis.trends.ONSET_RULES`'s
10 (a likelihood ratio of about 22,000 to 1) and the window holds at least ``min_posts`` posts
(100, the verdict's :data:`~trendwatch.analysis.coordination.verdict.MIN_POSTS`: below it the
link test cannot reach its false discovery rate). Only the last day is read, so a check costs
the same after a week of collection as after an hour.

**No baseline** (a store whose first post is inside the current window, or less than a quarter
window before it: a watcher started less than 1 h 15 min ago, at the default window): no
hashtag has an expected rate (:func:`~trendwatch.analysis.scores.expected_posts` says why a
sliver of history gives none), so no score can be computed, and a watcher started *because* a
push is under way would stay silent through it. Then every hashtag
with at least ``min_posts`` posts in the window is judged (column ``baseline`` False; its
``expected`` is NaN and its score 0): the coordination verdict, which decides every alert
anyway, runs on each, and the alert says it had no baseline.

**Alert kinds** (:func:`kind_of`), from the coordination verdict on the hashtag's posts of the
last ``history`` (24 h: the link test needs repeated co-actions, and a push's first hour rarely
holds enough of them):

* ``coordination`` — a coordinated core was found and its reading is ``push`` (it made half
  of the posts or more) or ``coordinated minority``;
* ``trend`` — no such core, but the activity is concentrated: accounts that posted 10 times or
  more within an hour made at least half of the window's posts (the verdict's "push by
  volume", :data:`~trendwatch.analysis.coordination.verdict.HEAVY_SHARE`);
* nothing — a burst carried by many accounts, or an organised core inside a broad crowd
  (reading ``organised core in a crowd``: an activist core answering an attack is not one).

**Escalation** (:func:`escalation`): a hashtag that alerted does not alert again until a
later check finds a higher kind (``trend`` then ``coordination``), at least
:data:`ESCALATION_FACTOR` times the most posts any of its alerts of the episode had in the
window, or (for ``coordination`` and ``reply-raid``) at least that many times the largest core
it alerted with *and* :data:`MIN_CORE_GROWTH` accounts more. The largest, not the last: the
core the link test finds wobbles from check to check (a push's core read 16, then 13, then 35
accounts a few minutes apart), and measured against the last alert a core that falls and
comes back would re-alert on each return. The floor keeps a small core's noise (3, 7, 4, 9
accounts) from counting as doubling. A hashtag that met no alert rule at any check for a whole
``window`` is forgotten: its next alert is a new episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from ..analysis.coordination.verdict import HEAVY_SHARE, MIN_ACCOUNTS, MIN_POSTS, Verdict
from ..analysis.scores import expected_posts, poisson_scores
from ..analysis.timeseries import Buckets, hashtag_series
from ..analysis.trends import ONSET_RULES
from ..errors import ParameterError

__all__ = [
    "AlertRules",
    "KINDS",
    "ESCALATION_FACTOR",
    "MIN_CORE_GROWTH",
    "core_grew",
    "after_alert",
    "rising_hashtags",
    "kind_of",
    "escalation",
    "Previous",
]

KINDS = ("trend", "coordination", "reply-raid")
"""Alert kinds; for one hashtag, ``coordination`` ranks above ``trend``."""
ESCALATION_FACTOR = 2.0
"""A re-alert needs this many times the posts (or core accounts) of the episode's alerts."""
MIN_CORE_GROWTH = MIN_ACCOUNTS
"""A core re-alert also needs this many accounts more than the largest core alerted: the
verdict's own floor for a scope it reads (``MIN_ACCOUNTS``), below which a core's growth is
within the link test's check-to-check wobble."""
_RANK = {"trend": 1, "coordination": 2, "reply-raid": 2}


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The thresholds of every alert rule (module docs), declared once.

    window : the scored window, also the check's look-back for escalation.
    history : how far back the expected rate and the coordination test look.
    min_posts : fewest posts in the window for a hashtag to be judged.
    min_score : least ``poisson`` score of a burst.
    min_replies : fewest replies and mentions to a target in the window for a raid.
    """

    window: timedelta = timedelta(hours=1)
    history: timedelta = timedelta(days=1)
    min_posts: int = MIN_POSTS
    min_score: float = ONSET_RULES["poisson"]
    min_replies: int = 20

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.history < self.window:
            raise ParameterError(
                f"the window ({self.window}) must be positive and at most the history "
                f"({self.history})"
            )
        if self.min_posts < 1 or self.min_replies < 1:
            raise ParameterError("min_posts and min_replies must be at least 1")

    @property
    def window_s(self) -> int:
        return int(self.window.total_seconds())


def rising_hashtags(store, at: datetime, rules: AlertRules = AlertRules()) -> pd.DataFrame:
    """The hashtags bursting in ``[at - window, at)`` (module docs), highest score first.

    Columns: hashtag, posts, accounts, expected, poisson, baseline. While the store holds
    less than a quarter window before the current one, ``expected`` is NaN, the score 0 and
    ``baseline`` False: every hashtag with ``min_posts`` posts is returned (module docs, "No
    baseline").

    Examples
    --------
    >>> from datetime import UTC
    >>> from trendwatch.store import Store
    >>> rising_hashtags(Store(":memory:"), datetime(2025, 1, 1, tzinfo=UTC)).columns.tolist()
    ['hashtag', 'posts', 'accounts', 'expected', 'poisson', 'baseline']
    """
    scored = scored_window(store, at, rules)
    rising = (scored["poisson"] >= rules.min_score) | ~scored["baseline"].astype(bool)
    return scored[rising & (scored["posts"] >= rules.min_posts)].reset_index(drop=True)


def scored_window(store, at: datetime, rules: AlertRules) -> pd.DataFrame:
    """Every hashtag of the current window with its ``expected`` and ``poisson`` score, and
    whether it had a ``baseline`` (an expected rate: the store held at least a quarter window
    of posts before the window)."""
    buckets = Buckets(rules.window, origin=at)
    span = max(1, round(rules.history / rules.window))
    frame = hashtag_series(store, buckets, before=at, since=at - rules.window * (span + 1))
    columns = ["hashtag", "posts", "accounts", "expected", "poisson", "baseline"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame["expected"] = expected_posts(frame, span, buckets.position_of(_first_collected(store)))
    frame["poisson"] = poisson_scores(frame["posts"], frame["expected"])
    frame["baseline"] = frame["expected"].notna()
    now = frame[frame["bucket"] == -1]
    order = ["poisson", "posts", "hashtag"]
    now = now.sort_values(order, ascending=[False, False, True], kind="stable")
    return now[columns].reset_index(drop=True)


def _first_collected(store) -> datetime:
    """The store's first collected post, where its history starts (as
    :func:`~trendwatch.analysis.timeseries.history_start` says, in SQL: the Ibis expression
    costs 40 ms a check, a fifth of the scoring's 0.2 s)."""
    [(first,)] = store.con.execute("SELECT min(created_at) FROM posts WHERE collected").fetchall()
    return pd.Timestamp(first).to_pydatetime()


def kind_of(verdict: Verdict) -> str | None:
    """The alert kind a verdict calls for (module docs), or None.

    >>> v = Verdict("coordinated core", "", "#a", 500, 45, 40, 480, 0.96, 0.96, 5, "push")
    >>> kind_of(v)
    'coordination'
    >>> kind_of(Verdict("no coordinated core", "", "#a", 500, 45, heavy_share=0.9))
    'trend'
    >>> kind_of(Verdict("no coordinated core", "", "#a", 500, 450, heavy_share=0.1)) is None
    True
    """
    if verdict.finding == "coordinated core" and verdict.reading != "organised core in a crowd":
        return "coordination"
    if verdict.heavy_share >= HEAVY_SHARE:
        return "trend"
    return None


@dataclass(frozen=True, slots=True)
class Previous:
    """The alerts of one hashtag or target in the current episode: the highest kind, the
    most posts and the largest core any of them had, when the last was raised and when a rule
    last held."""

    kind: str
    posts: int
    core_accounts: int
    time: datetime
    last_held: datetime


def escalation(previous: Previous | None, kind: str, posts: int, core_accounts: int) -> str | None:
    """Why a check that calls for ``kind`` alerts again, or None when it does not escalate.

    >>> from datetime import UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> escalation(None, "trend", 120, 0)
    'new'
    >>> p = Previous("trend", 120, 0, t, t)
    >>> escalation(p, "trend", 200, 0) is None, escalation(p, "trend", 240, 0)
    (True, 'posts x2')
    >>> escalation(p, "coordination", 130, 4)
    'trend -> coordination'
    >>> escalation(Previous("coordination", 500, 4, t, t), "coordination", 520, 37)
    'core accounts x2'
    >>> escalation(Previous("coordination", 500, 3, t, t), "coordination", 520, 9) is None
    True
    """
    if previous is None:
        return "new"
    if _RANK[kind] > _RANK[previous.kind]:
        return f"{previous.kind} -> {kind}"
    if _RANK[kind] < _RANK[previous.kind]:
        return None
    if posts >= ESCALATION_FACTOR * previous.posts:
        return f"posts x{ESCALATION_FACTOR:g}"
    if kind != "trend" and core_grew(previous.core_accounts, core_accounts):
        return f"core accounts x{ESCALATION_FACTOR:g}"
    return None


def core_grew(largest: int, core_accounts: int) -> bool:
    """Whether a core of ``core_accounts`` escalates one whose largest alerted core was
    ``largest``: :data:`ESCALATION_FACTOR` times it and :data:`MIN_CORE_GROWTH` more.

    >>> core_grew(3, 7), core_grew(3, 13), core_grew(16, 31), core_grew(16, 35)
    (False, True, False, True)
    """
    doubled = core_accounts >= ESCALATION_FACTOR * max(largest, 1)
    return doubled and core_accounts - largest >= MIN_CORE_GROWTH


def after_alert(previous: Previous | None, kind: str, posts: int, core_accounts: int,
                at: datetime) -> Previous:  # fmt: skip
    """The episode's state once an alert of ``kind`` was raised at ``at``: the kind raised,
    the most posts and the largest core so far.

    >>> from datetime import UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> p = after_alert(Previous("coordination", 325, 16, t, t), "coordination", 160, 35, t)
    >>> p.posts, p.core_accounts
    (325, 35)
    """
    if previous is None:
        return Previous(kind, posts, core_accounts, at, at)
    return Previous(kind, max(previous.posts, posts),
                    max(previous.core_accounts, core_accounts), at, at)  # fmt: skip
