"""``window="auto"`` on Spark: the per-key step of CooRnet's window estimate in Spark SQL.

The estimate (:mod:`trendwatch.analysis.coordination.window`) ranks each key's actions in
time; that part reads every action and runs here, on the executors. It gives one row per key
acted on at least twice: ``second``, the seconds from its first to its second action, and
``to_half``, the seconds from its first action until more than ``p`` of its actions have
happened. The driver takes the two quantiles over those rows with the DuckDB engine's own
functions (:func:`~trendwatch.analysis.coordination.window.estimate_window_from_keys`).

Times are seconds as a double (microseconds / 1e6) and differences of those, as in the DuckDB
engine's SQL, so the two engines' per-key times are the same numbers. SQL text holds only our
own view name and a number formatted here.
"""

from __future__ import annotations

import uuid

import pyarrow as pa

from ..analysis.coordination.window import key_times_sql
from .spark_link import spark_actions

__all__ = ["key_times"]


def key_times(actions, *, p: float = 0.5) -> pa.Table:
    """Per key acted on twice: ``second`` and ``to_half`` (seconds), from an Ibis actions
    table over the PySpark backend."""
    session = actions.get_backend()._session
    view = f"tw_window_actions_{uuid.uuid4().hex[:8]}"
    spark_actions(actions).createOrReplaceTempView(view)
    try:
        return session.sql(key_times_sql(view, "spark", p)).toArrow()
    finally:
        session.catalog.dropTempView(view)
