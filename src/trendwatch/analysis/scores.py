"""Trend scorers over hashtag time series, side by side (each says where it comes from).

They all work on the frame :func:`~trendwatch.analysis.timeseries.hashtag_series` returns
(rows sorted by hashtag then bucket, only buckets with posts) and return one value per row:

* :func:`poisson_scores` — the expectation-based Poisson scan statistic of D. B. Neill,
  A. W. Moore, M. Sabhnani and K. Daniel, "Detection of emerging space-time clusters", KDD 2005
  (and D. B. Neill, "Expectation-based scan statistics for monitoring spatial time series
  data", International Journal of Forecasting 25, 2009), applied to one hashtag and one bucket:
  with ``C`` the bucket's posts and ``B`` the posts expected from the hashtag's own recent
  rate, the log-likelihood ratio of "the rate went up by the factor ``q = C / B``" against
  "it stayed at ``B``" is ``C ln(C / B) + B - C`` when ``C > B``, else 0. It is the natural
  log of how much better a surge explains the bucket than the usual rate does, so it grows
  with both the jump and the number of posts: 2,000 posts where 1 was expected score about
  13,000, 6 posts where 1 was expected 5.8, and a steady hashtag (``C ≈ B``) about 0, however
  busy it is. :func:`expected_posts` gives ``B``: the hashtag's posts in the ``span`` buckets
  before this one (24 h by default), plus one pseudo-post (so that a never-seen hashtag
  expects a little, not zero), divided by the part of those buckets the archive covers,
  counted from its first post (a watch started at 10:47 covers 13/60 of the 10:00 bucket);
  it is unknown (NaN, score 0) in the archive's first bucket, where nothing came before, and
  while less than :data:`MIN_COVERAGE` of a bucket came before (see :func:`expected_posts`
  for why). A burst of one account's posts scores like any other: the score says *what* is
  surging, the campaign and coordination analyses say *who* pushes it.
* :func:`surge_scores` — Mastodon's trending tags (``app/models/trends/tags.rb``): observed
  ``o`` = distinct accounts in the bucket, expected ``e`` = distinct accounts in the previous
  bucket (1 if none); score ``(o - e)² / e`` when ``o > e`` and ``o ≥ threshold`` (default 5),
  else 0. :func:`decayed_max` then keeps, as Mastodon does, the highest score decayed with a
  half-life (default 4 h).
* :func:`ratio_scores` — the ratio trendiness ``(n_t + 1) / (n_{t-1} + 1)`` of posts in this
  bucket and the previous one, as BotSlayer (OSoMe, Indiana University) and DMI-TCAT
  ("hashtag frequency ratio") use it.
* :func:`robust_z_scores` — a robust z-score: ``(n_t - median) / (1.4826 · MAD)`` against the
  trailing ``baseline`` buckets (quiet buckets count as 0). The MAD is floored at 1/1.4826 post
  so that a hashtag with a silent baseline scores its raw count instead of dividing by zero.
* :func:`burst_levels` — the state of Kleinberg's batched burst automaton
  (:func:`~trendwatch.analysis.burst.batched_states`) for each bucket, with the hashtag's posts
  as ``r`` and all collected posts of the bucket as ``d``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .burst import batched_states

__all__ = [
    "trailing_sums",
    "expected_posts",
    "poisson_scores",
    "previous_bucket_values",
    "surge_scores",
    "decayed_max",
    "ratio_scores",
    "robust_z_scores",
    "burst_levels",
    "MAD_SCALE",
    "MIN_COVERAGE",
]

MAD_SCALE = 1.4826
"""Scales the MAD to the standard deviation of a normal distribution."""
MIN_COVERAGE = 0.25
"""Least history, in buckets, an expected rate is computed from (:func:`expected_posts`)."""


def _same_hashtag_lag(frame: pd.DataFrame, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the row ``lag`` places earlier: whether same hashtag, and bucket distance."""
    return _lagged(_codes(frame), frame["bucket"].to_numpy(), lag)


