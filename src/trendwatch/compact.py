"""Compact a store file: copy it into a new file and swap that in, so the file shrinks.

DuckDB does not give a file's freed blocks back to the system: after a DELETE, a CHECKPOINT
makes them reusable by later writes but gives back at most some of them, and VACUUM does not
reclaim space (DuckDB 2.0 docs, "Reclaiming Space"). What shrinks the file is copying its
tables into a fresh database (``COPY FROM DATABASE``). Measured with
``benchmarks/bench_prune.py`` on the simulator's store with 10 rounds of runs (46.4 MB; its
posts alone take 4.2 MB): all but the latest run of each kind pruned, the file stays 46.4 MB
after the DELETE and a CHECKPOINT, and after VACUUM and another CHECKPOINT; compacted, it is
6.3 MB (0.2-0.4 s). Half of the runs pruned: 46.4 -> 21.8 MB compacted (0.6-1.4 s).

:func:`compact_store` attaches the store (which takes DuckDB's write lock on it, so no other
process can open it meanwhile), checkpoints it, copies it into a new file beside it, and
renames the new file over the store while still holding the lock: the rename is atomic, so
the path holds either the old store or the whole new one, never a part. A failure leaves the
store as it was and removes the new file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .connections import connect
from .errors import ParameterError, StoreError

__all__ = ["Compaction", "compact_store"]


@dataclass(frozen=True)
class Compaction:
    """A store file's size before and after :func:`compact_store`, in bytes."""

    path: str
    bytes_before: int
    bytes_after: int


def compact_store(path: str | os.PathLike) -> Compaction:
    """Rewrite the store at ``path`` into a new file holding only its live rows; swap it in.

    Needs free disk space for the compacted copy. Fails with
    :class:`~trendwatch.errors.StoreError` when another process has the store open.

    Examples
    --------
    >>> import tempfile
    >>> from trendwatch.store import Store
    >>> db = Path(tempfile.mkdtemp()) / "tw.duckdb"
    >>> Store(db).close()
    >>> compact_store(db).bytes_after <= db.stat().st_size
    True
    """
    path = Path(path)
    if str(path) == ":memory:" or not path.is_file():
        raise ParameterError(f"no store file at {path} to compact")
    before = path.stat().st_size
    new = path.with_name(f".{path.name}.compact-{uuid.uuid4().hex[:8]}")
    con = connect()
    try:
        _attach(con, path)
        _copy_into(con, new)
        shutil.copymode(path, new)
        os.replace(new, path)  # while the lock on the old file is still held
    except BaseException:
        _remove(new)
        raise
    finally:
        con.close()
    return Compaction(str(path), before, path.stat().st_size)


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Attach the store as ``tw_store`` (taking its write lock) and checkpoint it."""
    try:
        con.execute("ATTACH ? AS tw_store", [str(path)])
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot compact {path}: {exc}\n(another process or connection, e.g. `trendwatch "
            "serve`, holds the store: stop it and run the command again)"
        ) from exc
    con.execute("CHECKPOINT tw_store")  # nothing left in its write-ahead log


def _copy_into(con: duckdb.DuckDBPyConnection, new: Path) -> None:
    """Copy ``tw_store`` into a new database file ``new``, complete on disk when this returns."""
    con.execute("ATTACH ? AS tw_compact", [str(new)])
    con.execute("COPY FROM DATABASE tw_store TO tw_compact")
    con.execute("CHECKPOINT tw_compact")
    con.execute("DETACH tw_compact")
    wal = Path(f"{new}.wal")
    if wal.exists() and wal.stat().st_size:
        raise StoreError(f"compacting left a write-ahead log beside {new}: the store is unchanged")
    wal.unlink(missing_ok=True)


def _remove(new: Path) -> None:
    for leftover in (new, Path(f"{new}.wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
