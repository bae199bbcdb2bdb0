"""Write a coordination result's edges as CSV, Parquet, GraphML or GEXF (by file extension).

CSV and Parquet hold one row per unordered account pair (``account_a < account_b``, account
ids as stored) with every edge column; GraphML and GEXF hold the graph with the same columns as
edge attributes, for Gephi or igraph. Evidence is written with :func:`write_evidence`.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import ParameterError

__all__ = ["EXPORT_FORMATS", "write_edges", "write_evidence"]

EXPORT_FORMATS = (".csv", ".parquet", ".graphml", ".gexf")


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


def _gexf_type(values) -> str:
    kind = values.dtype.kind
    return {"i": "long", "u": "long", "f": "double", "b": "boolean"}.get(kind, "string")


def _write_gexf(edges, path: Path) -> None:
    # GEXF 1.3 by hand: igraph has no GEXF writer; ids and attributes are XML-escaped.
    attrs = [c for c in edges.columns if c not in ("account_a", "account_b")]
    nodes = sorted(set(edges["account_a"]) | set(edges["account_b"]))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
        '<graph defaultedgetype="undirected">',
        '<attributes class="edge">',
        *(
            f'<attribute id="{i}" title={quoteattr(c)} type="{_gexf_type(edges[c])}"/>'
            for i, c in enumerate(attrs)
        ),
        "</attributes>",
        "<nodes>",
        *(f"<node id={quoteattr(str(n))} label={quoteattr(str(n))}/>" for n in nodes),
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
