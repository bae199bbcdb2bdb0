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

import numpy as np
import pyarrow as pa

from ...errors import ParameterError
from .join import actions_on_duckdb, expand_pairs, finish, number_actions

__all__ = ["link_similar", "minhash_signatures", "band_keys"]


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
    )
    with actions_on_duckdb(actions) as (con, name):
        _texts_and_shingles(con, name, params["shingle"])
        _band_actions(con, params)
        number_actions(con, params["window_s"])
        expand_pairs(con, params["max_key_fanout"])
        _verify(con, params["threshold"])
        tables = finish(con, params)
    stored = {k: v for k, v in params.items() if k not in ("method",) and not k.startswith("_")}
    return CoordinationResult(
        method=params["method"],
        params={**stored, "method": params["method"]},
        edges=tables.edges,
        evidence_table=tables.evidence,
        bounded_keys=tables.bounded_keys,
    )


def _texts_and_shingles(con, actions: str, shingle: int) -> None:
    # One id per distinct text; shingles are the distinct runs of `shingle` words.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _tw_sim_posts AS
        WITH p AS (
            SELECT DISTINCT CAST(account_id AS VARCHAR) AS account_id,
                   CAST(key AS VARCHAR) AS text, CAST(time AS TIMESTAMPTZ) AS time,
                   CAST(post_id AS VARCHAR) AS post_id
            FROM {actions}
            WHERE account_id IS NOT NULL AND key IS NOT NULL AND time IS NOT NULL
        ), t AS (
            SELECT text, row_number() OVER (ORDER BY text) AS tid
            FROM (SELECT DISTINCT text FROM p)
        )
        SELECT p.*, t.tid FROM p JOIN t USING (text)
    """)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tw_shingles AS
        WITH w AS (
            SELECT tid, list_filter(string_split_regex(text, '\\s+'), lambda x: x <> '') AS words
            FROM (SELECT DISTINCT tid, text FROM _tw_sim_posts)
        )
        SELECT DISTINCT tid, hash(unnest(
            [array_to_string(words[i:i + ? - 1], ' ') FOR i IN range(1, len(words) - ? + 2)]
        )) AS h
        FROM w
    """,
        [shingle, shingle],
    )


def _band_actions(con, params: dict) -> None:
    rows = con.sql("SELECT tid, h FROM _tw_shingles ORDER BY tid").to_arrow_table()
    tids = rows["tid"].to_numpy()
    ids, signatures = minhash_signatures(
        tids, rows["h"].to_numpy().astype(np.uint64), params["num_perm"], params["seed"]
    )
    keys = band_keys(signatures, params["bands"])
    bands = pa.table({"tid": np.repeat(ids, params["bands"]), "key": keys.ravel()})
    con.register("_tw_bands", bands)
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _tw_acts AS
            WITH a AS (SELECT p.account_id, b.key, p.time, p.post_id
                       FROM _tw_sim_posts p JOIN _tw_bands b USING (tid))
            SELECT * FROM a
            WHERE key IN (SELECT key FROM a GROUP BY key HAVING count(DISTINCT account_id) > 1)
        """)
    finally:
        con.unregister("_tw_bands")


def _verify(con, threshold: float) -> None:
    # A post pair found in several bands is one pair; identical texts have Jaccard 1.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _tw_cand AS
        SELECT DISTINCT ON (p.post_a, p.post_b) p.* EXCLUDE (key), pa.tid AS tid_a, pb.tid AS tid_b
        FROM _tw_pairs p
        JOIN _tw_sim_posts pa ON pa.post_id = p.post_a AND pa.account_id = p.account_a
        JOIN _tw_sim_posts pb ON pb.post_id = p.post_b AND pb.account_id = p.account_b
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _tw_jac AS
        WITH c AS (SELECT DISTINCT least(tid_a, tid_b) AS t1, greatest(tid_a, tid_b) AS t2
                   FROM _tw_cand WHERE tid_a <> tid_b),
        size AS (SELECT tid, count(*) AS n FROM _tw_shingles GROUP BY tid),
        inter AS (
            SELECT c.t1, c.t2, count(*) AS n FROM c
            JOIN _tw_shingles s1 ON s1.tid = c.t1
            JOIN _tw_shingles s2 ON s2.tid = c.t2 AND s2.h = s1.h
            GROUP BY ALL
        )
        SELECT i.t1, i.t2, i.n / (z1.n + z2.n - i.n) AS jaccard
        FROM inter i JOIN size z1 ON z1.tid = i.t1 JOIN size z2 ON z2.tid = i.t2
    """)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tw_pairs AS
        SELECT c.account_a, c.account_b, t.text AS key, c.post_a, c.post_b, c.time_a, c.time_b,
               c.gap_s, CASE WHEN c.tid_a = c.tid_b THEN 1.0 ELSE j.jaccard END AS jaccard
        FROM _tw_cand c
        LEFT JOIN _tw_jac j ON j.t1 = least(c.tid_a, c.tid_b) AND j.t2 = greatest(c.tid_a, c.tid_b)
        JOIN (SELECT DISTINCT tid, text FROM _tw_sim_posts) t ON t.tid = c.tid_a
        WHERE c.tid_a = c.tid_b OR j.jaccard >= ?
    """,
        [threshold],
    )
    con.execute("DROP TABLE _tw_cand; DROP TABLE _tw_jac")
