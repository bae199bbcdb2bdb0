"""The growing list of simulated posts, as columns, and the time draws every generator shares.

Generators append blocks of posts to a :class:`Timeline` and get back their global row
numbers, which later blocks use as retweet, reply or quote targets. Rows are put in time order
and given X ids only when the archive is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import DURATION, LOCAL_OFFSET_HOURS
from .texts import Body

__all__ = [
    "Timeline",
    "Posts",
    "POST",
    "RETWEET",
    "REPLY",
    "QUOTE",
    "diurnal_times",
    "retweet_delays",
    "weighted_pick",
]

POST, RETWEET, REPLY, QUOTE = 0, 1, 2, 3

# Relative posting rate per local hour (0 h .. 23 h): quiet nights, busy evenings.
_HOURLY = np.array(
    [0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.55, 0.85, 1.0, 1.0, 1.0,
     1.05, 1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.25, 1.3, 1.2, 0.95, 0.6]
)  # fmt: skip


@dataclass(frozen=True)
class Posts:
    """The finished columns: one row per post, in the order they were added."""

    time: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    target: np.ndarray
    """Row of the retweeted, replied-to or quoted post; -1 for plain posts."""
    bodies: list[Body | None]
    """Own text of posts, replies and quotes; None for retweets (derived from the target)."""

    def __len__(self) -> int:
        return len(self.time)


class Timeline:
    """Accumulates blocks of posts; :meth:`add` returns the rows of the new block."""

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, ...]] = []
        self._bodies: list[Body | None] = []
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def add(self, time, author, kind: int, target=None, bodies=None) -> np.ndarray:
        """Append posts of one kind; ``bodies`` is required unless ``kind`` is RETWEET."""
        time = np.asarray(time, float)
        n = len(time)
        target = np.full(n, -1, np.int64) if target is None else np.asarray(target, np.int64)
        if (bodies is None) != (kind == RETWEET) or (bodies is not None and len(bodies) != n):
            raise ValueError("bodies are required for, and only for, non-retweets")
        self._blocks.append((time, np.asarray(author, np.int64), np.full(n, kind, np.int8), target))
        self._bodies.extend(bodies if bodies is not None else [None] * n)
        rows = np.arange(self._n, self._n + n)
        self._n += n
        return rows

    def column(self, index: int) -> np.ndarray:
        if not self._blocks:
            return np.empty(0)
        return np.concatenate([block[index] for block in self._blocks])

    def times(self) -> np.ndarray:
        return self.column(0)

    def authors(self) -> np.ndarray:
        return self.column(1)

    def finish(self) -> Posts:
        return Posts(self.column(0), self.column(1), self.column(2), self.column(3), self._bodies)


def diurnal_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` instants over the archive following the French daily rhythm."""
    days = rng.integers(0, DURATION // 86400, n)
    local_hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    utc_hour = (local_hour - LOCAL_OFFSET_HOURS) % 24
    return days * 86400.0 + utc_hour * 3600.0 + rng.uniform(0, 3600, n)


def retweet_delays(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    """Heavy-tailed (lognormal) delays in seconds, at least 2 s."""
    return 2.0 + rng.lognormal(np.log(median), sigma, n)


def weighted_pick(rng: np.random.Generator, pool: np.ndarray, weights, n: int) -> np.ndarray:
    """``n`` draws (with replacement) from ``pool`` with probability proportional to weights."""
    p = np.asarray(weights, float)
    return pool[rng.choice(len(pool), n, p=p / p.sum())]
