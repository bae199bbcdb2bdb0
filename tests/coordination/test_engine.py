"""The engine on hand-worked cases: the pair join, edge columns, filters, bound, runs, exports."""

from __future__ import annotations

import math
from datetime import timedelta

import orjson
import pyarrow as pa
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.coordination import Scope, actions, coordinate, link
from trendwatch.analysis.coordination.export import write_edges, write_evidence
from trendwatch.analysis.coordination.results import list_runs, load_evidence
from trendwatch.analysis.coordination.window import estimate_window_from
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.store import Store


def acts(rows):
    """Actions from (account, key, seconds after T0, post_id) tuples."""
    account, key, secs, post = zip(*rows, strict=True)
    return pa.table(
        {
            "account_id": list(account),
            "key": list(key),
            "time": [T0 + timedelta(seconds=s) for s in secs],
            "post_id": list(post),
        }
    )


def pairs(result):
    return sorted(zip(result.edges["account_a"], result.edges["account_b"], strict=True))


def test_window_is_inclusive_and_pairs_are_unordered_with_a_before_b():
    result = link(
        acts([("b", "k", 0, "1"), ("a", "k", 10, "2"), ("c", "k", 10.5, "3")]), window_s=10
    )
    assert pairs(result) == [("a", "b"), ("a", "c")]
    ev = result.evidence.set_index(["account_a", "account_b"])
    # account_a's post is post_a even when it came second.
    assert ev.loc[("a", "b"), "post_a"] == "2" and ev.loc[("a", "b"), "post_b"] == "1"
    assert ev.loc[("a", "b"), "gap_s"] == 10 and ev.loc[("a", "c"), "gap_s"] == 0.5


def test_same_account_and_other_keys_never_link():
    result = link(acts([("a", "k", 0, "1"), ("a", "k", 1, "2"), ("b", "j", 1, "3")]), window_s=60)
    assert result.edges.empty and result.evidence.empty


def test_edge_columns_on_a_hand_worked_pair():
    # a: posts 1 (k, t0), 2 (j, t30); b: posts 3 (k, t5), 4 (k, t8), 5 (j, t31).
    rows = [
        ("a", "k", 0, "1"),
        ("a", "j", 30, "2"),
        ("b", "k", 5, "3"),
        ("b", "k", 8, "4"),
        ("b", "j", 31, "5"),
    ]
    edge = link(acts(rows), window_s=10).edges.iloc[0]
    # post pairs (1,3) gap 5, (1,4) gap 8, (2,5) gap 1
    assert edge["weight"] == 3 and edge["n_keys"] == 2
    assert edge["a_posts"] == 2 and edge["b_posts"] == 3
    assert edge["symmetry"] == pytest.approx(2 / 3)
    assert edge["median_gap_s"] == 5 and edge["min_gap_s"] == 1


def test_ties_on_time_link_every_tied_action():
    rows = [(x, "k", 0, str(i)) for i, x in enumerate("abcd")]
    assert len(link(acts(rows), window_s=0).edges) == 6


def test_hot_key_bound_limits_partners_and_is_reported():
    rows = [(x, "k", i, str(i)) for i, x in enumerate("abcde")]
    assert len(link(acts(rows), window_s=10, max_key_fanout=None).edges) == 10
    bounded = link(acts(rows), window_s=10, max_key_fanout=2)
    # each action pairs with its next two: ab ac bc bd cd ce de
    assert pairs(bounded) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
        ("b", "d"),
        ("c", "d"),
        ("c", "e"),
        ("d", "e"),
    ]
    assert bounded.bounded_keys.to_dict("records") == [{"key": "k", "n_actions": 5, "fanout": 2}]
    assert bounded.params["max_key_fanout"] == 2


def test_min_weight_percentile_and_symmetry_filters():
    rows = [
        ("a", "k1", 0, "1"),
        ("b", "k1", 1, "2"),
        ("a", "k2", 0, "3"),
        ("b", "k2", 1, "4"),
        ("c", "k3", 0, "5"),
        ("d", "k3", 1, "6"),
        ("d", "k3", 2, "7"),
    ]
    base = link(acts(rows), window_s=10)
    assert dict(zip(pairs(base), base.edges.sort_values("account_a")["weight"], strict=True)) == {
        ("a", "b"): 2,
        ("c", "d"): 2,
    }
    assert pairs(link(acts(rows), window_s=10, min_weight=3)) == []
    # c-d: c has 1 post, d has 2 -> symmetry 0.5
    assert pairs(link(acts(rows), window_s=10, min_symmetry=0.6)) == [("a", "b")]
    more = rows + [("e", "k4", 0, "8"), ("f", "k4", 1, "9")]
    assert pairs(link(acts(more), window_s=10, weight_percentile=50)) == [("a", "b"), ("c", "d")]
    filtered = link(acts(rows), window_s=10, min_symmetry=0.6)
    assert set(filtered.evidence["account_a"]) == {"a"}  # evidence follows the edges


