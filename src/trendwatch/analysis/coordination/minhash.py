"""Near-duplicate text (co-similar): MinHash signatures, LSH bands, exact Jaccard check.

1. Each distinct text (identified by its 64-bit hash) is cut into word shingles (``shingle``
   words; 1 = the set of words, as the QUT toolkit's token sets); shingles are hashed.
2. MinHash and LSH in one aggregation (:mod:`.minhash_family`, the same SQL on DuckDB and
   Spark): ``num_perm`` minima of permuted shingle ids per text, cut into ``bands`` bands of
   ``num_perm / bands`` rows, each band hashed to one key. With the defaults (64 values, 16
   bands of 4) a pair at Jaccard 0.8 becomes a candidate with probability
   ``1 - (1 - 0.8**4)**16`` = 0.9998.
3. Each post becomes actions ``(account, key, time, post)``: one on its text's own hash (the
   identical texts) and one per band key that another text shares (:func:`band_actions`);
   the engine's windowed pair walk (:mod:`.pairs`, with its hot-key bound; ties on the keys it
   cuts in :data:`.coded.TIE_ORDER`, as on Spark) yields the candidate post pairs within the
   window.
4. Every candidate pair's **exact** Jaccard similarity of shingle sets is computed; pairs below
   ``threshold`` are dropped, so LSH can miss pairs (rarely) but never adds one. Texts with
   equal hashes are compared as strings.

Texts are ``posts.text_norm`` by default (``text_mode="raw"``: the text as posted). Evidence
rows carry ``jaccard``; their ``key`` is account_a's text. A key the hot-key bound cut is
listed as ``text:<the text>`` (identical texts) or ``band:<its key>``, as on Spark
(:mod:`trendwatch.engines.spark_similar`, which runs these steps in Spark SQL).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from ...errors import ParameterError
from ...hugepages import huge_pages_off
from .coded import (
    CODE_SQL,
    members,
    on_cut_keys,
    pair_table,
    read_coded,
    registered,
    resolve,
    tie_order,
    tie_runs,
)
from .join import LINK_MEMORY_LIMIT, actions_on_duckdb, memory_limit, summarise
from .minhash_family import bands_sql, jaccard_sql, shingles_sql
from .pairs import hot_key_bound, key_runs, window_pairs

__all__ = ["link_similar", "band_actions", "BandActions"]


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    # Membership of sorted `values` in a sorted array (sequential searches: cache friendly).
    if not sorted_set.size:
        return np.zeros(values.size, bool)
    where = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[where] == values


def _check(params: dict) -> None:
    if not 0 < params["threshold"] <= 1:
        raise ParameterError(f"co-similar: threshold must be in (0, 1], got {params['threshold']}")
    if params["num_perm"] % params["bands"] or params["bands"] < 1:
        raise ParameterError("co-similar: num_perm must be a multiple of bands")
    if params["shingle"] < 1:
        raise ParameterError(f"co-similar: shingle must be >= 1 word, got {params['shingle']}")


def link_similar(actions, link_kwargs: dict):
    """The co-similar link step: LSH candidates within the window, verified by Jaccard (on
    DuckDB, or on Spark when ``actions`` are over a lake's Spark session)."""
    from .engine import CoordinationResult, _check_link_params, on_spark

    params = {**link_kwargs["params"], **{k: v for k, v in link_kwargs.items() if k != "params"}}
    _check(params)
    _check_link_params(
        params["window_s"],
        params["min_weight"],
        params["max_key_fanout"],
        params["weight_percentile"],
        params.get("max_key_pairs"),
    )
    if on_spark(actions):
        from ...engines.spark_similar import spark_similar_join

        tables = spark_similar_join(actions, params)
    else:
        with (
            actions_on_duckdb(actions) as (con, name),
            memory_limit(con, LINK_MEMORY_LIMIT),
            huge_pages_off(),
        ):
            try:
                tables = _link_similar(con, name, params)
            finally:
                con.execute("DROP TABLE IF EXISTS _tw_shingles")
    stored = {k: v for k, v in params.items() if k not in ("method",) and not k.startswith("_")}
    return CoordinationResult(
        method=params["method"],
        params={**stored, "method": params["method"]},
        edges=tables.edges,
        evidence_table=tables.evidence,
        bounded_keys=tables.bounded_keys,
    )


def _link_similar(con, source: str, params: dict):
    posts = read_coded(con, source, shared_only=False)
    texts, shared_row, shared_key = _text_bands(con, source, params)
    posts = posts.take(_in_sorted(posts.k, texts))  # texts without a word never match
    bands = band_actions(posts, texts, shared_row, shared_key)
    window = round(params["window_s"] * 1_000_000)
    fanout, budget = params["max_key_fanout"], params.get("max_key_pairs")
    bound = hot_key_bound(bands.key, bands.time, window, fanout, budget)
    bands = _order_cut_ties(con, source, posts, bands, bound[1])
    found = window_pairs(bands.key, bands.time, bands.account, window, fanout, budget, bound)
    first, second = _candidate_posts(bands.post[found.first], bands.post[found.second], posts)
    jaccard = _jaccard(con, posts.k[first], posts.k[second])
    keep = jaccard >= params["threshold"]
    first, second, jaccard = first[keep], second[keep], jaccard[keep]
    resolved = resolve(con, source, posts, members(posts.k.size, first, second))
    exact = _same_text_when_same_hash(posts, resolved, first, second)
    pairs = pair_table(
        posts,
        first[exact],
        second[exact],
        resolved,
        same_key=False,
        extra={"jaccard": jaccard[exact]},
    )
    bounded = _bounded_bands(con, source, bands, found)
    return summarise(con, pairs, posts, resolved, params, bounded)


@dataclass(frozen=True)
class BandActions:
    """One action per post and shared band (and one per post on its whole text's hash)."""

    key: np.ndarray
    time: np.ndarray
    account: np.ndarray
    post: np.ndarray
    whole_text: np.ndarray
    """Whether the action's key is its text's own hash (else a band key)."""


def band_actions(posts, texts: np.ndarray, shared_row: np.ndarray, shared_key: np.ndarray):
    """Band actions of ``posts`` (sorted by text hash) sorted by ``(key, time, account, post)``.

    ``texts`` are the sorted text hashes; ``(shared_row, shared_key)`` the band keys that two
    texts or more share, by text row. Two posts of one text are found by the text's own key
    (its hash), which every post of the text carries.
    """
    starts = np.searchsorted(posts.k, texts)
    counts = np.diff(np.r_[starts, posts.k.size])
    n_posts = counts[shared_row]
    entry = np.repeat(np.arange(shared_row.size), n_posts)
    offset = np.arange(entry.size) - np.repeat(np.cumsum(n_posts) - n_posts, n_posts)
    post_ids = np.arange(posts.k.size)
    post = np.r_[post_ids, starts[shared_row[entry]] + offset]
    key = np.r_[posts.k.view(np.int64), shared_key[entry]]
    # Order by (key, time, account, post): rank the posts by the last three once.
    rank = np.empty(post_ids.size, np.int64)
    rank[np.lexsort((posts.p, posts.a, posts.t))] = post_ids
    order = np.lexsort((rank[post], key))
    post = post[order]
    whole_text = order < post_ids.size
    return BandActions(key[order], posts.t[post], posts.a[post], post, whole_text)


def _order_cut_ties(con, source: str, posts, bands: BandActions, cut: np.ndarray):
    """``bands`` with the ties of the keys the bound ``cut`` in :data:`.coded.TIE_ORDER`
    (:func:`.coded.order_cut_ties` for band actions, which point at ``posts``)."""
    if not cut.any():
        return bands
    rows, run = tie_runs(bands.key, bands.time, on_cut_keys(bands.key, cut))
    if not rows.size:
        return bands
    post = bands.post.copy()
    post[rows] = post[rows][tie_order(con, source, posts, post[rows], run)]
    return replace(bands, post=post, account=posts.a[post])


def _candidate_posts(first: np.ndarray, second: np.ndarray, posts):
    """Each post pair found in any band once, as ``(earlier, later)``, in pair order.

    The pairs are coded ``lo * n + hi`` and sorted in place: at a one-hour window on the
    IRA archive (about 10 M band pairs) this step set the link's peak memory, 1.86 GB, when
    it kept both ends, their times and ``np.unique``'s index arrays at once.
    """
    t_first, t_second = posts.t[first], posts.t[second]
    early = (t_first < t_second) | ((t_first == t_second) & (first < second))
    del t_first, t_second
    n = np.int64(posts.k.size)
    lo = np.where(early, first, second)
    del early
    code = first + second  # the other end is this minus lo
    code -= lo
    code += lo * n
    del lo
    code.sort()
    if code.size:
        code = code[np.r_[True, code[1:] != code[:-1]]]
    lo = code // n
    return lo, code - lo * n


_JACCARD_SQL = """
    SELECT x.i, CASE WHEN x.t1 = x.t2 THEN 1.0 ELSE j.jaccard END AS jaccard
    FROM {cand} x LEFT JOIN ({jaccard}) j USING (t1, t2) ORDER BY x.i
"""


def _jaccard(con, text_a: np.ndarray, text_b: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of text pairs (text hashes)."""
    cand = pa.table({"i": np.arange(text_a.size), "t1": text_a, "t2": text_b})
    with registered(con, cand) as name:
        sql = _JACCARD_SQL.format(cand=name, jaccard=jaccard_sql("duckdb", name, "_tw_shingles"))
        out = con.sql(sql).to_arrow_table()
    return out["jaccard"].to_numpy(zero_copy_only=False).astype(float)


def _same_text_when_same_hash(posts, resolved, first, second) -> np.ndarray:
    # Equal text hashes count as identical texts: check the strings (a collision is dropped).
    i, j = resolved.index(first), resolved.index(second)
    return (posts.k[first] != posts.k[second]) | (resolved.key[i] == resolved.key[j])


def _bounded_bands(con, source: str, bands: BandActions, found) -> pd.DataFrame:
    """The keys the hot-key bound cut, named as Spark names them (``text:``, ``band:``)."""
    empty = pd.DataFrame({"key": pd.Series([], dtype=str), "n_actions": [], "fanout": []})
    if not found.cut.any():
        return empty
    starts, lengths = key_runs(bands.key)
    cut = np.maximum.reduceat(found.cut, starts).astype(bool)
    keys, texts = bands.key[starts[cut]], bands.whole_text[starts[cut]]
    text_of = _texts_of(con, source, keys[texts])
    named = [
        f"text:{text_of[key]}" if whole else f"band:{key}"
        for key, whole in zip(keys.tolist(), texts.tolist(), strict=True)
    ]
    frame = pd.DataFrame(
        {"key": named, "n_actions": lengths[cut], "fanout": found.limit[starts[cut]]}
    )
    return frame.sort_values(["n_actions", "key"], ascending=[False, True], ignore_index=True)


def _texts_of(con, source: str, codes: np.ndarray) -> dict[int, str]:
    # The texts of the given text hashes (int64 views of DuckDB's UBIGINT hashes).
    wanted = pa.table({"k": codes.astype(np.int64).view(np.uint64)})
    with registered(con, wanted) as name:
        rows = con.sql(f"""
            SELECT DISTINCT {CODE_SQL["k"]} AS k, CAST(key AS VARCHAR) AS text
            FROM {source} WHERE key IS NOT NULL AND {CODE_SQL["k"]} IN (SELECT k FROM {name})
        """).fetchall()
    return {int(np.uint64(k).view(np.int64)): text for k, text in rows}


def _text_bands(con, source: str, params: dict):
    """Sorted text hashes and the band keys two texts or more share: ``(texts, rows, keys)``.

    Fills ``_tw_shingles`` (kept for the Jaccard check).
    """
    shingles = shingles_sql("duckdb", source, params["shingle"])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _tw_shingles AS {shingles}")
    bands = bands_sql("_tw_shingles", params["num_perm"], params["bands"], params["seed"])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _tw_bands AS
        SELECT row_number() OVER (ORDER BY tid) - 1 AS row, * FROM ({bands})
    """)
    try:
        texts = con.sql("SELECT tid FROM _tw_bands ORDER BY row").to_arrow_table()
        shared = con.sql(_SHARED_BANDS_SQL).to_arrow_table()
    finally:
        con.execute("DROP TABLE _tw_bands")
    return (
        texts["tid"].to_numpy(),
        shared["row"].to_numpy(),
        shared["key"].to_numpy(),
    )


_SHARED_BANDS_SQL = """
    WITH u AS (UNPIVOT (SELECT * EXCLUDE (tid) FROM _tw_bands)
               ON COLUMNS('^b[0-9]+$') INTO NAME band VALUE key)
    SELECT row, key FROM u
    WHERE key IN (SELECT key FROM u GROUP BY key HAVING count(*) > 1)
    ORDER BY row, key
"""
