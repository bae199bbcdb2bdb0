"""The interaction network on a case worked out by hand, and on the demo-like real data."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.interactions import (
    KINDS,
    groups_of_run,
    interaction_network,
    top_accounts,
)
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


def hand_made_posts() -> list:
    """Accounts a (profile "Ann"), b ("bob", from its posts), c ("cat"), d (never seen).

    In #t: a mentions bob, zed (unknown) and itself; b reposts a (mentioning ann, as X does);
    c reposts a twice; b replies to a, mentioning ann; a quotes d; a replies to itself.
    Outside #t: c reposts b.
    """
    tag = {"hashtags": ("t",)}
    return [
        make_post(1, "a", at(0), mentions=("bob", "zed", "ann"), author_handle="ann", **tag),
        make_post(2, "b", at(1), "repost", ref_post_id="1", ref_author_id="a",
                  mentions=("ann",), author_handle="bob", **tag),
        make_post(3, "c", at(2), "repost", ref_post_id="1", ref_author_id="a",
                  author_handle="cat", **tag),
        make_post(4, "c", at(5), "repost", ref_post_id="6", ref_author_id="a",
                  author_handle="cat", **tag),
        make_post(5, "b", at(3), "reply", reply_to_post_id="1", reply_to_author_id="a",
                  mentions=("ann",), author_handle="bob", **tag),
        make_post(6, "a", at(4), "quote", ref_post_id="99", ref_author_id="d",
                  author_handle="ann", **tag),
        make_post(7, "a", at(6), "reply", reply_to_post_id="6", reply_to_author_id="a",
                  author_handle="ann", **tag),
        make_post(8, "c", at(7), "repost", ref_post_id="2", ref_author_id="b",
                  author_handle="cat"),
    ]  # fmt: skip


@pytest.fixture
def hand_made(store):
    add_posts(store, hand_made_posts())
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="Ann")]))
    return store


def rows(frame: pd.DataFrame, columns: list[str]) -> list[list]:
    return frame[columns].values.tolist()


def test_edges_counted_by_hand(hand_made):
    net = interaction_network(hand_made, "t")
    assert rows(net.edges, ["source", "target", "kind", "count"]) == [
        ["c", "a", "repost", 2],
        ["a", "@zed", "mention", 1],
        ["a", "b", "mention", 1],
        ["a", "d", "quote", 1],
        ["b", "a", "repost", 1],
        ["b", "a", "reply", 1],
        ["b", "a", "mention", 1],
    ]
    first = net.edges.iloc[0]
    assert (first["first"], first["last"]) == (at(2), at(5))


def test_edges_carry_handles(hand_made):
    net = interaction_network(hand_made, "t")
    assert rows(net.edges, ["source_handle", "target_handle"])[:4] == [
        ["cat", "Ann"], ["Ann", "zed"], ["Ann", "bob"], ["Ann", None],
    ]  # fmt: skip


def test_nodes_by_hand(hand_made):
    net = interaction_network(hand_made, "t")
    assert rows(net.nodes, ["account_id", "handle", "posts", "out_count", "in_count"]) == [
        ["a", "Ann", 3, 3, 5],
        ["b", "bob", 2, 3, 1],
        ["c", "cat", 2, 2, 0],
        ["@zed", "zed", 0, 0, 1],
        ["d", None, 0, 0, 1],
    ]
    assert net.summary() == {
        "accounts": 5, "links": 7, "interactions": 8,
        "by_kind": {"repost": 3, "quote": 1, "reply": 1, "mention": 3},
    }  # fmt: skip


def test_whole_store_counts_the_repost_outside_the_hashtag(hand_made):
    net = interaction_network(hand_made)
    assert rows(net.edges[net.edges["source"] == "c"], ["target", "kind", "count"]) == [
        ["a", "repost", 2],
        ["b", "repost", 1],
    ]


def test_kinds_and_groups(hand_made):
    net = interaction_network(hand_made, "t", kinds=["reply", "quote"], groups={"b": 2})
    assert rows(net.edges, ["source", "target", "kind"]) == [
        ["a", "d", "quote"],
        ["b", "a", "reply"],
    ]
    assert dict(zip(net.nodes["account_id"], net.nodes["group"], strict=True)) == {
        "a": 0, "b": 2, "d": 0,
    }  # fmt: skip
    assert net.summary()["by_kind"] == {"reply": 1, "quote": 1}


def test_a_mention_matches_a_handle_without_case_on_the_same_platform(store):
    add_posts(store, [
        make_post(1, "a", at(0), mentions=("bob",)),
        make_post(2, "b-masto", at(1), platform="mastodon", author_handle="bob"),
        make_post(3, "b-x", at(2), author_handle="BoB"),
    ])  # fmt: skip
    net = interaction_network(store)
    assert rows(net.edges, ["source", "target", "target_handle"]) == [["a", "b-x", "BoB"]]


def test_the_profile_handle_wins_over_an_authors_handle(store):
    add_posts(store, [
        make_post(1, "a", at(0), mentions=("shared",)),
        make_post(2, "old", at(1), author_handle="shared"),
    ])  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow([Account("x", "new", handle="Shared")]))
    assert interaction_network(store).edges["target"].tolist() == ["new"]


def test_scope_with_no_post_and_unknown_kind_are_errors(hand_made):
    with pytest.raises(NoDataError, match="#nothing"):
        interaction_network(hand_made, "nothing")
    with pytest.raises(ParameterError, match="retweet"):
        interaction_network(hand_made, kinds=["retweet"])


def test_no_interaction_gives_empty_frames(store):
    add_posts(store, [make_post(1, "a", at(0))])
    net = interaction_network(store)
    assert net.edges.empty and net.nodes.empty
    assert net.summary()["interactions"] == 0


def test_top_accounts_keeps_the_links_among_them(hand_made):
    small = top_accounts(interaction_network(hand_made, "t"), 2)
    assert small.nodes["account_id"].tolist() == ["a", "b"]
    assert rows(small.edges, ["source", "target", "kind"]) == [
        ["a", "b", "mention"], ["b", "a", "repost"], ["b", "a", "reply"], ["b", "a", "mention"],
    ]  # fmt: skip
    with pytest.raises(ParameterError):
        top_accounts(small, 0)


def test_groups_of_a_stored_groups_run(store):
    from tests.coordination.runs_cases import linked_posts, recorded_runs

    linked_posts(store)
    run = recorded_runs(store).groups
    assert groups_of_run(store, run) == {"a": 1, "b": 1}
    with pytest.raises(ParameterError, match="not a groups run"):
        groups_of_run(store, "groups-none")


def test_kinds_constant_order():
    assert KINDS == ("repost", "quote", "reply", "mention")


def test_real_x_v2_sample(shared_data):
    """brexit.jsonl: 100 tweets of a #brexit search, 67 of them retweets."""
    from trendwatch.ingest import ingest

    path = shared_data("twitter-v2-twarc", "brexit.jsonl")
    with Store(":memory:") as store:
        ingest([path], store)
        posts = store.con.execute(
            "SELECT count(*) FILTER (kind = 'repost' AND ref_author_id IS NOT NULL "
            "AND ref_author_id <> author_id) FROM posts WHERE collected"
        ).fetchall()[0][0]
        net = interaction_network(store)
    assert net.summary()["by_kind"]["repost"] == posts > 0
    labelled = net.nodes["handle"].notna().mean()
    assert labelled > 0.9
