"""GEXF and GraphML stay well-formed XML whatever the ids hold; a failed write leaves nothing."""

from __future__ import annotations

from xml.etree import ElementTree

import igraph
import pandas as pd
import pytest

from tests.exports.hostile import cells, every_cell
from trendwatch.analysis.coordination.export import write_groups_network
from trendwatch.analysis.coordination.groups import GroupsResult
from trendwatch.exports import replacing, write_gexf, write_graphml, xml_ids, xml_text

GEXF = {"g": "http://gexf.net/1.3"}
GRAPHML = {"g": "http://graphml.graphdrawing.org/xmlns"}
IDS = [*every_cell(), "a\ud800", "a\x00"]  # and a lone surrogate, a NUL


def star(names: list[str]) -> pd.DataFrame:
    """Every hostile name linked to "hub", with text and test columns on each edge (object
    columns: pandas' Arrow-backed strings cannot hold a lone surrogate)."""
    names = pd.Series(names, dtype=object)
    return pd.DataFrame({
        "account_a": names, "account_b": "hub", "weight": range(1, len(names) + 1),
        "methods": names, "q_value": [1e-6] * (len(names) - 1) + [float("nan")],
        "significant": True,
    })  # fmt: skip


def line_ends(text: str) -> str:
    """What an XML parser reads from text igraph writes raw: CR and CRLF become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def only_the(path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_xml_text_replaces_exactly_what_xml_forbids():
    assert xml_text("\t\n\r ok \x00\x08\x0b\x1f\ufffe\uffff\ud800\U0001f600\x85") == (
        "\t\n\r ok " + "\ufffd" * 7 + "\U0001f600\x85"
    )


def test_ids_that_differ_only_by_forbidden_characters_stay_distinct():
    ids = xml_ids(["x\x01y", "x\x02y", "x\ufffdy", "plain"])
    assert ids["plain"] == "plain" and ids["x\ufffdy"] == "x\ufffdy"
    assert len(set(ids.values())) == 4 and {ids["x\x01y"], ids["x\x02y"]} == {
        "x\ufffdy~2", "x\ufffdy~3",
    }  # fmt: skip


def test_gexf_of_hostile_ids_is_well_formed_with_every_node_and_edge(tmp_path):
    path = write_gexf(star(IDS), tmp_path / "e.gexf")
    root = ElementTree.parse(path).getroot()
    nodes = root.findall(".//g:node", GEXF)
    assert len(nodes) == len(IDS) + 1 and len({n.get("id") for n in nodes}) == len(nodes)
    assert {n.get("label") for n in nodes} == {xml_text(i) for i in [*IDS, "hub"]}
    edges = root.findall(".//g:edge", GEXF)
    assert sorted(float(e.get("weight")) for e in edges) == list(range(1, len(IDS) + 1))
    # a missing q-value is left out; booleans are spelled the GEXF way
    values = [[v.get("value") for v in e.iterfind(".//g:attvalue", GEXF)] for e in edges]
    assert [len(v) for v in values] == [4] * (len(IDS) - 1) + [3] and values[0][-1] == "true"
    assert only_the(path) == ["e.gexf"]


def test_graphml_of_hostile_ids_is_well_formed_and_reads_back(tmp_path):
    graph = igraph.Graph.TupleList(star(IDS).itertuples(index=False), edge_attrs=[
        "weight", "methods", "q_value", "significant"])  # fmt: skip
    path = write_graphml(graph, tmp_path / "e.graphml")
    ElementTree.parse(path)
    back = igraph.Graph.Read_GraphML(str(path))
    assert sorted(back.vs["name"]) == sorted(line_ends(xml_text(i)) for i in [*IDS, "hub"])
    assert sorted(back.es["methods"]) == sorted(line_ends(xml_text(i)) for i in IDS)
    assert graph.vs["name"][0] == IDS[0]  # the caller's graph is not changed
    assert only_the(path) == ["e.graphml"]


def test_groups_network_of_hostile_ids_in_both_formats(tmp_path):
    names = cells()["xml_forbidden"]
    edges = star(names).assign(group_id=pd.array([1] * len(names), dtype="Int64"))
    members = pd.DataFrame({"account_id": [*names, "hub"], "group_id": 1})
    result = GroupsResult(members=members, groups=pd.DataFrame(), edges=edges,
                          evidence=pd.DataFrame())  # fmt: skip
    for suffix, ns in ((".gexf", GEXF), (".graphml", GRAPHML)):
        root = ElementTree.parse(write_groups_network(result, tmp_path / f"g{suffix}")).getroot()
        assert len(root.findall(".//g:node", ns)) == len(names) + 1


def test_a_failed_graphml_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    graph = igraph.Graph(edges=[(0, 1)])
    graph.vs["name"] = ["a", "b"]
    graph.es["bad\x01name"] = [1]  # igraph refuses it half-way through the file
    target = tmp_path / "g.graphml"
    with pytest.raises(igraph.InternalError):
        write_graphml(graph, target)
    assert only_the(target) == []
    target.write_text("the previous export")
    with pytest.raises(igraph.InternalError):
        write_graphml(graph, target)
    assert target.read_text() == "the previous export" and only_the(target) == ["g.graphml"]


def test_replacing_removes_the_partial_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), replacing(target) as part:
        part.write_text("half a fi")
        raise RuntimeError("disk full")
    assert only_the(target) == []


def test_a_long_file_name_still_gets_a_temporary_name(tmp_path):
    target = tmp_path / ("n" * 240 + ".csv")
    with replacing(target) as part:
        part.write_text("x")
    assert target.read_text() == "x"
