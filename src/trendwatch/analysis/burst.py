"""Kleinberg's multi-state burst automaton, in two forms.

J. Kleinberg, "Bursty and Hierarchical Structure in Streams", KDD 2002 / Data Mining and
Knowledge Discovery 7 (2003), doi:10.1023/A:1024940629314.

* :func:`kleinberg` — the *continuous* model over event times (section 2 of the paper). It
  follows the conventions of the R package ``bursts`` (J. Binder), our reference: with gaps
  ``x_t`` between sorted events, ``n`` gaps spanning ``T``, states ``i = 0..k-1`` emit gaps at
  rate ``α_i = s^i · n / T``, ``k = ceil(1 + log_s T + log_s(1 / min x))``; moving up ``j - i``
  states costs ``γ (j - i) ln n``, moving down is free; the automaton starts in state 0. The
  optimal state sequence is found by Viterbi (ties go to the lower state). Output rows are
  ``(level, start, end)``: one level-0 row spanning all events, then one row per burst of each
  level ``≥ 1``, opened at the event where the state rises to that level and closed at the
  event where it falls below (or at the last event).
* :func:`batched_states` — the *enumerating* model for counts in time buckets (section 4):
  in bucket ``t``, ``r_t`` of ``d_t`` posts carry the hashtag; state ``i`` expects a share
  ``p_i = p_0 s^i`` (``p_0`` = the hashtag's overall share, capped below 1) and costs
  ``-[r ln p_i + (d - r) ln(1 - p_i)]``; same transition costs. Many series are solved at
  once, vectorised over series, so trends over millions of posts stay fast.

Both use :func:`viterbi` on ragged batches of emission costs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["kleinberg", "batched_states", "viterbi"]

# A state's expected share may not reach 1 (ln(1 - p) would be -inf); values above are capped.
_MAX_SHARE = 1 - 1e-9


def kleinberg(offsets, s: float = 2.0, gamma: float = 1.0) -> pd.DataFrame:
    """Bursts of a stream of event times, as rows ``level, start, end``.

    Parameters
    ----------
    offsets : sequence of numbers
        Event times (any unit); sorted here. Two events may not share a time.
    s : float
        Ratio between the rates of successive states (> 1).
    gamma : float
        Cost of moving one state up, in units of ``ln n`` (> 0).

    Examples
    --------
    >>> offsets = [4, 17, 23, 27, 33, 35, 37, 76, 77, 82, 84, 88, 90, 92]
    >>> kleinberg(offsets, s=2, gamma=0.3).values.tolist()
    [[0, 4, 92], [1, 33, 37], [1, 76, 92]]
    """
    _check_automaton(s, gamma)
    times = np.sort(np.asarray(offsets, dtype=float))
    if times.size == 0:
        raise ParameterError("kleinberg needs at least one event time")
    if times.size == 1:
        return _rows([(0, times[0], times[0])], offsets)
    gaps = np.diff(times)
    if np.any(gaps <= 0):
        raise ParameterError("kleinberg: two events share a time; the model needs distinct times")
    climbs = np.array([_climb(gaps.size, gamma)])
    states = viterbi(_gap_costs(gaps, s), np.array([gaps.size]), climbs)
    return _rows(_burst_rows(states, times), offsets)


def _check_automaton(s: float, gamma: float) -> None:
    if not s > 1:
        raise ParameterError(f"burst automaton needs s > 1, got s={s}")
    if not gamma > 0:
        raise ParameterError(f"burst automaton needs gamma > 0, got gamma={gamma}")


def _climb(n: int, gamma: float) -> float:
    """Cost of moving one state up: γ ln n (n = number of gaps or buckets)."""
    return gamma * math.log(n)


def _gap_costs(gaps: np.ndarray, s: float) -> np.ndarray:
    """Emission costs -ln f_i(x) = α_i x - ln α_i, one row per gap, one column per state."""
    total, n = gaps.sum(), gaps.size
    k = math.ceil(1 + math.log(total) / math.log(s) + math.log(1 / gaps.min()) / math.log(s))
    rates = s ** np.arange(k, dtype=float) / (total / n)
    return -(np.log(rates)[None, :] - rates[None, :] * gaps[:, None])


def _burst_rows(states: np.ndarray, times: np.ndarray) -> list[tuple]:
    """Level-0 row, then one row per opened level (a stack closes them when the state falls)."""
    rows = [[0, times[0], times[-1]]]
    open_rows: list[int] = []
    previous = 0
    for t, state in enumerate(states.tolist()):
        for level in range(previous + 1, state + 1):
            open_rows.append(len(rows))
            rows.append([level, times[t], None])
        for _ in range(state, previous):
            rows[open_rows.pop()][2] = times[t]
        previous = state
    for index in open_rows:
        rows[index][2] = times[-1]
    return [tuple(row) for row in rows]


def _rows(rows: list[tuple], offsets) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "start", "end"])
    if all(float(x).is_integer() for x in (frame["start"].tolist() + frame["end"].tolist())):
        frame[["start", "end"]] = frame[["start", "end"]].astype("int64")
    return frame.astype({"level": "int64"})


def batched_states(
    frame: pd.DataFrame, *, n_buckets: int, s: float = 2.0, gamma: float = 1.0, k: int = 3
) -> np.ndarray:
    """The optimal burst state of every row of many count series (enumerating model).

    Parameters
    ----------
    frame : DataFrame
        Rows sorted by ``series`` then time, with columns ``series`` (an integer id), ``r``
        (posts with the hashtag) and ``d`` (all posts in the same span). A row may stand for
        several quiet buckets collapsed into one (``r = 0``, ``d`` = their total): within a
        quiet run the optimal path never climbs, so collapsing does not change it. An optional
        ``base`` column gives the base state's share ``p_0``; by default each series' own
        ``Σr / Σd``.
    n_buckets : int
        Number of buckets the series span; the climb cost is ``γ ln n_buckets``.
    s, gamma, k : float, float, int
        State ratio, climb cost factor and number of states.

    Returns
    -------
    numpy.ndarray
        One state (0 = base rate) per row, in the frame's order.
    """
    _check_automaton(s, gamma)
    if k < 2:
        raise ParameterError(f"burst automaton needs at least 2 states, got k={k}")
    series = frame["series"].to_numpy()
    r, d = frame["r"].to_numpy(dtype=float), frame["d"].to_numpy(dtype=float)
    base = frame["base"].to_numpy() if "base" in frame else _series_share(series, r, d)
    shares = np.minimum(base[:, None] * s ** np.arange(k, dtype=float)[None, :], _MAX_SHARE)
    costs = -(r[:, None] * np.log(shares) + (d - r)[:, None] * np.log1p(-shares))
    lengths = np.bincount(_dense_ids(series))
    climbs = np.full(lengths.size, _climb(max(n_buckets, 2), gamma))
    return viterbi(costs, lengths, climbs)


def _dense_ids(series: np.ndarray) -> np.ndarray:
    """Series ids as 0..m-1 in order of first appearance (rows are grouped by series)."""
    starts = np.r_[True, series[1:] != series[:-1]]
    return np.cumsum(starts) - 1


def _series_share(series: np.ndarray, r: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Each row's series-wide share of posts Σr / Σd (the base state's expected share)."""
    ids = _dense_ids(series)
    share = np.bincount(ids, weights=r) / np.maximum(np.bincount(ids, weights=d), 1)
    return share[ids]


