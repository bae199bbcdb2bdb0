"""The data behind every report section, on hand-made stores with hand-worked numbers."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import orjson
import pandas as pd
import pytest

from tests.analysis.test_trends import level_and_sharp
from tests.conftest import add_posts, at, make_post
from tests.report.conftest import HOSTILE_TEXTS
from trendwatch.analysis.coordination import coordinate
from trendwatch.report import sections, views

ISO = "2024-03-01T12:{:02d}:00+00:00"


def test_plain_turns_numpy_pandas_and_nan_into_json_values():
    value = {
        1: np.int64(3),
        "f": np.float64(0.5),
        "nan": float("nan"),
        "t": pd.Timestamp("2024-03-01 12:00", tz="UTC"),
        "naive": pd.Timestamp("2024-03-01 12:00"),
        "nat": pd.NaT,
        "na": pd.NA,
        "list": (np.bool_(True), None),
    }
    assert views.plain(value) == {
        "1": 3, "f": 0.5, "nan": None, "t": "2024-03-01T12:00:00+00:00",
        "naive": "2024-03-01T12:00:00+00:00", "nat": None, "na": None, "list": [True, None],
    }  # fmt: skip


def test_lorenz_points_by_hand_and_thinned():
    assert views.lorenz_points([3, 1]) == [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    # Four equal accounts: the curve is the diagonal.
    assert views.lorenz_points([2, 2, 2, 2]) == [[i / 4, i / 4] for i in range(5)]
    assert views.lorenz_points([]) == [] and views.lorenz_points([0, 0]) == []
    long = views.lorenz_points(range(1, 10_001), max_points=50)
    assert len(long) == 50 and long[0] == [0.0, 0.0] and long[-1] == [1.0, 1.0]


def test_timeline_bucket_is_the_finest_with_at_most_500_buckets():
    assert views.timeline_bucket(timedelta(minutes=500)) == "1min"
    assert views.timeline_bucket(timedelta(minutes=501)) == "5min"
    assert views.timeline_bucket(timedelta(days=3)) == "15min"
    assert views.timeline_bucket(timedelta(days=5000)) == "1D"


def test_campaign_view_by_hand(alpha_store):
    view = views.campaign_view(alpha_store, ["#Alpha"])
    assert view["hashtags"] == ["alpha"]
    m = view["metrics"]
    assert (m["posts"], m["accounts"], m["gini"], m["repost_share"]) == (4, 2, 0.25, 0.25)
    timeline = view["timeline"]
    assert timeline["bucket"] == "1min"
    assert timeline["times"] == [ISO.format(i) for i in range(4)]
    assert timeline["series"] == [
        {"label": "posts", "values": [1, 1, 1, 1]},
        {"label": "unique accounts", "values": [1, 1, 1, 1]},
    ]
    # Every minute has one post: the first busiest minute is the peak; no 2,000th post.
    assert timeline["annotations"] == [{"label": "peak", "time": ISO.format(0)}]
    assert view["lorenz"] == {"points": [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]], "gini": 0.25}
    assert view["first_movers"] == [
        {"author_id": "a", "first_post": ISO.format(0), "posts_first_hour": 3, "handle": "alice"},
        {"author_id": "b", "first_post": ISO.format(2), "posts_first_hour": 1, "handle": None},
    ]
    assert view["amplifiers"] == [{"account": "a", "reposts": 1, "handle": "alice"}]
    orjson.dumps(view)  # JSON-ready: raises on NaN-free but non-JSON types


def test_campaign_timeline_counts_distinct_accounts_and_fills_gaps(store):
    posts = [
        make_post("1", "a", at(0), hashtags=("x",)),
        make_post("2", "a", at(0, 30), hashtags=("x",)),
        make_post("3", "b", at(0, 40), hashtags=("x",)),
        make_post("4", "c", at(3), hashtags=("x", "y")),
    ]
    add_posts(store, posts)
    timeline = views.campaign_view(store, ["x"])["timeline"]
    assert timeline["series"][0]["values"] == [3, 0, 0, 1]
    assert timeline["series"][1]["values"] == [2, 0, 0, 1]


def test_campaign_annotations_mark_onset_peak_and_the_2000th_post(store):
    # 2,100 posts, one every 2 s from minute 0, by 30 accounts: the 2,000th at 3,998 s;
    # before it, ten quiet hours of another hashtag (one post every 5 minutes).
    posts = [
        make_post(str(i), f"u{i % 30}", at(0, 2 * i), hashtags=("flood",)) for i in range(2100)
    ] + [make_post(f"q{i}", "q", at(-600 + 5 * i), hashtags=("quiet",)) for i in range(120)]
    add_posts(store, posts)
    chart = views.campaign_view(store, ["flood"])["timeline"]
    marks = {m["label"]: m["time"] for m in chart["annotations"]}
    assert marks["2,000 posts"] == "2024-03-01T13:06:38+00:00"  # 12:00 + 3,998 s
    assert marks["peak"] == "2024-03-01T12:00:00+00:00"  # 30 posts in every full minute
    assert marks["onset"] == "2024-03-01T12:00:00+00:00"  # the flood's first 1-hour bucket


def test_campaign_view_takes_its_onsets_from_the_archive_table(alpha_store):
    table = pd.DataFrame(
        {"hashtag": ["alpha", "beta"], "method": "kleinberg",
         "start": pd.to_datetime(["2024-03-01 11:00", "2024-03-01 10:00"], utc=True),
         "peak": pd.to_datetime(["2024-03-01 12:00"] * 2, utc=True),
         "end": pd.to_datetime(["2024-03-01 13:00"] * 2, utc=True),
         "peak_rate_per_min": [0.5, 1.0], "posts": [40, 50]}
    )  # fmt: skip
    view = views.campaign_view(alpha_store, ["alpha"], onset_table=table)
    assert [o["start"] for o in view["onsets"]] == ["2024-03-01T11:00:00+00:00"]
    assert view["timeline"]["annotations"][0] == {
        "label": "onset",
        "time": "2024-03-01T11:00:00+00:00",
    }


def test_summary_view_counts_and_span(alpha_store):
    view = views.summary_view(alpha_store)
    assert (view["posts"], view["authors"], view["accounts"]) == (4, 2, 1)
    assert (view["first"], view["last"], view["span"]) == (ISO.format(0), ISO.format(3), "3 min")
    assert view["kinds"] == {"post": 3, "repost": 1} and view["platforms"] == {"x": 4}
    assert view["top_hashtags"] == [{"hashtag": "alpha", "posts": 4}]
    assert view["top_findings"] == []  # fewer than 20 posts: no onset


def test_trending_view_has_every_scorer(alpha_store):
    view = views.trending_view(alpha_store)
    assert view["at"] == "2024-03-01T12:03:01+00:00" and view["window_s"] == 3600
    row = view["trends"][0]
    assert set(row) >= {"hashtag", "posts", "accounts", "surge", "ratio", "kleinberg", "zscore"}
    assert (row["hashtag"], row["posts"], row["accounts"], row["reposts"]) == ("alpha", 4, 2, 1)
    assert row["ratio"] == 5.0  # (4 + 1) / (0 + 1)


def test_trending_view_follows_the_default_ranking_and_says_what_it_leaves_out(store):
    level_and_sharp(store)  # onsets: #sharp (120 posts in an hour), then #level (300 in ten)
    view = views.trending_view(store, top=1)
    assert (view["method"], view["onset_method"]) == ("poisson", "poisson")
    assert [o["hashtag"] for o in view["onsets"]] == ["sharp"] and view["onsets_total"] == 2
    assert view["onsets"][0]["excess_per_min"] == pytest.approx((120 - 1 / 24) / 60)
    assert len(view["trends"]) == 1 and view["total"] == 2  # #bg and #level in the last hour
    html = sections.trending_section(view)
    assert "ranked by poisson" in html and "The first 1 of 2 onsets." in html
    assert "The first 1 of 2 hashtags of the window." in html


def test_summary_lists_the_sharpest_onsets(store):
    level_and_sharp(store)
    view = views.summary_view(store)
    assert [f["hashtag"] for f in view["top_findings"]] == ["sharp", "level"]
    assert "All 2 onsets." in sections.summary_section(view, [])


def test_trending_view_on_an_empty_store_is_empty(store):
    view = views.trending_view(store)
    assert view["trends"] == [] and view["onsets"] == [] and view["at"] is None


def test_top_campaigns_takes_the_biggest_onsets_each_hashtag_once():
    table = pd.DataFrame(
        {"hashtag": ["a", "b", "a", "c"], "posts": [50, 40, 90, 10],
         "start": pd.to_datetime(["2024-01-01"] * 4, utc=True)}
    )  # fmt: skip
    assert views.top_campaigns(None, 2, onset_table=table) == ["a", "b"]
    assert views.top_campaigns(None, 5, onset_table=table) == ["a", "b", "c"]


def test_groups_view_nodes_edges_and_evidence(trio_store):
    view = views.groups_view(trio_store, ["tag"], record=False)
    assert [g["size"] for g in view["groups"]] == [3]
    assert view["nodes"] == [
        {"id": "a1", "handle": "<b>\u202eadmin", "group": 1, "posts": 6, "age_days": 10.0,
         "followers": 5},
        {"id": "a2", "handle": "two", "group": 1, "posts": 6, "age_days": 20.0, "followers": 7},
        {"id": "a3", "handle": "three", "group": 1, "posts": 6, "age_days": None,
         "followers": None},
    ]  # fmt: skip
    assert [
        {k: e[k] for k in ("a", "b", "weight", "events", "methods")} for e in view["edges"]
    ] == [
        {"a": a, "b": b, "weight": 6, "events": 6, "methods": ["co-retweet"]}
        for a, b in (("a1", "a2"), ("a1", "a3"), ("a2", "a3"))
    ]
    assert all(e["q_value"] <= 1e-4 for e in view["edges"])
    assert view["verdict"]["finding"] == "coordinated core"
    first = view["evidence"]["a1|a3"]
    assert [p["key"] for p in first] == ["o0", "o1", "o2"]  # three per edge, earliest first
    assert (first[0]["post_a"], first[0]["post_b"], first[0]["gap_s"]) == ("a1-0", "a3-0", 2.0)
    assert view["posts"]["a3-0"] == HOSTILE_TEXTS[0]
    assert view["runs"] == {"co-retweet": None}  # record=False
    assert view["params"]["hashtags"] == ["tag"] and view["network_accounts"] == 3
    orjson.dumps(view)


def test_groups_view_caps_edges_and_evidence(trio_store):
    view = views.groups_view(trio_store, ["tag"], record=False, max_edges=1, evidence_per_edge=1)
    assert len(view["edges"]) == 1 and list(view["evidence"]) == ["a1|a2"]
    assert len(view["evidence"]["a1|a2"]) == 1


def test_largest_groups_keeps_whole_groups_up_to_the_cap():
    members = pd.DataFrame({"account_id": list("abcdefg"), "group_id": [1, 1, 1, 2, 2, 3, 3]})
    kept = views._largest_groups(members, 5)
    assert kept["account_id"].tolist() == list("abcde")
    assert views._largest_groups(members, 2)["group_id"].unique().tolist() == [1]  # never empty
    assert views._largest_groups(members.iloc[:0], 5).empty


def test_evidence_view_reads_the_stored_runs_in_either_order(trio_store):
    views.groups_view(trio_store, ["tag"])  # writable store: records the run
    view = views.evidence_view(trio_store, "a2", "a1")
    assert (view["account_a"], view["account_b"]) == ("a1", "a2")
    assert (view["handle_a"], view["handle_b"]) == ("<b>\u202eadmin", "two")
    assert len(view["pairs"]) == 6  # six reposted posts, 1 s apart
    pair = view["pairs"][4]
    assert (pair["method"], pair["key"], pair["gap_s"]) == ("co-retweet", "o4", 1.0)
    assert pair["text_a"] == pair["text_b"] == HOSTILE_TEXTS[4]
    assert pair["time_a"] == "2024-03-01T12:20:00+00:00"
    run = views.methods_view(trio_store)["runs"]
    assert [r["kind"] for r in run] == ["coordination:co-retweet", "groups"]
    assert pair["run_id"] == run[0]["run_id"] and run[0]["params"]["window_s"] == 60


def test_evidence_view_skips_a_later_run_that_does_not_link_the_pair(trio_store):
    views.groups_view(trio_store, ["tag"])
    coordinate(trio_store, "co-retweet", window=60, min_weight=1000)  # later, no edges
    assert len(views.evidence_view(trio_store, "a1", "a2")["pairs"]) == 6


def test_evidence_view_without_runs_is_empty(alpha_store):
    assert views.evidence_view(alpha_store, "a", "b")["pairs"] == []


def test_comparison_view_shares_one_axis(store):
    add_posts(
        store,
        [make_post(f"a{i}", "a", at(i), hashtags=("attack",)) for i in range(3)]
        + [make_post(f"b{i}", f"u{i}", at(2 + i), hashtags=("reply",)) for i in range(2)],
    )
    view = views.comparison_view(store, "attack", "reply")
    chart = view["timeline"]
    assert chart["bucket"] == "1min" and chart["times"][0] == ISO.format(0)
    assert chart["series"] == [
        {"label": "#attack", "values": [1, 1, 1, 0]},
        {"label": "#reply", "values": [0, 0, 1, 1]},
    ]
    overlap = view["overlap"]
    assert (overlap["accounts_in_both"], overlap["jaccard"]) == (0, 0.0)
    assert overlap["more_concentrated"] is None  # both Gini 0: one account / two equal ones
    assert view["a"]["posts"] == 3 and view["b"]["accounts"] == 2


def test_quality_view_counts_quarantine_by_reason_and_file(store):
    add_posts(store, [make_post("1", "a", source="Web"), make_post("2", "b", source="Web")])
    store.write_batch(
        quarantine=[("f.jsonl", 1, "{", "bad JSON"), ("f.jsonl", 2, "{", "bad JSON"),
                    ("g.csv", 7, "x", "no id")]
    )  # fmt: skip
    view = views.quality_view(store)
    assert view["quarantined"] == 3
    assert view["top_reasons"] == [
        {"reason": "bad JSON", "records": 2},
        {"reason": "no id", "records": 1},
    ]
    assert view["quarantine_by_file"] == [
        {"file": "f.jsonl", "quarantined": 2},
        {"file": "g.csv", "quarantined": 1},
    ]
    assert view["posts_by_client"] == [{"client": "Web", "posts": 2}]


def test_methods_view_lists_only_the_asked_runs(store):
    first = store.record_run("coordination:co-tweet", {"window": 10}, {})
    store.record_run("coordination:co-link", {"window": 20}, {})
    view = views.methods_view(store, [first])
    assert [r["run_id"] for r in view["runs"]] == [first]
    assert view["runs"][0]["params"] == {"window": 10}
    assert len(views.methods_view(store)["runs"]) == 2
    assert view["trend_methods"] == ["poisson", "surge", "ratio", "kleinberg", "zscore"]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_views_keep_hostile_text_as_data(store, text):
    """Views do not escape: they return the text as it is; rendering escapes it."""
    add_posts(store, [make_post("1", "a", at(0), hashtags=("h",), text=text)])
    assert store.post_texts(["1"], views.TEXT_CHARS) == {"1": text}


def test_groups_view_scope_takes_the_time_slice(trio_store):
    # a1 posts once more at minute 100: in the scope without `until`, not in the one with it.
    add_posts(trio_store, [make_post("late", "a1", at(100), hashtags=("tag",))])
    whole = views.groups_view(trio_store, ["tag"], record=False)
    early = views.groups_view(trio_store, ["tag"], until="2024-03-01T12:50:00Z", record=False)
    assert [n["posts"] for n in whole["nodes"]] == [7, 6, 6]
    assert [n["posts"] for n in early["nodes"]] == [6, 6, 6]
    assert early["scope"]["until"] == "2024-03-01T12:50:00+00:00"
