"""The fingerprints of stored keys against a Python set."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trendwatch.storekeys import KeyFingerprints, SortedHashes

_hashes = st.lists(st.integers(0, 40) | st.integers(0, 2**64 - 1), max_size=30)


@given(st.lists(_hashes, max_size=12), _hashes)
def test_contains_is_membership_in_every_hash_added(batches, queries):
    keys = KeyFingerprints(0, np.array(batches[0] if batches else [], np.uint64))
    seen: set[int] = set(batches[0] if batches else [])
    for rows, batch in enumerate(batches[1:], start=1):
        keys.add(SortedHashes(np.array(batch, np.uint64)).values, rows)
        seen.update(batch)
        assert keys.rows == rows
    needles = SortedHashes(np.array(queries, np.uint64))
    found = needles.positions(keys.contains(needles.values))
    assert found.tolist() == [i for i, q in enumerate(queries) if q in seen]
    # Runs stay sorted and few: each is more than twice the size of the next one.
    assert all((np.diff(run.astype(object)) >= 0).all() for run in keys.runs)
    assert all(a.size > 2 * b.size for a, b in zip(keys.runs, keys.runs[1:], strict=False))


@given(_hashes)
def test_repeated_marks_every_hash_seen_twice(hashes):
    keys = SortedHashes(np.array(hashes, np.uint64))
    assert keys.values.tolist() == sorted(hashes)
    repeated = keys.positions(keys.repeated())
    assert repeated.tolist() == [i for i, h in enumerate(hashes) if hashes.count(h) > 1]


def test_a_run_out_of_order_is_refused():
    keys = KeyFingerprints(0, np.array([], np.uint64))
    with pytest.raises(ValueError, match="sorted"):
        keys.add(np.array([3, 1], np.uint64), rows=2)
