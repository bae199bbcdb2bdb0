"""The configuration null, on cases worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.conftest import add_posts, at, background_reposts, make_post
from trendwatch.analysis.coordination.engine import Scope
from trendwatch.analysis.coordination.significance import (
    benjamini_hochberg,
    context_of,
    pair_tests,
    significance,
    with_q_values,
)
from trendwatch.errors import ParameterError

DAY0 = datetime(2024, 3, 1, tzinfo=UTC)


def t(seconds: float, day: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, seconds=seconds)


def actions(rows) -> pa.Table:
    """Context actions from (account, key, seconds[, day]) rows."""
    return pa.table(
        {
            "account_id": [r[0] for r in rows],
            "key": [r[1] for r in rows],
            "time": pa.array([t(*r[2:]) for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )


def evidence(rows) -> pa.Table:
    """Evidence rows from (a, b, key, seconds_a, seconds_b[, day])."""
    day = [r[5] if len(r) > 5 else 0 for r in rows]
    return pa.table(
        {
            "account_a": [r[0] for r in rows],
            "account_b": [r[1] for r in rows],
            "key": [r[2] for r in rows],
            "time_a": pa.array([t(r[3], d) for r, d in zip(rows, day, strict=True)],
                               pa.timestamp("us", tz="UTC")),
            "time_b": pa.array([t(r[4], d) for r, d in zip(rows, day, strict=True)],
                               pa.timestamp("us", tz="UTC")),
        }
    )  # fmt: skip


def poisson_at_least(n: int, lam: float) -> float:
    return 1 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(n))


# Window 30 s: cells of 60 s in two binnings (from 0 and from 30 s). Every action sits in the
# first 5 s of a 600-s block, so both binnings cut the same cells.
HAND = [
    ("a", "k1", 0), ("b", "k1", 2),
    ("a", "k2", 600), ("b", "k2", 603),
    ("a", "v", 1200), ("b", "v", 1201), ("c", "v", 1202), ("d", "v", 1204),
    ("c", "k3", 1800), ("d", "k4", 2400),
]  # fmt: skip
HAND_EVIDENCE = [
    ("a", "b", "k1", 0, 2), ("a", "b", "k2", 600, 603), ("a", "b", "v", 1200, 1201),
    ("c", "d", "v", 1202, 1204), ("a", "c", "v", 1200, 1202),
]  # fmt: skip


def test_pair_test_by_hand():
    found = pair_tests(actions(HAND), evidence(HAND_EVIDENCE), window_s=30)
    found = found.set_index(["account_a", "account_b"])
    # x: a 3 cells, b 3, c 2, d 2 -> E = 10, sum x^2 = 26, D = 100 - 26 = 74.
    # Cells of 2 accounts (stratum 0): k1, k2 -> S0 = 2 * (2 * 1) = 4.
    # The cell of 4 (stratum 1, 3-4 accounts): v -> S1 = 4 * 3 = 12. Two strata.
    lam0, lam1 = 3 * 3 * 4 / 74, 3 * 3 * 12 / 74
    p = min(poisson_at_least(2, lam0), poisson_at_least(1, lam1)) * 2  # Bonferroni: 2 strata
    ab = found.loc[("a", "b")]
    assert ab["events"] == 3
    assert ab["expected"] == pytest.approx(lam0 + lam1)
    assert ab["p_value"] == pytest.approx(min(p * 2, 1.0))  # the better of 2 binnings
    # One shared event is never tested: p-value 1, no expectation.
    for pair in [("c", "d"), ("a", "c")]:
        assert found.loc[pair, "events"] == 1
        assert found.loc[pair, "p_value"] == 1 and np.isnan(found.loc[pair, "expected"])


def test_each_day_is_its_own_null():
    # The same pattern on two days: x, S and D are those of each day, and the pair's
    # expectation is the sum of the days'.
    two_days = [(*row, day) for day in (0, 1) for row in HAND]
    rows = [(*row, day) for day in (0, 1) for row in HAND_EVIDENCE if row[:2] == ("a", "b")]
    found = pair_tests(actions(two_days), evidence(rows), window_s=30).iloc[0]
    assert found["events"] == 6
    assert found["expected"] == pytest.approx(2 * (9 * 4 / 74 + 9 * 12 / 74))


def test_a_co_action_across_a_bin_edge_is_counted_by_the_shifted_binning():
    # Window 60 s, cells of 120 s: 119 s and 121 s fall in two cells from 0, one from 60 s.
    context = actions([("a", "k", 119), ("b", "k", 121), ("a", "j", 719), ("b", "j", 721)])
    found = pair_tests(context, evidence([("a", "b", "k", 119, 121), ("a", "b", "j", 719, 721)]),
                       window_s=60)  # fmt: skip
    assert found["events"].tolist() == [2]
    # Only a and b act: x = 2 each, D = 4**2 - 8 = 8; two cells of 2: S0 = 2 * (2 * 1) = 4;
    # lambda = 2 * 2 * 4 / 8 = 2, as many as they shared: nothing unexpected.
    assert found["expected"].iloc[0] == pytest.approx(2.0)
    assert found["p_value"].iloc[0] == 1


def test_min_events_and_empty_evidence():
    found = pair_tests(actions(HAND), evidence(HAND_EVIDENCE), window_s=30, min_events=4)
    assert (found["p_value"] == 1).all()
    empty = pair_tests(actions(HAND), evidence([]), window_s=30)
    assert empty.empty and list(empty.columns) == [
        "account_a", "account_b", "events", "expected", "p_value",
    ]  # fmt: skip
    with pytest.raises(ParameterError, match="window > 0"):
        pair_tests(actions(HAND), evidence(HAND_EVIDENCE), window_s=0)


def test_benjamini_hochberg_by_hand():
    # ranks 1..4 of (0.01, 0.03, 0.04, 0.2): 0.04, 0.06, 0.0533, 0.2 -> monotone from the top
    assert benjamini_hochberg([0.04, 0.01, 0.2, 0.03]).tolist() == pytest.approx(
        [0.16 / 3, 0.04, 0.2, 0.16 / 3]
    )
    assert benjamini_hochberg([]).size == 0


def test_q_values_adjust_every_method_together():
    frame = lambda p, e: pd.DataFrame(  # noqa: E731
        {"account_a": ["a"] * len(p), "account_b": ["b"] * len(p), "p_value": p, "events": e}
    )
    out = with_q_values({"x": frame([0.001, 0.5], [3, 3]), "y": frame([0.002], [1]),
                         "z": frame([], [])}, q=0.01)  # fmt: skip
    assert out["x"]["q_value"].tolist() == pytest.approx([0.003, 0.5])
    assert out["y"]["q_value"].tolist() == pytest.approx([0.003])
    assert out["x"]["significant"].tolist() == [True, False]
    assert out["y"]["significant"].tolist() == [False]  # one event only
    assert out["z"].empty
    with pytest.raises(ParameterError):
        with_q_values({}, q=0)


def ring_and_crowd(store):
    """A ring of 3 retweets 12 posts within 2 s of each other, once every 10 minutes; a crowd
    of 30 retweets 4 viral posts within a minute each; everyone on the same day."""
    posts, n = [], 0
    for i in range(12):
        for k, account in enumerate(("r1", "r2", "r3")):
            n += 1
            posts.append(make_post(f"p{n}", account, at(10 * i, k), "repost", ref_post_id=f"o{i}"))
    for v in range(4):
        for k in range(30):
            n += 1
            posts.append(make_post(f"p{n}", f"c{k}", at(15 + 30 * v, 2 * k), "repost",
                                   ref_post_id=f"viral{v}"))  # fmt: skip
    add_posts(store, posts)


def test_a_ring_meeting_in_small_cells_is_significant_a_crowd_in_big_ones_is_not(store):
    ring_and_crowd(store)
    result = significance(store, "co-retweet", window=60, record=False, q=0.01)
    edges = result.edges.set_index(["account_a", "account_b"])
    ring = edges.loc[[("r1", "r2"), ("r1", "r3"), ("r2", "r3")]]
    assert ring["significant"].all() and (ring["events"] == 12).all()
    crowd = edges.drop(ring.index)
    assert len(crowd) > 100 and not crowd["significant"].any()
    kept = result.significant_only()
    assert len(kept.edges) == 3 and set(kept.evidence["key"]) == {f"o{i}" for i in range(12)}
    assert kept.params["significance"]["q"] == 0.01


def test_parameters_are_checked(store):
    with pytest.raises(ParameterError, match="q"):
        significance(store, "co-retweet", q=0, record=False)
    with pytest.raises(ParameterError, match="min_events"):
        significance(store, "co-retweet", min_events=0, record=False)


def test_a_hashtag_scope_is_tested_against_every_post_of_its_days(store):
    add_posts(store, [
        make_post("1", "a", at(0), hashtags=("tag",)),
        make_post("2", "b", at(60 * 24 * 2 + 5), hashtags=("tag",)),
        make_post("3", "c", at(60 * 24 * 5)),
    ])  # fmt: skip
    context = context_of(store, Scope(hashtags=("tag",)))
    day = at(0).replace(hour=0, minute=0, second=0)
    assert (context.hashtags, context.since, context.until) == (
        None, day, day + timedelta(days=3),
    )  # fmt: skip
    # A time slice is widened to its whole days too: the day is the null's unit.
    sliced = context_of(store, Scope(since=at(1), until=at(60 * 24 * 2 + 10)))
    assert (sliced.since, sliced.until) == (day + timedelta(days=2), day + timedelta(days=3))
    plain = Scope(platform="x")
    assert context_of(store, plain) is plain


def test_near_duplicates_are_tested_on_their_clusters(store):
    # Three accounts post six slogans, each copied with a one-word change, seconds apart;
    # forty others write texts of their own the same day (and repost alone: the crowd).
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    posts = []
    for i in range(6):
        base = f"le slogan numero {i} dit que {words[i]} et {words[i + 1]} vont ensemble"
        for k, account in enumerate(("s1", "s2", "s3")):
            posts.append(make_post(f"s{i}-{k}", account, at(10 * i, 2 * k), text=f"{base} {k}",
                                   hashtags=("tag",)))  # fmt: skip
    posts += [make_post(f"own{i}", f"o{i}", at(i), text=f"mon texte a moi numero {i} {i * 7}")
              for i in range(40)]  # fmt: skip
    add_posts(store, posts + background_reposts())
    result = significance(store, "co-similar", window=60, record=False, q=0.01)
    edges = result.edges.set_index(["account_a", "account_b"])
    trio = edges.loc[[("s1", "s2"), ("s1", "s3"), ("s2", "s3")]]
    assert trio["significant"].all() and (trio["events"] == 6).all()
    assert result.edges["significant"].sum() == 3
    # In a hashtag scope, the clusters come from the links over the scope's whole days.
    scoped = significance(store, "co-similar", window=60, hashtags=["tag"], record=False, q=0.01)
    assert scoped.edges["significant"].sum() == 3


# A live check's null (trendwatch.watch): days that end at the check's time of day.
_LATE = [(a, k, 82800 + s) for a, k, s in HAND]  # day 0, from 23:00
_EARLY = [("a", "k5", 3600, 1), ("b", "k5", 3602, 1)]  # day 1, 01:00
_LATE_EARLY_EVIDENCE = [
    (a, b, k, 82800 + sa, 82800 + sb) for a, b, k, sa, sb in HAND_EVIDENCE if (a, b) == ("a", "b")
]
_LATE_EARLY_EVIDENCE.append(("a", "b", "k5", 3600, 3602, 1))


def test_utc_days_keep_a_late_and_an_early_pattern_apart():
    found = pair_tests(actions(_LATE + _EARLY), evidence(_LATE_EARLY_EVIDENCE), window_s=30)
    # day 0 as in test_pair_test_by_hand: 9*4/74 + 9*12/74; day 1: a and b alone in one cell
    # of 2: x = 1 each, D = 2**2 - 2 = 2, S0 = 2 -> 1*1*2/2 = 1
    assert found["events"].iloc[0] == 4
    assert found["expected"].iloc[0] == pytest.approx(144 / 74 + 1)


def test_days_from_noon_put_them_in_one_null():
    found = pair_tests(actions(_LATE + _EARLY), evidence(_LATE_EARLY_EVIDENCE), window_s=30,
                       day_origin_s=12 * 3600)  # fmt: skip
    # one day from 12:00: x = a 4, b 4, c 2, d 2 -> E = 12, sum x^2 = 40, D = 104;
    # cells of 2: k1, k2, k5 -> S0 = 6; the cell of 4 -> S1 = 12: 16*6/104 + 16*12/104
    assert found["events"].iloc[0] == 4
    assert found["expected"].iloc[0] == pytest.approx(288 / 104)


def test_a_live_checks_context_is_the_whole_24_hour_spans_ending_at_it(store):
    add_posts(store, [
        make_post("1", "a", at(0), hashtags=("tag",)),
        make_post("2", "b", at(60 * 24 * 2 + 5), hashtags=("tag",)),
    ])  # fmt: skip
    end = at(60 * 24 * 2 + 10)
    context = context_of(store, Scope(hashtags=("tag",)), day_end=end)
    # the posts span 2 days and 5 minutes before ``end``: three 24-hour spans
    assert (context.hashtags, context.since, context.until) == (None, end - timedelta(days=3), end)
    assert context_of(store, Scope(hashtags=("tag",), until=end)) != context
