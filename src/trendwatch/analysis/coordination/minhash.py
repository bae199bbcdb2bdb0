"""Near-duplicate text (co-similar): MinHash signatures, LSH bands, exact Jaccard check.

1. Each distinct text is cut into word shingles (``shingle`` words; 1 = the set of words, as the
   QUT toolkit's token sets); shingles are hashed in DuckDB.
2. A MinHash signature of ``num_perm`` values is computed in NumPy with multiply-shift hashing
   (``(a * h + b) >> 32`` on 64-bit words), one vectorised pass per permutation.
3. The signature is cut into ``bands`` bands of ``num_perm / bands`` rows; each band's hash is
   an action key ``(account, band, time, post)``, so the engine's windowed pair join (with its
   hot-key bound) yields the candidate post pairs within the window. With the defaults (64
   values, 16 bands of 4) a pair at Jaccard 0.8 becomes a candidate with probability
   ``1 - (1 - 0.8**4)**16`` = 0.9998.
4. Every candidate pair's **exact** Jaccard similarity of shingle sets is computed; pairs below
   ``threshold`` are dropped, so LSH can miss pairs (rarely) but never adds one.

Texts are ``posts.text_norm`` by default (``text_mode="raw"``: the text as posted). Evidence
rows carry ``jaccard``; their ``key`` is account_a's text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ...errors import ParameterError
from .coded import members, pair_table, read_coded, registered, resolve
from .join import LINK_MEMORY_LIMIT, actions_on_duckdb, memory_limit, summarise
from .pairs import key_runs, window_pairs

__all__ = ["link_similar", "minhash_signatures", "band_keys", "band_actions", "BandActions"]


def minhash_signatures(text_ids: np.ndarray, hashes: np.ndarray, num_perm: int, seed: int):
    """MinHash signatures of sets given as (text id, shingle hash) rows sorted by text id.

    Returns ``(ids, signatures)``: the distinct text ids and a ``(len(ids), num_perm)`` array.
    """
    starts = np.flatnonzero(np.r_[True, text_ids[1:] != text_ids[:-1]])
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    signatures = np.empty((len(starts), num_perm), dtype=np.uint32)
    shift = np.uint64(32)
    for i in range(num_perm):
        values = ((a[i] * hashes + b[i]) >> shift).astype(np.uint32)
        signatures[:, i] = np.minimum.reduceat(values, starts)
    return text_ids[starts], signatures


def band_keys(signatures: np.ndarray, bands: int) -> np.ndarray:
    """One 63-bit key per text and band: a hash of the band's rows and the band's number."""
    n, num_perm = signatures.shape
    rows = num_perm // bands
    mixed = signatures.astype(np.uint64).reshape(n, bands, rows)
    weights = (np.arange(1, rows + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | 1
    keys = (mixed * weights).sum(axis=2, dtype=np.uint64)
    keys ^= np.arange(bands, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    return (keys >> np.uint64(1)).astype(np.int64)


def _check(params: dict) -> None:
    if not 0 < params["threshold"] <= 1:
        raise ParameterError(f"co-similar: threshold must be in (0, 1], got {params['threshold']}")
    if params["num_perm"] % params["bands"] or params["bands"] < 1:
        raise ParameterError("co-similar: num_perm must be a multiple of bands")
    if params["shingle"] < 1:
        raise ParameterError(f"co-similar: shingle must be >= 1 word, got {params['shingle']}")


def link_similar(actions, link_kwargs: dict):
    """The co-similar link step: LSH candidates within the window, verified by Jaccard."""
    from .engine import CoordinationResult, _check_link_params

    params = {**link_kwargs["params"], **{k: v for k, v in link_kwargs.items() if k != "params"}}
    _check(params)
    _check_link_params(
        params["window_s"],
        params["min_weight"],
        params["max_key_fanout"],
        params["weight_percentile"],
        params.get("max_key_pairs"),
    )
    with actions_on_duckdb(actions) as (con, name), memory_limit(con, LINK_MEMORY_LIMIT):
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
    texts, signatures = _text_signatures(con, source, params)
    posts = posts.take(np.isin(posts.k, texts))  # texts without a word never match
    bands = band_actions(posts, texts, band_keys(signatures, params["bands"]))
    found = window_pairs(
        bands.key,
        bands.time,
        bands.account,
        round(params["window_s"] * 1_000_000),
        params["max_key_fanout"],
        params.get("max_key_pairs"),
    )
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
    return summarise(con, pairs, posts, resolved, params, _bounded_bands(bands, found))


@dataclass(frozen=True)
class BandActions:
    """One action per post and shared band (and one per post on its whole text's hash)."""

    key: np.ndarray
    time: np.ndarray
    account: np.ndarray
    post: np.ndarray


def band_actions(posts, texts: np.ndarray, keys: np.ndarray) -> BandActions:
    """Band actions of ``posts`` sorted by ``(key, time, account, post)``.

    Only band keys shared by two texts or more are kept: two posts of one text are found by
    the text's own key (its hash), which every post of the text carries.
    """
    shared = _shared_values(keys.ravel()).reshape(keys.shape)
    row = np.searchsorted(texts, posts.k)
    post_ids = np.arange(posts.k.size)
    text_rows, band_cols = np.nonzero(shared)
    # posts of each text: expand the text's shared bands to its posts
    by_text = np.argsort(row, kind="stable")
    starts = np.searchsorted(row[by_text], np.arange(texts.size))
    counts = np.bincount(row, minlength=texts.size)
    n_posts = counts[text_rows]
    entry = np.repeat(np.arange(text_rows.size), n_posts)
    offset = np.arange(entry.size) - np.repeat(np.cumsum(n_posts) - n_posts, n_posts)
    band_post = by_text[starts[text_rows[entry]] + offset]
    key = np.r_[posts.k.astype(np.int64, copy=False), keys[text_rows, band_cols][entry]]
    post = np.r_[post_ids, band_post]
    order = np.lexsort((posts.p[post], posts.a[post], posts.t[post], key))
    post = post[order]
    return BandActions(key[order], posts.t[post], posts.a[post], post)


def _shared_values(values: np.ndarray) -> np.ndarray:
    # True where the value occurs at least twice in `values`.
    order = np.argsort(values)
    ordered = values[order]
    dup = np.zeros(values.size, bool)
    if values.size > 1:
        same = ordered[1:] == ordered[:-1]
        dup[1:] |= same
        dup[:-1] |= same
    out = np.empty(values.size, bool)
    out[order] = dup
    return out


def _candidate_posts(first: np.ndarray, second: np.ndarray, posts):
    # A post pair found in several bands is one candidate; keep first earlier in time.
    early = (posts.t[first] < posts.t[second]) | (
        (posts.t[first] == posts.t[second]) & (first < second)
    )
    lo, hi = np.where(early, first, second), np.where(early, second, first)
    code = lo * np.int64(posts.k.size) + hi
    _, index = np.unique(code, return_index=True)
    return lo[index], hi[index]


_JACCARD_SQL = """
    WITH c AS (SELECT DISTINCT t1, t2 FROM {cand} WHERE t1 <> t2),
    ids AS (SELECT t1 AS tid FROM c UNION SELECT t2 FROM c),
    s AS (SELECT DISTINCT tid, h FROM _tw_shingles SEMI JOIN ids USING (tid)),
    size AS (SELECT tid, count(*) AS n FROM s GROUP BY tid),
    inter AS (
        SELECT c.t1, c.t2, count(*) AS n FROM c
        JOIN s s1 ON s1.tid = c.t1 JOIN s s2 ON s2.tid = c.t2 AND s2.h = s1.h GROUP BY ALL
    ),
    jac AS (
        SELECT c.t1, c.t2, coalesce(i.n, 0) / (z1.n + z2.n - coalesce(i.n, 0)) AS jaccard
        FROM c LEFT JOIN inter i USING (t1, t2)
        JOIN size z1 ON z1.tid = c.t1 JOIN size z2 ON z2.tid = c.t2
    )
    SELECT x.i, CASE WHEN x.t1 = x.t2 THEN 1.0 ELSE j.jaccard END AS jaccard
    FROM {cand} x LEFT JOIN jac j USING (t1, t2) ORDER BY x.i
"""


def _jaccard(con, text_a: np.ndarray, text_b: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of text pairs (text hashes)."""
    cand = pa.table({"i": np.arange(text_a.size), "t1": text_a, "t2": text_b})
    with registered(con, cand) as name:
        out = con.sql(_JACCARD_SQL.format(cand=name)).to_arrow_table()
    return out["jaccard"].to_numpy(zero_copy_only=False).astype(float)


def _same_text_when_same_hash(posts, resolved, first, second) -> np.ndarray:
    # Equal text hashes count as identical texts: check the strings (a collision is dropped).
    i, j = resolved.index(first), resolved.index(second)
    return (posts.k[first] != posts.k[second]) | (resolved.key[i] == resolved.key[j])


def _bounded_bands(bands: BandActions, found) -> pd.DataFrame:
    empty = pd.DataFrame({"key": pd.Series([], dtype=str), "n_actions": [], "fanout": []})
    if not found.cut.any():
        return empty
    starts, lengths = key_runs(bands.key)
    cut = np.maximum.reduceat(found.cut, starts).astype(bool)
    frame = pd.DataFrame(
        {
            "key": [f"band:{k:x}" for k in bands.key[starts[cut]].astype(np.uint64)],
            "n_actions": lengths[cut],
            "fanout": found.limit[starts[cut]],
        }
    )
    return frame.sort_values(["n_actions", "key"], ascending=[False, True], ignore_index=True)


def _text_signatures(con, source: str, params: dict):
    """Distinct text hashes (sorted) and their MinHash signatures; fills ``_tw_shingles``."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _tw_shingles AS
        WITH t AS (
            SELECT DISTINCT hash(CAST(key AS VARCHAR)) AS tid, CAST(key AS VARCHAR) AS text
            FROM {source} WHERE key IS NOT NULL
        ), w AS (
            SELECT tid, list_filter(string_split_regex(text, '\\s+'), lambda x: x <> '') AS words
            FROM t
        )
        SELECT tid, hash(unnest(
            [array_to_string(words[i:i + ? - 1], ' ') FOR i IN range(1, len(words) - ? + 2)]
        )) AS h
        FROM w
    """,
        [params["shingle"], params["shingle"]],
    )
    rows = con.sql("SELECT tid, h FROM _tw_shingles ORDER BY tid").to_arrow_table()
    if not rows.num_rows:
        return np.zeros(0, np.uint64), np.zeros((0, params["num_perm"]), np.uint32)
    return minhash_signatures(
        rows["tid"].to_numpy(),
        rows["h"].to_numpy(),
        params["num_perm"],
        params["seed"],
    )
