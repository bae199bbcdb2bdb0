"""What is trending, and since when: the trending list at a moment, and trend onsets.

:func:`trending` ranks the hashtags of the window that ends at ``at`` by one of four scorers
(:mod:`trendwatch.analysis.scores`) and shows every scorer's value side by side.
:func:`onsets` lists, over the whole archive, the runs of buckets one scorer flags as trending.

A bucket is flagged (:data:`ONSET_RULES`) when: ``kleinberg`` — the burst automaton is in a
state ≥ 1 (runs continue across quiet buckets while the automaton stays up); ``surge`` — the
Mastodon score is positive; ``ratio`` — the ratio is ≥ 2; ``zscore`` — the robust z-score is
≥ 3.5. An onset must gather at least ``min_posts`` posts. Its ``start`` is the start of its
first bucket, ``end`` the end of its last bucket with posts, ``peak`` the start of its busiest
bucket, and ``peak_rate_per_min`` that bucket's posts divided by the bucket's minutes.
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
    ratio_scores,
    robust_z_scores,
    surge_scores,
)
from .timeseries import Buckets, bucket_totals, hashtag_series, parse_at, parse_duration

__all__ = ["METHODS", "ONSET_RULES", "TrendParams", "Trending", "trending", "onsets"]

METHODS = ("surge", "ratio", "kleinberg", "zscore")
"""Scorer names, as ``--method`` takes them."""

ONSET_RULES = {"surge": 0.0, "ratio": 2.0, "kleinberg": 1, "zscore": 3.5}
"""A bucket is trending for a method when its score is at least this (surge: above it)."""


@dataclass(frozen=True, slots=True)
class TrendParams:
    """Scorer parameters, shared by :func:`trending` and :func:`onsets`.

    surge_threshold, half_life : Mastodon surge (min accounts; decay half-life).
    s, gamma, states : Kleinberg automaton. baseline : robust z trailing buckets.
    """

    surge_threshold: int = 5
    half_life: timedelta = timedelta(hours=4)
    s: float = 2.0
    gamma: float = 1.0
    states: int = 3
    baseline: int = 24


@dataclass(frozen=True, slots=True)
class Trending:
    """The trending list at ``at``: one row per hashtag of the window, best first.

    ``table`` columns: hashtag, posts, accounts, originals, reposts, surge, ratio, kleinberg,
    zscore.
    """

    at: datetime
    window: timedelta
    method: str
    table: pd.DataFrame

    def to_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "window_s": int(self.window.total_seconds()),
            "method": self.method,
            "trends": self.table.to_dict("records"),
        }


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ParameterError(f"unknown trend method {method!r}: choose one of {', '.join(METHODS)}")
    return method


def trending(
    store,
    *,
    at: str | datetime | None = None,
    window: str | timedelta = "1h",
    method: str = "surge",
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
        Rows to keep (None: all hashtags of the window).
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
    width = parse_duration(window)
    moment = parse_at(at) or _after_last_post(store)
    buckets = Buckets(width, origin=moment)
    frame = _scored_frame(store, buckets, before=moment, params=params, current=-1)
    table = _current_table(frame, params, width)
    table = table.sort_values([method, "posts", "hashtag"], ascending=[False, False, True])
    table = table.head(top) if top else table
    return Trending(at=moment, window=width, method=method, table=table.reset_index(drop=True))


def _after_last_post(store) -> datetime:
    last = store.posts().created_at.max().execute()
    if last is None or pd.isna(last):
        raise NoDataError("no dated posts in the store")
    return pd.Timestamp(last).to_pydatetime() + timedelta(seconds=1)


def _scored_frame(store, buckets, *, before, params, current=None) -> pd.DataFrame:
    """The series up to ``before`` with every scorer's raw value per bucket row."""
    frame = hashtag_series(store, buckets, before=before)
    if frame.empty:
        raise NoDataError("no hashtag posts in the store before that time")
    frame["surge"] = surge_scores(frame, params.surge_threshold)
    frame["ratio"] = ratio_scores(frame)
    frame["zscore"] = robust_z_scores(frame, params.baseline)
    frame = _with_burst_levels(frame, store, buckets, params, current, before)
    return frame


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
    columns = ["hashtag", "posts", "accounts", "originals", "reposts"]
    return now[columns + list(METHODS)]


def onsets(
    store,
    *,
    window: str | timedelta = "1h",
    method: str = "kleinberg",
    min_posts: int = 20,
    hashtags=None,
    params: TrendParams = TrendParams(),
) -> pd.DataFrame:
    """Trend onsets over the whole archive for one method (see the module docstring).

    ``window`` is the bucket length; ``min_posts`` is both the least posts a hashtag needs to be
    scored at all and the least posts an onset must gather; ``hashtags`` restricts the scan.

    Returns a DataFrame with columns hashtag, method, start, peak, end, peak_rate_per_min,
    posts, accounts_peak (distinct accounts in the peak bucket), sorted by start.
    """
    _check_method(method)
    buckets = Buckets(parse_duration(window))
    frame = hashtag_series(store, buckets, hashtags=hashtags)
    frame = _keep_busy_hashtags(frame, min_posts)
    if frame.empty:
        return _empty_onsets()
    frame = _score_one(frame, store, buckets, method, params)
    runs = _flag_runs(frame, method)
    return _summarise_runs(frame[runs >= 0], runs[runs >= 0], method, buckets, min_posts)


def _keep_busy_hashtags(frame: pd.DataFrame, min_posts: int) -> pd.DataFrame:
    totals = frame.groupby("hashtag")["posts"].transform("sum")
    return frame[totals >= min_posts].reset_index(drop=True)


def _score_one(frame, store, buckets, method, params) -> pd.DataFrame:
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
            "peak_rate_per_min": peak_rows["posts"] / minutes,
            "posts": grouped["posts"],
            "accounts_peak": peak_rows["accounts"],
        }
    )
    result = result[result["posts"] >= min_posts]
    return result.sort_values(["start", "hashtag"]).reset_index(drop=True)


def _empty_onsets() -> pd.DataFrame:
    columns = ["hashtag", "method", "start", "peak", "end", "peak_rate_per_min", "posts"]
    return pd.DataFrame(columns=[*columns, "accounts_peak"])
