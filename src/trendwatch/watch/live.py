"""What the dashboard's live page shows: rising hashtags, the latest alerts, collection gaps.

:func:`live_status` is the page's data (its JSON twin is ``/api/live``); the page polls it and
redraws itself, so a browser left open follows the watcher without reloading.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
import pandas as pd

from ..analysis.trends import _after_last_post
from ..errors import NoDataError
from .alerts import stored_alerts
from .rules import AlertRules, scored_window

__all__ = ["live_status", "LIVE_ROWS"]

LIVE_ROWS = 50
"""Alerts and gaps shown, newest first (the alerts file and the store keep them all)."""
_ALERT_FIELDS = ("time", "kind", "hashtag", "target", "posts", "accounts", "core_accounts",
                 "reading", "escalation", "run_id")  # fmt: skip


def live_status(store, *, top: int = 10, window: timedelta = timedelta(hours=1)) -> dict:
    """The live page's data: ``at`` (just after the last post), ``rising`` (the ``top``
    hashtags of the last ``window`` by their ``poisson`` score, as the check scores them),
    ``alerts`` and ``gaps`` (the latest :data:`LIVE_ROWS`, newest first).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> live_status(Store(":memory:"))
    {'at': None, 'window_s': 3600, 'rising': [], 'alerts': [], 'gaps': []}
    """
    rules = AlertRules(window=window, history=max(window, AlertRules().history))
    try:
        at = _after_last_post(store)
    except NoDataError:
        return {"at": None, "window_s": rules.window_s, "rising": [], "alerts": [], "gaps": []}
    rising = scored_window(store, at, rules).head(top)
    return {
        "at": at.isoformat(),
        "window_s": rules.window_s,
        "rising": _records(rising.round({"expected": 3, "poisson": 2})),
        "alerts": _latest_alerts(store),
        "gaps": _latest_gaps(store),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    return orjson.loads(orjson.dumps(frame.to_dict("records"), default=str,
                                     option=orjson.OPT_SERIALIZE_NUMPY))  # fmt: skip


def _latest_alerts(store) -> list[dict]:
    rows = stored_alerts(store).tail(LIVE_ROWS).iloc[::-1]
    lines = [orjson.loads(body) for body in rows["body"]]
    return [{name: line.get(name) for name in _ALERT_FIELDS} for line in lines]


def _latest_gaps(store) -> list[dict]:
    if not store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'watch_gaps' "
        "AND database_name = current_database()"
    ).fetchall()[0][0]:
        return []
    frame = store.con.execute(
        "SELECT source, gap_from, gap_to, reason FROM watch_gaps ORDER BY gap_from DESC LIMIT ?",
        [LIVE_ROWS],
    ).df()
    return _records(frame)
