"""Not asking Linux for huge pages for NumPy arrays while the coordination engine links.

NumPy asks the kernel (``madvise(MADV_HUGEPAGE)``) to back every large array with 2 MB
pages. Where transparent huge pages are ``madvise`` with ``defrag`` ``madvise`` (Ubuntu's
default, and this project's test machine), the kernel then compacts memory to find them at
allocation time, in the allocating thread. The link allocates and frees arrays of tens of
millions of integers one after the other: on the 10-million-repost co-retweet benchmark the
system time went from 2.7-3.4 s to 2.0-2.2 s with plain pages, and the compute from 5.2-6.0 s
to 4.8-5.0 s (alternating runs, ``NUMPY_MADVISE_HUGEPAGE=0`` against ``1``). Where the
kernel gives huge pages to every process anyway (``enabled`` ``always``) this changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["numpy_huge_pages_off"]


def _setter():
    # A private NumPy function (numpy._core.multiarray, NumPy 1.20 and later): setting the
    # NUMPY_MADVISE_HUGEPAGE variable is the public way, but only before NumPy is imported.
    # Without it nothing is changed.
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
