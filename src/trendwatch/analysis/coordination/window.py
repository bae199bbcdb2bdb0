"""Automatic window estimate, as CooRnet does it (Giglietto et al., ``estimate_coord_interval``).

Over the keys acted on at least twice: take the quickest ``q`` share (10 %) of keys by the time
from their first to their second action; for those keys, the time from the first action until
more than ``p`` (50 %) of the key's actions have happened; the window is the median of those
times. CooRnet works on URLs shared by Facebook pages; here any method's keys are used (the
reposted post for co-retweet, the URL for co-link...). A window below 1 s is raised to 1 s
(our choice: a zero window would only link simultaneous actions).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import NoDataError, ParameterError

__all__ = ["WindowEstimate", "estimate_window", "estimate_window_from"]


@dataclass(frozen=True, slots=True)
class WindowEstimate:
    """The estimated window and what it was computed from."""

    window_s: float
    keys_used: int
    q: float
    p: float


_ESTIMATE_SQL = """
    WITH ranked AS (
        SELECT key, epoch_us(CAST(time AS TIMESTAMPTZ)) / 1e6 AS t,
               row_number() OVER (PARTITION BY key ORDER BY time, post_id) AS rn,
               count(*) OVER (PARTITION BY key) AS n
        FROM (SELECT DISTINCT key, time, post_id, account_id FROM {actions})
        WHERE key IS NOT NULL AND time IS NOT NULL
    ), timed AS (
        SELECT *, t - min(t) OVER (PARTITION BY key) AS since_first FROM ranked WHERE n >= 2
    ), second AS (
        SELECT key, since_first FROM timed WHERE rn = 2
    ), quick AS (
        SELECT key FROM second
        WHERE since_first <= (SELECT quantile_cont(since_first, ?) FROM second)
    ), half AS (
        SELECT key, min(since_first) AS to_half FROM timed SEMI JOIN quick USING (key)
        WHERE rn / n > ? GROUP BY key
    )
    SELECT median(to_half), count(*) FROM half
"""


def estimate_window_from(con, actions: str, *, q: float = 0.1, p: float = 0.5) -> WindowEstimate:
    """Estimate the window from the actions in table/view ``actions`` on connection ``con``."""
    if not (0 < q <= 1 and 0 < p < 1):
        raise ParameterError(f"window estimate needs 0 < q <= 1 and 0 < p < 1, got q={q}, p={p}")
    median, used = con.execute(_ESTIMATE_SQL.format(actions=actions), [q, p]).fetchall()[0]
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
    from .join import actions_on_duckdb

    table = method_actions(store, method, scope, params)
    with actions_on_duckdb(table) as (con, name):
        return estimate_window_from(con, name, q=q, p=p)
