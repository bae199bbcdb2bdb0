"""Lists a new user reads (issue 18): the campaign's account lists in the table, every cut list
saying "N of M" and how to get all, JSON that says whether it is complete, one name per peak
number, and a comparison headline of the differences that matter."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.campaign import campaign
from trendwatch.analysis.compare import compare, headline
from trendwatch.analysis.trends import onsets
from trendwatch.cli import cli
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"TRENDWATCH_TZ": ""})


@pytest.fixture
def small_db(tmp_path):
    """#c: a posts 4 times, b 2, c 1, d 1; reposts of z (2) and of y (1); a and b have
    profiles with handles."""
    path = tmp_path / "c.duckdb"
    with Store(path) as store:
        add_posts(store, [
            make_post(1, "a", at(0), hashtags=("c",), author_handle="alice"),
            make_post(2, "b", at(0, 20), "repost", ref_author_id="z", ref_author_handle="zed",
                      hashtags=("c",)),
            make_post(3, "a", at(0, 40), "repost", ref_author_id="z", hashtags=("c",)),
            make_post(4, "a", at(1, 10), "reply", hashtags=("c",)),
            make_post(5, "c", at(10), "quote", hashtags=("c",)),
            make_post(6, "a", at(30), hashtags=("c",)),
            make_post(7, "d", at(61), "repost", ref_author_id="y", hashtags=("c",)),
            make_post(8, "b", at(90), hashtags=("c",)),
        ])  # fmt: skip
        store.write_batch(accounts=accounts_to_arrow([Account("x", "b", handle="bob")]))
    return str(path)


def test_campaign_table_lists_first_movers_top_accounts_and_amplifiers(small_db):
    result = _run("campaign", "c", "--db", small_db, "--top", "2")
    assert result.exit_code == 0, result.output
    text = result.output
    movers = text.split("first movers: the first 4 accounts to post\n")[1].splitlines()
    assert movers[0].split() == ["author_id", "handle", "first_post", "posts_first_hour"]
    assert movers[2].split() == ["a", "alice", "2024-03-01", "12:00:00", "UTC", "4"]
    assert [line.split()[0] for line in movers[2:6]] == ["a", "b", "c", "d"]
    top = text.split("top accounts: most posts first\n")[1].splitlines()
    # b's posts name no handle; its profile does (handles.account_handles: profile first)
    assert [line.split()[:3] for line in top[2:4]] == [["a", "alice", "4"], ["b", "bob", "2"]]
    assert top[4] == "showing 2 of 4; --top N or --top 0 for all"
    amplifiers = text.split("reposted most\n")[1].splitlines()
    assert [line.split() for line in amplifiers[2:4]] == [["z", "zed", "2"], ["y", "-", "1"]]
    assert "showing" not in "\n".join(amplifiers[4:])  # 2 of 2: nothing left out


def test_campaign_json_follows_top_and_says_on_stderr_what_it_cut(small_db):
    result = _run("campaign", "c", "--db", small_db, "--json", "--top", "1")
    data = orjson.loads(result.stdout)
    assert [r["author_id"] for r in data["top_accounts"]] == ["a"]
    assert len(data["first_movers"]) == 4
    assert "showing 1 of 4; --top N or --top 0 for all" in result.stderr
    every = orjson.loads(_run("campaign", "c", "--db", small_db, "--json", "--top", "0").stdout)
    assert len(every["top_accounts"]) == 4 and len(every["amplifiers"]) == 2


@pytest.mark.parametrize("command", [["accounts"], ["campaign", "c"], ["info"], ["quarantine"],
                                     ["trends"], ["trends", "--onsets"],
                                     ["coordination", "-m", "co-hashtag"]])  # fmt: skip
@pytest.mark.parametrize("top", ["-2", "x"])
def test_every_top_refuses_a_negative_or_non_number(small_db, command, top):
    result = _run(*command, "--db", small_db, "--top", top)
    assert result.exit_code == 2 and "Invalid value for '--top'" in result.output


def test_info_says_how_many_hashtags_it_left_out(small_db, tmp_path):
    with Store(small_db) as store:
        add_posts(store, [make_post(f"o{i}", "e", at(i), hashtags=(f"t{i}",)) for i in range(3)])
    cut = _run("info", "--db", small_db, "--top", "2")
    assert cut.output.splitlines()[-1] == "showing 2 of 4; --top N or --top 0 for all"
    every = _run("info", "--db", small_db, "--top", "0", "--json")
    data = orjson.loads(every.stdout)
    assert data["hashtags"] == 4 and len(data["top_hashtags"]) == 4 and not every.stderr


def test_coordination_json_says_whether_it_holds_every_edge(trio_db):
    args = ["coordination", "-m", "co-retweet", "--no-test", "--db", trio_db, "--json"]
    cut = _run(*args, "--top", "1")
    data = orjson.loads(cut.stdout)
    assert data["edges"] == 4 and len(data["top_edges"]) == 1  # a1-a2, a1-a3, a2-a3, x-y
    assert data["top_edges_listed"] == {"shown": 1, "of": 4, "all": False,
                                        "for_all": "--top 0, or --out FILE"}  # fmt: skip
    assert "showing 1 of 4" in cut.stderr
    every = orjson.loads(_run(*args, "--top", "0").stdout)
    assert len(every["top_edges"]) == 4 and every["top_edges_listed"]["all"] is True


def test_groups_json_lists_the_members(trio_db):
    result = _run("groups", "--hashtag", "tag", "--db", trio_db, "--json")
    data = orjson.loads(result.stdout)
    members = {m["account_id"]: m for m in data["members"]}
    assert sorted(members) == ["a1", "a2", "a3"]
    assert {m["group_id"] for m in members.values()} == {1}
    assert members["a1"]["degree"] == 2 and members["a1"]["group_size"] == 3


def test_busiest_minute_and_peak_rate_are_two_named_numbers(store):
    """Hand-made: 5 posts in minute 0, 1 post a minute for minutes 1-9, nothing else in
    hour 12:00 (14 posts); a second day gives the onset scorer a quiet history."""
    posts = [make_post(f"m{i}", f"u{i}", at(0, 10 * i), hashtags=("p",)) for i in range(5)]
    posts += [make_post(f"n{i}", f"v{i}", at(i), hashtags=("p",)) for i in range(1, 10)]
    posts += [make_post(f"q{d}", "w", T0 - timedelta(days=d), hashtags=("p",))
              for d in range(1, 3)]  # fmt: skip
    add_posts(store, posts)
    assert campaign(store, "p").busiest_minute_posts == 5  # posts 0-4, all in 12:00
    found = onsets(store, window="1h", min_posts=5, hashtags=("p",))
    assert found["peak_rate_per_min"].iloc[0] == pytest.approx(14 / 60)  # that hour, per min
    assert "peak_rate_per_min" not in campaign(store, "p").to_dict()


def test_compare_headline_by_hand(store):
    """#a: 12 accounts, 1 of them new, a posts 11 times (22 posts, one every minute);
    #b: 2,000 posts, one every 3 s, by 200 accounts with 10 posts each."""
    posts = [make_post(f"a{i}", "a" if i < 11 else f"s{i}", at(i), hashtags=("a",))
             for i in range(22)]  # fmt: skip
    posts += [make_post(f"b{i}", f"r{i % 200}", at(seconds=3 * i), hashtags=("b",))
              for i in range(2000)]  # fmt: skip
    add_posts(store, posts)
    store.write_batch(accounts=accounts_to_arrow([
        Account("x", "a", created_at=T0 - timedelta(days=2)),
        Account("x", "s11", created_at=T0 - timedelta(days=400)),
        Account("x", "r0", created_at=T0 - timedelta(days=400)),
    ]))  # fmt: skip
    a, b = campaign(store, "a"), campaign(store, "b")
    # A: the top 10 are a (11) + 9 singletons = 20 of 22 posts -> 91 %; B: 100 of 2,000 = 5 %
    # new: A's known authors a (11 posts, 2 days old) and s11 (1 post) -> 11/12 = 92 %; B 0 %
    # 2,000 posts: B's 2,000th post is 1,999 x 3 s = 99 min 57 s after its first
    assert headline(a, b) == (
        "the 10 most active accounts made 91 % of A's posts and 5 % of B's; accounts under "
        "30 days old made 92 % of A's posts and 0 % of B's; to 2,000 posts: A never got "
        "there (22 posts), B in 1 h 39 min"
    )
    assert compare(store, "a", "b").to_dict()["headline"] == headline(a, b)


