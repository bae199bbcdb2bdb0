"""Assertions that two engines' results are the same (order-free where no order is defined)."""

from __future__ import annotations

import pandas as pd

EVIDENCE_ORDER = ["account_a", "account_b", "key", "post_a", "post_b"]


def same_frame(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal frames: the same columns, values and order; floats to 1e-12 (sums and medians may
    be added up in another order on another engine). A missing value is missing whether an
    engine says None or NaN (a column of nulls only has no type to keep)."""
    pd.testing.assert_frame_equal(
        _nulls_as_nan(left.reset_index(drop=True)),
        _nulls_as_nan(right.reset_index(drop=True)),
        check_dtype=False,
        check_exact=False,
        rtol=1e-12,
    )


def same_coordination(duck, spark) -> None:
    """Edges in the same ranked order, the same evidence rows, the same bounded keys."""
    assert len(duck.edges) == len(spark.edges)
    same_frame(duck.edges, spark.edges)
    evidence = [r.evidence.sort_values(EVIDENCE_ORDER) for r in (duck, spark)]
    same_frame(*evidence)
    same_frame(*(r.bounded_keys.sort_values(["n_actions", "key"]) for r in (duck, spark)))
    assert duck.params == spark.params


def _nulls_as_nan(frame: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in frame.columns if frame[c].isna().all()]
    return frame.assign(**{c: float("nan") for c in empty})
