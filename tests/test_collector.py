"""The cyclic garbage collector is paused while files are read, and restored afterwards."""

from __future__ import annotations

import gc
import importlib

import pytest

from trendwatch.collector import cycle_collection_paused
from trendwatch.ingest import ingest

ingest_module = importlib.import_module("trendwatch.ingest")  # (the package exports the function)


@pytest.fixture
def collector_state():
    before = gc.isenabled()
    yield
    gc.enable() if before else gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_pause_restores_the_state_it_found(collector_state, enabled):
    gc.enable() if enabled else gc.disable()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


def test_the_pause_ends_when_the_body_fails(collector_state):
    gc.enable()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        raise RuntimeError("reader failed")
    assert gc.isenabled()


def test_ingest_reads_without_the_collector_and_turns_it_back_on(
    collector_state, tmp_path, monkeypatch
):
    seen = []
    consume = ingest_module._FileWriter.consume

    def spying_consume(*args):
        seen.append(gc.isenabled())
        return consume(*args)

    monkeypatch.setattr(ingest_module._FileWriter, "consume", spying_consume)
    path = tmp_path / "t.jsonl"
    path.write_text('{"data": [{"id": "1", "author_id": "2", "text": "hi"}]}\n')
    gc.enable()
    report = ingest([path, tmp_path / "missing.jsonl"], db=":memory:")
    assert seen == [False]
    assert report.totals["read"] == 1 and report.files[1].error
    assert gc.isenabled()
