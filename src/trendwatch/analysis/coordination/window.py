"""Automatic window estimate, as CooRnet does it (Giglietto et al., ``estimate_coord_interval``).

Over the keys acted on at least twice: take the quickest ``q`` share (10 %) of keys by the time
from their first to their second action; for those keys, the time from the first action until
more than ``p`` (50 %) of the key's actions have happened; the window is the median of those
times. CooRnet works on URLs shared by Facebook pages; here any method's keys are used (the
reposted post for co-retweet, the URL for co-link...). A window below 1 s is raised to 1 s
(our choice: a zero window would only link simultaneous actions).

The per-key step (:func:`key_times_sql`: one row per key acted on twice, its time to the
second action and to more than ``p`` of its actions) is one SQL text for both engines. On
Spark (a lake's actions) it runs in Spark SQL (:func:`trendwatch.engines.spark_window.
key_times`), its rows come to the driver, and the two quantiles are taken there by the same
DuckDB statement (:data:`_FROM_KEYS_SQL`) that DuckDB runs over its own per-key rows, so both
engines interpolate alike and give the same window.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import NoDataError, ParameterError

__all__ = [
    "WindowEstimate", "estimate_window", "estimate_window_from", "estimate_window_from_keys",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class WindowEstimate:
    """The estimated window and what it was computed from."""

    window_s: float
    keys_used: int
    q: float
    p: float


# Per key acted on twice: ``second`` (seconds from its first to its second action) and
# ``to_half`` (from its first action until more than p of its actions have happened). One
# text for both engines, with the spellings that differ filled per engine (KEY_TIMES_SPELLING);
# times are seconds as a double, so both give the same numbers.
_KEY_TIMES_SQL = """
    WITH ranked AS (
        SELECT key, {epoch_us}(CAST(time AS {timestamp})) / 1e6 AS t,
               row_number() OVER (PARTITION BY key ORDER BY time, post_id) AS rn,
               count(*) OVER (PARTITION BY key) AS n
        FROM (SELECT DISTINCT key, time, post_id, account_id FROM {actions})
        WHERE key IS NOT NULL AND time IS NOT NULL
    ), timed AS (
        SELECT *, t - min(t) OVER (PARTITION BY key) AS since_first FROM ranked WHERE n >= 2
    )
    SELECT CAST(min(CASE WHEN rn = 2 THEN since_first END) AS DOUBLE) AS second,
           CAST(min(CASE WHEN rn / n > {p} THEN since_first END) AS DOUBLE) AS to_half
    FROM timed GROUP BY key
"""
KEY_TIMES_SPELLING = {
    "duckdb": {"epoch_us": "epoch_us", "timestamp": "TIMESTAMPTZ"},
    "spark": {"epoch_us": "unix_micros", "timestamp": "TIMESTAMP"},
}
"""The spellings of :data:`_KEY_TIMES_SQL` that differ between the engines."""


def key_times_sql(actions: str, engine: str, p: float) -> str:
    """SQL: per-key ``second`` and ``to_half`` over the table/view ``actions`` (our own name)
    on ``engine`` (``duckdb`` or ``spark``); ``p`` is formatted as a number here."""
    return _KEY_TIMES_SQL.format(actions=actions, p=repr(float(p)), **KEY_TIMES_SPELLING[engine])


_FROM_KEYS_SQL = """
    WITH quick AS (
        SELECT to_half FROM {keys}
        WHERE second <= (SELECT quantile_cont(second, ?) FROM {keys})
    )
    SELECT median(to_half), count(*) FROM quick
"""


def estimate_window_from(con, actions: str, *, q: float = 0.1, p: float = 0.5) -> WindowEstimate:
    """Estimate the window from the actions in table/view ``actions`` on connection ``con``."""
    _check_shares(q, p)
    keys = f"({key_times_sql(actions, 'duckdb', p)})"
    median, used = con.execute(_FROM_KEYS_SQL.format(keys=keys), [q]).fetchall()[0]
    return _estimate(median, used, q, p)


def estimate_window_from_keys(keys, *, q: float = 0.1, p: float = 0.5) -> WindowEstimate:
    """Estimate the window from per-key times (an Arrow table: ``second``, ``to_half``, one
    row per key acted on twice, ``to_half`` for share ``p``; :func:`key_times_sql`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> keys = pa.table({"second": [1.0, 2.0, 50.0], "to_half": [4.0, 6.0, 90.0]})
    >>> estimate_window_from_keys(keys, q=0.5).window_s  # keys 1 and 2: median of 4 and 6
    5.0
    """
    from ...connections import connect

    _check_shares(q, p)
    con = connect()
    try:
        con.register("_tw_key_times", keys)
        sql = _FROM_KEYS_SQL.format(keys="_tw_key_times")
        median, used = con.execute(sql, [q]).fetchall()[0]
    finally:
        con.close()
    return _estimate(median, used, q, p)


def _check_shares(q: float, p: float) -> None:
    if not (0 < q <= 1 and 0 < p < 1):
        raise ParameterError(f"window estimate needs 0 < q <= 1 and 0 < p < 1, got q={q}, p={p}")


def _estimate(median, used, q: float, p: float) -> WindowEstimate:
    if not used:
        raise NoDataError(
            "cannot estimate a window: no key was acted on twice; pass --window SECONDS"
        )
    return WindowEstimate(window_s=max(float(median), 1.0), keys_used=int(used), q=q, p=p)


def estimate_window(
    store, method: str, *, scope=None, params: dict | None = None, q: float = 0.1, p: float = 0.5
) -> WindowEstimate:
    """Estimate the window for ``method`` over the store's scoped posts (CooRnet's rule).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> estimate_window(Store(":memory:"), "co-retweet")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NoDataError: cannot estimate a window: no key was acted on twice; pass --window SECONDS
    """
    from .engine import actions as method_actions
    from .engine import on_spark
    from .join import actions_on_duckdb

    table = method_actions(store, method, scope, params)
    if on_spark(table):
        from ...engines.spark_window import key_times

        _check_shares(q, p)
        return estimate_window_from_keys(key_times(table, p=p), q=q, p=p)
    with actions_on_duckdb(table) as (con, name):
        return estimate_window_from(con, name, q=q, p=p)
