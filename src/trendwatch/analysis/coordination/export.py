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
from ...handles import account_handles, add_handles, add_key_urls, add_post_urls

__all__ = [
    "EXPORT_FORMATS",
    "NETWORK_FORMATS",
    "write_edges",
    "write_evidence",
    "write_groups_network",
    "PAIR_HANDLES",
    "POST_URLS",
]

PAIR_HANDLES = {"account_a": "handle_a", "account_b": "handle_b"}
"""The handle column written beside each account column of a pair."""
POST_URLS = {"post_a": "url_a", "post_b": "url_b"}
"""The URL column written beside each post column of an evidence row."""

EXPORT_FORMATS = (".csv", ".parquet", ".graphml", ".gexf")
NETWORK_FORMATS = (".graphml", ".gexf")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ParameterError(
            f"cannot export to {path.name}: the file name must end in {', '.join(EXPORT_FORMATS)}"
        )
    return suffix


def write_edges(result, path, store=None) -> Path:
    """Write ``result.edges`` to ``path``; the format follows the extension.

    With ``store``, each account's handle (where known) is written too: ``handle_a`` and
    ``handle_b`` beside the ids in CSV and Parquet, the node label in GEXF and GraphML.

    Examples
    --------
    >>> # write_edges(coordinate(store, "co-retweet"), "edges.csv")
    """
    path = Path(path)
    suffix = _suffix(path)
    edges = result.edges if store is None else add_handles(store, result.edges, PAIR_HANDLES)
    if suffix == ".csv":
        write_csv(edges, path)
    elif suffix == ".parquet":
        _write_parquet(edges, path)
    elif suffix == ".graphml":
        write_graphml(_labelled(result.graph(), store), path)
    else:
        write_gexf(result.edges, path, labels=_labels(store, result.edges))
    return path


def _labels(store, edges) -> dict[str, str]:
    """Account id -> handle, for the accounts of ``edges`` whose handle is known."""
    if store is None:
        return {}
    known = account_handles(store, [*edges["account_a"], *edges["account_b"]])
    return {account: handle for account, handle in known.items() if handle is not None}


def _labelled(graph, store):
    """``graph`` with a ``label`` per vertex: the handle, or the id when it is unknown."""
    if store is not None:
        known = account_handles(store, graph.vs["name"])
        graph.vs["label"] = [known.get(name) or name for name in graph.vs["name"]]
    return graph


def write_evidence(result, path, store=None) -> Path:
    """Write ``result.evidence`` as CSV or Parquet (by extension).

    With ``store``, ``handle_a`` / ``handle_b`` follow the account ids, ``url_a`` /
    ``url_b`` (:func:`~trendwatch.handles.post_url`) the post ids, and ``key_url`` the key
    when it names a post (:func:`~trendwatch.handles.add_key_urls`).
    """
    path = Path(path)
    evidence = result.evidence
    if store is not None:
        evidence = add_post_urls(store, add_handles(store, evidence, PAIR_HANDLES), POST_URLS)
        evidence = add_key_urls(store, evidence, result.method)
    if _suffix(path) == ".parquet":
        _write_parquet(evidence, path)
    elif path.suffix.lower() == ".csv":
        write_csv(evidence, path)
    else:
        raise ParameterError(f"evidence exports are .csv or .parquet, not {path.name}")
    return path


def write_groups_network(result, path, store=None) -> Path:
    """Write a :class:`~.groups.GroupsResult`'s fused network as GraphML or GEXF (by extension).

    Nodes carry ``group_id`` (0: in no group), so Gephi can colour them by group, and, with
    ``store``, the handle as label; edges carry ``weight``, ``methods``, ``n_methods``,
    ``min_gap_s``, the test's columns and ``group_id``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_FORMATS:
        raise ParameterError(
            f"cannot write a network to {path.name}: use {' or '.join(NETWORK_FORMATS)}"
        )
    graph = _labelled(result.graph(), store)
    if suffix == ".graphml":
        return write_graphml(graph, path)
    edges = graph.get_edge_dataframe().rename(columns={"source": "account_a",
                                                       "target": "account_b"})  # fmt: skip
    names = graph.vs["name"]
    edges["account_a"] = [names[i] for i in edges["account_a"]]
    edges["account_b"] = [names[i] for i in edges["account_b"]]
    groups_of = dict(zip(names, graph.vs["group_id"], strict=True))
    return write_gexf(edges, path, {"group_id": groups_of}, labels=_labels(store, edges))


def _write_parquet(frame, path: Path) -> None:
    with replacing(path) as part:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