def test_compare_command_prints_the_headline_first_after_the_sides(small_db):
    with Store(small_db) as store:
        add_posts(store, [make_post(f"d{i}", f"k{i}", at(i), hashtags=("d",)) for i in range(3)])
    lines = _run("compare", "c", "d", "--db", small_db).output.splitlines()
    assert lines[0].startswith("A: #c: 8 posts") and lines[1].startswith("B: #d: 3 posts")
    assert lines[2].startswith("A against B: the 10 most active accounts made 100 % of A's")


@pytest.mark.realdata
def test_compare_headline_on_real_x_samples(tmp_path):
    """#brexit against #kpop from twarc2 samples: the headline's top-10 share is the one
    counted straight from the store, and neither sample reaches 2,000 posts."""
    from tests.conftest import shared_path
    from trendwatch.ingest import ingest

    files = [shared_path("twitter-v2-twarc", name) for name in ("brexit.jsonl", "kpop.jsonl")]
    ingest(files, tmp_path / "v2.duckdb")
    with Store(tmp_path / "v2.duckdb", read_only=True) as store:
        a, b = campaign(store, "brexit"), campaign(store, "kpop")
        counts = [n for (n,) in store.con.execute(
            "SELECT count(*) AS n FROM posts WHERE collected AND list_contains(hashtags, ?) "
            "GROUP BY author_id ORDER BY n DESC", ["brexit"]).fetchall()]  # fmt: skip
    line = headline(a, b)
    share = round(100 * sum(counts[:10]) / sum(counts))
    assert line.startswith(f"the 10 most active accounts made {share} % of A's posts")
    assert line.endswith(
        f"A never got there ({a.posts:,} posts), B never got there ({b.posts:,} posts)"
    )
