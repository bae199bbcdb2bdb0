"""Account signals: documented, checkable hints that an account is automated or a throwaway.

Not a classifier. Each signal is one rule from open-source investigators' practice, returned
with the numbers it was decided on, so a reader can check it and disagree. An account with
several signals inside a coordinated group is worth a closer look; one signal alone proves
nothing (a newsroom posts more than 72 times a day, a fan account retweets all day).

Per account, over the posts of a scope (a campaign's hashtags, a time range), see
:func:`account_signals`:

``new``
    created at most :data:`NEW_ACCOUNT_DAYS` (30) days before its first post in the scope:
    the same rule as the campaign's ``new_account_share``.
``hyperactive``
    at least :data:`HYPERACTIVE_PER_DAY` (72) posts a day over its life: the profile's post
    count over the days from its creation to when the profile was observed. The Atlantic
    Council's DFRLab (Nimmo 2017, "#BotSpot: Twelve Ways to Spot a Bot") calls 72 a day
    suspicious and 144 highly suspicious.
``amplifier``
    at least :data:`AMPLIFIER_SHARE` (90 %) of its posts in the scope are reposts, over at
    least :data:`AMPLIFIER_MIN_POSTS` (5) posts (DFRLab's "amplification": many bots exist
    only to boost others).
``generated_handle``
    a handle made of letters followed by at least six digits (``Louis30128273``): the form X
    proposes at sign-up, kept by accounts nobody personalised (DFRLab's "anonymity").
``declared_bot``
    the platform marks it as a bot (Mastodon's ``bot``; unknown elsewhere).
``signals``
    how many of the five hold; a signal whose inputs are unknown does not hold.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "SIGNALS",
    "NEW_ACCOUNT_DAYS",
    "HYPERACTIVE_PER_DAY",
    "AMPLIFIER_SHARE",
    "AMPLIFIER_MIN_POSTS",
    "FLAGGED_SIGNALS",
    "account_signals",
    "generated_handle",
]

SIGNALS = ("new", "hyperactive", "amplifier", "generated_handle", "declared_bot")
NEW_ACCOUNT_DAYS = 30
HYPERACTIVE_PER_DAY = 72
AMPLIFIER_SHARE = 0.9
AMPLIFIER_MIN_POSTS = 5
FLAGGED_SIGNALS = 2
"""Accounts with at least this many signals are counted as flagged in group scores."""

_GENERATED = re.compile(r"[A-Za-z]+[0-9]{6,}")
_DAY_S = 86_400.0

COLUMNS = (
    "account_id", "handle", "posts", "repost_share", "age_days", "posts_per_day",
    "followers", *SIGNALS, "signals",
)  # fmt: skip


def generated_handle(handle) -> bool:
    """Letters followed by six digits or more, the whole handle.

    >>> generated_handle("Louis30128273"), generated_handle("louis_30128273")
    (True, False)
    >>> generated_handle("Agent007"), generated_handle(None)
    (False, False)
    """
    return isinstance(handle, str) and _GENERATED.fullmatch(handle) is not None


def account_signals(store, accounts=None, scope=None) -> pd.DataFrame:
    """The signals (module docs) of the accounts posting in ``scope``, most signals first.

    Parameters
    ----------
    store : Store
    accounts : list of str, optional
        Only these account ids (default: every account posting in the scope).
    scope : :class:`~trendwatch.analysis.coordination.Scope`, optional
        The posts that count (default: every collected post).

    Returns
    -------
    DataFrame with :data:`COLUMNS`: ``posts`` and ``repost_share`` in the scope, ``age_days``
    at the first post in the scope, ``posts_per_day`` over the account's life, ``followers``,
    one boolean column per signal and their count ``signals``; then by posts, then id.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> account_signals(Store(":memory:")).empty
    True
    """
    if scope is not None:
        from .coordination.engine import check_scope  # the package imports this module

        check_scope(store, scope)
    frame = _with_signals(_activity_and_profiles(store, accounts, scope))
    order = frame.sort_values(["signals", "posts", "account_id"], ascending=[False, False, True])
    return order[list(COLUMNS)].reset_index(drop=True)


def _activity_and_profiles(store, accounts, scope) -> pd.DataFrame:
    """Per author in the scope: its posts there, joined to its stored profile in DuckDB (an
    archive of millions of authors never goes through Python as a list of ids)."""
    posts = store.posts() if scope is None else scope.apply(store.posts())
    if accounts is not None:
        posts = posts.filter(posts.author_id.isin([str(a) for a in accounts]))
    activity = posts.group_by(platform=posts.platform, account_id=posts.author_id).aggregate(
        posts=posts.count(),
        reposts=(posts.kind == "repost").cast("int64").sum(),
        first_post=posts.created_at.min(),
    )
    profiles = store.accounts().select(*_PROFILE_COLUMNS)
    return activity.left_join(profiles, ["platform", "account_id"]).to_pandas()


_PROFILE_COLUMNS = ("platform", "account_id", "handle", "created_at", "posts_count", "followers",
                    "observed_at", "declared_bot")  # fmt: skip


def _with_signals(frame: pd.DataFrame) -> pd.DataFrame:
    age = (frame["first_post"] - frame["created_at"]).dt.total_seconds() / _DAY_S
    life = (frame["observed_at"] - frame["created_at"]).dt.total_seconds() / _DAY_S
    per_day = frame["posts_count"] / life.where(life > 0)
    share = frame["reposts"] / frame["posts"]
    handles = frame["handle"].astype(object)
    out = frame.assign(
        handle=handles.where(handles.notna(), None),
        repost_share=share,
        age_days=age,
        posts_per_day=per_day,
        new=(age >= 0) & (age <= NEW_ACCOUNT_DAYS),
        hyperactive=per_day >= HYPERACTIVE_PER_DAY,
        amplifier=(share >= AMPLIFIER_SHARE) & (frame["posts"] >= AMPLIFIER_MIN_POSTS),
        generated_handle=[generated_handle(h) for h in frame["handle"]],
        declared_bot=frame["declared_bot"].fillna(False).astype(bool),
    )
    flags = out[list(SIGNALS)].fillna(False).astype(bool)
    return out.assign(**{name: flags[name] for name in SIGNALS}).assign(
        signals=flags.sum(axis=1).astype(np.int64)
    )
