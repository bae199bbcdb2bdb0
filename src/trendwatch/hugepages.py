"""Not asking Linux for huge pages for NumPy arrays while the coordination engine links.

NumPy asks the kernel (``madvise(MADV_HUGEPAGE)``) to back every large array with 2 MB
pages, which the kernel honours where transparent huge pages are ``madvise`` (Ubuntu's
default, and this project's test machine). The link allocates and frees arrays of tens of
millions of integers one after the other, each faulted in anew. On the 10-million-repost
co-retweet benchmark, with plain pages the system time went from 2.8-3.8 s to 2.1-2.4 s and
the compute from 5.50-6.18 s to 4.85-5.12 s (four alternating runs each), although the
process took more page faults (about 810,000 against 580,000). The kernel never stalled on
compaction (``compact_stall`` in ``/proc/vmstat`` stayed 0), so the cost lies in faulting in
the huge pages themselves (why they are that dear here, a virtual machine, was not
established). Where every process gets huge pages anyway (``enabled`` ``always``) this changes
nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["numpy_huge_pages_off"]


def _setter():
    # A private NumPy 2 function (numpy.core.multiarray in NumPy 1): the public way, the
    # NUMPY_MADVISE_HUGEPAGE variable, works only before NumPy is imported. Without the
    # function nothing is changed.
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        return None
    return _set_madvise_hugepage


@contextlib.contextmanager
def numpy_huge_pages_off() -> Iterator[None]:
    """Run with NumPy's huge-page request off, then restore what was set before.

    The setting is process-wide: arrays allocated meanwhile by other threads get plain pages
    too, which changes their speed, not their contents.
    """
    setter = _setter()
    if setter is None:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)
