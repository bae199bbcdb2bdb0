"""The fast link path against the all-SQL join it replaced (the oracle), and the hot-key bound."""

from __future__ import annotations

import time
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import T0
from trendwatch.analysis.coordination import DEFAULT_MAX_KEY_PAIRS, link
from trendwatch.analysis.coordination.coded import evidence_frame
from trendwatch.analysis.coordination.join import actions_on_duckdb, memory_limit, sql_pair_join
from trendwatch.analysis.coordination.pairs import window_pairs

EDGE_SORT = ["account_a", "account_b"]


def acts(rows):
    """Actions from (account, key, seconds after T0, post_id) tuples."""
    if not rows:
        rows = [("a", "k", 0, "p")][:0]
    account, key, secs, post = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 4
    return pa.table(
        {
            "account_id": pa.array(account, pa.string()),
            "key": pa.array(key, pa.string()),
            "time": pa.array(
                [T0 + timedelta(seconds=s) for s in secs], pa.timestamp("us", tz="UTC")
            ),
            "post_id": pa.array(post, pa.string()),
        }
    )


def oracle(table: pa.Table, **kwargs):
    params = {
        "window_s": 10,
        "min_weight": 1,
        "max_key_fanout": None,
        "min_participation": 1,
        "min_symmetry": 0.0,
        "weight_percentile": None,
        "tfidf": False,
        **kwargs,
    }
    with actions_on_duckdb(table) as (con, name):
        return sql_pair_join(con, name, params)


def same_edges(fast, slow) -> None:
    a = fast.sort_values(EDGE_SORT).reset_index(drop=True)
    b = slow.sort_values(EDGE_SORT).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert a[EDGE_SORT].values.tolist() == b[EDGE_SORT].values.tolist()
    for column in a.columns.drop(EDGE_SORT):
        np.testing.assert_allclose(a[column].astype(float), b[column].astype(float))


def evidence_rows(frame) -> list[tuple]:
    cols = ["account_a", "account_b", "key", "post_a", "post_b", "time_a", "time_b", "gap_s"]
    return sorted(map(tuple, frame[cols].astype(str).values.tolist()))


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from("abcdef"),
        st.sampled_from(["k1", "k2", "k3"]),
        st.integers(0, 40),
        st.sampled_from([str(i) for i in range(12)]),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=rows_strategy,
    window=st.sampled_from([0, 5, 10, 30]),
    participation=st.sampled_from([1, 2]),
    tfidf=st.booleans(),
)
def test_fast_path_equals_the_sql_oracle(rows, window, participation, tfidf):
    # Duplicate rows, ties on time, one post on several keys: every case the old join handled.
    table = acts(rows)
    fast = link(
        table, window_s=window, max_key_fanout=None, min_participation=participation, tfidf=tfidf
    )
    slow = oracle(table, window_s=window, min_participation=participation, tfidf=tfidf)
    same_edges(fast.edges, slow.edges)
    assert evidence_rows(fast.evidence) == evidence_rows(evidence_frame(slow.evidence))


@settings(max_examples=40, deadline=None)
@given(
    times=st.lists(st.integers(0, 1000), min_size=2, max_size=30, unique=True),
    fanout=st.integers(1, 4),
    budget=st.sampled_from([None, 3, 10, 40]),
)
def test_fanout_bound_equals_the_sql_oracle_on_distinct_times(times, fanout, budget):
    # With distinct times both paths pick the same followers of each action.
    rows = [("abcdefg"[i % 7], "k", t, str(i)) for i, t in enumerate(times)]
    fast = link(acts(rows), window_s=100, max_key_fanout=fanout, max_key_pairs=budget)
    slow = oracle(acts(rows), window_s=100, max_key_fanout=fanout, max_key_pairs=budget)
    same_edges(fast.edges, slow.edges)
    if budget is None:  # the oracle reports only the keys the fanout alone cut
        assert fast.bounded_keys["key"].tolist() == slow.bounded_keys["key"].tolist()


def test_window_pairs_by_hand():
    key = np.array([1, 1, 1, 1, 2, 2])
    time_ = np.array([0, 5, 10, 30, 0, 0])
    account = np.array([1, 2, 1, 3, 4, 4])
    found = window_pairs(key, time_, account, 10)
    # key 1: (0,1) (1,2); (0,2) is the same account; 30 is too late. key 2: one account.
    got = zip(found.first.tolist(), found.second.tolist(), strict=True)
    assert sorted(got) == [(0, 1), (1, 2)]
    bounded = window_pairs(key, time_, account, 10, max_key_fanout=1)
    assert bounded.cut.tolist() == [True, False, False, False, False, False]


