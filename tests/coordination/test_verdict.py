"""The verdict's sentence and numbers, on hand-made scores."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination.engine import Scope
from trendwatch.analysis.coordination.verdict import MIN_POSTS, reading_of, verdict_of


def scores(rows) -> pd.DataFrame:
    """Group scores as groups() gives them, only the columns the verdict reads."""
    columns = ["group_id", "size", "posts", "share_first_2000", "top_keys", "top_hashtag",
               "hashtag_posts", "hashtag_share", "reading"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def campaign(store, core_posts: int, crowd_posts: int, crowd_accounts: int, tag="push"):
    """``core_posts`` by c0..c2 then ``crowd_posts`` by as many accounts as asked, all #tag."""
    posts = [make_post(f"{tag}c{i}", f"c{i % 3}", at(i), hashtags=(tag,))
             for i in range(core_posts)]  # fmt: skip
    posts += [make_post(f"{tag}o{i}", f"o{i % crowd_accounts}", at(core_posts + i),
                        hashtags=(tag,)) for i in range(crowd_posts)]  # fmt: skip
    add_posts(store, posts)


KEYS = [{"method": "co-retweet", "key": "k"}]


def test_readings_by_hand():
    assert reading_of(0.5, 0.0, 3, 100) == "push"  # half the posts: the trend is the group
    assert reading_of(0.1, 0.6, 3, 100) == "push"  # or most of the first 2,000
    assert reading_of(0.2, 0.1, 3, 30) == "organised core in a crowd"  # crowd >= 10 x core
    assert reading_of(0.2, 0.1, 3, 29) == "coordinated minority"
    assert reading_of(0.21, 0.1, 3, 300) == "coordinated minority"


def test_a_push_by_a_core(store):
    campaign(store, core_posts=90, crowd_posts=30, crowd_accounts=10)
    found = verdict_of(store, scores([[1, 3, 90, 0.75, KEYS, "push", 120, 0.75, "push"]]),
                       Scope(hashtags=("push",)), ["co-retweet", "co-tweet"])  # fmt: skip
    assert (found.finding, found.reading, found.posts, found.accounts) == (
        "coordinated core", "push", 120, 13,
    )  # fmt: skip
    assert (found.core_accounts, found.share, found.crowd_accounts) == (3, 0.75, 10)
    assert found.methods == ["co-retweet"]  # the methods that link the core
    assert found.text == (
        "Coordinated core: 3 accounts made 75% of the 120 posts of #push (co-retweet). Reads "
        "as a push by a small group: the core made most of the posts and 75% of the first 2,000."
    )
    assert not found.too_small and found.to_dict()["share"] == 0.75


def test_an_organised_core_in_a_crowd(store):
    campaign(store, core_posts=10, crowd_posts=190, crowd_accounts=60)
    found = verdict_of(store, scores([[1, 3, 10, 0.05, KEYS, "push", 200, 0.05, None]]),
                       Scope(hashtags=("push",)), ["co-retweet"])  # fmt: skip
    assert found.reading == "organised core in a crowd"
    assert "60 other accounts made most of the posts" in found.text


def test_no_core_and_the_small_scope_caveat(store):
    campaign(store, core_posts=5, crowd_posts=5, crowd_accounts=5)
    found = verdict_of(store, scores([]), Scope(hashtags=("push",)), ["co-retweet"])
    assert found.finding == "no coordinated core" and found.too_small
    assert found.text.startswith("No coordinated core found in #push (10 posts by 8 accounts)")
    assert "too few posts to tell" in found.text
    campaign(store, core_posts=0, crowd_posts=MIN_POSTS, crowd_accounts=20, tag="big")
    big = verdict_of(store, scores([]), Scope(hashtags=("big",)), ["co-retweet"])
    assert not big.too_small and "too few" not in big.text


def test_several_campaigns_are_read_group_by_group(store):
    campaign(store, core_posts=90, crowd_posts=30, crowd_accounts=10)
    add_posts(store, [make_post("x", "z", at(500), hashtags=("other",))])
    rows = [
        [1, 3, 90, 0.74, KEYS, "push", 120, 0.75, "push"],
        [2, 4, 12, 0.0, [{"method": "co-reply", "key": "r"}], None, None, None, None],
    ]
    found = verdict_of(store, scores(rows), Scope(), ["co-retweet", "co-reply"])
    assert found.reading is None and found.groups == 2 and found.core_accounts == 7
    assert found.text == (
        "2 coordinated groups (7 accounts, co-retweet, co-reply) made 84% of the 121 posts of "
        "the archive: group 1: 3 accounts made 75% of the 120 posts of #push (push); group 2: 4 "
        "accounts (co-reply), 12 posts."
    )
    both = verdict_of(store, scores(rows), Scope(hashtags=("push", "other")), ["co-retweet"])
    assert both.reading is None and "#push or #other" in both.text


def test_more_than_five_groups_are_counted(store):
    campaign(store, core_posts=90, crowd_posts=30, crowd_accounts=10)
    rows = [[g, 3, 1, 0.0, KEYS, None, None, None, None] for g in range(1, 8)]
    found = verdict_of(store, scores(rows), Scope(), ["co-retweet"])
    assert found.text.endswith("; 2 more groups.")


@pytest.mark.parametrize("tag", ["<b>x</b>", "\u202eevil"])
def test_hashtags_reach_the_sentence_as_given(store, tag):
    # The verdict is text; each output escapes it (HTML) or neutralises it (terminal).
    campaign(store, core_posts=5, crowd_posts=0, crowd_accounts=1, tag=tag)
    found = verdict_of(store, scores([]), Scope(hashtags=(tag,)), [])
    assert f"#{tag}" in found.text


def test_no_core_but_a_push_by_volume_is_said(store):
    # c0, c1, c2 post 30 times each over 90 minutes (20 within any hour): heavy posters; the
    # ten others post 3 times each.
    campaign(store, core_posts=90, crowd_posts=30, crowd_accounts=10)
    found = verdict_of(store, scores([]), Scope(hashtags=("push",)), ["co-retweet"])
    assert found.finding == "no coordinated core"
    assert (found.heavy_accounts, found.heavy_share) == (3, 0.75)
    assert found.text.endswith(
        "But 3 accounts posted 10 times or more within an hour each and made 75% of the posts: "
        "a push by volume that the link test cannot tell from their own activity. Check them: "
        "trendwatch accounts --hashtag push."
    )


def test_nine_posts_an_hour_are_not_heavy(store):
    # 9 posts each, one every 6 minutes: never 10 within an hour.
    add_posts(store, [make_post(f"n{i}", f"a{i % 12}", at(6 * (i // 12)), hashtags=("calm",))
                      for i in range(108)])  # fmt: skip
    found = verdict_of(store, scores([]), Scope(hashtags=("calm",)), [])
    assert found.heavy_accounts == 0 and "volume" not in found.text
