"""co-similar's MinHash family, written once in SQL that DuckDB and Spark compute alike.

The LSH candidates of two engines are the same only if their band keys are: every hash below
is built from functions both engines have (``md5``, integer arithmetic, ``min``), with the few
spellings that differ filled per engine (:data:`SPELLINGS`). DuckDB's own 64-bit ``hash()``,
which the family used before, has no Spark equivalent.

The family
----------
1. **Shingle id** ``h``: the first 15 hex digits (60 bits) of the MD5 of the shingle's UTF-8
   bytes, as a ``BIGINT`` (never negative). The exact Jaccard check compares these ids, so a
   collision (about ``n² / 2⁶¹`` for ``n`` distinct shingles) could merge two shingles.
2. **Permutation** ``i`` of ``num_perm``: ``(a_i * x + b_i) mod p`` with ``x = h mod p``,
   ``p = 2³¹ - 1`` (a Mersenne prime), ``1 <= a_i < p`` and ``0 <= b_i < p`` drawn from
   ``seed``. Every product stays below ``2⁶²``: no int64 overflow on either engine (DuckDB
   raises on one, Spark without ANSI mode wraps silently; neither is relied on).
3. **Band key**: two linear combinations of the band's ``r = num_perm / bands`` minima
   ``m_1 .. m_r``, ``K = sum_r c_r m_r mod p`` and ``L = sum_r d_r m_r mod p`` (constants
   drawn from ``seed``, their own per band), as one ``BIGINT`` ``K * 2**31 + L`` (62 bits).
   Two texts share a band key when their ``r`` minima agree, or by chance with probability
   about ``1 / p**2`` per pair of distinct bands (the exact Jaccard check then drops the
   pair). Measured first: the MD5 of the minima's decimal text as the key cost 9 s more per
   run on the IRA archive (16 MD5s and string casts per text) than these sums.

``(a x + b) mod p`` is a universal family, not an exactly min-wise independent one; over the
MD5-scattered ``x`` its minima agree with probability close to the Jaccard similarity ``J``, so
a pair becomes a candidate with probability ``1 - (1 - J**r)**bands`` (0.9998 at ``J = 0.8``
with the defaults, 16 bands of 4): the tests check this rate on thousands of random pairs.

Cost on DuckDB, measured on the whole IRA archive (co-similar at Jaccard 0.8, 60 s, a shared
two-core machine, runs alternated with the former ``hash()`` family): 27-32 s against
18-21 s, the same peak memory (1.16-1.19 GB); MD5 per shingle costs about 1-3 s of it, the
64 checked multiplications and modulos per shingle the rest. A band key made of the MD5 of
the minima's text cost 9 s more still. The same 16,097 account pairs are linked; 11 post
pairs at Jaccard 0.80-0.85 found by the former family are missed and 7 others at 0.80-0.83
found (LSH misses near the threshold, each family its own).

Words are split on ``[ \\t\\n\\f\\r]+`` (RE2's ``\\s``; Java's ``\\s`` adds the vertical tab, so
the class is spelled out), empty words dropped; a shingle of ``k`` words joins ``k``
consecutive words with one space; a text of fewer than ``k`` words has no shingle.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PRIME",
    "SPELLINGS",
    "Permutations",
    "permutations",
    "shingles_sql",
    "bands_sql",
    "jaccard_sql",
    "candidate_probability",
]

PRIME = 2**31 - 1
"""The Mersenne prime of the permutations: products of two residues fit in 62 bits."""

_BLANKS_DUCKDB = r"'[ \t\n\f\r]+'"
# Spark's SQL parser reads backslash escapes in string literals: doubled, they reach the regex.
_BLANKS_SPARK = r"'[ \\t\\n\\f\\r]+'"

SPELLINGS = {
    "duckdb": {
        # The text id of DuckDB's coded actions (coded.CODE_SQL["k"]): the link joins on it.
        "text_id": "hash",
        "words": f"list_filter(string_split_regex(text, {_BLANKS_DUCKDB}), lambda w: w <> '')",
        "runs": "[array_to_string(words[i:i + {k} - 1], ' ') "
        "FOR i IN range(1, len(words) - {k} + 2)]",
        "explode": "unnest",
        "hex_bigint": "CAST('0x' || {hex} AS BIGINT)",
        "semi_join": "SEMI JOIN",
    },
    "spark": {
        "text_id": "xxhash64",
        "words": f"filter(split(text, {_BLANKS_SPARK}), w -> w <> '')",
        # sequence(1, 0) counts down in Spark: texts shorter than a shingle get no shingle.
        "runs": "CASE WHEN size(words) >= {k} THEN transform(sequence(1, size(words) - {k} + 1), "
        "i -> array_join(slice(words, i, {k}), ' ')) ELSE array() END",
        "explode": "explode",
        "hex_bigint": "CAST(conv({hex}, 16, 10) AS BIGINT)",
        "semi_join": "LEFT SEMI JOIN",
    },
}
"""The spellings that differ between the engines, by engine (the rest of the SQL is shared)."""

_SHINGLES = """
    WITH t AS (
        SELECT DISTINCT {text_id}(CAST(key AS STRING)) AS tid, CAST(key AS STRING) AS text
        FROM {source} WHERE key IS NOT NULL
    ), w AS (SELECT tid, {words} AS words FROM t),
    s AS (SELECT tid, {explode}({runs}) AS shingle FROM w)
    SELECT tid, {shingle_id} AS h FROM s
