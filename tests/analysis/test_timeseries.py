"""Hashtag series: counts per bucket on a hand-made store; duration and time parsing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.timeseries import (
    Buckets,
    bucket_totals,
    hashtag_series,
    history_start,
    parse_at,
    parse_duration,
)
from trendwatch.errors import ParameterError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5min", 300), ("5m", 300), ("1h", 3600), ("1d", 86400), ("1.5h", 5400)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "5x", "-1h", "0.5s", "1.5s", "1 week"])
def test_parse_duration_rejects_bad_input(text):
    with pytest.raises(ParameterError):
        parse_duration(text)


def test_parse_at_reads_iso_and_rejects_garbage():
    assert parse_at("2024-03-01T12:00") == T0
    assert parse_at(None) is None
    with pytest.raises(ParameterError):
        parse_at("yesterday-ish")


@pytest.fixture
def small(store):
    add_posts(
        store,
        [
            make_post(1, "a", at(0), hashtags=("x", "y", "x")),  # x repeated: counts once
            make_post(2, "a", at(10), kind="repost", hashtags=("x",)),
            make_post(3, "b", at(20), kind="reply", hashtags=("x",)),
            make_post(4, "c", at(70), hashtags=("x",)),
            make_post(5, "d", at(5)),  # no hashtag: only in the totals
            make_post(6, "e", at(1), hashtags=("x",), collected=False),  # context: never counts
        ],
    )
    return store


def test_series_counts_posts_accounts_originals_reposts(small):
    frame = hashtag_series(small, Buckets(timedelta(hours=1), origin=T0))
    rows = frame[["hashtag", "bucket", "posts", "accounts", "originals", "reposts"]]
    assert rows.values.tolist() == [
        ["x", 0, 3, 2, 1, 1],
        ["x", 1, 1, 1, 1, 0],
        ["y", 0, 1, 1, 1, 0],
    ]
    assert frame["start"].tolist()[:2] == [T0, T0 + timedelta(hours=1)]


def test_series_buckets_follow_the_origin(small):
    # posts of x at minutes 0, 10, 20, 70; buckets of 15 min counted from minute 5
    frame = hashtag_series(small, Buckets(timedelta(minutes=15), origin=at(5)), hashtags=["x"])
    assert frame[["bucket", "posts"]].values.tolist() == [[-1, 1], [0, 1], [1, 1], [4, 1]]


def test_series_before_excludes_later_posts(small):
    frame = hashtag_series(small, Buckets(timedelta(hours=1)), hashtags=["x"], before=at(15))
    assert frame["posts"].sum() == 2


def test_bucket_totals_count_every_collected_post(small):
    totals = bucket_totals(small, Buckets(timedelta(hours=1), origin=T0))
    assert totals.values.tolist() == [[0, 4], [1, 1]]


def test_position_of_counts_the_elapsed_fraction_of_a_bucket():
    hours = Buckets(timedelta(hours=1), origin=T0)  # T0 is 12:00
    assert hours.position_of(at(-73)) == pytest.approx(-2 + 47 / 60)  # 10:47
    assert hours.position_of(at(0)) == 0.0 and hours.index_of(at(-73)) == -2
    assert Buckets(timedelta(minutes=10)).position_of(at(5)) == pytest.approx(
        Buckets(timedelta(minutes=10)).index_of(at(0)) + 0.5
    )


def test_history_starts_at_the_first_collected_post(store):
    assert history_start(store, Buckets(timedelta(hours=1), origin=T0)) is None
    add_posts(store, [make_post("a", "u", at(-73), hashtags=("x",)),
                      make_post("b", "u", at(-10)),  # no hashtag: still collected history
                      make_post("ctx", "v", at(-600), collected=False)])  # fmt: skip
    # the context post (a quoted post, say) is no collected history: the start is 10:47
    assert history_start(store, Buckets(timedelta(hours=1), origin=T0)) == pytest.approx(-73 / 60)
