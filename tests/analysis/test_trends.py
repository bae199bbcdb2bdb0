"""The trending list and onsets on hand-made stores; the CLI; hashtag games on the IRA archive."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.trends import TrendParams, onsets, trending
from trendwatch.cli import cli
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.store import Store


def hot_and_calm():
    """Hour before T0: #hot 2 accounts, #calm 3. Hour after T0: #hot 8 accounts, #calm 3."""
    posts = [make_post(f"h0{i}", f"h{i}", at(-30 + i), hashtags=("hot",)) for i in range(2)]
    posts += [make_post(f"h1{i}", f"h{i}", at(10 + i), hashtags=("hot",)) for i in range(8)]
    posts += [make_post(f"c{h}{i}", f"c{i}", at(60 * h - 40 + i), hashtags=("calm",))
              for h in (0, 1) for i in range(3)]  # fmt: skip
    posts.append(make_post("late", "h1", at(90), hashtags=("hot",)))  # after --at: ignored
    return posts


@pytest.fixture
def small(store):
    add_posts(store, hot_and_calm())
    return store


def test_trending_list_scores_side_by_side(small):
    result = trending(small, at=at(60), window="1h", method="surge")
    table = result.table.set_index("hashtag")
    assert list(table.index) == ["hot", "calm"]
    hot, calm = table.loc["hot"], table.loc["calm"]
    assert (hot["posts"], hot["accounts"]) == (8, 8)
    assert hot["surge"] == pytest.approx((8 - 2) ** 2 / 2)  # o=8, e=2
    assert hot["ratio"] == pytest.approx(9 / 3)
    assert hot["zscore"] == pytest.approx(8.0)  # baseline [2, 0, ...]: median 0, spread 1
    assert (calm["surge"], calm["ratio"], calm["zscore"]) == (0.0, 1.0, 3.0)
    assert set(table["kleinberg"]) <= {0, 1, 2}


def test_trending_decays_an_earlier_surge(small):
    # One hour later #hot has 1 post (the 'late' one); its surge of 18 has halved... once
    # per 30 min half-life, twice in the hour: 18 / 4.
    result = trending(small, at=at(120), params=TrendParams(half_life=timedelta(minutes=30)))
    assert result.table.set_index("hashtag").loc["hot", "surge"] == pytest.approx(18 / 4)


def test_trending_top_and_method(small):
    result = trending(small, at=at(60), method="ratio", top=1)
    assert result.table["hashtag"].tolist() == ["hot"]
    with pytest.raises(ParameterError):
        trending(small, method="nope")
    with pytest.raises(ParameterError):
        trending(small, window="often")


def test_trending_needs_posts(store):
    with pytest.raises(NoDataError):
        trending(store)


def burst_store(store):
    """12 hours of 100 posts (10 with #bg); #g: 1 post in hours 0, 3, 11 and 40 in hour 6."""
    posts = [make_post(f"b{h}-{i}", f"b{i}", at(60 * h + i / 2), hashtags=("bg",) if i < 10 else ())
             for h in range(12) for i in range(100)]  # fmt: skip
    posts += [make_post(f"g{h}", "g", at(60 * h + 30), hashtags=("g",)) for h in (0, 3, 11)]
    posts += [make_post(f"g6-{i}", f"g{i % 20}", at(360 + i), hashtags=("g",)) for i in range(40)]
    add_posts(store, posts)
    return store


def test_kleinberg_onset_of_a_burst(store):
    found = onsets(burst_store(store), window="1h", method="kleinberg", min_posts=20)
    assert found["hashtag"].tolist() == ["g"]
    row = found.iloc[0]
    assert (row["start"], row["peak"], row["end"]) == (
        pd.Timestamp(T0 + timedelta(hours=6)),
        pd.Timestamp(T0 + timedelta(hours=6)),
        pd.Timestamp(T0 + timedelta(hours=7)),
    )
    assert row["peak_rate_per_min"] == pytest.approx(40 / 60)
    assert (row["posts"], row["accounts_peak"]) == (40, 20)


def test_ratio_onsets_follow_the_rule(store):
    # #g per hour: 1, 10, 12, 1 -> ratios 2, 5.5, 13/11, 2/13: hours 0-1 flagged (11 posts)
    counts = {0: 1, 1: 10, 2: 12, 3: 1}
    add_posts(store, [make_post(f"{h}-{i}", f"u{i}", at(60 * h + i), hashtags=("g",))
                      for h, n in counts.items() for i in range(n)])  # fmt: skip
    found = onsets(store, method="ratio", min_posts=5)
    assert found[["posts"]].values.tolist() == [[11]]
    assert found.iloc[0]["peak"] == pd.Timestamp(T0 + timedelta(hours=1))
    assert onsets(store, method="ratio", min_posts=20).empty


def test_cli_trends_and_onsets_json(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as target:
        burst_store(target)
    runner = CliRunner()
    result = runner.invoke(cli, ["trends", "--db", str(db), "--onsets", "--json"])
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.output)
    keys = {"hashtag", "method", "start", "peak", "end", "peak_rate_per_min", "posts"}
    assert keys <= set(rows[0]) and rows[0]["start"] == "2024-03-01T18:00:00+00:00"
    listing = runner.invoke(cli, ["trends", "--db", str(db), "--at", "2024-03-01T18:30Z"])
    assert listing.exit_code == 0 and "g" in listing.output
    bad = runner.invoke(cli, ["trends", "--db", str(db), "--window", "soon"])
    assert bad.exit_code == 1 and "not a duration" in bad.output


# The IRA's hashtag games, with the day their burst started (found in the data: 2016-08-31
# 14:11, 2016-11-28 14:02 and 2016-12-28 15:06 UTC).
HASHTAG_GAMES = {
    "igetdepressedwhen": "2016-08-31",
    "todolistbeforechristmas": "2016-11-28",
    "2016in4words": "2016-12-28",
}


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("method", ["kleinberg", "surge"])
def test_ira_hashtag_games_are_onsets_on_their_real_dates(ira_store, method):
    found = onsets(ira_store, method=method, hashtags=list(HASHTAG_GAMES), min_posts=200)
    for tag, day in HASHTAG_GAMES.items():
        biggest = found[found["hashtag"] == tag].sort_values("posts").iloc[-1]
        assert biggest["start"].strftime("%Y-%m-%d") == day, tag
        assert biggest["peak_rate_per_min"] > 10
