"""Change a store, then shrink its file: the sizes `runs prune` and `forget` report.

DuckDB does not give a file's space back on DELETE, so a command that removes rows copies
the store into a new file (:func:`trendwatch.compact.compact_store`) and says what each step
left: the size before, after the change, and once compacted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..compact import compact_store
from ..store import open_store

__all__ = ["change_and_shrink"]

Result = TypeVar("Result")


def change_and_shrink(
    db,
    change: Callable[..., Result],
    *,
    compact: bool,
    changed: Callable[[Result], bool] = lambda _: True,
) -> tuple[Result, list[int]]:
    """``change(store)`` on the store at ``db`` (opened for writing), then compaction.

    Returns the change's result and the file's sizes in bytes: before; then, when
    ``changed(result)``, after the change and (with ``compact``) once compacted.
    """
    sizes = [Path(db).stat().st_size]
    with open_store(db) as store:
        result = change(store)
    if changed(result):
        sizes.append(Path(db).stat().st_size)
        if compact:
            sizes.append(compact_store(db).bytes_after)
    return result, sizes
