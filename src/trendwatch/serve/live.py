"""The dashboard over a store that another process may be writing (``trendwatch watch``).

A process that holds a DuckDB file, even read-only, keeps every writer out; a dashboard that
held its store for days would stop the watcher from writing. :class:`StoreOpener` opens the
store read-only for each request that computes a page and closes it after (about 10-80 ms
per computed page; cached pages open nothing), and names the store's current data version so
that cached pages are recomputed once the store has changed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..store import Store

__all__ = ["StoreOpener"]


class StoreOpener:
    """Opens the store at ``path`` read-only, one short-lived connection per use.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "s.duckdb")
    >>> Store(path).close()
    >>> opener = StoreOpener(path)
    >>> with opener.opened() as store:
    ...     store.con.execute("SELECT count(*) FROM posts").fetchone()
    (0,)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        with self.opened():  # fails now, not at the first request, when it cannot be read
            pass

    @contextlib.contextmanager
    def opened(self) -> Iterator[Store]:
        with Store(self.path, read_only=True) as store:
            yield store

    def version(self) -> tuple:
        """Changes whenever a writer changed the store (its file or its write-ahead log)."""
        return tuple(_stamp(Path(self.path + suffix)) for suffix in ("", ".wal"))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
