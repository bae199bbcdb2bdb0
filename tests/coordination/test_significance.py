"""Significance against time-shuffled copies, on hand-worked cases."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.coordination.significance import (
    edge_significance,
    shift_times,
    shuffle_times,
    significance,
    weight_threshold,
)
from trendwatch.errors import ParameterError
from trendwatch.store import Store


def retweet(n, account, minutes, seconds, key):
    return make_post(f"p{n}", account, at(minutes, seconds), "repost", ref_post_id=key)


def aligned_and_explained(store):
    """a, b: six different posts, each retweeted by both within 2 s (keys aligned in time).
    c, d: active at the very same moments, but always on one post (activity explains it).
    Everything within one clock hour, five minutes apart."""
    posts, n = [], 0
    for i in range(6):
        for account, secs, key in (("a", 0, f"o{i}"), ("b", 2, f"o{i}"), ("c", 0, "k"),
                                   ("d", 3, "k")):  # fmt: skip
            n += 1
            posts.append(retweet(n, account, 5 * i, secs, key))
    add_posts(store, posts)


def test_aligned_pair_is_significant_and_activity_explained_pair_is_not(store):
    aligned_and_explained(store)
    result = significance(store, "co-retweet", window=60, record=False, seed=0)
    edges = result.edges.set_index(["account_a", "account_b"])
    ab, cd = edges.loc[("a", "b")], edges.loc[("c", "d")]
    assert ab["weight"] == cd["weight"] == 6
    # c and d always act on "k": permuting their times among their own actions changes
    # nothing, so every shuffle has the same weight 6.
    assert cd["expected_weight"] == 6 and cd["null_sd"] == 0 and cd["z"] == 0
    assert cd["p_value"] == 1 and not cd["significant"]
    # a's and b's keys meet only when both permutations agree (mean 1 fixed point); weight 6
    # needs identical permutations (1 in 720), so no shuffle reaches it.
    assert ab["expected_weight"] < 2
    assert ab["p_value"] == pytest.approx(1 / 21)
    assert ab["z"] > 3 and ab["significant"]
    assert result.weight_threshold == 6


def test_one_action_each_is_never_evidence(store):
    add_posts(store, [retweet(1, "e", 0, 0, "x"), retweet(2, "f", 0, 10, "x")])
    row = significance(store, "co-retweet", record=False).edges.iloc[0]
    assert (row["weight"], row["expected_weight"], row["p_value"]) == (1, 1, 1)
    assert not row["significant"]


def test_same_seed_same_result_and_other_seed_other_shuffles(store):
    aligned_and_explained(store)
    one = significance(store, "co-retweet", record=False, seed=5).edges
    two = significance(store, "co-retweet", record=False, seed=5).edges
    pd.testing.assert_frame_equal(one, two)
    acts = pa.table({"account_id": ["a"] * 6, "key": list("uvwxyz"),
                     "time": [T0 + timedelta(minutes=i) for i in range(6)],
                     "post_id": list("123456")})  # fmt: skip
    first = shuffle_times(acts, np.random.default_rng(1))["time"].to_pylist()
    other = shuffle_times(acts, np.random.default_rng(2))["time"].to_pylist()
    assert first != other


def test_the_order_posts_were_stored_in_does_not_change_the_null(store):
    # Seen on IRA: the store's scan order changed between runs, and with it the groups.
    posts = []
    for i in range(8):
        for account, secs in (("a", 0), ("b", 2), ("c", 20), ("d", 40)):
            posts.append(retweet(len(posts), account, 7 * i, secs + i, f"o{i % 3}"))
    add_posts(store, posts)
    with Store(":memory:") as reversed_store:
        add_posts(reversed_store, posts[::-1])
        one = significance(store, "co-retweet", record=False, seed=3).edges
        two = significance(reversed_store, "co-retweet", record=False, seed=3).edges
    columns = ["account_a", "account_b", "expected_weight", "null_sd", "p_value"]
    pd.testing.assert_frame_equal(
        one[columns].sort_values(columns[:2], ignore_index=True),
        two[columns].sort_values(columns[:2], ignore_index=True),
    )


def test_significant_only_keeps_significant_edges_and_their_evidence(store):
    aligned_and_explained(store)
    kept = significance(store, "co-retweet", record=False).significant_only()
    assert kept.edges[["account_a", "account_b"]].values.tolist() == [["a", "b"]]
    ends = zip(kept.evidence["account_a"], kept.evidence["account_b"], strict=True)
    assert set(ends) == {("a", "b")}
    assert len(kept.evidence) == 6
    assert kept.params["significance"]["weight_threshold"] == 6


def test_shuffle_keeps_each_accounts_moments_per_hour():
    hours = [0, 0, 0, 1, 1, 0, 0]
    acts = pa.table(
        {
            "account_id": ["a", "a", "a", "a", "a", "b", "b"],
            "key": list("kjlmnkj"),
            "time": [T0 + timedelta(hours=h, minutes=7 * i) for i, h in enumerate(hours)],
            "post_id": [str(i) for i in range(7)],
        }
    )
    out = shuffle_times(acts, np.random.default_rng(3)).to_pandas()
    original = acts.to_pandas()
    assert out[["account_id", "key", "post_id"]].equals(original[["account_id", "key", "post_id"]])
    for (account, _hour), rows in original.groupby(["account_id", original["time"].dt.hour]):
        mask = (out["account_id"] == account) & (out["post_id"].isin(rows["post_id"]))
        assert sorted(out.loc[mask, "time"]) == sorted(rows["time"])


def test_shift_moves_a_whole_account_day_and_recomputes_bins():
    acts = pa.table(
        {
            "account_id": ["a", "a", "b"],
            "key": ["x", "y", "z"],
            "time": [T0, T0 + timedelta(minutes=40), T0],
            "post_id": ["1", "2", "3"],
        }
    )
    out = shift_times(acts, np.random.default_rng(0), bin_s=1800).to_pandas()
    gap = (out["time"][1] - out["time"][0]).total_seconds() % 86400
    assert gap == 2400  # a's two posts keep their 40 minutes (modulo the day)
    day = T0.replace(hour=0)
    assert all(day <= t < day + timedelta(days=1) for t in out["time"])
    bins = (out["time"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds() // 1800 * 1800
    assert out["key"].tolist() == [str(int(b)) for b in bins]


def test_edge_statistics_by_hand():
    edges = pd.DataFrame({"account_a": ["a", "c"], "account_b": ["b", "d"], "weight": [3, 1]})
    null = pd.DataFrame(
        {"account_a": ["a", "a"], "account_b": ["b", "b"], "weight": [1, 3], "shuffle": [0, 1]}
    )
    out = edge_significance(edges, null, shuffles=4).set_index("account_a")
    # a-b over 4 shuffles: weights 1, 3, 0, 0 -> mean 1, variance 10/4 - 1 = 1.5.
    assert out.loc["a", "expected_weight"] == 1
    assert out.loc["a", "null_sd"] == pytest.approx(math.sqrt(1.5))
    assert out.loc["a", "z"] == pytest.approx(2 / math.sqrt(1.5 + 0.25))
    assert out.loc["a", "p_value"] == pytest.approx(2 / 5)  # one shuffle reached 3
    # c-d never seen: mean 0, sd 0, z = 1 / sqrt(1/4) = 2, p = 1 / 5.
    assert out.loc["c", ["expected_weight", "null_sd", "z", "p_value"]].tolist() == [0, 0, 2, 0.2]


def test_weight_threshold_by_hand():
    edges = pd.DataFrame({"weight": [1, 1, 1, 1, 2, 3, 5], "p_value": [0.2] * 6 + [0.9]})
    null = pd.DataFrame(
        {
            "account_a": ["x", "u", "u", "u", "u", "m"],
            "account_b": ["y", "v", "v", "v", "v", "n"],
            "weight": [1, 2, 2, 2, 2, 3],
            "shuffle": [0, 0, 1, 2, 3, 1],
        }
    )
    # Leave-one-out p with 4 shuffles: x-y 1/4 and m-n 1/4 pass alpha 0.25; u-v (weight 2 in
    # every copy) has p 1. False discoveries at weights 1 and 3: 2/4 at >= 1, 1/4 at >= 2, 3.
    threshold, counts = weight_threshold(edges, null, shuffles=4, alpha=0.25, fdr=0.1)
    assert counts.values.tolist() == [[1, 6, 0.5], [2, 2, 0.25], [3, 1, 0.25]]
    assert threshold == 1  # 0.5 <= 0.1 * 6
    assert weight_threshold(edges, null, 4, 0.25, 0.05)[0] == math.inf


def test_too_few_shuffles_for_alpha_is_an_error(store):
    with pytest.raises(ParameterError, match="at least 19 shuffles"):
        significance(store, "co-retweet", shuffles=10, alpha=0.05, record=False)
    with pytest.raises(ParameterError, match="block_s"):
        significance(store, "co-retweet", block_s=0, record=False)


def test_sync_post_null_moves_bins(store):
    # Two accounts posting in the same three half-hour bins: the shift null separates them.
    posts = [make_post(f"{acc}{i}", acc, at(30 * i, s)) for i in range(3) for acc, s in
             (("a", 0), ("b", 5))]  # fmt: skip
    add_posts(store, posts)
    result = significance(store, "sync-post", record=False, seed=1)
    row = result.edges.iloc[0]
    assert row["weight"] == 3 and row["expected_weight"] < 1
    assert result.params["null"] == "account-day shift"


def test_the_null_shuffles_each_distinct_action_once(store):
    # Post 1 lists the URL twice: two identical actions, one action in the null model.
    from trendwatch.analysis.coordination import Scope, coordinate
    from trendwatch.analysis.coordination.significance import _observed_actions

    add_posts(
        store,
        [make_post(1, "a", at(0), urls=("u", "u")), make_post(2, "b", at(0, 5), urls=("u",))],
    )
    result = coordinate(store, "co-link", record=False)
    observed = _observed_actions(store, result, Scope())
    assert observed["post_id"].to_pylist() == ["1", "2"]
