"""NumPy's huge-page request is off while the coordination engine links, and restored after."""

from __future__ import annotations

import datetime as dt
import importlib

import pyarrow as pa
import pytest

from trendwatch.analysis.coordination import coordinate, link
from trendwatch.hugepages import _setter, numpy_huge_pages_off
from trendwatch.store import Store

engine = importlib.import_module("trendwatch.analysis.coordination.engine")
set_huge_pages = _setter()
pytestmark = pytest.mark.skipif(set_huge_pages is None, reason="this NumPy has no such setting")


def huge_pages_requested() -> bool:
    # The setter returns the setting it replaces: set it back at once.
    value = set_huge_pages(True)
    set_huge_pages(value)
    return value


@pytest.fixture
def huge_pages_state():
    before = huge_pages_requested()
    yield
    set_huge_pages(before)


@pytest.mark.parametrize("requested", [True, False])
def test_the_switch_restores_the_setting_it_found(huge_pages_state, requested):
    set_huge_pages(requested)
    with numpy_huge_pages_off():
        assert not huge_pages_requested()
    assert huge_pages_requested() is requested


def test_the_switch_is_restored_when_the_body_fails(huge_pages_state):
    set_huge_pages(True)
    with pytest.raises(RuntimeError), numpy_huge_pages_off():
        raise RuntimeError("link failed")
    assert huge_pages_requested()


def spy_on_pair_join(monkeypatch) -> list[bool]:
    seen = []
    pair_join = engine.pair_join

    def spying_pair_join(*args):
        seen.append(huge_pages_requested())
        return pair_join(*args)

    monkeypatch.setattr(engine, "pair_join", spying_pair_join)
    return seen


def test_link_and_coordinate_run_without_huge_pages(huge_pages_state, monkeypatch):
    seen = spy_on_pair_join(monkeypatch)
    set_huge_pages(True)
    t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    acts = pa.table(
        {"account_id": ["a", "b"], "key": ["k", "k"], "time": [t, t], "post_id": ["1", "2"]}
    )
    assert len(link(acts, window_s=10).edges) == 1
    coordinate(Store(":memory:"), "co-retweet", record=False)
    assert seen == [False, False]
    assert huge_pages_requested()
