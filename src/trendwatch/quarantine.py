"""Reading the quarantine back: the records ingest could not use, with their reasons.

Every record that ingest could not turn into a post (a line that is not JSON, a tweet without
an author, a CSV row with a bad time, a record over the size cap, the unreadable rest of a
truncated file...) is kept in the store's ``quarantine`` table: its source (the input's
absolute path, or ``-`` for stdin), its record number (line, array position or table row;
CSV rows the parser rejected are numbered -1, -2, ...), its raw text and the reason.
:func:`quarantined` lists them, :func:`export_quarantine` writes them to a file
(``trendwatch quarantine`` and ``trendwatch quarantine --out FILE``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pandas as pd

from .errors import ParameterError
from .exports import replacing, write_csv_rows
from .store import Store

__all__ = ["Quarantine", "quarantined", "export_quarantine", "source_name", "EXPORT_FORMATS"]

COLUMNS = ("source", "record_no", "reason", "raw", "ingested_at")
EXPORT_FORMATS = (".jsonl", ".csv")
"""File suffixes :func:`export_quarantine` writes: JSON Lines (the raw text exactly as
stored) or CSV (for a spreadsheet: a cell that would start a formula gets a leading ``'``)."""
_EXPORT_BATCH = 10_000


@dataclass(frozen=True)
class Quarantine:
    """The first quarantined records, in order, and how many there are in all."""

    records: pd.DataFrame
    total: int


def source_name(source: str) -> str:
    """The quarantine's name for an input as given to ingest: its absolute path, or ``-``.

    >>> source_name("-")
    '-'
    """
    return source if source == "-" else str(Path(source).resolve())


def quarantined(store: Store, *, source: str | None = None, limit: int | None = None) -> Quarantine:
    """The quarantined records of a store, by source and record number.

    Parameters
    ----------
    store : Store
        An open store (read-only is enough).
    source : str, optional
        Only the records of this input (a path as given to ingest, or ``-``).
    limit : int, optional
        At most this many records (all when None); ``total`` still counts all.

    Examples
    --------
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(quarantine=[("-", 3, "{oops", "invalid JSON")])
    >>> q = quarantined(store)
    >>> q.total, q.records.loc[0, "reason"]
    (1, 'invalid JSON')
    """
    where, params = _where(source)
    [(total,)] = store.con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchall()
    sql = f"{_select(where)} LIMIT ?"
    records = store.con.execute(sql, [*params, total if limit is None else limit]).df()
    return Quarantine(records, total)


def export_quarantine(store: Store, path: str | os.PathLike, *, source: str | None = None) -> int:
    """Write every quarantined record (or one source's) to ``path``; return how many.

    ``.jsonl``: one JSON object per record with :data:`COLUMNS` (``raw`` exactly as stored).
    ``.csv``: the same columns; a text cell that a spreadsheet would read as a formula (it
    starts with ``=``, ``+``, ``-``, ``@``, TAB, CR or NUL, or with ``'``) gets one leading
    ``'``. The file is written under a temporary name and renamed when complete.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ParameterError(
            f"--out {path}: write the quarantine to a {' or '.join(EXPORT_FORMATS)} file"
        )
    rows = _rows(store, source)
    if suffix == ".csv":
        return write_csv_rows(path, COLUMNS, ([row[name] for name in COLUMNS] for row in rows))
    with replacing(path) as part, part.open("w", encoding="utf-8", newline="") as out:
        return _write_jsonl(out, rows)


def _where(source: str | None) -> tuple[str, list]:
    if source is None:
        return "", []
    return "WHERE source = ?", [source_name(source)]


def _select(where: str) -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM quarantine {where} ORDER BY source, record_no, rowid"


def _rows(store: Store, source: str | None) -> Iterator[dict]:
    where, params = _where(source)
    for batch in store.con.sql(_select(where), params=params).to_arrow_reader(_EXPORT_BATCH):
        yield from batch.to_pylist()


def _write_jsonl(out, rows: Iterator[dict]) -> int:
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is returned
        out.write(orjson.dumps(row).decode() + "\n")
    return count
