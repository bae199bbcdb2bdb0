"""The default trending list and onsets against the simulator's ground truth, over seeds.

Nothing here depends on the simulator's counts: each check reads the truth (attack and
counter hashtags, the attack's first and last coordinated posts) and the archive itself (the
hour each campaign was busiest), so it holds as the simulator grows new campaign shapes.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from trendwatch.analysis.timeseries import Buckets, hashtag_series
from trendwatch.analysis.trends import onsets, trending
from trendwatch.cli.options import DEFAULT_TOP
from trendwatch.ingest import ingest
from trendwatch.simulate import simulate
from trendwatch.store import Store

SEEDS = (1, 2, 3, 4, 5)
SCALE = 0.3
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def simulated(request, tmp_path_factory):
    """A small simulated archive, ingested: (store, truth)."""
    out = tmp_path_factory.mktemp(f"sim{request.param}")
    truth = simulate(out / "archive", seed=request.param, scale=SCALE)
    ingest(sorted((out / "archive").glob("*.jsonl")), out / "sim.duckdb")
    with Store(out / "sim.duckdb", read_only=True) as store:
        yield store, truth


def busiest_hour_end(store, hashtag: str) -> pd.Timestamp:
    """The end of the clock hour in which ``hashtag`` had the most posts."""
    series = hashtag_series(store, Buckets(HOUR), hashtags=[hashtag])
    return series.loc[series["posts"].idxmax(), "start"] + HOUR


def test_at_the_attack_peak_the_attack_leads_the_list(simulated):
    store, truth = simulated
    table = trending(store, at=busiest_hour_end(store, truth.attack_hashtag)).table
    assert table["hashtag"].iloc[0] == truth.attack_hashtag


def test_at_its_height_the_counter_campaign_is_in_the_top_three(simulated):
    store, truth = simulated
    table = trending(store, at=busiest_hour_end(store, truth.counter_hashtag)).table
    assert truth.counter_hashtag in table["hashtag"].head(3).tolist()


def test_the_attack_onset_is_listed_on_its_real_dates(simulated):
    store, truth = simulated
    found = onsets(store).head(DEFAULT_TOP)  # what `trendwatch trends --onsets` shows
    attack = found[found["hashtag"] == truth.attack_hashtag]
    assert not attack.empty, found[["hashtag", "start", "posts"]]
    first = attack.iloc[0]  # the sharpest of its onsets
    start, end = pd.Timestamp(truth.attack_start), pd.Timestamp(truth.attack_end)
    assert start - HOUR <= first["start"] <= start  # the hour bucket holding its first post
    assert first["start"] <= first["peak"] <= end
    assert end - HOUR <= first["end"] <= end + 2 * HOUR  # ends with the attack, not later
