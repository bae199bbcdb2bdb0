"""Fingerprints of the keys a store holds: a batch of new keys need not look for stored ones.

Each batch the store writes must know which of its keys ``(platform, post_id)`` are already
stored (:meth:`~trendwatch.store.Store._stage_special`). DuckDB answers by reading the key
columns of every stored post: its zone maps skip row groups only when ids grow with time (X's
ids), not for derived ids (``md5-...``) or URIs. Over the IRA archive each batch read all
the posts before it, from 0.06 s for the second batch to 0.19 s for the tenth: quadratic in
the size of the archive.

The writing :class:`~trendwatch.store.Store` therefore keeps the 64-bit hashes of the stored
keys (8 bytes a post) in a few sorted runs. A batch none of whose hashes is among them holds
no stored key, and skips the lookup. A batch with one (a repeat, or a collision of two hashes)
runs the lookup as before, so the answer never depends on the hash. The fingerprints know
how many posts they describe; when the store holds another number (another connection wrote
to it, or a batch was rolled back), they are read again from the store.

``benchmarks/bench_store_keys.py``: into a store of 24.4 M posts, a batch of 245,760 new keys
took 1.15-1.21 CPU-s to look up, and 0.09-0.10 CPU-s with the fingerprints; reading them
took 3.0-3.4 CPU-s, once per ingest (from its second batch on, see ``Store._stored_keys``).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["KEY_HASH_SQL", "MAX_FINGERPRINTS", "KeyFingerprints", "SortedHashes"]

KEY_HASH_SQL = "hash(platform, post_id)"
"""The fingerprint of a post key, computed by DuckDB for the stored posts and for a batch alike
(never stored: DuckDB's hash may change between versions)."""

MAX_FINGERPRINTS = 25_000_000
"""Above this many stored posts the store looks keys up as before: the fingerprints (200 MB
here, twice that while they are read) must leave an ingest within 2 GB."""


class SortedHashes:
    """The key hashes of a batch, sorted once for every question the store asks of them.

    Sorting once, rather than once for the repeats, once to search the stored runs and once
    to add the batch to them, took the steps over 11 IRA-sized batches of random hashes (the
    repeats, the search, the new run) from 0.65-0.74 to 0.32-0.37 CPU-s.

    >>> keys = SortedHashes(np.array([4, 1, 4, 2, 1, 3], np.uint64))
    >>> keys.values.tolist()
    [1, 1, 2, 3, 4, 4]
    >>> keys.positions(keys.repeated()).tolist()
    [0, 1, 2, 4]
    """

    def __init__(self, hashes: np.ndarray):
        self.hashes = hashes

    # Sorted when first asked: a store without fingerprints never asks (see Store._undecided).
    @functools.cached_property
    def order(self) -> np.ndarray:
        return np.argsort(self.hashes)

    @functools.cached_property
    def values(self) -> np.ndarray:
        return self.hashes[self.order]

    @property
    def size(self) -> int:
        return self.hashes.size

    def repeated(self) -> np.ndarray:
        """The mask (in sorted order) of the hashes that occur more than once."""
        if self.size < 2:
            return np.zeros(self.size, bool)
        same = self.values[1:] == self.values[:-1]
        return np.r_[same, False] | np.r_[False, same]

    def positions(self, mask: np.ndarray) -> np.ndarray:
        """The positions in the batch, ascending, of the hashes a sorted-order mask selects."""
        return np.sort(self.order[mask])


class KeyFingerprints:
    """The hashes of the keys of ``rows`` stored posts, as sorted runs.

    Runs are merged as they are added so that each is more than twice as large as the next,
    newer one: there are about log2(n) runs, and each hash is merged about log2(n) times.

    >>> keys = KeyFingerprints(rows=2, hashes=np.array([7, 3], np.uint64))
    >>> keys.contains(np.array([3, 5, 9], np.uint64)).tolist()
    [True, False, False]
    >>> keys.add(np.array([5], np.uint64), rows=3)
    >>> keys.contains(np.array([3, 5, 9], np.uint64)).tolist(), keys.rows
    ([True, True, False], 3)
    """

    def __init__(self, rows: int, hashes: np.ndarray):
        self.rows = rows
        self.runs: list[np.ndarray] = []
        self.add(np.sort(hashes.astype(np.uint64, copy=False)), rows)

    def contains(self, needles: np.ndarray) -> np.ndarray:
        """The mask of the sorted ``needles`` that are the hash of a stored key."""
        # Sorted needles search a large run in order, cache line after cache line: 245,760
        # hashes among 24 M took 0.06 s sorted (sort included) against 0.39 s as they came.
        found = np.zeros(needles.size, bool)
        for run in self.runs:
            found |= _in_sorted(needles, run)
        return found

    def add(self, hashes: np.ndarray, rows: int) -> None:
        """Add the sorted hashes of keys just stored; the store now holds ``rows`` posts."""
        if (hashes[1:] < hashes[:-1]).any():  # a run out of order would hide stored keys
            raise ValueError("the hashes of a new run must be sorted")
        self.rows = rows
        if not hashes.size:
            return
        run = hashes
        while self.runs and self.runs[-1].size <= 2 * run.size:
            # NumPy's stable sort of two sorted runs is fast: 2 M + 245,760 hashes in 15 ms,
            # against 148 ms for its default sort.
            run = np.sort(np.concatenate([self.runs.pop(), run]), kind="stable")
        self.runs.append(run)


def _in_sorted(values: np.ndarray, run: np.ndarray) -> np.ndarray:
    at = np.searchsorted(run, values)
    at[at == run.size] = 0
    return run[at] == values