def test_min_participation_drops_accounts_before_linking():
    rows = [
        ("a", "k1", 0, "1"),
        ("b", "k1", 1, "2"),
        ("a", "k2", 0, "3"),
        ("c", "k2", 1, "4"),
        ("b", "k3", 0, "5"),
    ]
    assert pairs(link(acts(rows), window_s=10, min_participation=2)) == [("a", "b")]


def test_tfidf_cosine_weight():
    # a: k1 k2, b: k1 k2, c: k1. idf(k1) = ln(3/3) = 0, idf(k2) = ln(3/2).
    rows = [
        ("a", "k1", 0, "1"),
        ("a", "k2", 0, "2"),
        ("b", "k1", 1, "3"),
        ("b", "k2", 1, "4"),
        ("c", "k1", 2, "5"),
    ]
    edges = link(acts(rows), window_s=10, tfidf=True).edges.set_index(["account_a", "account_b"])
    assert edges.loc[("a", "b"), "tfidf"] == pytest.approx(1.0)
    assert edges.loc[("a", "c"), "tfidf"] == 0


def test_bad_parameters_are_precise_errors():
    with pytest.raises(ParameterError, match="window"):
        link(acts([("a", "k", 0, "1")]), window_s=-1)
    with pytest.raises(ParameterError, match="min_weight"):
        link(acts([("a", "k", 0, "1")]), window_s=1, min_weight=0)


def test_graph_has_names_and_weights():
    g = link(acts([("a", "k", 0, "1"), ("b", "k", 1, "2")]), window_s=10).graph()
    assert sorted(g.vs["name"]) == ["a", "b"] and g.es["weight"] == [1]


def reposts(store):
    add_posts(
        store,
        [
            make_post(1, "a", at(0, 0), "repost", ref_post_id="X", hashtags=("tag",)),
            make_post(2, "b", at(0, 5), "repost", ref_post_id="X", hashtags=("tag",)),
            make_post(3, "c", at(0, 20), "repost", ref_post_id="X"),
            make_post(4, "d", at(0, 6), "repost", ref_post_id="X", collected=False),
        ],
    )


def test_coordinate_scopes_and_ignores_context_posts(store):
    reposts(store)
    assert pairs(coordinate(store, "co-retweet", window=10, record=False)) == [("a", "b")]
    assert pairs(coordinate(store, "co-retweet", window=15, record=False)) == [
        ("a", "b"),
        ("b", "c"),
    ]
    assert pairs(coordinate(store, "co-retweet", window=15, hashtags="TAG", record=False)) == [
        ("a", "b")
    ]
    assert pairs(coordinate(store, "co-retweet", window=60, since=at(0, 1), record=False)) == [
        ("b", "c")
    ]
    scoped = actions(store, "co-retweet", Scope(until=at(0, 1))).to_pyarrow()
    assert scoped["post_id"].to_pylist() == ["1"]


def test_runs_are_recorded_never_overwritten_and_evidence_reads_back(store):
    reposts(store)
    first = coordinate(store, "co-retweet", window=10)
    second = coordinate(store, "co-retweet", window=60)
    assert first.run_id != second.run_id
    runs = list_runs(store)
    assert list(runs["run_id"]) == [first.run_id, second.run_id]
    assert len(load_evidence(store, first.run_id, "b", "a")) == 1
    assert len(load_evidence(store, second.run_id, "a", "c")) == 1
    assert load_evidence(store, first.run_id, "a", "c").empty


def test_unknown_method_and_parameter(store):
    with pytest.raises(ParameterError, match="unknown coordination method"):
        coordinate(store, "co-nothing")
    with pytest.raises(ParameterError, match="unknown parameter"):
        coordinate(store, "co-retweet", threshold=3)


def test_exports_round_trip(tmp_path, store):
    reposts(store)
    result = coordinate(store, "co-retweet", window=60, record=False)
    import igraph
    import pandas as pd

    csv = pd.read_csv(write_edges(result, tmp_path / "e.csv"), dtype={"account_a": str})
    assert list(csv.columns[:3]) == ["account_a", "account_b", "weight"] and len(csv) == 3
    assert len(pd.read_parquet(write_edges(result, tmp_path / "e.parquet"))) == 3
    assert igraph.Graph.Read_GraphML(str(write_edges(result, tmp_path / "e.graphml"))).ecount() == 3
    gexf = write_edges(result, tmp_path / "e.gexf").read_text()
    assert gexf.count("<edge ") == 3 and 'title="weight"' in gexf
    assert len(pd.read_csv(write_evidence(result, tmp_path / "ev.csv"))) == 3
    with pytest.raises(ParameterError, match=r"\.csv"):
        write_edges(result, tmp_path / "e.txt")


