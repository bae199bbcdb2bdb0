"""An in-memory cache of view results, one entry per page and parameter set.

The store is opened read-only, so a view's result for given parameters never goes stale
while the server runs. Expensive views (coordination groups take seconds) are computed once;
when 20 clients ask for the same uncomputed entry at once, one computes it and the others wait
for that result instead of all running the same analysis.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["ViewCache"]


class ViewCache:
    """A thread-safe LRU cache that computes each missing key once.

    Parameters
    ----------
    max_entries : int
        Least recently used entries are dropped beyond this.

    Examples
    --------
    >>> cache = ViewCache(max_entries=2)
    >>> cache.get_or_compute(("trends", ()), lambda: {"rows": []})
    {'rows': []}
    >>> len(cache)
    1
    """

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]) -> object:
        """The cached value for ``key``, computing it (once, whatever the concurrency) if absent.

        An exception from ``compute`` is not cached: the next request tries again.
        """
        found, value = self._lookup(key)
        if found:
            return value
        with self._key_lock(key):
            found, value = self._lookup(key)
            if not found:
                value = compute()
                self._store(key, value)
        return value

    def _lookup(self, key: Hashable) -> tuple[bool, object]:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return True, self._entries[key]
        return False, None

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _store(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            self._key_locks.pop(key, None)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
