"""Edges from post pairs: one row per account pair, computed on integer columns in NumPy.

The pair table (:func:`.coded.pair_table`) has one row per linked post pair with the two
accounts' exact ranks ``lo < hi``. Sorting it by ``(lo, hi, time)`` puts each edge's evidence
in one run. Most edges have a single post pair (their counts are all 1); only the runs of two
rows or more go through DuckDB's distinct counts, so the cost stays near one sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .coded import registered
from .pairs import key_runs

__all__ = ["EdgeRuns", "edge_runs", "filter_edges", "edge_order"]


@dataclass(frozen=True)
class EdgeRuns:
    """Edges (integer columns) and, per edge, its run of evidence rows.

    ``rows`` orders the pair table by edge then time; edge ``e`` owns
    ``rows[starts[e]:starts[e] + weight[e]]``.
    """

    edges: pa.Table
    rows: np.ndarray
    starts: np.ndarray


_MULTI_SQL = """
    SELECT g, count(DISTINCT k) AS n_keys, count(DISTINCT p_lo) AS a_posts,
           count(DISTINCT p_hi) AS b_posts, median(gap_us / 1e6) AS median_gap_s
    FROM {rows} GROUP BY g ORDER BY g
"""


def edge_runs(con, pairs: pa.Table) -> EdgeRuns:
    """Summarise the pair table into edges (see :mod:`.engine` for the columns)."""
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    code = lo * (int(hi.max(initial=0)) + 1) + hi
    rows = np.lexsort((pairs["t_lo"].to_numpy(), code))
    starts, weight = key_runs(code[rows])
    gap = pairs["gap_us"].to_numpy()[rows]
    n_keys, a_posts, b_posts = (np.ones(starts.size, np.int64) for _ in range(3))
    median = gap[starts] / 1e6
    multi = np.flatnonzero(weight > 1)
    if multi.size:
        stats = _multi_stats(con, pairs, rows, starts, weight, multi)
        n_keys[multi], a_posts[multi], b_posts[multi] = stats[:3]
        median[multi] = stats[3]
    first = rows[starts]
    edges = pa.table(
        {
            "lo": lo[first],
            "hi": hi[first],
            "weight": weight,
            "n_keys": n_keys,
            "a_posts": a_posts,
            "b_posts": b_posts,
            "symmetry": np.minimum(a_posts, b_posts) / np.maximum(a_posts, b_posts),
            "median_gap_s": median,
            "min_gap_s": np.minimum.reduceat(gap, starts) / 1e6 if starts.size else gap,
        }
    )
    return EdgeRuns(edges=edges, rows=rows, starts=starts)


def _multi_stats(con, pairs, rows, starts, weight, multi):
    # Distinct counts and medians of the edges with several evidence rows, in DuckDB.
    group = np.repeat(np.arange(starts.size), weight)
    member = np.repeat(weight > 1, weight)
    picked = rows[member]
    table = pa.table(
        {
            "g": group[member],
            "k": pairs["k"].to_numpy()[picked],
            "p_lo": pairs["p_lo"].to_numpy()[picked],
            "p_hi": pairs["p_hi"].to_numpy()[picked],
            "gap_us": pairs["gap_us"].to_numpy()[picked],
        }
    )
    with registered(con, table) as name:
        out = con.sql(_MULTI_SQL.format(rows=name)).to_arrow_table()
    assert np.array_equal(out["g"].to_numpy(), multi)
    return [out[c].to_numpy() for c in ("n_keys", "a_posts", "b_posts", "median_gap_s")]


def filter_edges(edges: pa.Table, params: dict) -> np.ndarray:
    """The mask of edges passing ``min_weight``, ``weight_percentile`` and ``min_symmetry``."""
    weight = edges["weight"].to_numpy()
    cut = 0.0
    if params["weight_percentile"] is not None and weight.size:
        cut = float(np.quantile(weight, params["weight_percentile"] / 100))
    symmetry = edges["symmetry"].to_numpy()
    return (weight >= params["min_weight"]) & (weight >= cut) & (symmetry >= params["min_symmetry"])


def edge_order(edges: pa.Table) -> np.ndarray:
    """Positions ordering edges by weight (descending), then ``lo, hi`` (as they come)."""
    return np.argsort(-edges["weight"].to_numpy(), kind="stable")


def evidence_rows(runs: EdgeRuns, keep: np.ndarray) -> np.ndarray:
    """The pair-table rows of the kept edges' evidence, by edge then time."""
    weight = runs.edges["weight"].to_numpy()
    return runs.rows[np.repeat(keep, weight)]


__all__ += ["evidence_rows"]