def old_window_pairs(key, time_, account, window, fanout=None, budget=None):
    """The walk window_pairs replaced (every step by gathers from all actions): the oracle."""
    from trendwatch.analysis.coordination.pairs import _limits

    limit = np.full(key.size, -1, np.int64)
    if fanout is not None:
        counts = np.zeros(key.size, np.int64)
        left, step = np.arange(key.size), 1
        while left.size and step <= fanout + 1:
            left = old_partners_at(key, time_, left, step, window)
            counts[left] += 1
            step += 1
        limit = _limits(key, counts, fanout, budget)
    pairs, left, step = [], np.arange(key.size), 1
    while left.size:
        if fanout is not None:
            left = left[limit[left] >= step]
        left = old_partners_at(key, time_, left, step, window)
        other = account[left] != account[left + step]
        pairs += zip(left[other].tolist(), (left[other] + step).tolist(), strict=True)
        step += 1
    return pairs, limit


def old_partners_at(key, time_, left, step, window):
    right = left + step
    left, right = left[right < key.size], right[right < key.size]
    return left[(key[right] == key[left]) & (time_[right] - time_[left] <= window)]


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 4)), max_size=60),
    window=st.sampled_from([0, 3, 10, 100]),
    fanout=st.sampled_from([None, 1, 2, 5]),
    budget=st.sampled_from([None, 2, 7]),
)
def test_window_pairs_equals_the_walk_it_replaced(rows, window, fanout, budget):
    key, time_, account = np.array(sorted(rows), np.int64).reshape(-1, 3).T.copy()
    found = window_pairs(key, time_, account, window, fanout, budget)
    pairs, limit = old_window_pairs(key, time_, account, window, fanout, budget)
    assert list(zip(found.first.tolist(), found.second.tolist(), strict=True)) == pairs
    assert found.limit.tolist() == limit.tolist()


def test_pair_budget_lowers_the_fanout_of_a_hot_key():
    # 5 actions within the window: fanout 3 would give 3+3+2+1 = 9 pairs > budget 4,
    # so each action keeps max(1, 4 // 5) = 1 follower: a chain of 4 pairs.
    rows = [(x, "hot", i, str(i)) for i, x in enumerate("abcde")]
    rows += [("a", "calm", 0, "10"), ("b", "calm", 1, "11")]
    result = link(acts(rows), window_s=10, max_key_fanout=3, max_key_pairs=4)
    ends = sorted(zip(result.edges["account_a"], result.edges["account_b"], strict=True))
    assert ends == [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]
    assert result.edges.set_index(EDGE_SORT).loc[("a", "b"), "weight"] == 2
    assert result.bounded_keys.to_dict("records") == [{"key": "hot", "n_actions": 5, "fanout": 1}]
    assert result.params["max_key_pairs"] == 4


def hot_key_actions(n: int, seconds: int) -> pa.Table:
    """`n` accounts reposting one post evenly over `seconds`, and a 5-account group elsewhere."""
    step = seconds * 1_000_000 // n
    base = int(T0.timestamp() * 1_000_000)
    times = np.r_[base + np.arange(n, dtype=np.int64) * step, base + np.arange(5) * 1_000_000]
    return pa.table(
        {
            "account_id": pa.array([f"u{i}" for i in range(n)] + [f"g{i}" for i in range(5)]),
            "key": pa.array(["viral"] * n + ["rare"] * 5),
            "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "post_id": pa.array([f"r{i}" for i in range(n + 5)]),
        }
    )


@pytest.mark.slow
def test_a_post_reposted_by_200000_accounts_in_an_hour_stays_linear():
    table = hot_key_actions(200_000, 3600)
    start = time.perf_counter()
    result = link(table, window_s=60)
    elapsed = time.perf_counter() - start
    # ~3,300 reposts per 60 s: 6.6e8 pairs unbounded; the budget keeps 5 followers each.
    fanout = DEFAULT_MAX_KEY_PAIRS // 200_000
    assert result.bounded_keys.to_dict("records") == [
        {"key": "viral", "n_actions": 200_000, "fanout": fanout}
    ]
    assert result.evidence_table.num_rows <= DEFAULT_MAX_KEY_PAIRS + 10
    assert len(result.edges) == 200_000 * fanout - sum(range(1, fanout + 1)) + 10
    assert elapsed < 60


