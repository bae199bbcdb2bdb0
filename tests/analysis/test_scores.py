"""Each scorer on a series worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trendwatch.analysis.scores import (
    MIN_COVERAGE,
    burst_levels,
    decayed_max,
    expected_posts,
    poisson_scores,
    previous_bucket_values,
    ratio_scores,
    robust_z_scores,
    surge_scores,
    trailing_sums,
)


def series(tag, buckets, posts, accounts=None):
    return pd.DataFrame(
        {"hashtag": tag, "bucket": buckets, "posts": posts, "accounts": accounts or posts}
    )


def test_previous_bucket_is_zero_after_a_gap_and_across_hashtags():
    frame = pd.concat([series("a", [1, 2, 5], [3, 4, 5]), series("b", [6], [9])])
    assert previous_bucket_values(frame, "posts").tolist() == [0, 3, 0, 0]


def test_surge_score_mastodon_rule():
    # accounts: 3 (below threshold 5), 10 after 3 -> 49/3, 10 after 10 (no rise), 6 after gap
    frame = series("a", [0, 1, 2, 4], [3, 10, 10, 6])
    expected = [0.0, 49 / 3, 0.0, 25.0]  # last: e = 1 (previous bucket empty): (6-1)^2/1
    assert surge_scores(frame, threshold=5) == pytest.approx(expected)


def test_surge_threshold_is_a_parameter():
    frame = series("a", [0, 1], [1, 3])
    assert surge_scores(frame, threshold=3).tolist() == [0.0, 4.0]
    assert surge_scores(frame, threshold=4).tolist() == [0.0, 0.0]


def test_decayed_max_halves_per_half_life():
    frame = series("a", [0, 4, 8], [1, 1, 1])
    scores = np.array([80.0, 16.0, 0.0])
    # at bucket 8 with a half-life of 4 buckets: 80 -> 20, 16 -> 8
    assert decayed_max(frame, scores, 8, 4.0).to_dict() == {"a": 20.0}
    # buckets after "now" are ignored
    assert decayed_max(frame, scores, 0, 4.0).to_dict() == {"a": 80.0}


def test_ratio_trendiness():
    frame = series("a", [0, 1, 3], [4, 9, 2])
    assert ratio_scores(frame).tolist() == [5.0, 2.0, 3.0]


def test_robust_z_against_trailing_median_and_mad():
    frame = series("a", [0, 1, 2, 3, 4], [2, 4, 8, 4, 20])
    z = robust_z_scores(frame, baseline=4)
    # bucket 4: window [2, 4, 8, 4], median 4, |dev| [2, 0, 4, 0] -> MAD 1 -> 1.4826
    assert z[4] == pytest.approx((20 - 4) / 1.4826)
    # bucket 0: empty window [0, 0, 0, 0] -> median 0, spread floored at 1 -> z = 2
    assert z[0] == pytest.approx(2.0)
    # bucket 2: window [4, 2, 0, 0] -> median 1, |dev| [3, 1, 1, 1] -> MAD 1
    assert z[2] == pytest.approx((8 - 1) / 1.4826)


def test_robust_z_window_skips_buckets_out_of_reach():
    frame = series("a", [0, 10], [50, 3])
    assert robust_z_scores(frame, baseline=4)[1] == pytest.approx(3.0)


def test_burst_levels_find_a_burst_in_a_quiet_hashtag():
    # 12 buckets of 100 posts; the hashtag: 1 post in buckets 0, 3, 11, and 40 in bucket 6.
    frame = series("x", [0, 3, 6, 11], [1, 1, 40, 1])
    totals = pd.DataFrame({"bucket": np.arange(12), "posts": 100})
    levels, gaps = burst_levels(frame, totals)
    assert levels.tolist()[2] >= 1
    assert levels[[0, 1, 3]].tolist() == [0, 0, 0]
    assert gaps.tolist() == [-1, 0, 0, 0]


def test_trailing_sums_reach_back_span_buckets_of_the_same_hashtag():
    # a: buckets 0, 1, 3, 7 with 1, 2, 4, 8 posts; b starts right after a's last row.
    frame = pd.concat([series("a", [0, 1, 3, 7], [1, 2, 4, 8]), series("b", [8, 9], [16, 32])])
    # span 3: a@0 nothing; a@1 sees 0 (1); a@3 sees 0-2 (1+2); a@7 sees 4-6 (none);
    # b@8 sees no b bucket (a's rows never count); b@9 sees 6-8 (16)
    assert trailing_sums(frame, 3).tolist() == [0, 1, 3, 0, 0, 16]
    assert trailing_sums(frame, 10).tolist() == [0, 1, 3, 7, 0, 16]


def test_trailing_sums_equal_a_row_by_row_sum_on_random_series():
    rng = np.random.default_rng(3)
    frames = []
    for tag in "abcde":  # negative buckets too, as the trending list counts back from --at
        buckets = np.sort(rng.choice(np.arange(-40, 40), size=rng.integers(1, 30), replace=False))
        frames.append(series(tag, buckets.tolist(), rng.integers(1, 9, buckets.size).tolist()))
    frame = pd.concat(frames, ignore_index=True)
    for span in (1, 5, 24, 100):
        brute = [
            frame[(frame["hashtag"] == row.hashtag) & (frame["bucket"] >= row.bucket - span)
                  & (frame["bucket"] < row.bucket)]["posts"].sum()
            for row in frame.itertuples()
        ]  # fmt: skip
        assert trailing_sums(frame, span).tolist() == brute


def test_expected_posts_average_the_known_history_plus_one_pseudo_post():
    frame = series("a", [0, 1, 2, 30], [4, 7, 1, 9])
    expected = expected_posts(frame, 24, start=0)
    assert np.isnan(expected[0])  # the archive's first bucket: nothing known before
    assert expected[1] == pytest.approx((4 + 1) / 1)  # one bucket of history: bucket 0
    assert expected[2] == pytest.approx((4 + 7 + 1) / 2)
    assert expected[3] == pytest.approx((0 + 1) / 24)  # buckets 6-29: quiet, 24 known


def test_expected_posts_count_history_from_the_archive_start_not_the_hashtag_start():
    # a hashtag first seen at bucket 5 of an archive that began at bucket 0: 5 quiet buckets
    frame = series("new", [5], [10])
    assert expected_posts(frame, 24, start=0)[0] == pytest.approx(1 / 5)


def test_poisson_score_is_the_log_likelihood_ratio_of_a_rate_increase():
    # C ln(C/B) + B - C: 2,000 posts where 1/24 was expected; 1,186 where 1/24;
    # 295 where 56.25 (a busy hashtag at five times its rate); 40 where 30.
    posts = [2000, 1186, 295, 40, 30, 10, 7]
    expected = [1 / 24, 1 / 24, 56.25, 30.0, 30.0, 12.0, np.nan]
    scores = poisson_scores(posts, expected)
    assert scores[0] == pytest.approx(2000 * np.log(48000) + 1 / 24 - 2000)  # 19,558.0
    assert scores[0] == pytest.approx(19557.95, abs=0.01)
    assert scores[1] == pytest.approx(10978.13, abs=0.01)
    assert scores[2] == pytest.approx(295 * np.log(295 / 56.25) + 56.25 - 295)  # 250.11
    assert scores[3] == pytest.approx(40 * np.log(4 / 3) - 10)  # 1.507
    assert scores[4:].tolist() == [0.0, 0.0, 0.0]  # at, below, or without a baseline


def test_poisson_score_ranks_a_push_above_a_crowd_of_few_posts_and_a_steady_tag():
    push, new_small, steady_doubling = poisson_scores([2000, 6, 600], [1.0, 1.0, 300.0])
    assert push > steady_doubling > new_small
    assert new_small == pytest.approx(6 * np.log(6) - 5)  # 5.75
    assert steady_doubling == pytest.approx(600 * np.log(2) - 300)  # 115.9


def poisson_tail(count: int, rate: float) -> float:
    """P(X >= count) for X ~ Poisson(rate), summed in log space from ``count`` upwards."""
    terms = np.arange(count, count + 60 + int(10 * np.sqrt(rate) + 10))
    logs = terms * np.log(rate) - rate - np.array([math.lgamma(k + 1) for k in terms])
    return float(np.exp(logs).sum())


def test_the_onset_threshold_is_rare_at_the_expected_rate():
    # A score >= 10 (the onset rule) needs at least C posts; at the expected rate B that
    # happens with probability below 1e-5 for any B (1/24 to 10,000 posts checked).
    assert poisson_tail(3, 1.0) == pytest.approx(1 - 2.5 * math.exp(-1))  # the helper
    worst = 0.0
    for rate in np.geomspace(1 / 24, 10_000, 120):
        count = math.floor(rate) + 1
        while poisson_scores([count], [rate])[0] < 10:
            count += 1
        worst = max(worst, poisson_tail(count, rate))
    assert 1e-6 < worst < 1e-5


def _steady_from_half_past():
    """Buckets 10-12 of #a: the archive's first post half-way into bucket 10 (60 posts in
    that half bucket), then 120 a bucket: a steady 120 posts a bucket throughout."""
    return series("a", [10, 11, 12], [60, 120, 120])


def test_expected_posts_count_a_partly_covered_first_bucket_by_its_covered_part():
    expected = expected_posts(_steady_from_half_past(), 24, start=10.5)
    assert np.isnan(expected[0])  # the first bucket: nothing before it
    assert expected[1] == pytest.approx((60 + 1) / 0.5)  # 122: half a bucket of history
    assert expected[2] == pytest.approx((60 + 120 + 1) / 1.5)  # 120.67
    # the steady hashtag does not burst; counted as a whole bucket (before), bucket 11
    # expected 61 posts and scored 120 ln(120 / 61) + 61 - 120 = 22.19, a burst
    assert poisson_scores([120, 120], expected[1:]).tolist() == [0.0, 0.0]
    assert poisson_scores([120], [61.0])[0] == pytest.approx(22.19, abs=0.01)


def test_expected_posts_are_unknown_after_less_than_a_quarter_bucket_of_history():
    frame = _steady_from_half_past()
    # first post at 10.99 (36 s before bucket 11 in 1-hour buckets): bucket 11 has no rate
    expected = expected_posts(frame, 24, start=10.99)
    assert np.isnan(expected[1]) and poisson_scores([120], expected[1:2])[0] == 0
    assert expected[2] == pytest.approx((60 + 120 + 1) / 1.01)
    # a quarter exactly is enough; the floor is a parameter
    assert expected_posts(frame, 24, start=10.75)[1] == pytest.approx(61 / 0.25)
    assert np.isnan(expected_posts(frame, 24, start=10.5, min_coverage=0.6)[1])
    assert MIN_COVERAGE == 0.25


def test_expected_posts_of_a_whole_first_bucket_are_unchanged():
    # an archive starting on a bucket's start: the history is whole buckets, as before
    expected = expected_posts(_steady_from_half_past(), 24, start=10)
    assert expected[1:].tolist() == [61.0, pytest.approx(181 / 2)]
