"""Write a coordination result's edges as CSV, Parquet, GraphML or GEXF (by file extension).

CSV and Parquet hold one row per unordered account pair (``account_a < account_b``, account
ids as stored) with every edge column, the test's columns (``events``, ``expected``,
``p_value``, ``q_value``, ``significant``) included; GraphML and GEXF hold the graph with the
same columns as edge attributes, for Gephi or igraph. Evidence is written with
:func:`write_evidence`; the fused network of :func:`~.groups.groups`, with each account's
group, with :func:`write_groups_network`.

Which frame goes out is decided here; how a file is written safely (formula-safe CSV,
well-formed XML, no partial file on failure) in :mod:`trendwatch.exports`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import ParameterError
from ...exports import replacing, write_csv, write_gexf, write_graphml

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
        write_csv(result.edges, path)
    elif suffix == ".parquet":
        _write_parquet(result.edges, path)
    elif suffix == ".graphml":
        write_graphml(result.graph(), path)
    else:
        write_gexf(result.edges, path)
    return path


def write_evidence(result, path) -> Path:
    """Write ``result.evidence`` as CSV or Parquet (by extension)."""
    path = Path(path)
    if _suffix(path) == ".parquet":
        _write_parquet(result.evidence, path)
    elif path.suffix.lower() == ".csv":
        write_csv(result.evidence, path)
    else:
        raise ParameterError(f"evidence exports are .csv or .parquet, not {path.name}")
    return path


def write_groups_network(result, path) -> Path:
    """Write a :class:`~.groups.GroupsResult`'s fused network as GraphML or GEXF (by extension).

    Nodes carry ``group_id`` (0: in no group), so Gephi can colour them by group; edges carry
    ``weight``, ``methods``, ``n_methods``, ``min_gap_s``, the test's columns and ``group_id``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_FORMATS:
        raise ParameterError(
            f"cannot write a network to {path.name}: use {' or '.join(NETWORK_FORMATS)}"
        )
    graph = result.graph()
    if suffix == ".graphml":
        return write_graphml(graph, path)
    edges = graph.get_edge_dataframe().rename(columns={"source": "account_a",
                                                       "target": "account_b"})  # fmt: skip
    names = graph.vs["name"]
    edges["account_a"] = [names[i] for i in edges["account_a"]]
    edges["account_b"] = [names[i] for i in edges["account_b"]]
    groups_of = dict(zip(names, graph.vs["group_id"], strict=True))
    return write_gexf(edges, path, {"group_id": groups_of})


def _write_parquet(frame, path: Path) -> None:
    with replacing(path) as part:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
