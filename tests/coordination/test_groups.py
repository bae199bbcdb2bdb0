"""Groups (fusion, partition, the groups() pipeline, the CLI) and group scores, by hand."""

from __future__ import annotations

import itertools
from datetime import timedelta
from xml.etree import ElementTree

import igraph
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, background_reposts, make_post
from trendwatch.analysis.coordination import scores as scores_module
from trendwatch.analysis.coordination.export import write_groups_network
from trendwatch.analysis.coordination.groups import (
    GroupsResult,
    applicable_methods,
    fuse_edges,
    groups,
    partition,
)
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


def edges_of(pairs, weight=1, events=2, q_value=1e-6):
    a, b = zip(*pairs, strict=True)
    return pd.DataFrame({"account_a": a, "account_b": b, "weight": weight, "events": events,
                         "q_value": q_value, "min_gap_s": 1.0})  # fmt: skip


def two_cliques_and_a_bridge():
    left = list(itertools.combinations("abcde", 2))
    right = list(itertools.combinations("vwxyz", 2))
    return edges_of([*left, *right, ("e", "v")])


def test_fuse_sums_weights_and_names_methods():
    one = edges_of([("a", "b"), ("a", "c")], weight=2, events=2, q_value=1e-5)
    two = edges_of([("a", "b")], weight=5, events=3, q_value=1e-7).assign(min_gap_s=0.5)
    fused = fuse_edges({"co-tweet": one, "co-link": two}).set_index(["account_a", "account_b"])
    # weight and events add up; the strongest q-value stands for the pair
    assert fused.loc[("a", "b")].tolist() == [7, 5, 1e-7, 2, "co-link,co-tweet", 0.5]
    assert fused.loc[("a", "c")].tolist() == [2, 2, 1e-5, 1, "co-tweet", 1.0]


def test_components_number_groups_largest_first_and_drop_pairs():
    edges = edges_of([("p", "q"), ("q", "r"), ("a", "b"), ("b", "c"), ("c", "d"), ("x", "y")])
    found = partition(edges, algorithm="components")
    assert found.groupby("group_id")["account_id"].apply(list).to_dict() == {
        1: ["a", "b", "c", "d"],
        2: ["p", "q", "r"],
    }


def test_leiden_splits_two_cliques_and_is_deterministic_with_a_seed():
    edges = two_cliques_and_a_bridge()
    found = partition(edges, algorithm="leiden", seed=3)
    assert found.groupby("group_id")["account_id"].apply("".join).tolist() == ["abcde", "vwxyz"]
    pd.testing.assert_frame_equal(found, partition(edges, algorithm="leiden", seed=3))
    assert partition(edges)["group_id"].unique().tolist() == [1]  # components: one group
    with pytest.raises(ParameterError):
        partition(edges, algorithm="louvain")


def campaign_store(store):
    """Three accounts retweet six posts together within 2 s; two strangers meet once; z
    posts first. Everything carries #tag. Forty accounts retweet other posts alone the same
    day, without the tag: the context the trio stands out from."""
    posts = [
        make_post(f"z{i}", "z", at(-10 + i), hashtags=("tag",), text=f"early {i}") for i in range(5)
    ]
    for i, (account, secs) in itertools.product(range(6), (("a1", 0), ("a2", 1), ("a3", 2))):
        posts.append(
            make_post(f"{account}-{i}", account, at(5 * i, secs), "repost", ref_post_id=f"o{i}",
                      hashtags=("tag",), text=f"RT original {i}")
        )  # fmt: skip
    posts += [
        make_post("x1", "x", at(40), "repost", ref_post_id="viral", hashtags=("tag",)),
        make_post("y1", "y", at(40, 10), "repost", ref_post_id="viral", hashtags=("tag",)),
        make_post("out", "a1", at(50), text="no hashtag: out of scope"),
    ]
    add_posts(store, posts + background_reposts())
    created = {"a1": at(-10) - timedelta(days=10), "a2": at(-10) - timedelta(days=20)}
    accounts = [
        Account(platform="x", account_id="a1", created_at=created["a1"], followers=5),
        Account(platform="x", account_id="a2", created_at=created["a2"], followers=7),
        Account(platform="x", account_id="a3"),
    ]
    store.write_batch(accounts=accounts_to_arrow(accounts))


