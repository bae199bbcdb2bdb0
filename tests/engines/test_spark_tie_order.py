"""Ties under the hot-key bound on Spark (local[2]): the pairs of the documented tie order.

The hand cases of tests/coordination/test_tie_order.py (post ids and account ids that sort
differently as bytes and under any case- or accent-aware collation), linked by Spark's pair
join with the bound cutting among the tied actions: the pairs, weights, evidence and bounded
keys are those worked out by hand, and the DuckDB fast path's.
"""

from __future__ import annotations

import pytest

from tests.coordination.test_fast_join import acts, evidence_rows
from tests.coordination.test_tie_order import SAME_POST, SAME_POST_EDGES, TIED, TIED_EDGES, linked
from trendwatch.analysis.coordination import link
from trendwatch.engines.spark_link import pair_join_frame

pytestmark = pytest.mark.spark

PARAMS = {
    "window_s": 10,
    "max_key_fanout": 2,
    "max_key_pairs": 5,
    "min_participation": 1,
    "min_weight": 1,
    "min_symmetry": 0.0,
    "weight_percentile": None,
    "tfidf": False,
}


def test_spark_keeps_the_pairs_of_the_documented_tie_order(spark):
    # A budget of 5 pairs lowers the fanout of 2 to 1 on both hot keys (see the DuckDB test).
    table = acts([*TIED, *SAME_POST, ("x", "calm", 0, "1"), ("y", "calm", 0, "2")])
    found = pair_join_frame(spark, spark.createDataFrame(table.to_pandas()), PARAMS)
    assert linked(found) == sorted([*TIED_EDGES, *SAME_POST_EDGES, ("x", "y")])
    assert found.edges["weight"].tolist() == [1] * 10
    fast = link(table, **{k: v for k, v in PARAMS.items() if k != "tfidf"})
    assert evidence_rows(found.evidence.to_pandas()) == evidence_rows(fast.evidence)
    bounded = found.bounded_keys.sort_values("key").to_dict("records")
    assert bounded == fast.bounded_keys.sort_values("key").to_dict("records")
