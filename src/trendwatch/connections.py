"""DuckDB connections as trendwatch opens them: times in UTC and no progress bar.

DuckDB prints a progress bar on standard output for any query that runs longer than two
seconds, whether or not the output is a terminal: a long count on a store's connection wrote
11 kB of it, which would land in the middle of the JSON a command prints. Both settings
belong to a connection, not to its database, so every connection and every cursor trendwatch
opens goes through here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pyarrow as pa

__all__ = ["configured", "connect", "registered"]

_SETUP_SQL = "SET TimeZone = 'UTC'; SET enable_progress_bar = false"


def configured(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con`` with trendwatch's settings (a new cursor has DuckDB's defaults again).

    >>> con = configured(duckdb.connect())
    >>> con.sql("SELECT current_setting('enable_progress_bar')").fetchall()
    [(False,)]
    """
    con.execute(_SETUP_SQL)
    return con


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection with trendwatch's settings."""
    return configured(duckdb.connect(database, read_only=read_only))


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` registered on ``con`` as ``name`` for the block."""
    con.register(name, table)
    try:
        yield
    finally:
        # Inside a transaction, after a failed statement DuckDB refuses even this until the
        # caller rolls back; the error to report is the first one (the name is replaced the
        # next time it is registered).
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
