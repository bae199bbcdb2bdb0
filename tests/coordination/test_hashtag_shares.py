"""A group's most used hashtag counts the posts carrying it, not the tag's occurrences."""

from __future__ import annotations

import pandas as pd

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination.engine import Scope
from trendwatch.analysis.coordination.scores import _top_hashtags, hashtag_shares


def test_a_post_repeating_a_tag_carries_it_once(store):
    # g's four posts: one repeats #x three times, two carry #y. By occurrences #x led (3 of 4
    # posts' worth); by posts #y does, on half of them.
    add_posts(store, [
        make_post(1, "g1", at(0), hashtags=("x", "x", "x")),
        make_post(2, "g1", at(1), hashtags=("y",)),
        make_post(3, "g2", at(2), hashtags=("y",)),
        make_post(4, "g2", at(3)),
    ])  # fmt: skip
    groups_of = pd.DataFrame({"account_id": ["g1", "g2"], "group_id": [1, 1]})
    posts = store.posts().select("author_id", "created_at", "post_id", "hashtags")
    assert _top_hashtags(posts, groups_of) == {1: ("y", 0.5)}
    shares = hashtag_shares(store, groups_of, Scope())
    assert shares.loc[1, "top_hashtag"] == "y" and shares.loc[1, "hashtag_posts"] == 2
