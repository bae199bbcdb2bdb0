"""Every command that writes a file writes it safely: hostile account ids and handles through
``coordination --out``, ``groups --out/--network`` and ``accounts --out``."""

from __future__ import annotations

import csv
from xml.etree import ElementTree

import igraph
import pytest
from click.testing import CliRunner

from tests.exports.hostile import RING, ring_store
from trendwatch.cli import cli
from trendwatch.exports import restore, xml_text
from trendwatch.handles import account_handles
from trendwatch.store import Store

TEST_COLUMNS = ["events", "expected", "p_value", "q_value", "significant"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "ring.duckdb"
    with Store(path) as store:
        ring_store(store)
    return path


def run(*args) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def read_rows(path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def formula_cells(rows: list[dict]) -> list[str]:
    return [v for row in rows for v in row.values() if v.startswith(("=", "+", "-", "@", "\t",
                                                                      "\r"))]  # fmt: skip


def test_coordination_out_csv_neutralises_ids_and_keeps_the_test_columns(db, tmp_path):
    out = tmp_path / "edges.csv"
    run("coordination", "--db", db, "-m", "co-retweet", "--hashtag", "tag", "--out", out)
    header, rows = read_rows(out)
    assert set(TEST_COLUMNS) <= set(header)
    pairs = len(RING) * (len(RING) - 1) // 2
    assert len(rows) == pairs  # no cell with CR or LF split a row
    assert formula_cells(rows) == []
    linked = {restore(row[end]) for row in rows for end in ("account_a", "account_b")}
    assert linked == set(RING)
    assert {row["significant"] for row in rows} == {"True"}


@pytest.mark.parametrize("suffix", [".gexf", ".graphml"])
def test_coordination_out_network_is_well_formed_with_the_test_columns(db, tmp_path, suffix):
    out = tmp_path / f"edges{suffix}"
    run("coordination", "--db", db, "-m", "co-retweet", "--hashtag", "tag", "--out", out)
    ElementTree.parse(out)
    if suffix == ".graphml":
        graph = igraph.Graph.Read_GraphML(str(out))
        assert graph.vcount() == len(RING) and set(TEST_COLUMNS) <= set(graph.es.attributes())
    else:
        text = out.read_text(encoding="utf-8")
        assert all(f'title="{c}"' in text for c in TEST_COLUMNS)
        nodes = ElementTree.parse(out).getroot().findall(".//{http://gexf.net/1.3}node")
        # labels are the handles (formulas here): XML-safe, never evaluated
        with Store(db, read_only=True) as store:
            handles = account_handles(store, RING)
        assert {n.get("label") for n in nodes} == {xml_text(h) for h in handles.values()}
        assert len({n.get("id") for n in nodes}) == len(RING)


def test_groups_out_and_network_are_safe(db, tmp_path):
    out, network = tmp_path / "members.csv", tmp_path / "net.gexf"
    run("groups", "--db", db, "--hashtag", "tag", "--out", out, "--network", network)
    header, rows = read_rows(out)
    assert header[:3] == ["account_id", "handle", "group_id"] and formula_cells(rows) == []
    assert {restore(row["account_id"]) for row in rows} == set(RING)
    assert len(ElementTree.parse(network).getroot().findall(".//{http://gexf.net/1.3}node")) == (
        len(RING)
    )
    run("groups", "--db", db, "--hashtag", "tag", "--network", tmp_path / "net.graphml")
    assert igraph.Graph.Read_GraphML(str(tmp_path / "net.graphml")).vcount() == len(RING)


def test_accounts_out_neutralises_handles(db, tmp_path):
    out = tmp_path / "accounts.csv"
    run("accounts", "--db", db, "--min-signals", "0", "--out", out)
    header, rows = read_rows(out)
    assert "handle" in header and formula_cells(rows) == []
    ring = [row for row in rows if restore(row["account_id"]) in set(RING)]
    assert len(ring) == len(RING)
    assert all(row["handle"].startswith("'") for row in ring)
