"""Coordination detection: one engine (:mod:`.engine`), many methods (:mod:`.methods`).

>>> from trendwatch.analysis.coordination import coordinate
>>> # result = coordinate(store, "co-retweet", window=60); result.edges.head()
"""

from __future__ import annotations

from .engine import (
    DEFAULT_MAX_KEY_FANOUT,
    DEFAULT_MAX_KEY_PAIRS,
    CoordinationResult,
    Scope,
    actions,
    coordinate,
    link,
)
from .methods import METHODS, Method, method_names

__all__ = [
    "DEFAULT_MAX_KEY_FANOUT",
    "DEFAULT_MAX_KEY_PAIRS",
    "CoordinationResult",
    "Scope",
    "actions",
    "coordinate",
    "link",
    "METHODS",
    "Method",
    "method_names",
]