def test_memory_limit_is_lowered_then_restored():
    con = duckdb.connect()
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    with memory_limit(con, "100MB"):
        inside = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    after = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert inside.startswith("95") and after[:2] == before[:2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, participation=st.sampled_from([1, 2]), shared=st.booleans())
def test_read_coded_orders_ties_as_the_sql_sort_does(rows, participation, shared):
    # DuckDB sorts by (key, time) only; runs of equal (key, time) are ordered by (a, p) after.
    from trendwatch.analysis.coordination.coded import read_coded, read_coded_sorted_in_sql

    with actions_on_duckdb(acts(rows)) as (con, name):
        fast = read_coded(con, name, participation, shared)
        slow = read_coded_sorted_in_sql(con, name, participation, shared)
    for column in ("a", "k", "t", "p"):
        assert getattr(fast, column).tolist() == getattr(slow, column).tolist()


def test_encode_by_code_groups_strings_by_their_codes_and_refuses_a_collision():
    from trendwatch.analysis.coordination.coded import encode_by_code

    strings = pa.chunked_array([["b", "a", "b"], ["c", "a"]])
    encoded = encode_by_code(strings, np.array([7, 3, 7, 9, 3], np.uint64))
    assert encoded.dictionary.to_pylist() == ["b", "a", "c"]
    assert encoded.indices.to_pylist() == [0, 1, 0, 2, 1]
    # "c" shares "a"'s code: the two must not be merged.
    assert encode_by_code(strings, np.array([7, 3, 7, 3, 3], np.uint64)) is None
    empty = encode_by_code(pa.chunked_array([], pa.string()), np.array([], np.uint64))
    assert len(empty) == 0


def test_string_order_is_code_point_order_whatever_the_collation():
    from trendwatch.analysis.coordination.coded import string_order

    strings = pa.array(["b", "B", "a", "\\x41", "é", "e\u0301", "", "ab", "a\x00", "Z", "😀"])
    expected = pc.array_sort_indices(strings).to_numpy().tolist()
    assert expected == sorted(range(len(strings)), key=lambda i: strings[i].as_py())
    con = duckdb.connect()
    con.execute("SET default_collation = 'nocase'")
    assert string_order(strings, con).tolist() == expected
    assert string_order(strings).tolist() == expected


def colliding(monkeypatch, column: str) -> None:
    """Let the fast path's hash of ``column`` take two values only."""
    from trendwatch.analysis.coordination import coded

    code = {"account_id": "a", "key": "k", "post_id": "p"}[column]
    exact = f"hash(CAST({column} AS VARCHAR))"
    assert coded.CODE_SQL[code] == exact
    monkeypatch.setitem(coded.CODE_SQL, code, f"({exact} % 2)")


COLLIDING_ROWS = [
    (account, f"k{key}", 2 * key + offset, f"{account}{key}")
    for key in range(6)
    for offset, account in enumerate("abcdef"[key % 3 :][:3])
]


def test_a_key_hash_shared_by_two_keys_links_nothing_more(monkeypatch):
    # Six keys on two hashes, each acted on within the window of the others: the pairs of
    # actions on different keys with one hash must not link (keys compare as strings).
    colliding(monkeypatch, "key")
    fast = link(acts(COLLIDING_ROWS), window_s=10, max_key_fanout=None)
    slow = oracle(acts(COLLIDING_ROWS), window_s=10)
    same_edges(fast.edges, slow.edges)
    assert evidence_rows(fast.evidence) == evidence_rows(evidence_frame(slow.evidence))


def test_an_account_hash_shared_by_two_accounts_keeps_every_other_edge_exact(monkeypatch):
    # Accounts on one hash are not linked to each other (the pair walk compares hashes), but
    # every other edge keeps its exact account strings and weights.
    colliding(monkeypatch, "account_id")
    fast = link(acts(COLLIDING_ROWS), window_s=10, max_key_fanout=None)
    slow = oracle(acts(COLLIDING_ROWS), window_s=10)
    hashes = duckdb.connect().execute("SELECT s, hash(s) % 2 FROM unnest(?) t(s)", [list("abcdef")])
    half = dict(hashes.fetchall())
    apart = [half[a] != half[b] for a, b in slow.edges[EDGE_SORT].values.tolist()]
    assert 0 < sum(apart) < len(apart)
    same_edges(fast.edges, slow.edges[apart])
