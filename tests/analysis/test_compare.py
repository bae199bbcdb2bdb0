"""Comparison of two hand-made campaigns: overlap, bridges, concentration, time axis."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.compare import compare


@pytest.fixture
def two(store):
    """#a: u1 ×3 and u2 (a post carrying #a and #b); #b: that post, u3 and u4."""
    add_posts(
        store,
        [
            make_post(1, "u1", at(0), hashtags=("a",)),
            make_post(2, "u1", at(1), hashtags=("a",)),
            make_post(3, "u1", at(2), hashtags=("a",)),
            make_post(4, "u2", at(3), hashtags=("a", "b")),
            make_post(5, "u3", at(4), hashtags=("b",)),
            make_post(6, "u4", at(5), hashtags=("b",)),
        ],
    )
    return store


def test_overlap(two):
    overlap = compare(two, "a", "b").overlap
    assert overlap["accounts_a"] == 2 and overlap["accounts_b"] == 3
    assert overlap["accounts_in_both"] == 1
    assert overlap["jaccard"] == pytest.approx(1 / 4)  # {u2} / {u1, u2, u3, u4}
    assert (overlap["bridging_posts"], overlap["bridging_accounts"]) == (1, 1)


def test_concentration(two):
    overlap = compare(two, "a", "b").overlap
    # a: counts [3, 1] -> Gini 0.25; b: [1, 1, 1] -> 0
    assert overlap["more_concentrated"] == "a"
    assert overlap["gini_difference"] == pytest.approx(0.25)
    assert overlap["top50_share_ratio"] == pytest.approx(1.0)


def test_timeline_puts_both_on_one_axis(two):
    result = compare(two, ["a"], ["b"])
    timeline = result.timeline
    assert timeline["a"].tolist() == [1, 1, 1, 1, 0, 0]
    assert timeline["b"].tolist() == [0, 0, 0, 1, 1, 1]
    data = result.to_dict()
    assert set(data) >= {"a", "b", "overlap"}
    assert data["a"]["posts"] == 4 and data["b"]["posts"] == 3
    assert data["timeline"][0]["start"] == "2024-03-01T12:00:00+00:00"


def test_compare_command(two, tmp_path):
    from click.testing import CliRunner

    from trendwatch.cli import cli
    from trendwatch.store import Store

    db = tmp_path / "c.duckdb"
    with Store(db) as target:
        rows = two.con.sql("SELECT * EXCLUDE (text_norm, ingested_at) FROM posts")
        target.write_batch(rows.to_arrow_table())
    runner = CliRunner()
    as_json = runner.invoke(cli, ["compare", "a", "b", "--db", str(db), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert orjson.loads(as_json.output)["overlap"]["accounts_in_both"] == 1
    text = runner.invoke(cli, ["compare", "#a", "#b", "--db", str(db)])
    assert "A: #a: 4 posts in 3 min from 2 accounts" in text.output
    assert "A is more concentrated (Gini +0.25)" in text.output
    campaign_text = runner.invoke(cli, ["campaign", "b", "--db", str(db)])
    assert campaign_text.output.startswith("3 posts in 2 min from 3 accounts")
    missing = runner.invoke(cli, ["campaign", "zzz", "--db", str(db)])
    assert missing.exit_code == 1 and "no collected post carries #zzz" in missing.output
