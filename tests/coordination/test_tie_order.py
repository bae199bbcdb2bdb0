"""Actions at the same time under the hot-key bound: every path keeps the same pairs.

When a bound cuts a key, each action is paired with its next few, so which pairs are kept
depends on how actions of the same key and time are ordered. Every path orders them by
post_id, then account_id, compared as UTF-8 bytes (``coded.TIE_ORDER``): the fast path, the
SQL join (the oracle) and Spark (tests/engines/test_spark_tie_order.py).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import add_posts, at, make_post
from tests.coordination.test_fast_join import acts, evidence_rows, oracle, same_edges
from trendwatch.analysis.coordination import coordinate, link
from trendwatch.analysis.coordination.coded import evidence_frame, on_cut_keys, tie_runs

# One key, six actions in 10 s; four at second 5, whose post ids sort as bytes B < b < z < é
# (a case-blind or accent-aware collation would sort them otherwise). Byte order puts the
# accounts u1, u3, u2, u5, u4, u6; a fanout of 1 pairs each with its next one only.
TIED = [
    ("u1", "k", 0, "a1"),
    ("u2", "k", 5, "b"),
    ("u3", "k", 5, "B"),
    ("u4", "k", 5, "é"),
    ("u5", "k", 5, "z"),
    ("u6", "k", 8, "c"),
]
TIED_EDGES = [("u1", "u3"), ("u2", "u3"), ("u2", "u5"), ("u4", "u5"), ("u4", "u6")]
# The same post id for three accounts at second 1 (a tabular input can do that): the account
# ids break the tie, as bytes: vB < vC < va; v9 follows at second 3.
SAME_POST = [
    ("v1", "k2", 0, "q"),
    ("va", "k2", 1, "same"),
    ("vB", "k2", 1, "same"),
    ("vC", "k2", 1, "same"),
    ("v9", "k2", 3, "r"),
]
SAME_POST_EDGES = [("v1", "vB"), ("v9", "va"), ("vB", "vC"), ("vC", "va")]


def linked(result) -> list[tuple[str, str]]:
    return sorted(zip(result.edges["account_a"], result.edges["account_b"], strict=True))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(TIED, TIED_EDGES), (SAME_POST, SAME_POST_EDGES)],
    ids=["post", "account"],
)
def test_the_fast_path_keeps_the_pairs_of_the_documented_tie_order(rows, expected):
    result = link(acts(rows), window_s=10, max_key_fanout=1, max_key_pairs=None)
    assert linked(result) == expected
    assert result.edges["weight"].tolist() == [1] * len(expected)
    assert result.bounded_keys["n_actions"].tolist() == [len(rows)]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(TIED, TIED_EDGES), (SAME_POST, SAME_POST_EDGES)],
    ids=["post", "account"],
)
def test_the_sql_oracle_keeps_the_same_pairs(rows, expected):
    assert linked(oracle(acts(rows), window_s=10, max_key_fanout=1)) == expected


def test_the_tie_order_holds_with_other_keys_and_the_pair_budget():
    # Both cases at once, plus a calm key; a budget of 5 pairs lowers the fanout of 2 to 1 on
    # both hot keys (2+2+2+2+1 = 9 and 2+2+2+1 = 7 capped pairs), so the pairs are the above.
    rows = [*TIED, *SAME_POST, ("x", "calm", 0, "1"), ("y", "calm", 0, "2")]
    result = link(acts(rows), window_s=10, max_key_fanout=2, max_key_pairs=5)
    assert linked(result) == sorted([*TIED_EDGES, *SAME_POST_EDGES, ("x", "y")])
    bounded = result.bounded_keys.sort_values("key").to_dict("records")
    assert bounded == [
        {"key": "k", "n_actions": 6, "fanout": 1},
        {"key": "k2", "n_actions": 5, "fanout": 1},
    ]


def test_evidence_names_the_posts_of_the_kept_pairs():
    result = link(acts(TIED), window_s=10, max_key_fanout=1)
    posts = sorted(zip(result.evidence["post_a"], result.evidence["post_b"], strict=True))
    # u1-u3 (a1, B), u2-u3 (b, B), u2-u5 (b, z), u4-u5 (é, z), u4-u6 (é, c).
    assert posts == sorted([("a1", "B"), ("b", "B"), ("b", "z"), ("é", "z"), ("é", "c")])


def test_co_similar_orders_its_ties_the_same_way(store):
    # Six posts of one text: one key (the text's), as the link's hand case.
    text = "one text posted by six accounts"
    add_posts(store, [make_post(p, a, at(0, s), text=text) for a, _, s, p in TIED])
    result = coordinate(store, "co-similar", window=10, max_key_fanout=1, record=False)
    assert linked(result) == TIED_EDGES
    assert result.bounded_keys.to_dict("records") == [
        {"key": f"text:{text}", "n_actions": 6, "fanout": 1}
    ]


def test_co_retweet_on_a_store_orders_its_ties_the_same_way(store):
    add_posts(store, [make_post(p, a, at(0, s), "repost", ref_post_id="P") for a, _, s, p in TIED])
    result = coordinate(store, "co-retweet", window=10, max_key_fanout=1, record=False)
    assert linked(result) == TIED_EDGES


def test_duckdb_sorts_strings_as_bytes_by_default():
    # The SQL oracle's ORDER BY relies on it (Spark's default comparison is bytewise too).
    strings = ["b", "B", "é", "z", "e\u0301", "", "ab", "a\x00", "😀", "Z"]
    con = duckdb.connect()
    con.execute("CREATE TABLE s AS SELECT unnest(?) AS s", [strings])
    found = [row[0] for row in con.sql("SELECT s FROM s ORDER BY s").fetchall()]
    assert found == sorted(strings, key=lambda s: s.encode())


def test_tie_runs_by_hand():
    key = np.array([1, 1, 1, 2, 2, 3, 3, 3])
    time = np.array([0, 0, 3, 5, 6, 7, 7, 7])
    rows, run = tie_runs(key, time)
    assert rows.tolist() == [0, 1, 5, 6, 7] and run.tolist() == [1, 1, 2, 2, 2]
    rows, run = tie_runs(key, time, np.array([0, 0, 0, 0, 0, 1, 1, 1], bool))
    assert rows.tolist() == [5, 6, 7] and run.tolist() == [1, 1, 1]
    assert tie_runs(key[:1], time[:1])[0].size == 0


def test_on_cut_keys_marks_whole_keys():
    key = np.array([1, 1, 2, 2, 2, 3])
    cut = np.array([0, 0, 0, 1, 0, 0], bool)
    assert on_cut_keys(key, cut).tolist() == [0, 0, 1, 1, 1, 0]
    assert on_cut_keys(key[:0], cut[:0]).size == 0


tied_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "B", "b", "é", "c", "D"]),
        st.sampled_from(["k1", "k2"]),
        st.integers(0, 3),
        st.sampled_from(["1", "10", "2", "Z", "z", "é", "e"]),
    ),
    max_size=40,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=tied_rows,
    window=st.sampled_from([0, 1, 3]),
    fanout=st.integers(1, 3),
    budget=st.sampled_from([None, 2, 5]),
    participation=st.sampled_from([1, 2]),
)
def test_fast_path_equals_the_sql_oracle_with_many_ties_and_a_small_bound(
    rows, window, fanout, budget, participation
):
    # Four seconds, two keys, six accounts, seven post ids (byte order unlike any collation's).
    table = acts(rows)
    options = dict(window_s=window, max_key_fanout=fanout, min_participation=participation)
    fast = link(table, max_key_pairs=budget, **options)
    slow = oracle(table, max_key_pairs=budget, **options)
    same_edges(fast.edges, slow.edges)
    assert evidence_rows(fast.evidence) == evidence_rows(evidence_frame(slow.evidence))
    if budget is None:  # the oracle lists the keys the fanout alone cut
        assert sorted(fast.bounded_keys["key"]) == sorted(slow.bounded_keys["key"])