"""


def shingles_sql(engine: str, source: str, shingle: int) -> str:
    """``SELECT tid, h``: every text's shingle ids (one row per shingle occurrence).

    ``source`` is a relation with a ``key`` column (the texts); ``tid`` is the engine's
    64-bit id of the text (:data:`SPELLINGS`), ``h`` the family's shingle id.

    >>> "md5(shingle)" in shingles_sql("spark", "posts", 2)
    True
    """
    spell = SPELLINGS[engine]
    runs = "words" if shingle == 1 else spell["runs"].format(k=int(shingle))
    shingle_id = spell["hex_bigint"].format(hex="substr(md5(shingle), 1, 15)")
    return _SHINGLES.format(
        source=source,
        text_id=spell["text_id"],
        words=spell["words"],
        explode=spell["explode"],
        runs=runs,
        shingle_id=shingle_id,
    )


class Permutations:
    """The constants of ``num_perm`` permutations ``(a_i x + b_i) mod PRIME`` and of the
    band keys' two linear combinations of their minima (``c``, ``d``: one per minimum)."""

    def __init__(self, num_perm: int, seed: int):
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, PRIME, size=num_perm, dtype=np.int64)
        self.b = rng.integers(0, PRIME, size=num_perm, dtype=np.int64)
        self.c = rng.integers(1, PRIME, size=num_perm, dtype=np.int64)
        self.d = rng.integers(1, PRIME, size=num_perm, dtype=np.int64)

    def minimum_sql(self, i: int) -> str:
        """``m{i}``: the minimum of permutation ``i`` over a group's residues ``x``."""
        return f"min(({int(self.a[i])} * x + {int(self.b[i])}) % {PRIME}) AS m{i}"

    def band_key_sql(self, first: int, rows: int) -> str:
        """The key of the band of minima ``m{first} ..``: the two sums ``sum_r c_r m_r mod
        PRIME`` and ``sum_r d_r m_r mod PRIME``, side by side in 62 bits."""
        halves = [
            " + ".join(f"{int(w[i])} * m{i} % {PRIME}" for i in range(first, first + rows))
            for w in (self.c, self.d)
        ]
        return f"(({halves[0]}) % {PRIME}) * {2**31} + ({halves[1]}) % {PRIME}"


def permutations(num_perm: int, seed: int) -> Permutations:
    """The permutation constants of ``seed`` (ours, never data).

    >>> p = permutations(64, 1)
    >>> bool((p.a >= 1).all() and (p.a < PRIME).all() and (p.b < PRIME).all())
    True
    """
    return Permutations(num_perm, seed)


def bands_sql(shingles: str, num_perm: int, bands: int, seed: int) -> str:
    """``SELECT tid, b0, ...``: each text's band keys from relation ``shingles`` (``tid, h``).

    The minima are aggregated once (a key names each minimum twice: an aggregate written
    twice was computed twice by DuckDB, 13.5 s against 6.4 s on the IRA archive).

    >>> bands_sql("s", 4, 2, 1).count(" AS b")
    2
    """
    perms = permutations(num_perm, seed)
    rows = num_perm // bands
    minima = ", ".join(perms.minimum_sql(i) for i in range(num_perm))
    keys = ", ".join(f"{perms.band_key_sql(band * rows, rows)} AS b{band}" for band in range(bands))
    return f"""
        SELECT tid, {keys} FROM (
            SELECT tid, {minima} FROM (SELECT tid, h % {PRIME} AS x FROM {shingles}) GROUP BY tid
        )
    """


_JACCARD = """
    WITH c AS (SELECT DISTINCT t1, t2 FROM {pairs} WHERE t1 <> t2),
    ids AS (SELECT t1 AS tid FROM c UNION SELECT t2 FROM c),
    s AS (SELECT DISTINCT x.tid, x.h FROM {shingles} x {semi_join} ids ON x.tid = ids.tid),
    size AS (SELECT tid, count(*) AS n FROM s GROUP BY tid),
    inter AS (
        SELECT c.t1, c.t2, count(*) AS n FROM c
        JOIN s s1 ON s1.tid = c.t1 JOIN s s2 ON s2.tid = c.t2 AND s2.h = s1.h
        GROUP BY c.t1, c.t2
    )
    SELECT c.t1, c.t2, coalesce(i.n, 0) / (z1.n + z2.n - coalesce(i.n, 0)) AS jaccard
    FROM c LEFT JOIN inter i ON i.t1 = c.t1 AND i.t2 = c.t2
    JOIN size z1 ON z1.tid = c.t1 JOIN size z2 ON z2.tid = c.t2
"""


def jaccard_sql(engine: str, pairs: str, shingles: str) -> str:
    """``SELECT t1, t2, jaccard``: the exact Jaccard similarity of the shingle-id sets of the
    distinct text pairs ``(t1, t2)`` of relation ``pairs`` (pairs of one text are left out)."""
    return _JACCARD.format(pairs=pairs, shingles=shingles, **SPELLINGS[engine])


def candidate_probability(jaccard: float, num_perm: int = 64, bands: int = 16) -> float:
    """The probability that a pair at ``jaccard`` shares a band: ``1 - (1 - J**r)**bands``.

    >>> round(candidate_probability(0.8), 4)
    0.9998
    """
    rows = num_perm // bands
    return 1 - (1 - jaccard**rows) ** bands
