"""No transparent huge pages for this process while the coordination engine links, or while
an archive is ingested.

Where transparent huge pages are ``madvise`` (Ubuntu's default, and this project's test
machine), NumPy asks for 2 MB pages for every large array and Arrow's allocator (mimalloc)
gets them for its segments. The link allocates and frees arrays of tens of millions of
integers and strings one after the other, each faulted in anew, and on this virtual machine
a huge page costs far more to fault in than the plain pages it replaces. The kernel never
stalled on compaction (``compact_stall`` in ``/proc/vmstat`` stayed 0); why the huge pages are
that dear here was not established. On the 10-million-repost co-retweet benchmark:

* NumPy's request off (its private setter, an earlier version of this module): system time
  2.8-3.8 s -> 2.1-2.4 s, the compute 5.50-6.18 s -> 4.85-5.12 s (four alternating runs
  each), although the process took more page faults (about 810,000 against 580,000);
* Arrow's allocations still used 485 MB of huge pages. With none at all (this module),
  against NumPy's request off alone: system time 3.21-3.60 s -> 2.43-2.58 s, the compute
  6.10-6.49 s -> 5.49-5.69 s (four alternating runs each), with more page faults again
  (1.09 M against 0.77-0.81 M) and a peak of 1.66-1.72 GB against 1.63-1.64 GB.

Ingest (:func:`trendwatch.ingest.ingest_file`) reads and writes batch after batch of Arrow
tables and DuckDB vectors the same way. The IRA archive into a fresh store, four alternating
runs each: 16.9-17.9 against 17.4-18.6 CPU-s (system time 1.25-1.44 against 1.67-1.97 s),
9.3-9.9 against 9.5-10.2 s. A 268 MB twarc2 file, whose parsing workers inherit the setting,
took 3.64-4.02 against 3.78-4.04 s: no difference.

Linux's ``prctl(PR_SET_THP_DISABLE)`` turns huge pages off for the whole process, whatever
asks for them, and can be turned back on. Elsewhere (no such call, or no huge pages) nothing
changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
import threading
from collections.abc import Iterator

__all__ = ["huge_pages_off"]

_PR_SET_THP_DISABLE = 41
_PR_GET_THP_DISABLE = 42

_lock = threading.Lock()
_depth = 0
_found_disabled = False


@functools.cache
def _prctl():
    """libc's ``prctl``, or None where there is none (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def thp_disabled() -> bool | None:
    """Whether huge pages are off for this process (None: the call is not available)."""
    prctl = _prctl()
    if prctl is None:
        return None
    state = prctl(_PR_GET_THP_DISABLE, 0, 0, 0, 0)
    return None if state < 0 else bool(state)


def _set_thp_disabled(disabled: bool) -> None:
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_THP_DISABLE, int(disabled), 0, 0, 0)  # an error leaves things as they are


@contextlib.contextmanager
def huge_pages_off() -> Iterator[None]:
    """Run with transparent huge pages off for this process, then put back what was set.

    The setting is process-wide: memory that other threads fault in meanwhile gets plain
    pages too, which changes its speed, not its contents. Nested and concurrent uses share
    one switch: the first to enter turns huge pages off, the last to leave puts back what the
    first found.
    """
    global _depth, _found_disabled
    with _lock:
        if _depth == 0:
            _found_disabled = bool(thp_disabled())
            _set_thp_disabled(True)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _set_thp_disabled(_found_disabled)
