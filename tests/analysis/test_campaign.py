"""Campaign metrics on a campaign small enough to count by hand; the simulator's archive."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.campaign import (
    accounts_for_half,
    campaign,
    format_span,
    gini,
    hhi,
    summary_line,
    top_share,
)
from trendwatch.cli import cli
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.model import Account, accounts_to_arrow

JSON_KEYS = {
    "hashtags", "posts", "accounts", "first", "last", "busiest_minute_posts", "minutes_to_1000",
    "gini", "top50_share", "repost_share", "new_account_share", "summary",
}  # fmt: skip


@pytest.fixture
def small(store):
    """Campaign #c: a 4 posts, b 2, c 1, d 1 (8 posts over 90 minutes)."""
    add_posts(
        store,
        [
            make_post(1, "a", at(0), hashtags=("c", "extra")),
            make_post(2, "b", at(0, 20), kind="repost", ref_author_id="z", hashtags=("c",)),
            make_post(3, "a", at(0, 40), kind="repost", ref_author_id="z", hashtags=("c",)),
            make_post(4, "a", at(1, 10), kind="reply", hashtags=("c",)),
            make_post(5, "c", at(10), kind="quote", hashtags=("c",)),
            make_post(6, "a", at(30), lang="en", hashtags=("c",)),
            make_post(7, "d", at(61), kind="repost", ref_author_handle="y", hashtags=("c",)),
            make_post(8, "b", at(90), hashtags=("c",)),
            make_post(9, "e", at(5), hashtags=("other",)),
            make_post(10, "f", at(5), hashtags=("c",), collected=False),  # context: not counted
        ],
    )
    accounts = [
        Account("x", "a", created_at=T0 - timedelta(days=10)),  # new when posting
        Account("x", "b", created_at=T0 - timedelta(days=700)),
        Account("x", "c"),  # creation date unknown
    ]
    store.write_batch(accounts=accounts_to_arrow(accounts))
    return store


def test_volume_span_and_rates(small):
    c = campaign(small, ["#C"])
    assert (c.hashtags, c.posts, c.accounts) == (("c",), 8, 4)
    assert (c.first, c.last) == (at(0), at(90))
    assert c.busiest_minute_posts == 3  # posts 1, 2, 3 in minute 12:00
    assert c.minutes_to == {100: None, 1000: None, 2000: None}


def test_concentration(small):
    c = campaign(small, "c")
    # counts [4, 2, 1, 1]: Gini = (-3·1 - 1·1 + 1·2 + 3·4) / (4·8) = 10/32
    assert c.gini == pytest.approx(10 / 32)
    assert c.hhi == pytest.approx(0.5**2 + 0.25**2 + 2 * 0.125**2)
    assert c.top1pct_share == pytest.approx(0.5)  # 1 % of 4 accounts -> 1 account
    assert c.top50_share == pytest.approx(1.0)
    assert c.per_account[["author_id", "posts"]].values.tolist() == [
        ["a", 4], ["b", 2], ["c", 1], ["d", 1],
    ]  # fmt: skip


def test_kinds_and_new_accounts(small):
    c = campaign(small, "c")
    assert (c.repost_share, c.reply_share, c.quote_share) == (3 / 8, 1 / 8, 1 / 8)
    # known creation dates: a (4 posts, 10 days old) and b (2 posts, old) -> 4 / 6
    assert c.new_account_share == pytest.approx(4 / 6)


def test_new_account_share_is_none_without_account_data(store):
    add_posts(store, [make_post(1, "a", at(0), hashtags=("c",))])
    assert campaign(store, "c").new_account_share is None


def test_tables(small):
    c = campaign(small, "c")
    movers = c.first_movers[["author_id", "posts_first_hour"]].values.tolist()
    assert movers == [["a", 4], ["b", 1], ["c", 1], ["d", 0]]
    assert c.first_movers_share == 1.0  # the 6 first-hour posts are all by the first movers
    # z is known by id only; y only by the handle its repost named
    assert c.amplifiers.values.tolist() == [["z", None, 2], ["y", "y", 1]]
    assert c.cohashtags.values.tolist() == [["extra", 1]]
    assert c.languages["posts"].tolist() == [7, 1]  # unknown language first, then "en"
    assert c.languages["lang"].iloc[1] == "en"
    assert c.languages["share"].tolist() == [7 / 8, 1 / 8]
    assert campaign(small, "c").to_dict()["languages"][0]["lang"] is None  # JSON null
    assert c.per_minute["posts"].sum() == 8


