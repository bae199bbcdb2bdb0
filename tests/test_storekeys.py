"""The fingerprints of stored keys against a Python set."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from trendwatch.storekeys import KeyFingerprints, repeated

_hashes = st.lists(st.integers(0, 40) | st.integers(0, 2**64 - 1), max_size=30)


@given(st.lists(_hashes, max_size=12), _hashes)
def test_contains_is_membership_in_every_hash_added(batches, queries):
    keys = KeyFingerprints(0, np.array([], np.uint64))
    seen: set[int] = set()
    for rows, batch in enumerate(batches, start=1):
        keys.add(np.array(batch, np.uint64), rows)
        seen.update(batch)
        assert keys.rows == rows
    found = keys.contains(np.array(queries, np.uint64))
    assert found.tolist() == [q in seen for q in queries]
    # Runs stay sorted and few: each is more than twice the size of the next one.
    assert all((np.diff(run.astype(object)) >= 0).all() for run in keys.runs)
    assert all(a.size > 2 * b.size for a, b in zip(keys.runs, keys.runs[1:], strict=False))


@given(_hashes)
def test_repeated_marks_every_hash_seen_twice(hashes):
    mask = repeated(np.array(hashes, np.uint64))
    assert mask.tolist() == [hashes.count(h) > 1 for h in hashes]
