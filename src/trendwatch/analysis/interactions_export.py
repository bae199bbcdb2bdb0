"""Write an :class:`~.interactions.InteractionNetwork` for Gephi, igraph or a spreadsheet.

By file extension:

``.gexf``
    GEXF 1.3, directed; node label = handle (the id when unknown); node attributes
    ``account_id``, ``handle``, ``group``, ``posts``, ``out_count``, ``in_count``; one edge per
    (source, target, kind) with ``kind`` (also the GEXF edge kind, so Gephi keeps a repost and
    a reply between the same two accounts apart), ``weight`` = ``count``, ``first``, ``last``.
``.graphml``
    the same graph, directed, with the same attributes (``name`` = account id, ``label`` =
    handle or id).
``.csv``
    the edges (``source``, ``source_handle``, ``target``, ``target_handle``, ``kind``,
    ``count``, ``first``, ``last``) at the path, and the nodes beside it in
    ``<name>.nodes.csv``: the two tables Gephi's spreadsheet import reads.

Times are ISO 8601 in UTC. How each file is written safely (formula-safe CSV, well-formed
XML whatever the handles hold, no partial file) is :mod:`trendwatch.exports`'.
"""

from __future__ import annotations

from pathlib import Path

import igraph
import pandas as pd

from ..errors import ParameterError
from ..exports import write_csv, write_gexf, write_graphml
from .interactions import InteractionNetwork

__all__ = ["NETWORK_EXTENSIONS", "write_network", "nodes_path"]

NETWORK_EXTENSIONS = (".gexf", ".graphml", ".csv")


def nodes_path(path) -> Path:
    """Where the nodes table of a CSV export goes: ``net.csv`` -> ``net.nodes.csv``.

    >>> nodes_path("out/net.csv").as_posix()
    'out/net.nodes.csv'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.nodes{path.suffix}")


def write_network(network: InteractionNetwork, path) -> list[Path]:
    """Write ``network`` to ``path`` (format by extension); returns the files written.

    Examples
    --------
    >>> # write_network(interaction_network(store, "remigrationdorsani"), "net.gexf")
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_EXTENSIONS:
        raise ParameterError(
            f"cannot write a network to {path.name}: the name must end in "
            f"{', '.join(NETWORK_EXTENSIONS)}"
        )
    if suffix == ".csv":
        write_csv(_timed(network.edges), path)
        return [path, write_csv(network.nodes, nodes_path(path))]
    if suffix == ".graphml":
        return [write_graphml(_graph(network), path)]
    return [_write_gexf(network, path)]


def _timed(edges: pd.DataFrame) -> pd.DataFrame:
    """Edges with ``first`` and ``last`` as ISO 8601 text in UTC."""
    iso = {c: [_iso(t) for t in edges[c]] for c in ("first", "last")}
    return edges.assign(**{c: pd.Series(v, index=edges.index, dtype=object)
                           for c, v in iso.items()})  # fmt: skip


def _iso(moment) -> str | None:
    """The store's times are aware (TIMESTAMPTZ): shown in UTC."""
    return (
        None
        if moment is None or pd.isna(moment)
        else pd.Timestamp(moment).tz_convert("UTC").isoformat()
    )


def _write_gexf(network: InteractionNetwork, path: Path) -> Path:
    edges = _timed(network.edges).drop(columns=["source_handle", "target_handle"])
    edges = edges.rename(columns={"source": "account_a", "target": "account_b"})
    edges.insert(2, "weight", edges["count"])
    nodes = network.nodes.set_index("account_id")
    attrs = {name: {i: v for i, v in nodes[name].items() if v is not None}
             for name in ("handle", "group", "posts", "out_count", "in_count")}  # fmt: skip
    labels = {i: h for i, h in nodes["handle"].items() if isinstance(h, str)}
    return write_gexf(edges, path, attrs, directed=True, labels=labels)


def _graph(network: InteractionNetwork) -> igraph.Graph:
    nodes, edges = network.nodes, _timed(network.edges)
    index = {account: i for i, account in enumerate(nodes["account_id"])}
    graph = igraph.Graph(
        n=len(nodes),
        edges=[(index[s], index[t]) for s, t in zip(edges["source"], edges["target"],
                                                    strict=True)],
        directed=True,
    )  # fmt: skip
    graph.vs["name"] = list(nodes["account_id"])
    graph.vs["label"] = [
        h if isinstance(h, str) else i
        for i, h in zip(nodes["account_id"], nodes["handle"], strict=True)
    ]
    graph.vs["handle"] = [h if isinstance(h, str) else "" for h in nodes["handle"]]
    for column in ("group", "posts", "out_count", "in_count"):
        graph.vs[column] = [int(v) for v in nodes[column]]
    graph.es["kind"] = list(edges["kind"])
    graph.es["weight"] = [int(c) for c in edges["count"]]
    graph.es["first"] = [t or "" for t in edges["first"]]
    graph.es["last"] = [t or "" for t in edges["last"]]
    return graph