def test_handles_beside_ids(store):
    """a's handle comes from its profile, b's from its latest post, z's from the profile of
    the account it reposted; c has none."""
    add_posts(store, [
        make_post(1, "a", at(0), hashtags=("c",), author_handle="old_a"),
        make_post(2, "b", at(1), hashtags=("c",), author_handle="b_then"),
        make_post(3, "b", at(2), "repost", ref_author_id="z", ref_author_handle="zz",
                  hashtags=("c",), author_handle="b_now"),
        make_post(4, "c", at(3), hashtags=("c",)),
    ])  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="Ann"),
                                                  Account("x", "z", handle="Zed")]))  # fmt: skip
    c = campaign(store, "c")
    assert c.first_movers[["author_id", "handle"]].values.tolist() == [
        ["a", "Ann"], ["b", "b_now"], ["c", None],
    ]  # fmt: skip
    assert c.per_account[["author_id", "handle"]].values.tolist()[0] == ["b", "b_now"]
    assert c.amplifiers.values.tolist() == [["z", "Zed", 1]]
    assert c.to_dict()["first_movers"][0]["handle"] == "Ann"


def test_summary_line(small):
    assert campaign(small, "c").summary == (
        "8 posts in 1 h 30 min from 4 accounts; the most active account made 50 % of them"
    )


def test_several_hashtags_count_a_post_once(store):
    add_posts(
        store,
        [make_post(1, "a", at(0), hashtags=("p", "q")), make_post(2, "b", at(1), hashtags=("q",))],
    )
    assert campaign(store, ["p", "q"]).posts == 2


def test_minutes_to_milestones(store):
    add_posts(
        store, [make_post(i, f"u{i % 7}", at(seconds=30 * i), hashtags=("m",)) for i in range(100)]
    )
    c = campaign(store, "m")
    assert c.minutes_to == {100: pytest.approx(49.5), 1000: None, 2000: None}
    assert c.busiest_minute_posts == 2


def test_errors(store):
    with pytest.raises(NoDataError):
        campaign(store, "absent")
    with pytest.raises(ParameterError):
        campaign(store, ["#"])


def test_pure_measures():
    assert gini([5, 5, 5]) == 0.0
    assert gini([]) is None
    assert hhi([1, 1, 1, 1]) == 0.25
    assert top_share([1, 2, 3, 4], 2) == pytest.approx(0.7)
    assert accounts_for_half([1, 1, 1, 1]) == 2
    assert accounts_for_half([10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) == 1
    assert [format_span(timedelta(seconds=s)) for s in (42, 3000, 3600, 90000, 172800)] == [
        "42 s", "50 min", "1 h", "1 d 1 h", "2 d",
    ]  # fmt: skip
    assert summary_line([2, 1, 1, 1], timedelta(minutes=5)) == (
        "5 posts in 5 min from 4 accounts; the top 2 accounts made 60 % of them"
    )


def test_campaign_command_json(small, tmp_path):
    db = tmp_path / "s.duckdb"
    from trendwatch.store import Store

    with Store(db) as target:
        rows = small.con.sql(
            "SELECT * EXCLUDE (text_norm, ingested_at) FROM posts"
        ).to_arrow_table()
        target.write_batch(rows)
    result = CliRunner().invoke(cli, ["campaign", "c", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    assert set(data) >= JSON_KEYS
    assert (data["posts"], data["first"]) == (8, "2024-03-01T12:00:00+00:00")
    assert data["minutes_to_1000"] is None


@pytest.mark.slow
def test_attack_is_more_concentrated_and_newer_than_the_counter_campaign(simulation):
    store, truth = simulation
    attack = campaign(store, truth.attack_hashtag)
    counter = campaign(store, truth.counter_hashtag)
    # Gini is inequality *among participants*: ~75 attackers posting alike stay moderate, so
    # its margin is smaller than the top-50 share's (the few accounts carrying the volume).
    assert attack.gini > counter.gini + 0.05
    assert attack.top50_share > counter.top50_share + 0.3
    assert attack.new_account_share > counter.new_account_share + 0.2
