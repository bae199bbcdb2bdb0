"""``trendwatch network`` and its files: the hand-made case in every format, and hostile ids
and handles that must leave the CSV formula-safe and the XML well-formed."""

from __future__ import annotations

import csv
import itertools
from xml.etree import ElementTree

import igraph
import pytest
from click.testing import CliRunner

from tests.analysis.test_interactions import hand_made_posts
from tests.conftest import add_posts, at, make_post
from tests.exports.hostile import RING, TRIGGERS, every_cell
from trendwatch.analysis.interactions import interaction_network
from trendwatch.analysis.interactions_export import nodes_path, write_network
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.exports import restore, xml_text
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store

GEXF = {"g": "http://gexf.net/1.3"}


def hand_made_store(store) -> None:
    add_posts(store, hand_made_posts())
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="Ann")]))


def hostile_store(store) -> None:
    """Each hostile id reposts the next one; handles are hostile cells too."""
    pairs = zip(RING, RING[1:] + RING[:1], strict=True)
    add_posts(store, [
        make_post(f"p{i}", source, at(i), "repost", ref_post_id=f"o{i}", ref_author_id=target)
        for i, (source, target) in enumerate(pairs)
    ])  # fmt: skip
    handles = itertools.cycle(every_cell())
    store.write_batch(accounts=accounts_to_arrow(
        [Account("x", account, handle=next(handles)) for account in RING]))  # fmt: skip


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "hand.duckdb"
    with Store(path) as store:
        hand_made_store(store)
    return path


@pytest.fixture
def hand_network(hand_db):
    with Store(hand_db, read_only=True) as store:
        return interaction_network(store, "t")


@pytest.fixture
def hostile_network(store):
    hostile_store(store)
    return interaction_network(store)


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def gexf_nodes_and_edges(path):
    root = ElementTree.parse(path).getroot()
    graph = root.find("g:graph", GEXF)
    return graph, graph.findall("g:nodes/g:node", GEXF), graph.findall("g:edges/g:edge", GEXF)


def test_gexf_is_directed_labelled_by_handle_with_kinds(hand_network, tmp_path):
    out = tmp_path / "net.gexf"
    assert write_network(hand_network, out) == [out]
    graph, nodes, edges = gexf_nodes_and_edges(out)
    assert graph.get("defaultedgetype") == "directed"
    labels = {n.get("id"): n.get("label") for n in nodes}
    assert labels == {"a": "Ann", "b": "bob", "c": "cat", "d": "d", "@zed": "zed"}
    found = sorted((e.get("source"), e.get("target"), e.get("kind"), e.get("weight"))
                   for e in edges)  # fmt: skip
    assert found == [
        ("a", "@zed", "mention", "1"),
        ("a", "b", "mention", "1"), ("a", "d", "quote", "1"), ("b", "a", "mention", "1"),
        ("b", "a", "reply", "1"), ("b", "a", "repost", "1"), ("c", "a", "repost", "2"),
    ]  # fmt: skip


def test_gexf_edge_times_and_node_counts(hand_network, tmp_path):
    out = write_network(hand_network, tmp_path / "net.gexf")[0]
    root = ElementTree.parse(out).getroot()
    titles = {a.get("id"): a.get("title") for a in root.iter(f"{{{GEXF['g']}}}attribute")}
    edge = next(e for e in root.iter(f"{{{GEXF['g']}}}edge") if e.get("source") == "c")
    values = {titles[v.get("for")]: v.get("value") for v in edge.iter(f"{{{GEXF['g']}}}attvalue")}
    assert values["first"] == at(2).isoformat() and values["last"] == at(5).isoformat()
    node = next(n for n in root.iter(f"{{{GEXF['g']}}}node") if n.get("id") == "a")
    values = {titles[v.get("for")]: v.get("value") for v in node.iter(f"{{{GEXF['g']}}}attvalue")}
    assert values == {"handle": "Ann", "group": "0", "posts": "3", "out_count": "3",
                      "in_count": "5"}  # fmt: skip


def test_graphml_reads_back_in_igraph(hand_network, tmp_path):
    out = write_network(hand_network, tmp_path / "net.graphml")[0]
    graph = igraph.Graph.Read_GraphML(str(out))
    assert graph.is_directed()
    assert dict(zip(graph.vs["name"], graph.vs["label"], strict=True))["d"] == "d"
    assert sorted(graph.vs["label"]) == ["Ann", "bob", "cat", "d", "zed"]
    kinds = sorted(zip(graph.es["kind"], graph.es["weight"], strict=True))
    assert kinds[-1] == ("repost", 2.0) and len(kinds) == 7


