"""Every DuckDB connection trendwatch opens keeps times in UTC and prints no progress bar."""

from __future__ import annotations

import pyarrow as pa

from trendwatch.analysis.coordination.join import actions_on_duckdb
from trendwatch.connections import configured
from trendwatch.formats import ReadOptions
from trendwatch.formats.tabular import _TableReader
from trendwatch.formats.tabular_variants import find_variant
from trendwatch.store import Store

_LONG_QUERY = "SELECT count(*) FROM range(100_000_000) t(i) WHERE i % 7 = 3"


def _settings(con) -> tuple:
    return con.execute(
        "SELECT current_setting('TimeZone'), current_setting('enable_progress_bar')"
    ).fetchone()


def test_a_long_query_prints_no_progress_bar(capfd):
    import duckdb

    # The bar from the first moment rather than after two seconds (setting the time turns
    # the bar on: it comes first).
    plain = duckdb.connect()
    plain.execute("SET progress_bar_time = 0")
    plain.execute(_LONG_QUERY).fetchall()
    assert "%" in capfd.readouterr().out  # what DuckDB does by default, terminal or not
    plain.execute("SET progress_bar_time = 0")
    configured(plain)
    capfd.readouterr()  # (the SET statements themselves ran with the bar on)
    plain.execute(_LONG_QUERY).fetchall()
    assert capfd.readouterr().out == ""


def test_every_connection_and_cursor_is_configured():
    store = Store(":memory:")
    names = ["content", "publish_date", "following", "followers", "updates", "post_type"]
    reader = _TableReader(find_variant(names), names, ReadOptions())
    actions = pa.table({"account_id": ["a"]})
    with actions_on_duckdb(actions) as (linking, _):
        connections = [store.con, store.cursor().con, reader.con, reader.beside, linking]
        assert {_settings(con) for con in connections} == {("UTC", False)}
    assert _settings(configured(store.con.cursor())) == ("UTC", False)
    reader.close()
    store.close()
