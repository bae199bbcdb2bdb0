"""What the watcher keeps in the store besides posts: where each source resumes, and its gaps.

``watch_cursors(source, cursor, updated_at)``: one row per source, the point it resumes from
(a Jetstream cursor is the ``time_us`` of the last event stored). It is written after the
batch that holds that event, never before: a watcher killed between the two resumes from an
older cursor and reads a few events again, which the store counts as duplicates.

``watch_gaps(source, gap_from, gap_to, reason)``: one row per time a source was not
collecting (a dropped connection until the next one, the watcher not running), so that no
one reads a quiet hour as a quiet hashtag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ..store import Store

__all__ = ["Gap", "load_cursor", "save_cursors", "record_gaps", "watch_gaps", "has_watch_tables"]


@dataclass(frozen=True, slots=True)
class Gap:
    """A time a source was not collecting, and why.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> Gap("mastodon m.social public", datetime(2026, 1, 1, tzinfo=UTC),
    ...     datetime(2026, 1, 1, 0, 5, tzinfo=UTC), "connection reset").seconds
    300.0
    """

    source: str
    gap_from: datetime
    gap_to: datetime
    reason: str

    @property
    def seconds(self) -> float:
        return (self.gap_to - self.gap_from).total_seconds()


def has_watch_tables(store: Store) -> bool:
    """True when the store has the watcher's tables (a store opened read-only that no
    writer of this version opened yet lacks them)."""
    [(found,)] = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name IN ('watch_cursors', 'watch_gaps')"
    ).fetchall()
    return found == 2


def load_cursor(store: Store, source: str) -> tuple[str, datetime] | None:
    """``(cursor, updated_at)`` stored for ``source``, or None.

    >>> store = Store(":memory:")
    >>> save_cursors(store, {"jetstream x": "1725911162329308"})
    >>> load_cursor(store, "jetstream x")[0]
    '1725911162329308'
    """
    if not has_watch_tables(store):
        return None
    row = store.con.execute(
        "SELECT cursor, updated_at FROM watch_cursors WHERE source = ?", [source]
    ).fetchone()
    return (row[0], row[1]) if row else None


def save_cursors(store: Store, cursors: dict[str, str]) -> None:
    """Store each source's cursor (one transaction; ``updated_at`` is now)."""
    if not cursors:
        return
    rows = list(cursors.items())
    store.con.executemany(
        "INSERT INTO watch_cursors VALUES (?, ?, now()) "
        "ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
        rows,
    )


def record_gaps(store: Store, gaps: list[Gap]) -> None:
    """Append gaps to ``watch_gaps``."""
    if gaps:
        store.con.executemany(
            "INSERT INTO watch_gaps VALUES (?, ?, ?, ?)",
            [(g.source, g.gap_from, g.gap_to, g.reason) for g in gaps],
        )


def watch_gaps(store: Store, *, limit: int | None = None) -> pd.DataFrame:
    """The recorded gaps, latest first, with their length in seconds (empty when none).

    >>> watch_gaps(Store(":memory:")).columns.tolist()
    ['source', 'gap_from', 'gap_to', 'seconds', 'reason']
    """
    columns = ["source", "gap_from", "gap_to", "seconds", "reason"]
    if not has_watch_tables(store):
        return pd.DataFrame(columns=columns)
    sql = (
        "SELECT source, gap_from, gap_to, "
        "round(epoch(gap_to) - epoch(gap_from), 3) AS seconds, reason "
        "FROM watch_gaps ORDER BY gap_from DESC, source"
    )
    params = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return store.con.execute(sql, params).df()[columns]