def test_csv_writes_edges_and_nodes(hand_network, tmp_path):
    out = tmp_path / "net.csv"
    assert write_network(hand_network, out) == [out, tmp_path / "net.nodes.csv"]
    edges = read_csv(out)
    assert edges[0] == {
        "source": "c", "source_handle": "cat", "target": "a", "target_handle": "Ann",
        "kind": "repost", "count": "2", "first": at(2).isoformat(), "last": at(5).isoformat(),
    }  # fmt: skip
    nodes = read_csv(nodes_path(out))
    assert [n["account_id"] for n in nodes] == ["a", "b", "c", "'@zed", "d"]
    # '@zed' starts with a formula trigger: written with a quote, read back with restore.
    assert restore(nodes[3]["account_id"]) == "@zed"


def test_other_extensions_are_refused(hand_network, tmp_path):
    with pytest.raises(ParameterError, match="gexf"):
        write_network(hand_network, tmp_path / "net.parquet")
    assert list(tmp_path.iterdir()) == []


def test_hostile_ids_and_handles_stay_safe_in_csv(hostile_network, tmp_path):
    out = tmp_path / "net.csv"
    write_network(hostile_network, out)
    for path in (out, nodes_path(out)):
        rows = read_csv(path)
        assert not [v for row in rows for v in row.values() if v.startswith(TRIGGERS)]
    assert {restore(r["source"]) for r in read_csv(out)} == set(RING)


def test_hostile_ids_and_handles_stay_well_formed_xml(hostile_network, tmp_path):
    _, nodes, edges = gexf_nodes_and_edges(write_network(hostile_network, tmp_path / "n.gexf")[0])
    assert len(nodes) == len(RING) == len({n.get("id") for n in nodes})
    assert len(edges) == len(RING)
    graph = igraph.Graph.Read_GraphML(
        str(write_network(hostile_network, tmp_path / "n.graphml")[0])
    )
    assert sorted(graph.vs["name"]) == sorted(xml_text(i).replace("\r", "\n") for i in RING)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_prints_handles_and_writes_the_file(hand_db, tmp_path):
    out = tmp_path / "net.gexf"
    result = run("network", "--db", hand_db, "--hashtag", "t", "--out", out, "--top", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("5 accounts, 7 links, 8 interactions (3 reposts, 1 quote, 1 reply, "
                        "3 mentions)")  # fmt: skip
    assert lines[3].split()[:4] == ["@cat", "(c)", "@Ann", "(a)"]
    assert lines[4].split()[:3] == ["@Ann", "(a)", "@zed"]
    assert "showing 2 of 7" in result.output and out.exists()


def test_cli_json_and_kind(hand_db):
    import json

    result = run("network", "--db", hand_db, "--kind", "reply", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["top_links"] == [{
        "source": "b", "source_handle": "bob", "target": "a", "target_handle": "Ann",
        "kind": "reply", "count": 1, "first": at(3).isoformat(), "last": at(3).isoformat(),
    }]  # fmt: skip
    assert data["by_kind"] == {"reply": 1} and data["groups_run"] is None


def test_cli_errors_are_clean(hand_db):
    empty = run("network", "--db", hand_db, "--hashtag", "none")
    assert empty.exit_code == 1 and empty.output.startswith("Error: no posts in this scope")
    latest = run("network", "--db", hand_db, "--groups-run", "latest")
    assert latest.exit_code == 2 and "no groups run" in latest.output


def test_cli_groups_run_colours_nodes(tmp_path):
    from tests.coordination.runs_cases import linked_posts, recorded_runs

    db = tmp_path / "runs.duckdb"
    with Store(db) as store:
        linked_posts(store)
        run_id = recorded_runs(store).groups
        add_posts(store, [make_post(20, "a", at(9), "reply", reply_to_author_id="b")])
    out = tmp_path / "net.csv"
    result = run("network", "--db", db, "--groups-run", "latest", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"groups from run {run_id}" in result.output
    assert {n["account_id"]: n["group"] for n in read_csv(nodes_path(out))} == {"a": "1", "b": "1"}