def test_groups_find_the_trio_and_score_it_by_hand(store, monkeypatch):
    campaign_store(store)
    monkeypatch.setattr(scores_module, "FIRST_POSTS", 5)
    result = groups(store, hashtags=["tag"], record=False)
    assert result.members["account_id"].tolist() == ["a1", "a2", "a3"]
    assert result.members[["degree", "strength"]].values.tolist() == [[2, 12]] * 3
    row = result.groups.iloc[0]
    assert (row["group_id"], row["size"], row["density"]) == (1, 3, 1.0)
    assert row["median_gap_s"] == 1  # gaps: 6 x 1 s (a1-a2), 6 x 2 s (a1-a3), 6 x 1 s (a2-a3)
    assert row["posts"] == 18 and row["share_posts"] == pytest.approx(18 / 25)
    assert row["share_first_2000"] == 0  # the first (here 5) posts are z's
    # a1 first posted 10 days after creation... measured from its first post in scope.
    first_a1, first_a2 = at(0), at(0, 1)
    age_a1 = (first_a1 - (at(-10) - timedelta(days=10))).total_seconds() / 86400
    age_a2 = (first_a2 - (at(-10) - timedelta(days=20))).total_seconds() / 86400
    assert row["min_age_days"] == pytest.approx(age_a1)
    assert row["median_age_days"] == pytest.approx((age_a1 + age_a2) / 2)
    assert row["median_followers"] == 6
    # a1, a2: new (10 and 20 days old) and amplifiers (6 reposts of 6); a3: amplifier only.
    assert row["share_flagged"] == pytest.approx(2 / 3)
    top = row["top_keys"]
    assert [k["key"] for k in top] == ["o0", "o1", "o2"]
    assert top[0] | {"example_text": None} == {
        "method": "co-retweet", "key": "o0", "accounts": 3, "pairs": 3,
        "example_post": "a1-0", "example_text": None,
    }  # fmt: skip
    assert top[0]["example_text"] == "RT original 0"
    assert result.tests["co-retweet"] | {"pairs": None} == {
        "window_s": 60.0, "pairs": None, "significant": 3,
    }  # fmt: skip
    assert result.edges["events"].tolist() == [6, 6, 6]
    assert (result.edges["q_value"] <= 1e-4).all()
    assert result.verdict.finding == "coordinated core" and result.verdict.core_accounts == 3
    assert set(result.runs) == {"co-retweet"}  # no text, URL or reply shared by two accounts
    graph = result.graph()
    assert sorted(graph.vs["name"]) == ["a1", "a2", "a3"] and set(graph.vs["group_id"]) == {1}
    assert sorted(graph.es["weight"]) == [6, 6, 6] and set(graph.es["group_id"]) == {1}


def test_applicable_methods_skip_methods_without_data(store):
    add_posts(store, [make_post("1", "a", at(0), "repost", ref_post_id="o"),
                      make_post("2", "b", at(0), "reply", reply_to_post_id="o")])  # fmt: skip
    assert applicable_methods(store) == []
    add_posts(store, [make_post("3", "c", at(1), "repost", ref_post_id="o")])
    assert applicable_methods(store) == ["co-retweet"]


def test_groups_on_an_empty_store_are_empty(store):
    result = groups(store, record=False)
    assert result.groups.empty and result.members.empty and result.summary()["groups"] == 0


def test_groups_command_writes_one_row_per_account_and_the_network(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        campaign_store(store)
    out, network = tmp_path / "groups.csv", tmp_path / "net.gexf"
    run = CliRunner().invoke(cli, ["groups", "--db", str(db), "--hashtag", "tag", "--out",
                                   str(out), "--network", str(network)])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert network.read_text().count("<node ") == 3
    assert "1 group, 3 accounts" in run.output
    table = pd.read_csv(out, dtype={"account_id": str})
    assert table.columns[:3].tolist() == ["account_id", "handle", "group_id"]
    assert table["account_id"].tolist() == ["a1", "a2", "a3"]
    as_json = CliRunner().invoke(cli, ["groups", "--db", str(db), "--json", "-m", "co-retweet"])
    assert '"groups": 1' in as_json.output and '"top_keys"' in as_json.output
    assert '"handle_a": null' in as_json.output  # the store knows no handle of the trio


def test_graph_marks_accounts_and_edges_outside_groups_with_0():
    edges = pd.DataFrame({
        "account_a": ["a", "a", "c"], "account_b": ["b", "c", "d"], "weight": [3, 2, 1],
        "group_id": pd.array([1, 1, pd.NA], dtype="Int64"),
    })  # fmt: skip
    members = pd.DataFrame({"account_id": ["a", "b", "c"], "group_id": [1, 1, 1]})
    result = GroupsResult(members=members, groups=pd.DataFrame(), edges=edges,
                          evidence=pd.DataFrame())  # fmt: skip
    graph = result.graph()
    assert dict(zip(graph.vs["name"], graph.vs["group_id"], strict=True)) == {
        "a": 1, "b": 1, "c": 1, "d": 0,
    }  # fmt: skip
    assert graph.es["group_id"] == [1, 1, 0]


def test_network_exports_carry_each_accounts_group(tmp_path):
    edges = pd.DataFrame({
        "account_a": ["a", "a", 'c"<x>'], "account_b": ["b", 'c"<x>', "d"],
        "weight": [3, 2, 1], "methods": ["co-retweet", "co-retweet,co-tweet", "co-link"],
        "group_id": pd.array([1, 1, pd.NA], dtype="Int64"),
    })  # fmt: skip
    members = pd.DataFrame({"account_id": ["a", "b", 'c"<x>'], "group_id": [1, 1, 1]})
    result = GroupsResult(members=members, groups=pd.DataFrame(), edges=edges,
                          evidence=pd.DataFrame())  # fmt: skip
    graphml = igraph.Graph.Read_GraphML(str(write_groups_network(result, tmp_path / "g.graphml")))
    assert dict(zip(graphml.vs["name"], graphml.vs["group_id"], strict=True)) == {
        "a": 1, "b": 1, 'c"<x>': 1, "d": 0,
    }  # fmt: skip
    root = ElementTree.parse(write_groups_network(result, tmp_path / "g.gexf")).getroot()
    ns = {"g": "http://gexf.net/1.3"}
    groups_of = {
        node.get("id"): node.find("g:attvalues/g:attvalue", ns).get("value")
        for node in root.iterfind(".//g:node", ns)
    }
    assert groups_of == {"a": "1", "b": "1", 'c"<x>': "1", "d": "0"}
    weights = sorted(float(e.get("weight")) for e in root.iterfind(".//g:edge", ns))
    assert weights == [1, 2, 3]
    with pytest.raises(ParameterError, match="use .graphml or .gexf"):
        write_groups_network(result, tmp_path / "g.csv")
