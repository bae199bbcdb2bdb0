"""Networks for Gephi and igraph: GEXF 1.3 (written here) and GraphML (igraph's writer).

Both are well-formed XML whatever the account ids hold: every id, label and attribute goes
through :func:`~.xmlsafe.xml_text`, GEXF node ids through :func:`~.xmlsafe.xml_ids` (two ids
that differ only by forbidden characters stay two nodes), and both files are written under a
temporary name and renamed when complete.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import igraph
import pandas as pd

from .files import replacing
from .xmlsafe import xml_ids, xml_text

__all__ = ["write_gexf", "write_graphml"]

ENDS = ("account_a", "account_b")
"""The edge-list columns that name an edge's two nodes."""


def write_graphml(graph: igraph.Graph, path) -> Path:
    """Write ``graph`` as GraphML with every string attribute made XML-safe; returns the path.

    igraph writes values as element text, where XML reads a CR (or CRLF) back as LF; GEXF
    keeps them (attributes, escaped).

    Examples
    --------
    >>> import tempfile
    >>> graph = igraph.Graph(edges=[(0, 1)])
    >>> graph.vs["name"] = ["x\\x1b", "y"]
    >>> out = write_graphml(graph, Path(tempfile.mkdtemp()) / "g.graphml")
    >>> igraph.Graph.Read_GraphML(str(out)).vs["name"]
    ['x�', 'y']
    """
    clean = graph.copy()
    for sequence in (clean.vs, clean.es):
        for name in sequence.attributes():
            sequence[name] = [xml_text(v) if isinstance(v, str) else v for v in sequence[name]]
    with replacing(path) as part:
        clean.write_graphml(str(part))
    return Path(path)


def write_gexf(
    edges: pd.DataFrame,
    path,
    node_attrs: dict[str, dict] | None = None,
    *,
    directed: bool = False,
    labels: dict[str, str] | None = None,
) -> Path:
    """Write an edge list (``account_a``, ``account_b``, ``weight``, more columns) as GEXF 1.3.

    Every other column becomes an edge attribute (missing values left out); a ``kind`` column
    is also written as the edge's GEXF ``kind`` and ``label`` (two accounts may then be
    linked once per kind, as Gephi reads parallel edges). ``node_attrs`` maps a node
    attribute's name to ``{node: value}``: integers (nodes absent from it get 0), floats,
    booleans or text (absent nodes: no value). Node ids are the account ids, made XML-safe;
    labels are ``labels[id]`` when given and not None, else the id. ``directed`` makes
    ``account_a`` the source and ``account_b`` the target. Returns the path.

    Examples
    --------
    >>> import tempfile
    >>> edges = pd.DataFrame({"account_a": ["1"], "account_b": ["2"], "weight": [3],
    ...                       "kind": ["repost"]})
    >>> out = write_gexf(edges, Path(tempfile.mkdtemp()) / "g.gexf", {"group": {"1": 4}},
    ...                  directed=True, labels={"1": "ann"})
    >>> print(out.read_text().split("<nodes>")[1].split("</nodes>")[0].strip())
    <node id="1" label="ann"><attvalues><attvalue for="n0" value="4"/></attvalues></node>
    <node id="2" label="2"><attvalues><attvalue for="n0" value="0"/></attvalues></node>
    """
    node_attrs = node_attrs or {}
    labels = labels or {}
    ids = xml_ids(set(edges["account_a"]) | set(edges["account_b"]))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
        f'<graph defaultedgetype="{"directed" if directed else "undirected"}">',
        *_node_attributes(node_attrs),
        *_edge_attributes(edges),
        "<nodes>",
        *(_node(name, ids[name], node_attrs, labels.get(name)) for name in sorted(ids)),
        "</nodes>",
        "<edges>",
        *_edges(edges, ids),
        "</edges>",
        "</graph>",
        "</gexf>",
    ]
    with replacing(path) as part:
        part.write_text("\n".join(lines), encoding="utf-8")
    return Path(path)


def _attr(value) -> str:
    """An attribute value, XML-safe and quoted."""
    return quoteattr(xml_text(str(value)))


_GEXF_TYPES = {"i": "long", "u": "long", "f": "double", "b": "boolean"}


def _gexf_type(values: pd.Series) -> str:
    return _GEXF_TYPES.get(values.dtype.kind, "string")


def _node_type(values: dict) -> str:
    """The GEXF type of a node attribute, from its values (all integers: long, as before)."""
    present = [v for v in values.values() if not _missing(v)]
    if not present:
        return "long"
    return _gexf_type(pd.Series(present)) if all(
        isinstance(v, int | float | bool) for v in present) else "string"  # fmt: skip


def _edge_attributes(edges: pd.DataFrame) -> list[str]:
    declared = (
        f'<attribute id="{i}" title={_attr(c)} type="{_gexf_type(edges[c])}"/>'
        for i, c in enumerate(_attribute_columns(edges))
    )
    return ['<attributes class="edge">', *declared, "</attributes>"]


def _node_attributes(node_attrs: dict[str, dict]) -> list[str]:
    if not node_attrs:
        return []
    declared = (
        f'<attribute id="n{i}" title={_attr(name)} type="{_node_type(values)}"/>'
        for i, (name, values) in enumerate(node_attrs.items())
    )
    return ['<attributes class="node">', *declared, "</attributes>"]


def _node(name: str, node_id: str, node_attrs: dict[str, dict], label: str | None) -> str:
    head = f"<node id={_attr(node_id)} label={_attr(name if label is None else label)}"
    cells = "".join(
        f'<attvalue for="n{i}" value={_attr(_node_value(values, name))}/>'
        for i, values in enumerate(node_attrs.values())
        if _node_type(values) != "string" or not _missing(values.get(name))
    )
    return f"{head}><attvalues>{cells}</attvalues></node>" if cells else head + "/>"


def _node_value(values: dict, name: str):
    value = values.get(name)
    if _missing(value):
        return 0
    return _value(int(value) if _node_type(values) == "long" else value)


def _attribute_columns(edges: pd.DataFrame) -> list[str]:
    return [c for c in edges.columns if c not in ENDS]


def _edges(edges: pd.DataFrame, ids: dict[str, str]) -> list[str]:
    columns = _attribute_columns(edges)
    lines = []
    for k, row in enumerate(edges.to_dict("records")):
        cells = "".join(
            f'<attvalue for="{i}" value={_attr(_value(row[c]))}/>'
            for i, c in enumerate(columns)
            if not _missing(row[c])
        )
        lines.append(
            f'<edge id="{k}" source={_attr(ids[row["account_a"]])} '
            f"target={_attr(ids[row['account_b']])}{_kind(row)} weight={_attr(row['weight'])}>"
            f"<attvalues>{cells}</attvalues></edge>"
        )
    return lines


def _kind(row: dict) -> str:
    """GEXF 1.3's ``kind`` (parallel edges of different kinds) and a label, from ``kind``."""
    kind = row.get("kind")
    return "" if _missing(kind) else f" kind={_attr(kind)} label={_attr(kind)}"


def _value(value):
    """GEXF spells booleans in lower case."""
    return str(value).lower() if isinstance(value, bool) else value


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