def viterbi(costs: np.ndarray, lengths: np.ndarray, climbs: np.ndarray) -> np.ndarray:
    """Cheapest state paths of a ragged batch of series (all start in state 0).

    Parameters
    ----------
    costs : ndarray, shape (N, k)
        Emission cost of each state at each step, series after series.
    lengths : ndarray of int, shape (H,)
        Steps per series (they sum to N).
    climbs : ndarray of float, shape (H,)
        Per series, the cost of moving one state up (down is free).

    Returns
    -------
    ndarray of int, shape (N,)
        The state at each step, series after series. Ties go to the lower state.

    The loop runs over steps, with all series that are that long handled at once: series are
    ranked longest first so the ones still running at a step are a prefix of the ranking.
    """
    order = np.argsort(-lengths, kind="stable")
    ranked_lengths = lengths[order]
    step_major = _step_major_positions(lengths, order)
    back = _forward(costs[step_major], ranked_lengths, climbs[order])
    states_step_major = _backtrack(*back, ranked_lengths)
    states = np.empty(costs.shape[0], dtype=np.int64)
    states[step_major] = states_step_major
    return states


def _step_major_positions(lengths: np.ndarray, order: np.ndarray) -> np.ndarray:
    """For each step-major slot (step, rank), the row of the series-major input it holds."""
    first_row = np.r_[0, np.cumsum(lengths)[:-1]]
    rank_of = np.empty(lengths.size, dtype=np.int64)
    rank_of[order] = np.arange(lengths.size)
    series = np.repeat(np.arange(lengths.size), lengths)
    step = np.arange(series.size) - first_row[series]
    return np.lexsort((rank_of[series], step))


def _forward(costs: np.ndarray, lengths: np.ndarray, climbs: np.ndarray):
    """Forward pass: back-pointers per step-major slot and each series' final state."""
    k = costs.shape[1]
    levels = np.arange(k)
    rise = np.clip(levels[None, :] - levels[:, None], 0, None).astype(float)  # [from, to]
    running = _running_counts(lengths)
    total = np.full((lengths.size, k), np.inf)
    total[:, 0] = 0.0
    back = np.empty(costs.shape, dtype=np.int8)
    final = np.empty(lengths.size, dtype=np.int64)
    slot = 0
    for step, m in enumerate(running):
        moves = total[:m, :, None] + climbs[:m, None, None] * rise[None, :, :]
        best = moves.argmin(axis=1)
        back[slot : slot + m] = best
        cheapest = np.take_along_axis(moves, best[:, None, :], axis=1)[:, 0, :]
        total = cheapest + costs[slot : slot + m]
        still = running[step + 1] if step + 1 < len(running) else 0
        final[still:m] = total[still:m].argmin(axis=1)
        slot += m
    return back, final


def _running_counts(lengths: np.ndarray) -> list[int]:
    """How many series (ranked longest first) are still running at each step."""
    if lengths.size == 0:
        return []
    steps = np.arange(int(lengths[0]))
    return (lengths.size - np.searchsorted(lengths[::-1], steps, side="right")).tolist()


def _backtrack(back: np.ndarray, final: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    running = _running_counts(lengths)
    starts = np.r_[0, np.cumsum(running)].astype(np.int64)
    states = np.empty(back.shape[0], dtype=np.int64)
    later = np.empty(0, dtype=np.int64)
    for step in range(len(running) - 1, -1, -1):
        m = running[step]
        current = np.empty(m, dtype=np.int64)
        done_after = later.size
        if done_after:
            current[:done_after] = back[starts[step + 1] + np.arange(done_after), later]
        current[done_after:] = final[done_after:m]
        states[starts[step] : starts[step] + m] = current
        later = current
    return states