def test_window_estimate_follows_coornet():
    # second shares: K1 after 2 s, K2 after 50 s, K3 after 10 s.
    rows = [
        ("a", "K1", 0, "1"),
        ("b", "K1", 2, "2"),
        ("c", "K1", 4, "3"),
        ("d", "K1", 100, "4"),
        ("a", "K2", 0, "5"),
        ("b", "K2", 50, "6"),
        ("c", "K2", 60, "7"),
        ("a", "K3", 0, "8"),
        ("b", "K3", 10, "9"),
    ]
    import duckdb

    con = duckdb.connect()
    con.register("acts", acts(rows))
    # q=0.1: only K1 (quantile 3.6 s); it passes 50 % at its 3rd action, 4 s after the first.
    assert estimate_window_from(con, "acts").window_s == 4
    # q=0.5: K1 and K3 (10 s to pass 50 %) -> median 7 s.
    estimate = estimate_window_from(con, "acts", q=0.5)
    assert estimate.window_s == 7 and estimate.keys_used == 2
    # A repeated action (a post listing a URL twice) is one share, not a second one at 0 s.
    con.register("repeated", acts([*rows, ("a", "K2", 0, "5"), ("b", "K3", 10, "9")]))
    assert estimate_window_from(con, "repeated", q=0.5) == estimate


def test_cli_coordination_evidence_runs(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        reposts(s)
    runner = CliRunner()
    out = tmp_path / "edges.csv"
    res = runner.invoke(
        cli,
        ["coordination", "--db", str(db), "-m", "co-retweet", "--window", "10", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "2 accounts, 1 pair," in res.output
    # text quoted; handle_a, handle_b empty (the store knows no handle of a or b)
    assert out.read_text().splitlines()[1].startswith('"a","","b","",1,')
    res = runner.invoke(cli, ["evidence", "b", "a", "--db", str(db), "--json"])
    assert res.exit_code == 0 and '"post_b": "2"' in res.output
    res = runner.invoke(cli, ["runs", "--db", str(db)])
    assert res.exit_code == 0 and "co-retweet" in res.output and "0.1.0" in res.output
    res = runner.invoke(cli, ["coordination", "--db", str(db), "-m", "co-retweet", "--window", "x"])
    assert res.exit_code != 0


def test_evidence_reads_the_latest_run_that_links_the_pair_with_safe_texts(tmp_path):
    db = tmp_path / "s.duckdb"
    hostile = "RT @x: \x1b]0;owned\x07 vote\u202eeton"
    with Store(db) as s:
        add_posts(s, [
            make_post(1, "a", at(0, 0), "repost", ref_post_id="X", text=hostile),
            make_post(2, "b", at(0, 5), "repost", ref_post_id="X", text="RT @x: vote"),
            make_post(3, "c", at(1, 0), "post", text="same words"),
            make_post(4, "d", at(1, 2), "post", text="same words"),
        ])  # fmt: skip
        coordinate(s, "co-retweet", window=10)
        coordinate(s, "co-tweet", window=10)  # later, links c and d only
    runner = CliRunner()
    res = runner.invoke(cli, ["evidence", "b", "a", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("1 post pair from the latest co-retweet run")
    assert "RT @x: vote" in res.output and "\x1b" not in res.output and "\u202e" not in res.output
    assert "\ufffd]0;owned\ufffd vote\ufffdeton" in res.output
    res = runner.invoke(cli, ["evidence", "a", "b", "--db", str(db), "--json"])
    # --json keeps the text (it parses back to it) with its controls as \u escapes
    assert '"text_a": "RT @x: \\u001b]0;owned\\u0007 vote\\u202eeton"' in res.output
    assert orjson.loads(res.output)["evidence"][0]["text_a"] == hostile
    res = runner.invoke(cli, ["evidence", "a", "c", "--db", str(db)])
    assert res.exit_code != 0 and "no stored coordination run links a and c" in res.output
    res = runner.invoke(cli, ["evidence", "a", "b", "-m", "co-tweet", "--db", str(db)])
    assert res.exit_code != 0 and "no stored co-tweet run links a and b" in res.output


def test_auto_window_runs_end_to_end(store):
    reposts(store)
    result = coordinate(store, "co-retweet", window="auto", record=False)
    assert result.params["window_s"] == 5 and math.isclose(result.params["window_s"], 5)


def test_snowflake_time_source_reads_milliseconds_from_x_ids(store):
    # ids whose snowflake times are 60.021 s apart, while created_at says 60 s.
    add_posts(
        store,
        [
            make_post("1440716363585097730", "a", at(0, 0), "repost", ref_post_id="P"),
            make_post("1440716615331418117", "b", at(1, 0), "repost", ref_post_id="P"),
        ],
    )
    assert len(coordinate(store, "co-retweet", window=60, record=False).edges) == 1
    snow = coordinate(store, "co-retweet", window=60, time_source="snowflake", record=False)
    assert snow.edges.empty
    assert coordinate(
        store, "co-retweet", window=60.021, time_source="snowflake", record=False
    ).edges["min_gap_s"].tolist() == [pytest.approx(60.021)]
