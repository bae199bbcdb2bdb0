"""Reply raids on a watched account (``--target @handle``): many replies, made by a linked core.

A target is a handle (``@name``, matched case-insensitively against the accounts the store
knows) or an account id. Its *raid posts* are the collected posts that reply to one of its
accounts or mention its handle.

A check at stream time ``t`` raises a ``reply-raid`` alert when:

* the window ``[t - window, t)`` holds at least ``min_replies`` raid posts (20), and
* a coordinated core made at least :data:`RAID_SHARE` (half) of them. The core is found by
  the groups library (:func:`trendwatch.groups`) with the two reply methods, ``co-reply`` (the
  same post) and ``co-reply-account`` (the same account), over the last ``history`` (24 h: one
  wave of a raid gives each pair of raiders one shared reply, and the link test needs two or
  more): its members are the accounts of the groups whose significant links join two raid
  posts of this target.

Ordinary reply traffic to a popular account, however large, has no such core: repliers who
answer the same posts by chance are what the link test's null expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ..analysis.coordination.groups import GroupsResult, groups
from ..analysis.coordination.verdict import PUSH_SHARE
from ..errors import ParameterError
from .rules import AlertRules

__all__ = ["RAID_METHODS", "RAID_SHARE", "Target", "resolve_target", "RaidCheck", "check_raid"]

RAID_METHODS = ("co-reply", "co-reply-account")
RAID_SHARE = PUSH_SHARE


@dataclass(frozen=True, slots=True)
class Target:
    """A watched account: as the user named it, its account ids and its handle (lower-case)."""

    name: str
    ids: tuple[str, ...]
    handle: str | None


def resolve_target(store, name: str) -> Target:
    """The account ids a ``--target`` names (``@handle`` or an account id).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> resolve_target(Store(":memory:"), "@Someone")
    Target(name='@Someone', ids=(), handle='someone')
    >>> resolve_target(Store(":memory:"), "12345")
    Target(name='12345', ids=('12345',), handle=None)
    """
    text = name.strip()
    if not text or text == "@":
        raise ParameterError("--target needs a handle (@name) or an account id")
    if not text.startswith("@"):
        return Target(name, (text,), None)
    handle = text[1:].lower()
    rows = store.con.execute(
        "SELECT DISTINCT account_id FROM accounts WHERE lower(handle) = ? ORDER BY 1", [handle]
    ).fetchall()
    return Target(name, tuple(r[0] for r in rows), handle)


_RAID_POSTS_SQL = """
    SELECT post_id, author_id, created_at >= ? AS in_window FROM posts
    WHERE collected AND created_at >= ? AND created_at < ?
      AND (list_contains(?, reply_to_author_id) OR list_contains(mentions, ?))
"""


def raid_posts(store, target: Target, since: datetime, window_from: datetime, until: datetime):
    """Raid posts of ``target`` in ``[since, until)``: post_id, author_id, in_window."""
    params = [window_from, since, until, list(target.ids), target.handle or ""]
    return store.con.execute(_RAID_POSTS_SQL, params).df()


@dataclass(frozen=True)
class RaidCheck:
    """What one check found about a target (every number the alert states)."""

    target: Target
    posts: int
    accounts: int
    core_accounts: int = 0
    core_posts: int = 0
    core_share: float = 0.0
    min_q_value: float | None = None
    group_sizes: tuple[int, ...] = ()
    top_pair: tuple[str, str] | None = None
    core: tuple[str, ...] = ()

    @property
    def raided(self) -> bool:
        return self.core_accounts > 0 and self.core_share >= RAID_SHARE


def reply_groups(store, at: datetime, rules: AlertRules, *, record: bool) -> GroupsResult:
    """The reply methods' groups over the last ``history`` before ``at``."""
    return groups(
        store, list(RAID_METHODS), since=at - rules.history, until=at, record=record,
        null_day_end=at,
    )  # fmt: skip


def check_raid(store, target: Target, at: datetime, rules: AlertRules, found) -> RaidCheck:
    """Judge ``target`` at ``at``; ``found()`` gives the reply groups (computed once per check).

    Examples
    --------
    >>> from datetime import UTC
    >>> from trendwatch.store import Store
    >>> t = Target("@x", ("1",), "x")
    >>> check_raid(Store(":memory:"), t, datetime(2025, 1, 1, tzinfo=UTC), AlertRules(), None)
    RaidCheck(target=Target(name='@x', ids=('1',), handle='x'), posts=0, accounts=0, ...)
    """
    posts = raid_posts(store, target, at - rules.history, at - rules.window, at)
    window = posts[posts["in_window"]]
    counts = {"posts": len(window), "accounts": window["author_id"].nunique()}
    if len(window) < rules.min_replies:
        return RaidCheck(target, **counts)
    return _with_core(RaidCheck(target, **counts), found(), posts, window)


def _with_core(check: RaidCheck, result: GroupsResult, posts, window) -> RaidCheck:
    links = _target_links(result, set(posts["post_id"]))
    if links.empty:
        return check
    core = set(links["account_a"]) | set(links["account_b"])
    core &= set(result.members["account_id"])
    core_posts = int(window["author_id"].isin(core).sum())
    groups_of = result.members[result.members["account_id"].isin(core)]
    sizes = groups_of.groupby("group_id").size().sort_values(ascending=False)
    strongest = links.sort_values(["q_value", "account_a", "account_b"]).iloc[0]
    return RaidCheck(
        check.target, check.posts, check.accounts, len(core), core_posts,
        core_posts / check.posts, float(links["q_value"].min()),
        tuple(int(n) for n in sizes), (strongest["account_a"], strongest["account_b"]),
        tuple(sorted(core)),
    )  # fmt: skip


def _target_links(result: GroupsResult, raid_ids: set) -> pd.DataFrame:
    """The significant links (with q-values) whose evidence joins two raid posts."""
    ev = result.evidence
    if ev.empty:
        return pd.DataFrame(columns=["account_a", "account_b", "q_value"])
    about = ev[ev["post_a"].isin(raid_ids) & ev["post_b"].isin(raid_ids)]
    pairs = about[["account_a", "account_b"]].drop_duplicates()
    return pairs.merge(result.edges[["account_a", "account_b", "q_value"]], how="inner")