def _codes(frame: pd.DataFrame) -> np.ndarray:
    """Integer hashtag codes: comparing ints is far cheaper than comparing strings."""
    return pd.factorize(frame["hashtag"])[0]


def _lagged(codes: np.ndarray, buckets: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    same = np.zeros(codes.size, dtype=bool)
    distance = np.full(codes.size, np.iinfo(np.int64).max)
    if lag < codes.size:
        same[lag:] = codes[lag:] == codes[:-lag]
        distance[lag:] = buckets[lag:] - buckets[:-lag]
    return same, distance


def trailing_sums(frame: pd.DataFrame, span: int, column: str = "posts") -> np.ndarray:
    """Per row, ``column`` summed over the same hashtag's ``span`` buckets before this one.

    Rows are sorted by hashtag then bucket; a cumulative sum and a binary search per row find
    the buckets ``t - span .. t - 1`` (quiet buckets have no row and count as 0).

    >>> f = pd.DataFrame({"hashtag": ["a", "a", "a", "b"], "bucket": [1, 2, 4, 3],
    ...                   "posts": [3, 5, 7, 9]})
    >>> trailing_sums(f, 2).tolist()  # a@4 sees buckets 2-3: 5; b@3 sees no b bucket
    [0.0, 3.0, 5.0, 0.0]
    """
    keys = _series_keys(frame, span)
    before = np.r_[0.0, np.cumsum(frame[column].to_numpy(dtype=float))]
    upto_previous = before[np.searchsorted(keys, keys, side="left")]
    upto_reach = before[np.searchsorted(keys, keys - span, side="left")]
    return upto_previous - upto_reach


def _series_keys(frame: pd.DataFrame, span: int) -> np.ndarray:
    """One increasing int per row such that ``key - span`` never reaches the previous hashtag.

    Each hashtag gets a block of ``bucket range + span + 1`` keys, its buckets offset by
    ``span`` inside it.
    """
    buckets = frame["bucket"].to_numpy().astype(np.int64)
    if buckets.size == 0:
        return buckets
    low = int(buckets.min())
    block = int(buckets.max()) - low + span + 1
    return _codes(frame).astype(np.int64) * block + (buckets - low + span)


def expected_posts(
    frame: pd.DataFrame, span: int, start: float, min_coverage: float = MIN_COVERAGE
) -> np.ndarray:
    """Posts each row's bucket should hold at the hashtag's recent rate (see module docstring).

    ``span`` is the history in buckets. ``start`` is where the archive's history begins, in
    buckets and fractions of one (:func:`~trendwatch.analysis.timeseries.history_start`):
    before it the hashtag's posts are unknown, not quiet. Bucket ``b`` averages its last
    ``span`` buckets over the time they cover, ``min(span, b - start)`` buckets: counting
    the first bucket as whole when the archive starts at its 47th minute would divide 13
    minutes of posts by an hour, expect 4.6 times too few posts in the next bucket, and make
    every busy hashtag burst there.

    The rate is unknown (NaN, score 0) where less than ``min_coverage`` of a bucket came
    before, as in the archive's first bucket. A rate from a sliver of history is noise: the
    pseudo-post alone, over 2 seconds of a 1-hour bucket, expects 1,800 posts, which hides
    any push below about 2,500 posts; and a steady hashtag's few posts in that sliver make
    false bursts. A steady Poisson hashtag (100 to 5,000 posts a bucket, simulated) scores 10
    or more in 0.09 % of buckets after one bucket of history, 0.5 % after half a bucket, 2 %
    after a quarter, 8 % after a tenth and 13-24 % after a fiftieth. A quarter keeps that
    noise within one order of a whole bucket's while leaving the fewest buckets unscored. The
    alerts judge a hashtag without a rate on its posts alone (:mod:`trendwatch.watch.rules`,
    "No baseline"), so a push there is still caught.

    >>> f = pd.DataFrame({"hashtag": ["a", "a", "a"], "bucket": [0, 1, 5], "posts": [3, 5, 7]})
    >>> expected_posts(f, 4, start=0.5).tolist()  # first post half-way in bucket 0
    [nan, 8.0, 1.5]
    >>> expected_posts(f, 4, start=0.9).tolist()  # bucket 1: 0.1 bucket of history, too little
    [nan, nan, 1.5]
    """
    covered = np.minimum(span, frame["bucket"].to_numpy() - start).astype(float)
    history = trailing_sums(frame, span)
    known = covered >= min_coverage
    return np.where(known, (history + 1.0) / np.where(known, covered, 1.0), np.nan)


def poisson_scores(posts, expected) -> np.ndarray:
    """Expectation-based Poisson score ``C ln(C / B) + B - C`` when ``C > B``, else 0.

    ``posts`` is ``C``, ``expected`` is ``B`` (NaN: unknown, score 0).

    >>> poisson_scores([6, 2000, 3, 5], [1.0, 1.0, 4.0, float("nan")]).round(2).tolist()
    [5.75, 13202.8, 0.0, 0.0]
    """
    observed = np.asarray(posts, dtype=float)
    base = np.asarray(expected, dtype=float)
    rising = observed > base  # False where base is NaN
    safe = np.where(rising, base, 1.0)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(np.where(rising, observed, 1.0) / safe)
    return np.where(rising, observed * log_ratio + safe - observed, 0.0)


def previous_bucket_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` in the same hashtag's previous bucket, 0 when that bucket had no posts.

    >>> f = pd.DataFrame({"hashtag": ["a", "a", "a"], "bucket": [1, 2, 4], "posts": [3, 5, 7]})
    >>> previous_bucket_values(f, "posts").tolist()
    [0, 3, 0]
    """
    same, distance = _same_hashtag_lag(frame, 1)
    values = frame[column].to_numpy()
    previous = np.zeros(len(frame), dtype=values.dtype)
    follows = same & (distance == 1)
    previous[1:][follows[1:]] = values[:-1][follows[1:]]
    return previous


def surge_scores(frame: pd.DataFrame, threshold: int = 5) -> np.ndarray:
    """Mastodon's unique-account surge score of each bucket (see the module docstring).

    >>> f = pd.DataFrame({"hashtag": ["a", "a"], "bucket": [1, 2], "accounts": [2, 8]})
    >>> surge_scores(f).tolist()  # bucket 2: o=8, e=2 -> 36/2
    [0.0, 18.0]
    """
    observed = frame["accounts"].to_numpy(dtype=float)
    expected = np.maximum(previous_bucket_values(frame, "accounts").astype(float), 1.0)
    surging = (observed > expected) & (observed >= threshold)
    return np.where(surging, (observed - expected) ** 2 / expected, 0.0)


def decayed_max(
    frame: pd.DataFrame, scores: np.ndarray, now_bucket: int, decay_buckets: float
) -> pd.Series:
    """Per hashtag, ``max score · 0.5^((now - bucket) / decay_buckets)`` over buckets ≤ now.

    ``decay_buckets`` is the half-life in buckets (4 h at 1 h buckets -> 4).
    """
    age = now_bucket - frame["bucket"].to_numpy()
    decayed = np.where(age >= 0, scores * 0.5 ** (np.maximum(age, 0) / decay_buckets), 0.0)
    return pd.Series(decayed).groupby(frame["hashtag"].to_numpy()).max()


def ratio_scores(frame: pd.DataFrame) -> np.ndarray:
    """Ratio trendiness ``(n_t + 1) / (n_{t-1} + 1)`` on posts.

    >>> f = pd.DataFrame({"hashtag": ["a", "a"], "bucket": [1, 2], "posts": [3, 11]})
    >>> ratio_scores(f).tolist()
    [4.0, 3.0]
    """
    current = frame["posts"].to_numpy(dtype=float)
    return (current + 1) / (previous_bucket_values(frame, "posts") + 1.0)


def robust_z_scores(frame: pd.DataFrame, baseline: int = 24) -> np.ndarray:
    """Robust z-score of posts against the trailing ``baseline`` buckets (see module docstring)."""
    window = _trailing_window(frame, baseline)
    median = np.median(window, axis=1)
    mad = np.median(np.abs(window - median[:, None]), axis=1)
    spread = np.maximum(MAD_SCALE * mad, 1.0)
    return (frame["posts"].to_numpy(dtype=float) - median) / spread


def _trailing_window(frame: pd.DataFrame, baseline: int) -> np.ndarray:
    """Matrix of the posts in buckets t-baseline .. t-1 of the same hashtag (0 where quiet).

    Rows are sorted by hashtag and bucket, so the buckets within reach are at most ``baseline``
    rows back: one vectorised shift per lag, no per-row Python.
    """
    posts = frame["posts"].to_numpy(dtype=float)
    codes, buckets = _codes(frame), frame["bucket"].to_numpy()
    window = np.zeros((len(frame), baseline))
    for lag in range(1, baseline + 1):
        same, distance = _lagged(codes, buckets, lag)
        inside = same & (distance <= baseline)
        window[lag:, lag - 1] = np.where(inside[lag:], posts[:-lag], 0.0)
    return window


def burst_levels(
    frame: pd.DataFrame, totals: pd.DataFrame, *, s: float = 2.0, gamma: float = 1.0, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Kleinberg state of each bucket row, and of the quiet run just before it (-1 if none).

    ``totals`` has columns bucket, posts: all collected posts per bucket. Quiet runs between two
    buckets of a hashtag become one step (see :func:`~trendwatch.analysis.burst.batched_states`).
    The base state expects the hashtag's share of *all* the archive's posts, as in Kleinberg's
    enumerating model, so a hashtag that lives in a single burst still shows that burst.
    """
    if frame.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    steps, row_step, gap_step = _collapsed_steps(frame, totals)
    buckets = frame["bucket"].to_numpy()
    n_buckets = int(buckets.max() - buckets.min() + 1)
    states = batched_states(steps, n_buckets=n_buckets, s=s, gamma=gamma, k=k)
    gap_levels = np.where(gap_step >= 0, states[np.maximum(gap_step, 0)], -1)
    return states[row_step], gap_levels


def _collapsed_steps(frame: pd.DataFrame, totals: pd.DataFrame):
    """Steps for the automaton: each bucket row, preceded by one step per quiet run."""
    same, distance = _same_hashtag_lag(frame, 1)
    quiet_before = same & (distance > 1)
    row_step = np.arange(len(frame)) + np.cumsum(quiet_before)
    gap_step = np.where(quiet_before, row_step - 1, -1)
    total_steps = len(frame) + int(quiet_before.sum())
    series = np.empty(total_steps, dtype=np.int64)
    r = np.zeros(total_steps)
    d = np.zeros(total_steps)
    codes = _codes(frame)
    series[row_step] = codes
    series[gap_step[quiet_before]] = codes[quiet_before]
    r[row_step] = frame["posts"].to_numpy()
    buckets = frame["bucket"].to_numpy()
    d[row_step] = np.maximum(_totals_between(totals, buckets, buckets), r[row_step])
    previous = np.r_[buckets[0], buckets[:-1]]
    d[gap_step[quiet_before]] = _totals_between(
        totals, previous[quiet_before] + 1, buckets[quiet_before] - 1
    )
    steps = pd.DataFrame({"series": series, "r": r, "d": d})
    hashtag_posts = np.bincount(codes, weights=frame["posts"].to_numpy())
    steps["base"] = hashtag_posts[series] / max(float(totals["posts"].sum()), 1.0)
    return steps, row_step, gap_step


def _totals_between(totals: pd.DataFrame, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """All posts in buckets first..last (inclusive), vectorised with a cumulative sum."""
    buckets = totals["bucket"].to_numpy()
    cumulative = np.r_[0, np.cumsum(totals["posts"].to_numpy())]
    upto_last = cumulative[np.searchsorted(buckets, last, side="right")]
    before_first = cumulative[np.searchsorted(buckets, first, side="left")]
    return (upto_last - before_first).astype(float)
