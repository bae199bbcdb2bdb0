"""co-similar's MinHash family (minhash_family): a Python oracle of the SQL, the banding's
candidate rate on pairs of known Jaccard similarity, the word splitting and overflow bounds."""

from __future__ import annotations

import hashlib
import re

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from trendwatch.analysis.coordination.minhash_family import (
    PRIME,
    bands_sql,
    candidate_probability,
    jaccard_sql,
    permutations,
    shingles_sql,
)

BLANKS = re.compile(r"[ \t\n\f\r]+")


def shingle_ids(text: str, k: int = 1) -> set[int]:
    """The family's shingle ids of ``text``, computed in Python (the oracle)."""
    words = [w for w in BLANKS.split(text) if w]
    runs = [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
    return {int(hashlib.md5(s.encode()).hexdigest()[:15], 16) for s in runs}


def band_keys(ids: set[int], num_perm: int = 64, bands: int = 16, seed: int = 1) -> list[int]:
    """The family's band keys of a set of shingle ids, computed in Python (the oracle)."""
    perms = permutations(num_perm, seed)
    x = np.array(sorted(ids), dtype=object) % PRIME
    minima = [min((int(a) * x + int(b)) % PRIME) for a, b in zip(perms.a, perms.b, strict=True)]
    rows = num_perm // bands
    keys = []
    for band in range(bands):
        part = range(band * rows, band * rows + rows)
        high = sum(int(perms.c[i]) * minima[i] % PRIME for i in part) % PRIME
        low = sum(int(perms.d[i]) * minima[i] % PRIME for i in part) % PRIME
        keys.append(high * 2**31 + low)
    return keys


def duckdb_bands(texts: list[str], shingle: int = 1, num_perm: int = 64, bands: int = 16):
    """``{text: [band keys]}`` from the SQL on DuckDB."""
    con = duckdb.connect()
    con.register("texts", pa.table({"key": texts}))
    con.execute(f"CREATE TABLE s AS {shingles_sql('duckdb', 'texts', shingle)}")
    rows = con.sql(f"""
        SELECT t.text, b.* EXCLUDE (tid) FROM ({bands_sql("s", num_perm, bands, 1)}) b
        JOIN (SELECT DISTINCT hash(key) AS tid, key AS text FROM texts) t USING (tid)
    """).fetchall()
    return {row[0]: list(row[1:]) for row in rows}


TRICKY = [
    "the quick brown fox",
    "  leading and trailing blanks \t\n",
    "tab\tform\ffeed\rreturn vertical\x0btab stays in a word",
    "émigré naïve Σίσυφος 東京 🙂 ﬁ",
    "one",
    "a a a a repeated words count once",
]


@pytest.mark.parametrize("shingle", [1, 3])
def test_duckdb_band_keys_are_the_python_oracles(shingle):
    found = duckdb_bands(TRICKY, shingle)
    expected = {t: band_keys(shingle_ids(t, shingle)) for t in TRICKY if shingle_ids(t, shingle)}
    assert found == expected
    # "one" has no shingle of three words: no band key, so never a candidate.
    assert ("one" in found) == (shingle == 1)


def test_words_split_on_ascii_blanks_only():
    # RE2's \s on DuckDB, spelled out so that Java's (with the vertical tab) agrees.
    assert shingle_ids("a\x0bb c") == shingle_ids("c   a\x0bb")
    assert len(shingle_ids("a\x0bb c")) == 2
    assert shingle_ids("x\u00a0y") != shingle_ids("x y")  # a no-break space is no blank


def test_every_intermediate_fits_in_62_bits():
    # int64 holds 2^63 - 1: a permuted value a x + b, a combined term c m, a sum of four
    # residues and a key K 2^31 + L all stay below 2^62 (x, m < PRIME).
    perms = permutations(64, 7)
    assert int(perms.a.max()) * (PRIME - 1) + int(perms.b.max()) < 2**62
    assert max(int(perms.c.max()), int(perms.d.max())) * (PRIME - 1) < 2**62
    assert (PRIME - 1) * 2**31 + (PRIME - 1) < 2**62
    assert perms.a.min() >= 1 and perms.b.min() >= 0 and perms.c.min() >= 1


def pairs_at(jaccard_shared: int, unique: int, n: int, tag: str) -> list[tuple[str, str]]:
    """``n`` text pairs sharing ``jaccard_shared`` words, each with ``unique`` words of its
    own: Jaccard ``shared / (shared + 2 * unique)``; every pair's words are new."""
    out = []
    for p in range(n):
        shared = [f"{tag}s{p}w{i}" for i in range(jaccard_shared)]
        left = shared + [f"{tag}l{p}w{i}" for i in range(unique)]
        right = shared + [f"{tag}r{p}w{i}" for i in range(unique)]
        out.append((" ".join(left), " ".join(right)))
    return out


@pytest.mark.parametrize(
    ("shared", "unique", "tolerance"),
    [(16, 2, 0.004), (10, 5, 0.05), (6, 7, 0.04)],
    ids=["J=0.8", "J=0.5", "J=0.3"],
)
def test_candidate_rate_follows_the_banding_formula(shared, unique, tolerance):
    # 1,500 pairs at a known Jaccard: the share with a band key in common is within about
    # four standard deviations of 1 - (1 - J^4)^16 (0.9998, 0.644, 0.122).
    n = 1500
    pairs = pairs_at(shared, unique, n, f"j{shared}")
    keys = duckdb_bands([t for pair in pairs for t in pair])
    hits = sum(bool(set(keys[a]) & set(keys[b])) for a, b in pairs)
    expected = candidate_probability(shared / (shared + 2 * unique))
    assert abs(hits / n - expected) <= tolerance, (hits / n, expected)


def test_jaccard_sql_counts_shingle_ids():
    con = duckdb.connect()
    texts = ["a b c d", "a b c e", "x y"]
    con.register("texts", pa.table({"key": texts}))
    con.execute(f"CREATE TABLE s AS {shingles_sql('duckdb', 'texts', 1)}")
    con.execute("CREATE TABLE ids AS SELECT DISTINCT hash(key) AS tid, key FROM texts")
    con.execute("""
        CREATE TABLE c AS SELECT a.tid AS t1, b.tid AS t2, a.key AS k1, b.key AS k2
        FROM ids a JOIN ids b ON a.key < b.key
    """)
    rows = con.sql(f"SELECT c.k1, c.k2, j.jaccard FROM c JOIN ({jaccard_sql('duckdb', 'c', 's')})"
                   " j USING (t1, t2) ORDER BY 1, 2").fetchall()  # fmt: skip
    # {a b c} shared of {a b c d e}: 3/5; nothing shared with {x y}.
    assert rows == [("a b c d", "a b c e", 0.6), ("a b c d", "x y", 0.0), ("a b c e", "x y", 0.0)]
