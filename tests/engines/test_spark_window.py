"""``window="auto"`` on Spark gives the DuckDB engine's window (CooRnet's estimate)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.window import (
    estimate_window,
    estimate_window_from_keys,
)
from trendwatch.errors import NoDataError, ParameterError

pytestmark = pytest.mark.spark


def test_the_ring_window_by_hand(case_engines):
    _, spark = case_engines
    # Each reposted post: 5 reposts 4 s apart. Second action 4 s after the first on all three
    # keys (all quick); more than half the actions (the 3rd of 5) 8 s after: median 8 s.
    found = estimate_window(spark, "co-retweet")
    assert (found.window_s, found.keys_used) == (8.0, 3)


@pytest.mark.parametrize("method", ["co-retweet", "co-hashtag", "co-tweet", "sync-post"])
def test_the_same_window_as_duckdb(case_engines, method):
    duck, spark = case_engines
    assert estimate_window(spark, method) == estimate_window(duck, method)


def test_coordinate_with_window_auto(case_engines):
    duck, spark = case_engines
    left = coordinate(duck, "co-hashtag", window="auto", record=False)
    right = coordinate(spark, "co-hashtag", window="auto", record=False)
    assert left.params == right.params and right.params["window"] == "auto"
    assert left.edges[["account_a", "account_b", "weight"]].values.tolist() == (
        right.edges[["account_a", "account_b", "weight"]].values.tolist()
    )


def test_scope_and_shares_on_spark(case_engines):
    duck, spark = case_engines
    from trendwatch.analysis.coordination.engine import _scope

    scope = _scope(["push"], "2024-03-01T12:00", None, None)
    for q, p in [(0.5, 0.3), (1.0, 0.9)]:
        assert estimate_window(spark, "co-hashtag", scope=scope, q=q, p=p) == estimate_window(
            duck, "co-hashtag", scope=scope, q=q, p=p
        )
    with pytest.raises(ParameterError, match="0 < p < 1"):
        estimate_window(spark, "co-retweet", p=1.0)
    with pytest.raises(NoDataError, match="no key was acted on twice"):
        estimate_window(spark, "co-reply-account", scope=_scope(["daily"], None, None, None))


def test_the_driver_step_by_hand():
    keys = pa.table({"second": [1.0, 2.0, 3.0, 50.0], "to_half": [4.0, 6.0, 7.0, 90.0]})
    # q = 0.5 over 1, 2, 3, 50: 2.5 (interpolated); keys with 1 and 2 are quick: median 5.
    assert estimate_window_from_keys(keys, q=0.5).window_s == 5.0
    # q = 1: every key; median of 4, 6, 7, 90 is 6.5.
    assert estimate_window_from_keys(keys, q=1.0).window_s == 6.5
    # A window under a second is raised to one.
    tiny = pa.table({"second": [0.1], "to_half": [0.2]})
    assert estimate_window_from_keys(tiny).window_s == 1.0
    with pytest.raises(NoDataError):
        estimate_window_from_keys(pa.table({"second": pa.array([], pa.float64()),
                                            "to_half": pa.array([], pa.float64())}))  # fmt: skip
