"""Kleinberg's automaton: the R ``bursts`` reference rows, and the batched (counts) model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trendwatch.analysis.burst import batched_states, kleinberg, viterbi
from trendwatch.errors import ParameterError

OFFSETS = [4, 17, 23, 27, 33, 35, 37, 76, 77, 82, 84, 88, 90, 92]

# ../shared/data/README.md: rows (level, start, end) of R's bursts::kleinberg on OFFSETS.
REFERENCE = {
    (2, 0.1): [(0, 4, 92), (1, 33, 37), (1, 76, 92), (2, 76, 77)],
    (2, 0.3): [(0, 4, 92), (1, 33, 37), (1, 76, 92)],
    (2, 0.5): [(0, 4, 92), (1, 76, 92)],
    (2, 1.0): [(0, 4, 92)],
    (1.5, 0.1): [(0, 4, 92), (1, 23, 37), (2, 33, 37), (1, 76, 92), (2, 76, 92)],
}


@pytest.mark.parametrize(("s", "gamma"), list(REFERENCE))
def test_kleinberg_reproduces_the_r_reference_rows(s, gamma):
    rows = kleinberg(OFFSETS, s=s, gamma=gamma)
    assert [tuple(r) for r in rows.values.tolist()] == REFERENCE[(s, gamma)]


def test_kleinberg_sorts_its_input():
    shuffled = list(reversed(OFFSETS))
    assert kleinberg(shuffled, s=2, gamma=0.1).equals(kleinberg(OFFSETS, s=2, gamma=0.1))


def test_single_event_is_one_level_zero_row():
    assert kleinberg([7]).values.tolist() == [[0, 7, 7]]


@pytest.mark.parametrize(
    ("offsets", "s", "gamma"), [([1, 1, 2], 2, 1), ([], 2, 1), ([1, 2], 1, 1), ([1, 2], 2, 0)]
)
def test_invalid_input_is_a_parameter_error(offsets, s, gamma):
    with pytest.raises(ParameterError):
        kleinberg(offsets, s=s, gamma=gamma)


def test_viterbi_prefers_cheap_states_and_pays_for_climbing():
    # state 1 saves 1.0 per step for two steps; climbing costs 1.5 -> worth it only for both.
    costs = np.array([[0.0, 5.0], [1.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
    assert viterbi(costs, np.array([4]), np.array([1.5])).tolist() == [0, 1, 1, 0]
    assert viterbi(costs, np.array([4]), np.array([2.5])).tolist() == [0, 0, 0, 0]


def test_viterbi_on_a_ragged_batch_equals_each_series_alone():
    rng = np.random.default_rng(3)
    lengths = np.array([5, 9, 1, 4])
    costs = rng.uniform(0, 3, size=(lengths.sum(), 3))
    climbs = np.array([0.5, 1.0, 2.0, 0.1])
    together = viterbi(costs, lengths, climbs)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    alone = [
        viterbi(costs[a : a + n], np.array([n]), climbs[i : i + 1])
        for i, (a, n) in enumerate(zip(starts, lengths, strict=True))
    ]
    assert together.tolist() == np.concatenate(alone).tolist()


def test_batched_states_flag_the_burst_buckets():
    # 10 buckets of 100 posts; the hashtag has 1 post per bucket but 30 in buckets 4 and 5.
    r = [1, 1, 1, 1, 30, 30, 1, 1, 1, 1]
    frame = pd.DataFrame({"series": 0, "r": r, "d": 100})
    states = batched_states(frame, n_buckets=10, s=2, gamma=1, k=3)
    assert (states[[4, 5]] >= 1).all()
    assert (states[[0, 1, 2, 3, 6, 7, 8, 9]] == 0).all()


def test_batched_states_need_two_states():
    frame = pd.DataFrame({"series": [0], "r": [1], "d": [2]})
    with pytest.raises(ParameterError):
        batched_states(frame, n_buckets=1, k=1)
