"""The windowed pair generation on integer-coded actions sorted by ``(key, time)`` (NumPy).

Actions sorted by key then time sit in runs, one run per key. Action ``i``'s partners are the
actions ``i + 1, i + 2, ...`` of the same run at most ``window`` later. :func:`window_pairs`
walks these offsets one step at a time over *all* actions at once: at step ``s`` it keeps the
actions whose ``s``-th follower is still a partner, so each step costs the number of actions
still active and the whole walk costs ``O(n + pairs)``, never the square of a hot key's size.

The hot-key bound
-----------------
Each action is paired with at most ``limit`` following partners, where per key

``limit = max_key_fanout`` unless that would give the key more than ``max_key_pairs`` pairs;
then ``limit = max(1, max_key_pairs // n_actions_on_key)``.

So a key yields at most ``max(max_key_pairs, n_actions)`` pairs and the output is at most
``max_key_fanout`` pairs per action: linear in the input. A post reposted by 200,000 accounts
within an hour (about 3,300 reposts per minute) would give 6.6e8 pairs at a 60 s window; with
the defaults each of its reposts is paired with its next 5 only (1e6 pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WindowPairs", "window_pairs", "hot_key_bound", "key_runs"]


@dataclass(frozen=True)
class WindowPairs:
    """Pairs ``(first[i], second[i])`` of action positions, ``first < second``.

    ``limit`` is the per-action bound applied (one value per action; ``-1`` when unbounded);
    ``cut`` marks the actions that had more partners than their ``limit``.
    """

    first: np.ndarray
    second: np.ndarray
    limit: np.ndarray
    cut: np.ndarray


def key_runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of equal values in a sorted ``key`` array."""
    if key.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return starts, np.diff(np.r_[starts, key.size])


def _partners_at(key, time, left: np.ndarray, step: int, window: int) -> np.ndarray:
    # Which of `left` still have a partner `step` positions later (same key, within window).
    right = left + step
    inside = right < key.size
    left = left[inside]
    right = right[inside]
    return left[(key[right] == key[left]) & (time[right] - time[left] <= window)]


def _next_is_partner(key, time, window: int) -> np.ndarray:
    # Step 1 of the walk on whole-array slices: no gathers over every action (most of the
    # walk's cost, as most actions have no partner at all).
    return np.flatnonzero((key[1:] == key[:-1]) & (time[1:] - time[:-1] <= window))


def _walk(key, time, window: int, limit: np.ndarray | None = None, last: int | None = None):
    # Yield (step, left): the actions whose step-th follower is a partner within their limit.
    left = _next_is_partner(key, time, window)
    step = 1
    while left.size and (last is None or step <= last):
        if limit is not None:
            left = left[limit[left] >= step]
        yield step, left
        step += 1
        left = _partners_at(key, time, left, step, window)


def _partner_counts(key, time, window: int, cap: int) -> np.ndarray:
    # Each action's number of partners, capped at `cap` + 1 (enough to see who is cut).
    counts = np.zeros(key.size, np.int64)
    for _, left in _walk(key, time, window, last=cap + 1):
        counts[left] += 1
    return counts


def _limits(key, counts, max_key_fanout: int, max_key_pairs: int | None) -> np.ndarray:
    # The per-action bound: the fanout, lowered on keys whose capped pairs exceed the budget.
    starts, lengths = key_runs(key)
    limit = np.full(key.size, max_key_fanout, np.int64)
    if max_key_pairs is None or not starts.size:
        return limit
    pairs = np.add.reduceat(np.minimum(counts, max_key_fanout), starts)
    per_key = np.where(
        pairs > max_key_pairs,
        np.clip(max_key_pairs // lengths, 1, max_key_fanout),
        max_key_fanout,
    )
    return np.repeat(per_key, lengths)


def window_pairs(
    key: np.ndarray,
    time: np.ndarray,
    account: np.ndarray,
    window: int,
    max_key_fanout: int | None = None,
    max_key_pairs: int | None = None,
    bound: tuple[np.ndarray, np.ndarray] | None = None,
) -> WindowPairs:
    """Pairs of actions of distinct accounts on the same key at most ``window`` apart.

    Parameters
    ----------
    key, time, account : integer arrays of one length, sorted by ``(key, time)``.
    window : int
        In the unit of ``time``; ``time[j] - time[i] <= window`` links (inclusive).
    max_key_fanout, max_key_pairs : int or None
        The hot-key bound (module docs); ``max_key_fanout=None`` removes it.
    bound : (limit, cut), optional
        :func:`hot_key_bound` of these arrays, when already computed.

    Examples
    --------
    >>> k = np.array([1, 1, 1, 2]); t = np.array([0, 5, 30, 0]); a = np.array([7, 8, 9, 7])
    >>> p = window_pairs(k, t, a, 10)
    >>> p.first.tolist(), p.second.tolist()
    ([0], [1])
    """
    unbounded = max_key_fanout is None
    if bound is None:
        bound = hot_key_bound(key, time, window, max_key_fanout, max_key_pairs)
    limit, cut = bound
    firsts, seconds = [], []
    for step, left in _walk(key, time, window, None if unbounded else limit):
        right = left + step
        other = account[left] != account[right]
        firsts.append(left[other])
        seconds.append(right[other])
    empty = np.zeros(0, np.int64)
    return WindowPairs(
        first=np.concatenate(firsts) if firsts else empty,
        second=np.concatenate(seconds) if seconds else empty,
        limit=limit,
        cut=cut,
    )


def hot_key_bound(
    key: np.ndarray,
    time: np.ndarray,
    window: int,
    max_key_fanout: int | None,
    max_key_pairs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each action's bound ``limit`` (``-1``: none) and whether it is ``cut`` (module docs).

    Both depend on ``(key, time)`` only, position by position: reordering actions of equal
    key and time changes neither, so a caller may order such ties after computing them
    (:func:`.coded.order_cut_ties`).

    Examples
    --------
    >>> k = np.array([1, 1, 1, 2]); t = np.array([0, 0, 5, 0])
    >>> limit, cut = hot_key_bound(k, t, 10, 1)
    >>> limit.tolist(), cut.tolist()
    ([1, 1, 1, 1], [True, False, False, False])
    """
    if max_key_fanout is None:
        limit = np.broadcast_to(np.int64(-1), key.size)  # read-only, no memory
        return limit, np.zeros(key.size, bool)
    counts = _partner_counts(key, time, window, max_key_fanout)
    limit = _limits(key, counts, max_key_fanout, max_key_pairs)
    return limit, counts > limit
