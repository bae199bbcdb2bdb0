"""``trendwatch info`` and :func:`overview` on a store whose counts are worked out by hand."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.cli import cli
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.overview import overview
from trendwatch.store import Store


def overview_store(store):
    """Collected: three X posts by a and b (one repost), one Mastodon post by a (another
    platform: another author). Context: one post by c, in no count but its own. One profile
    (b's). Two quarantined records, one reason twice, and one another."""
    add_posts(store, [
        make_post(1, "a", at(0), hashtags=("vote", "paris")),
        make_post(2, "b", at(5), "repost", ref_post_id="9", hashtags=("vote",)),
        make_post(3, "a", at(10), "reply", reply_to_post_id="1"),
        make_post(4, "a", at(20), platform="mastodon", hashtags=("vote",)),
        make_post(9, "c", at(-60), collected=False, hashtags=("old",)),
    ])  # fmt: skip
    store.write_batch(
        accounts=accounts_to_arrow([Account(platform="x", account_id="b", handle="bee")]),
        quarantine=[("f.jsonl", 3, "{", "invalid JSON"), ("f.jsonl", 7, "[", "invalid JSON"),
                    ("g.csv", 2, "x", "post_id: missing")],
    )  # fmt: skip


def test_overview_by_hand(store):
    overview_store(store)
    summary = overview(store)
    assert (summary.posts, summary.context_posts, summary.accounts, summary.authors) == (4, 1, 1, 3)
    assert summary.by_platform == {"x": 3, "mastodon": 1}
    assert summary.by_kind == {"post": 2, "reply": 1, "repost": 1}
    assert (summary.first, summary.last) == (at(0), at(20))
    assert summary.quarantined == 3
    assert summary.top_quarantine_reasons == [("invalid JSON", 2), ("post_id: missing", 1)]
    assert summary.top_hashtags == [("vote", 3), ("paris", 1)]


def test_info_json_keys_and_text(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        overview_store(store)
    runner = CliRunner()
    data = orjson.loads(runner.invoke(cli, ["info", "--db", str(db), "--json"]).output)
    assert {"posts", "accounts", "by_platform", "by_kind", "first", "last", "quarantined",
            "top_hashtags"} <= set(data)  # fmt: skip
    assert data["top_hashtags"] == [["vote", 3], ["paris", 1]] and data["authors"] == 3
    assert data["first"] == "2024-03-01T12:00:00+00:00"
    text = runner.invoke(cli, ["info", "--db", str(db)]).output
    assert "accounts     1 profiles; 3 authors posted" in text
    assert ["invalid", "JSON", "2"] in [line.split() for line in text.splitlines()]


def test_a_post_repeating_a_hashtag_counts_once(store):
    add_posts(store, [
        make_post(1, "a", at(0), hashtags=("brexit", "brexit", "uk")),
        make_post(2, "b", at(1), hashtags=("brexit",)),
        make_post(3, "c", at(2), hashtags=("uk", "brexit", "uk", "uk")),
    ])  # fmt: skip
    assert overview(store).top_hashtags == [("brexit", 3), ("uk", 2)]


def test_info_counts_posts_per_hashtag_on_the_x_v2_sample(shared_data, tmp_path):
    """brexit.jsonl: 100 posts carry #brexit, 19 of them twice (the count was 119)."""
    from trendwatch.ingest import ingest

    db = tmp_path / "b.duckdb"
    ingest([shared_data("twitter-v2-twarc", "brexit.jsonl")], db)
    with Store(db, read_only=True) as store:
        tags = dict(overview(store).top_hashtags)
        carrying = store.con.execute(
            "SELECT count(*) FROM posts WHERE collected AND list_contains(hashtags, 'brexit')"
        ).fetchone()[0]
    assert tags["brexit"] == carrying == 100
    data = orjson.loads(CliRunner().invoke(cli, ["info", "--db", str(db), "--json"]).stdout)
    assert data["top_hashtags"][0] == ["brexit", 100]
