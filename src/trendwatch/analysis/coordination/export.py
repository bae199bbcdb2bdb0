"""Write a coordination result's edges as CSV, Parquet, GraphML or GEXF (by file extension).

CSV and Parquet hold one row per unordered account pair (``account_a < account_b``, account
ids as stored) with every edge column; GraphML and GEXF hold the graph with the same columns as
edge attributes, for Gephi or igraph. Evidence is written with :func:`write_evidence`;
the fused network of :func:`~.groups.groups`, with each account's group, with
:func:`write_groups_network`.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import ParameterError

__all__ = [
    "EXPORT_FORMATS",
    "NETWORK_FORMATS",
    "write_edges",
    "write_evidence",
    "write_groups_network",
]

EXPORT_FORMATS = (".csv", ".parquet", ".graphml", ".gexf")
NETWORK_FORMATS = (".graphml", ".gexf")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ParameterError(
            f"cannot export to {path.name}: the file name must end in {', '.join(EXPORT_FORMATS)}"
        )
    return suffix


def write_edges(result, path) -> Path:
    """Write ``result.edges`` to ``path``; the format follows the extension.

    Examples
    --------
    >>> # write_edges(coordinate(store, "co-retweet"), "edges.csv")
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".csv":
        result.edges.to_csv(path, index=False)
    elif suffix == ".parquet":
        pq.write_table(pa.Table.from_pandas(result.edges, preserve_index=False), path)
    elif suffix == ".graphml":
        result.graph().write_graphml(str(path))
    else:
        _write_gexf(result.edges, path)
    return path


def write_evidence(result, path) -> Path:
    """Write ``result.evidence`` as CSV or Parquet (by extension)."""
    path = Path(path)
    if _suffix(path) == ".parquet":
        pq.write_table(pa.Table.from_pandas(result.evidence, preserve_index=False), path)
    elif path.suffix.lower() == ".csv":
        result.evidence.to_csv(path, index=False)
    else:
        raise ParameterError(f"evidence exports are .csv or .parquet, not {path.name}")
    return path


def write_groups_network(result, path) -> Path:
    """Write a :class:`~.groups.GroupsResult`'s fused network as GraphML or GEXF (by extension).

    Nodes carry ``group_id`` (0: in no group), so Gephi can colour them by group; edges carry
    ``weight``, ``methods``, ``n_methods``, ``min_gap_s`` and ``group_id``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_FORMATS:
        raise ParameterError(
            f"cannot write a network to {path.name}: use {' or '.join(NETWORK_FORMATS)}"
        )
    graph = result.graph()
    if suffix == ".graphml":
        graph.write_graphml(str(path))
    else:
        edges = graph.get_edge_dataframe().rename(columns={"source": "account_a",
                                                           "target": "account_b"})  # fmt: skip
        names = graph.vs["name"]
        edges["account_a"] = [names[i] for i in edges["account_a"]]
        edges["account_b"] = [names[i] for i in edges["account_b"]]
        groups_of = dict(zip(names, graph.vs["group_id"], strict=True))
        _write_gexf(edges, path, {"group_id": groups_of})
    return path


def _gexf_type(values) -> str:
    kind = values.dtype.kind
    return {"i": "long", "u": "long", "f": "double", "b": "boolean"}.get(kind, "string")


def _write_gexf(edges, path: Path, node_attrs: dict[str, dict] | None = None) -> None:
    # GEXF 1.3 by hand: igraph has no GEXF writer; ids and attributes are XML-escaped.
    # node_attrs: attribute name -> {node: integer value} (absent nodes get 0).
    attrs = [c for c in edges.columns if c not in ("account_a", "account_b")]
    nodes = sorted(set(edges["account_a"]) | set(edges["account_b"]))
    node_attrs = node_attrs or {}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
        '<graph defaultedgetype="undirected">',
        *_gexf_node_attributes(node_attrs),
        '<attributes class="edge">',
        *(
            f'<attribute id="{i}" title={quoteattr(c)} type="{_gexf_type(edges[c])}"/>'
            for i, c in enumerate(attrs)
        ),
        "</attributes>",
        "<nodes>",
        *(_gexf_node(n, node_attrs) for n in nodes),
        "</nodes>",
        "<edges>",
    ]
    for k, row in enumerate(edges.itertuples(index=False)):
        values = row._asdict()
        cells = "".join(
            f'<attvalue for="{i}" value={quoteattr(str(values[c]))}/>' for i, c in enumerate(attrs)
        )
        lines.append(
            f'<edge id="{k}" source={quoteattr(str(values["account_a"]))} '
            f'target={quoteattr(str(values["account_b"]))} weight="{values["weight"]}">'
            f"<attvalues>{cells}</attvalues></edge>"
        )
    lines += ["</edges>", "</graph>", "</gexf>"]
    path.write_text("\n".join(lines), encoding="utf-8")


def _gexf_node_attributes(node_attrs: dict[str, dict]) -> list[str]:
    if not node_attrs:
        return []
    declared = (
        f'<attribute id="n{i}" title={quoteattr(name)} type="long"/>'
        for i, name in enumerate(node_attrs)
    )
    return ['<attributes class="node">', *declared, "</attributes>"]


def _gexf_node(node, node_attrs: dict[str, dict]) -> str:
    label = quoteattr(str(node))
    if not node_attrs:
        return f"<node id={label} label={label}/>"
    cells = "".join(
        f'<attvalue for="n{i}" value="{int(values.get(node, 0))}"/>'
        for i, values in enumerate(node_attrs.values())
    )
    return f"<node id={label} label={label}><attvalues>{cells}</attvalues></node>"
