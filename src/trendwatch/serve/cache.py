"""An in-memory cache of serialised pages, one entry per page and parameter set.

The store is opened read-only, so a page for given parameters never goes stale while the
server runs. Expensive views (coordination groups take seconds) are computed once; when 20
clients ask for the same uncomputed entry at once, one computes it and the others wait for that
result instead of all running the same analysis.

The cache is bounded by bytes (:data:`DEFAULT_CACHE_BYTES`, 64 MB), least recently used first
out: a groups page of a big scope weighs about 2 MB, so a count of entries says nothing about
memory. Entries are the bytes sent (the JSON twin and the HTML page), so their size is exact.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["ViewCache", "DEFAULT_CACHE_BYTES", "entry_size"]

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
"""The dashboard's cache budget: 64 MB of pages (about 30 groups pages of a big store)."""


def entry_size(value: object) -> int:
    """What an entry counts against the budget: its length for bytes, else its shallow size.

    >>> entry_size(b"abc")
    3
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    return sys.getsizeof(value)


class ViewCache:
    """A thread-safe LRU cache, bounded by bytes and entries, that computes each key once.

    Parameters
    ----------
    max_entries : int
        Least recently used entries are dropped beyond this many.
    max_bytes : int
        ... and beyond this many bytes (:func:`entry_size`); a value larger than the whole
        budget is returned but not kept.

    Examples
    --------
    >>> cache = ViewCache(max_bytes=10)
    >>> cache.get_or_compute(("trends", ()), lambda: b"0123456")
    b'0123456'
    >>> cache.get_or_compute(("runs", ()), lambda: b"abcdef")  # drops the first entry
    b'abcdef'
    >>> len(cache), cache.size
    (1, 6)
    """

    def __init__(self, max_entries: int = 4096, max_bytes: int = DEFAULT_CACHE_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
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
                return True, self._entries[key][0]
        return False, None

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _store(self, key: Hashable, value: object) -> None:
        size = entry_size(value)
        with self._lock:
            self._key_locks.pop(key, None)
            if size > self.max_bytes:
                return
            self._entries[key] = (value, size)
            self.size += size
            while len(self._entries) > self.max_entries or self.size > self.max_bytes:
                self.size -= self._entries.popitem(last=False)[1][1]
