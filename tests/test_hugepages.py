"""Transparent huge pages are off while the coordination engine links, and what was set
before is put back after (Linux's prctl; elsewhere nothing changes)."""

from __future__ import annotations

import datetime as dt
import importlib

import pyarrow as pa
import pytest

from trendwatch.analysis.coordination import coordinate, link
from trendwatch.hugepages import _set_thp_disabled, huge_pages_off, thp_disabled
from trendwatch.store import Store

engine = importlib.import_module("trendwatch.analysis.coordination.engine")
minhash = importlib.import_module("trendwatch.analysis.coordination.minhash")
pytestmark = pytest.mark.skipif(thp_disabled() is None, reason="no prctl(PR_GET_THP_DISABLE)")


@pytest.fixture
def thp_state():
    before = thp_disabled()
    yield
    _set_thp_disabled(before)


@pytest.mark.parametrize("disabled", [True, False])
def test_the_switch_restores_the_setting_it_found(thp_state, disabled):
    _set_thp_disabled(disabled)
    with huge_pages_off():
        assert thp_disabled()
    assert thp_disabled() is disabled


def test_the_switch_is_restored_when_the_body_fails(thp_state):
    _set_thp_disabled(False)
    with pytest.raises(RuntimeError), huge_pages_off():
        raise RuntimeError("link failed")
    assert thp_disabled() is False


def test_overlapping_uses_restore_only_when_the_last_one_leaves(thp_state):
    # Two links in two threads: the first may finish while the second still runs. Each
    # switching alone, the first would turn huge pages back on under the second, and the
    # second would then leave them off for good.
    _set_thp_disabled(False)
    first, second = huge_pages_off(), huge_pages_off()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert thp_disabled()
    second.__exit__(None, None, None)
    assert thp_disabled() is False


def spy_on(monkeypatch, module, name: str) -> list[bool | None]:
    """Record, at each call of ``module.name``, whether huge pages are off."""
    seen = []
    function = getattr(module, name)

    def spying(*args):
        seen.append(thp_disabled())
        return function(*args)

    monkeypatch.setattr(module, name, spying)
    return seen


def test_co_similar_links_without_huge_pages(thp_state, monkeypatch):
    seen = spy_on(monkeypatch, minhash, "_link_similar")
    _set_thp_disabled(False)
    coordinate(Store(":memory:"), "co-similar", record=False)
    assert seen == [True]
    assert thp_disabled() is False


def test_link_and_coordinate_run_without_huge_pages(thp_state, monkeypatch):
    seen = spy_on(monkeypatch, engine, "pair_join")
    _set_thp_disabled(False)
    t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    acts = pa.table(
        {"account_id": ["a", "b"], "key": ["k", "k"], "time": [t, t], "post_id": ["1", "2"]}
    )
    assert len(link(acts, window_s=10).edges) == 1
    coordinate(Store(":memory:"), "co-retweet", record=False)
    assert seen == [True, True]
    assert thp_disabled() is False


@pytest.mark.parametrize("fixture", ["tabular/ira.csv", "x_v2/pages.jsonl"])
def test_ingest_reads_and_writes_without_huge_pages(thp_state, monkeypatch, tmp_path, fixture):
    from tests.conftest import FIXTURES
    from trendwatch import ingest

    seen = spy_on(monkeypatch, Store, "write_batch")
    _set_thp_disabled(False)
    report = ingest([FIXTURES / fixture], tmp_path / "s.duckdb")
    assert report.totals["added"] > 0
    assert seen and set(seen) == {True}
    assert thp_disabled() is False
