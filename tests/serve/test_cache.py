"""The view cache: one computation per key, whatever the concurrency; LRU beyond its size."""

from __future__ import annotations

import threading
import time

import pytest

from trendwatch.serve.cache import ViewCache


def test_computes_once_and_returns_the_same_value():
    calls = []
    cache = ViewCache()
    for _ in range(3):
        value = cache.get_or_compute("k", lambda: calls.append(1) or {"n": len(calls)})
    assert value == {"n": 1}
    assert len(calls) == 1


def test_concurrent_requests_for_one_key_compute_once():
    calls = []
    cache = ViewCache()

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("g", slow)))
               for _ in range(20)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["done"] * 20
    assert len(calls) == 1


def test_least_recently_used_entry_is_dropped():
    cache = ViewCache(max_entries=2)
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    cache.get_or_compute("a", lambda: 99)  # a is now the most recent
    cache.get_or_compute("c", lambda: 3)
    assert "a" in cache and "c" in cache and "b" not in cache


def test_errors_are_not_cached():
    cache = ViewCache()

    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", fail)
    assert cache.get_or_compute("k", lambda: "ok") == "ok"


def test_bounded_by_bytes_least_recently_used_first():
    cache = ViewCache(max_bytes=1000)
    for key in "abcd":
        cache.get_or_compute(key, lambda: b"x" * 300)
        cache.get_or_compute("a", lambda: b"never")  # a stays the most recent
    assert cache.size == 900 and "a" in cache and "b" not in cache
    assert cache.get_or_compute("huge", lambda: b"y" * 2000) == b"y" * 2000
    assert "huge" not in cache and cache.size <= 1000
