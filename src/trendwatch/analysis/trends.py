"""What is trending, and since when: the trending list at a moment, and trend onsets.

:func:`trending` ranks the hashtags of the window that ends at ``at`` by one of five scorers
(:mod:`trendwatch.analysis.scores`) and shows every scorer's value side by side.
:func:`onsets` lists, over the whole archive, the bursts one scorer flags, sharpest first.

The default scorer, ``poisson``, answers "what is being pushed now": the expectation-based
Poisson score of the window's posts against the posts the hashtag's own last 24 hours lead
one to expect (Neill et al., KDD 2005; see :mod:`~trendwatch.analysis.scores`). It counts
posts, not accounts, and carries nothing over from earlier windows, so at the peak of a push
the pushed hashtag leads the list: in the demo, 1,186 posts by 42 accounts where 1/24 post was
expected score 10,978, and a busy everyday hashtag at five times its usual rate (295 posts
where 56 were expected) 250; at its usual rate it scores about 0. The other scorers stay
available: ``surge`` (Mastodon's trending tags: distinct accounts, and the best
score of the last hours decayed with a 4-hour half-life, so it answers "what has trended
lately among many accounts"), ``ratio`` (BotSlayer, DMI-TCAT), ``kleinberg`` (the burst
automaton) and ``zscore`` (robust z-score).

A bucket is flagged (:data:`ONSET_RULES`) when: ``poisson`` — the score is ≥ 10 (a likelihood
ratio of e¹⁰ ≈ 22,000 to 1: a Poisson count at the expected rate gets there with probability
below 10⁻⁵ whatever that rate, checked from 1/24 to 10,000 posts); ``kleinberg`` —
the burst automaton is in a state ≥ 1 (runs continue across quiet buckets while the automaton
stays up); ``surge`` — the Mastodon score is positive; ``ratio`` — the ratio is ≥ 2;
``zscore`` — the robust z-score is ≥ 3.5. An onset is a run of flagged buckets of one hashtag
and must gather at least ``min_posts`` posts. With ``poisson`` a run is bounded by the
scorer itself: the expected rate follows the hashtag's last 24 hours, so a hashtag that stays
busy at a new level stops being flagged within a day (10 hours for a jump from nothing to 30
posts an hour) instead of making an "onset" that lasts months.

Each onset has its ``start`` (start of its first bucket), ``end`` (end of its last bucket),
``peak`` (start of its busiest bucket), ``peak_rate_per_min`` (that bucket's posts per minute),
``baseline_per_min`` (the posts per minute the hashtag's history led one to expect in that
bucket) and ``excess_per_min`` (the difference). Onsets are ranked by ``excess_per_min``: how
far above its usual rate the hashtag peaked, so a push of 2,000 posts in two hours ranks above
a hashtag that gathered more posts at a slow rate over weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ..errors import NoDataError, ParameterError
from .scores import (
    burst_levels,
    decayed_max,
    expected_posts,
    poisson_scores,
    ratio_scores,
    robust_z_scores,
    surge_scores,
)
from .timeseries import (
    Buckets,
    bucket_totals,
    hashtag_series,
    history_start,
    parse_at,
    parse_duration,
)

__all__ = [
    "METHODS",
    "ONSET_RULES",
    "ONSET_COLUMNS",
    "TrendParams",
    "Trending",
    "trending",
    "onsets",
    "check_top",
]

METHODS = ("poisson", "surge", "ratio", "kleinberg", "zscore")
"""Scorer names, as ``--method`` takes them; the first is the default."""

ONSET_RULES = {"poisson": 10.0, "surge": 0.0, "ratio": 2.0, "kleinberg": 1, "zscore": 3.5}
"""A bucket is trending for a method when its score is at least this (surge: above it)."""

ONSET_COLUMNS = (
    "hashtag", "method", "start", "peak", "end", "posts", "accounts_peak",
    "peak_rate_per_min", "baseline_per_min", "excess_per_min",
)  # fmt: skip
"""Columns of :func:`onsets`, in order."""


@dataclass(frozen=True, slots=True)
class TrendParams:
    """Scorer parameters, shared by :func:`trending` and :func:`onsets`.

    history : how far back the expected rate of ``poisson`` (and of every onset's baseline)
    looks. surge_threshold, half_life : Mastodon surge (min accounts; decay half-life).
    s, gamma, states : Kleinberg automaton. baseline : robust z trailing buckets.
    """

    history: timedelta = timedelta(days=1)
    surge_threshold: int = 5
    half_life: timedelta = timedelta(hours=4)
    s: float = 2.0
    gamma: float = 1.0
    states: int = 3
    baseline: int = 24

    def history_buckets(self, width: timedelta) -> int:
        """The history in buckets of ``width`` (at least one).

        >>> TrendParams().history_buckets(timedelta(hours=1))
        24
        """
        return max(1, round(self.history / width))


@dataclass(frozen=True, slots=True)
class Trending:
    """The trending list at ``at``: one row per hashtag of the window, best first.

    ``table`` columns: hashtag, posts, accounts, originals, reposts, expected (posts the
    hashtag's history led one to expect in the window; NaN in the archive's first window and
    while less than a quarter window came before it, see
    :func:`~trendwatch.analysis.scores.expected_posts`),
    then one column per scorer of :data:`METHODS`. ``total`` is the number of hashtags in the
    window: the table holds the first ``top`` of them.
    """

    at: datetime
    window: timedelta
    method: str
    table: pd.DataFrame
    total: int

    def to_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "window_s": int(self.window.total_seconds()),
            "method": self.method,
            "total": self.total,
            "trends": self.table.to_dict("records"),
        }


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ParameterError(f"unknown trend method {method!r}: choose one of {', '.join(METHODS)}")
    return method


def check_top(top) -> int | None:
    """Validate a row limit: a positive int keeps that many rows; 0 or None keeps them all.

    >>> check_top(5), check_top(0), check_top(None)
    (5, None, None)
    >>> check_top(-1)
    Traceback (most recent call last):
    trendwatch.errors.ParameterError: top must be a whole number of rows, 0 or more ...
    """
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 0:
        raise ParameterError(f"top must be a whole number of rows, 0 or more (0: all), got {top!r}")
    return int(top) or None


def trending(
    store,
    *,
    at: str | datetime | None = None,
    window: str | timedelta = "1h",
    method: str = "poisson",
    top: int | None = 20,
    params: TrendParams = TrendParams(),
) -> Trending:
    """The trending list as it would have looked at ``at`` (default: just after the last post).

    Only posts before ``at`` are used. The current window is ``[at - window, at)``; earlier
    windows of the same length give the history each scorer needs.

    Parameters
    ----------
    store : Store
        The store to read (read-only is enough: nothing is written).
    at : str or datetime, optional
        ISO 8601 time (UTC when no zone is given).
    window : str or timedelta
        Window and bucket length: ``30s``, ``5min``, ``1h``, ``1d``...
    method : str
        The scorer that ranks the list, one of :data:`METHODS`; every scorer is shown.
    top : int or None
        Rows to keep (None or 0: all hashtags of the window; see :func:`check_top`).
    params : TrendParams
        Scorer parameters.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> trending(Store(":memory:"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NoDataError: no dated posts in the store
    """
    _check_method(method)
    top = check_top(top)
    width = parse_duration(window)
    last_post = _after_last_post(store)
    moment = parse_at(at) or last_post
    _check_window_has_posts(moment, width, last_post)
    buckets = Buckets(width, origin=moment)
    frame = _scored_frame(store, buckets, before=moment, params=params, current=-1)
    table = _ranked(_current_table(frame, params, width), method)
    shown = table.head(top) if top else table
    return Trending(moment, width, method, shown.reset_index(drop=True), total=len(table))


def _after_last_post(store) -> datetime:
    last = store.posts().created_at.max().execute()
    if last is None or pd.isna(last):
        raise NoDataError("no dated posts in the store")
    return pd.Timestamp(last).to_pydatetime() + timedelta(seconds=1)


def _check_window_has_posts(moment: datetime, width: timedelta, after_last: datetime) -> None:
    """Refuse an ``at`` whose window starts after the archive's last post: it holds nothing,
    and an empty list would read as "nothing trends" rather than "no data there"."""
    if moment - width >= after_last:
        last = after_last - timedelta(seconds=1)
        raise NoDataError(
            f"--at {moment.isoformat()} is after the archive ends: its {_span(width)} window "
            f"holds no post (the last is at {last.isoformat()}); give an earlier --at"
        )


def _span(width: timedelta) -> str:
    seconds = int(width.total_seconds())
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds} s"


def _scored_frame(store, buckets, *, before, params, current=None) -> pd.DataFrame:
    """The series up to ``before`` with every scorer's raw value per bucket row."""
    frame = hashtag_series(store, buckets, before=before)
    if frame.empty:
        raise NoDataError("no hashtag posts in the store before that time")
    frame = _with_expected(frame, store, buckets, params)
    frame["poisson"] = poisson_scores(frame["posts"], frame["expected"])
    frame["surge"] = surge_scores(frame, params.surge_threshold)
    frame["ratio"] = ratio_scores(frame)
    frame["zscore"] = robust_z_scores(frame, params.baseline)
    return _with_burst_levels(frame, store, buckets, params, current, before)


def _with_expected(frame, store, buckets: Buckets, params: TrendParams) -> pd.DataFrame:
    span = params.history_buckets(buckets.width)
    start = history_start(store, buckets)
    return frame.assign(expected=expected_posts(frame, span, start))


def _with_burst_levels(frame, store, buckets, params, current, before=None) -> pd.DataFrame:
    """Add ``kleinberg`` (and ``kleinberg_gap``); only for hashtags of bucket ``current`` if set."""
    if current is not None:
        live = frame.loc[frame["bucket"] == current, "hashtag"].unique()
        frame = frame[frame["hashtag"].isin(live)].reset_index(drop=True)
    totals = bucket_totals(store, buckets, before=before)
    levels, gaps = burst_levels(frame, totals, s=params.s, gamma=params.gamma, k=params.states)
    return frame.assign(kleinberg=levels, kleinberg_gap=gaps)


def _current_table(frame: pd.DataFrame, params: TrendParams, width: timedelta) -> pd.DataFrame:
    """Rows of the last bucket, with the surge decayed over earlier buckets."""
    decay = params.half_life / width
    surge = decayed_max(frame, frame["surge"].to_numpy(), -1, decay)
    now = frame[frame["bucket"] == -1].copy()
    now["surge"] = now["hashtag"].map(surge).to_numpy()
    columns = ["hashtag", "posts", "accounts", "originals", "reposts", "expected"]
    return now[columns + list(METHODS)]


def _ranked(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Best first by ``method``, then by posts, then alphabetically (a stable, total order)."""
    order = [method, "posts", "hashtag"]
    return table.sort_values(order, ascending=[False, False, True], kind="stable")


def onsets(
    store,
    *,
    window: str | timedelta = "1h",
    method: str = "poisson",
    min_posts: int = 20,
    hashtags=None,
    params: TrendParams = TrendParams(),
) -> pd.DataFrame:
    """Trend onsets over the whole archive for one method, sharpest first (module docstring).

    ``window`` is the bucket length; ``min_posts`` is both the least posts a hashtag needs to be
    scored at all and the least posts an onset must gather; ``hashtags`` restricts the scan.

    Returns a DataFrame with the columns :data:`ONSET_COLUMNS` (``accounts_peak``: distinct
    accounts in the peak bucket), ranked by ``excess_per_min`` (then posts, then start).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> onsets(Store(":memory:")).columns.tolist()[:5]
    ['hashtag', 'method', 'start', 'peak', 'end']
    """
    _check_method(method)
    buckets = Buckets(parse_duration(window))
    frame = _keep_busy_hashtags(hashtag_series(store, buckets, hashtags=hashtags), min_posts)
    if frame.empty:
        return _empty_onsets()
    frame = _with_expected(frame, store, buckets, params)
    frame = _score_one(frame, store, buckets, method, params)
    runs = _flag_runs(frame, method)
    return _summarise_runs(frame[runs >= 0], runs[runs >= 0], method, buckets, min_posts)


def _keep_busy_hashtags(frame: pd.DataFrame, min_posts: int) -> pd.DataFrame:
    totals = frame.groupby("hashtag")["posts"].transform("sum")
    return frame[totals >= min_posts].reset_index(drop=True)


def _score_one(frame, store, buckets, method, params) -> pd.DataFrame:
    if method == "poisson":
        return frame.assign(poisson=poisson_scores(frame["posts"], frame["expected"]))
    if method == "kleinberg":
        return _with_burst_levels(frame, store, buckets, params, None)
    if method == "surge":
        return frame.assign(surge=surge_scores(frame, params.surge_threshold))
    if method == "ratio":
        return frame.assign(ratio=ratio_scores(frame))
    return frame.assign(zscore=robust_z_scores(frame, params.baseline))


def _flag_runs(frame: pd.DataFrame, method: str) -> np.ndarray:
    """Run number of each flagged row (-1 when not flagged); runs never span two hashtags."""
    score = frame[method].to_numpy()
    flagged = score > 0 if method == "surge" else score >= ONSET_RULES[method]
    tags, buckets = frame["hashtag"].to_numpy(), frame["bucket"].to_numpy()
    joined = np.zeros(len(frame), dtype=bool)
    joined[1:] = (tags[1:] == tags[:-1]) & flagged[:-1]
    if method == "kleinberg":
        quiet_up = frame["kleinberg_gap"].to_numpy() >= 1
        joined[1:] &= (buckets[1:] - buckets[:-1] == 1) | quiet_up[1:]
    else:
        joined[1:] &= buckets[1:] - buckets[:-1] == 1
    starts = flagged & ~joined
    return np.where(flagged, np.cumsum(starts) - 1, -1)


def _summarise_runs(rows, runs, method, buckets: Buckets, min_posts: int) -> pd.DataFrame:
    if rows.empty:
        return _empty_onsets()
    rows = rows.assign(run=runs)
    peak_rows = rows.loc[rows.groupby("run")["posts"].idxmax()].set_index("run")
    grouped = rows.groupby("run").agg(
        hashtag=("hashtag", "first"),
        first=("bucket", "min"),
        last=("bucket", "max"),
        posts=("posts", "sum"),
    )
    minutes = buckets.width.total_seconds() / 60
    result = pd.DataFrame(
        {
            "hashtag": grouped["hashtag"],
            "method": method,
            "start": buckets.start_of(grouped["first"]),
            "peak": buckets.start_of(peak_rows["bucket"]),
            "end": buckets.start_of(grouped["last"] + 1),
            "posts": grouped["posts"],
            "accounts_peak": peak_rows["accounts"],
            "peak_rate_per_min": peak_rows["posts"] / minutes,
            "baseline_per_min": peak_rows["expected"] / minutes,
        }
    )
    result["excess_per_min"] = result["peak_rate_per_min"] - result["baseline_per_min"]
    return _sharpest_first(result[result["posts"] >= min_posts])


def _sharpest_first(found: pd.DataFrame) -> pd.DataFrame:
    order = ["excess_per_min", "posts", "start", "hashtag"]
    ranked = found.sort_values(order, ascending=[False, False, True, True], na_position="last")
    return ranked.reset_index(drop=True)[list(ONSET_COLUMNS)]


def _empty_onsets() -> pd.DataFrame:
    return pd.DataFrame(columns=list(ONSET_COLUMNS))
