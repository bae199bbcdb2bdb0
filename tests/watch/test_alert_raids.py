"""Reply-raid targets on hand-made stores: which posts are theirs, when to look for a core."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.errors import ParameterError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.watch.raids import Target, check_raid, raid_posts, resolve_target
from trendwatch.watch.rules import AlertRules


@pytest.fixture
def replies(store):
    """Account 9 (@Target): 25 replies to it in the last hour, 3 posts mentioning @target
    two hours ago, 4 replies to someone else, and one reply at T0 itself (not before it)."""
    store.write_batch(accounts=accounts_to_arrow([Account("x", "9", handle="Target")]))
    posts = [make_post(f"r{k}", f"a{k}", T0 - timedelta(minutes=2 * k + 1), "reply",
                       reply_to_author_id="9") for k in range(25)]  # fmt: skip
    posts += [make_post(f"m{k}", f"b{k}", T0 - timedelta(hours=2, minutes=k),
                        mentions=("target",)) for k in range(3)]  # fmt: skip
    posts += [make_post(f"o{k}", f"c{k}", T0 - timedelta(minutes=k + 1), "reply",
                        reply_to_author_id="8") for k in range(4)]  # fmt: skip
    posts.append(make_post("late", "d", T0, "reply", reply_to_author_id="9"))
    add_posts(store, posts)
    return store


def test_a_handle_resolves_through_the_accounts_and_an_id_stands_for_itself(replies):
    assert resolve_target(replies, "@TARGET") == Target("@TARGET", ("9",), "target")
    assert resolve_target(replies, "8") == Target("8", ("8",), None)
    with pytest.raises(ParameterError, match="handle"):
        resolve_target(replies, "@")


def test_raid_posts_are_the_replies_and_mentions_before_the_check(replies):
    target = resolve_target(replies, "@target")
    found = raid_posts(replies, target, T0 - timedelta(days=1), T0 - timedelta(hours=1), T0)
    assert len(found) == 28 and found["in_window"].sum() == 25
    assert "late" not in set(found["post_id"])
    by_id = raid_posts(replies, Target("9", ("9",), None), T0 - timedelta(days=1),
                       T0 - timedelta(hours=1), T0)  # fmt: skip
    assert len(by_id) == 25  # an id alone: its replies, not the handle's mentions


def test_below_min_replies_no_core_is_looked_for(replies):
    def never():
        raise AssertionError("the reply groups were computed for a quiet target")

    target = resolve_target(replies, "@target")
    quiet = check_raid(replies, target, T0, AlertRules(min_replies=26), never)
    assert (quiet.posts, quiet.accounts, quiet.raided) == (25, 25, False)


def test_replies_without_linked_accounts_are_no_raid(replies):
    from trendwatch.analysis.coordination.groups import groups

    target = resolve_target(replies, "@target")
    result = groups(replies, ["co-reply-account"], since=T0 - timedelta(days=1), until=T0,
                    record=False)  # fmt: skip
    check = check_raid(replies, target, T0, AlertRules(), lambda: result)
    assert check.posts == 25 and check.core_accounts == 0 and not check.raided
