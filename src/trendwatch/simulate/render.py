"""Turn simulated rows into X API v2 objects: ids, final texts, metrics, tweet and user dicts.

Rows are put in time order and given snowflake ids (so ids sort like times, as on X). Replies
get their ``@author`` prefix, quotes the link to the quoted post, retweets the ``RT @author:``
text cut to 140 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import COORDINATED, NEWSBOT, Accounts, snowflake
from .plan import START
from .texts import Body, retweet_body, tco
from .timeline import QUOTE, REPLY, RETWEET, Posts
from .vocab import SOURCES

__all__ = ["Rendered", "render", "iso_times"]


@dataclass(frozen=True)
class Rendered:
    """Rows in time order: ``order[k]`` is the row of the k-th oldest post."""

    order: np.ndarray
    ids: list[str]
    """Post id of each row (indexed by row, not by time rank)."""
    bodies: list[Body]
    """Final text and entities of each row."""
    tweets: list[dict]
    """The v2 tweet object of each row."""


def iso_times(seconds: np.ndarray) -> list[str]:
    """``2025-11-13T08:15:02.000Z`` strings for instants in seconds from START."""
    stamps = np.datetime64(START.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]")
    return [s + ".000Z" for s in np.datetime_as_string(stamps, unit="s")]


def render(posts: Posts, accounts: Accounts, rng: np.random.Generator) -> Rendered:
    """Ids, final bodies and tweet objects for every simulated row."""
    ms = np.floor(posts.time * 1000).astype(np.int64)
    order = np.lexsort((np.arange(len(posts)), ms))
    epoch_ms = int(START.timestamp() * 1000) + ms[order]
    id_numbers = np.empty(len(posts), np.int64)
    id_numbers[order] = snowflake(epoch_ms, np.arange(len(posts)) & 0xFFF)
    ids = [str(i) for i in id_numbers]
    bodies = _final_bodies(posts, accounts, ids)
    tweets = _tweet_objects(posts, accounts, ids, bodies, rng)
    return Rendered(order, ids, bodies, tweets)


def _final_bodies(posts: Posts, accounts: Accounts, ids: list[str]) -> list[Body]:
    out: list = list(posts.bodies)
    names, uids = accounts.usernames, accounts.ids
    for row in np.flatnonzero(posts.kind != RETWEET):
        target = posts.target[row]
        if posts.kind[row] == REPLY:
            author = posts.author[target]
            out[row] = out[row].with_reply_prefix(names[author], uids[author])
        elif posts.kind[row] == QUOTE:
            link = f"twitter.com/{names[posts.author[target]]}/status/{ids[target]}"
            out[row] = out[row].with_link(tco(int(ids[row])), "https://" + link, link[:25] + "…")
    shared: dict[int, Body] = {}  # all retweets of a post have the same text
    for row in np.flatnonzero(posts.kind == RETWEET):
        target = int(posts.target[row])
        if target not in shared:
            author = posts.author[target]
            shared[target] = retweet_body(out[target], names[author], uids[author])
        out[row] = shared[target]
    return out


def _metrics(posts: Posts, rng: np.random.Generator) -> np.ndarray:
    """Columns retweet, reply, like, quote counts: what the data shows, likes made up."""
    n = len(posts)
    counts = np.zeros((n, 4), np.int64)
    for column, kind in ((0, RETWEET), (1, REPLY), (3, QUOTE)):
        targets = posts.target[posts.kind == kind]
        counts[:, column] = np.bincount(targets, minlength=n)
    counts[:, 2] = np.floor(counts[:, 0] * rng.uniform(1.0, 4.0, n) + rng.poisson(0.7, n))
    return counts


def _sources(accounts: Accounts, rng: np.random.Generator) -> np.ndarray:
    """The client each account posts from; attackers use the web app and Android, news bots
    an automation service."""
    organic = rng.choice(len(SOURCES) - 1, len(accounts), p=[0.45, 0.35, 0.15, 0.05])
    bots = rng.choice([1, 2], len(accounts))
    by_role = np.where(accounts.role == COORDINATED, bots, organic)
    return np.where(accounts.role == NEWSBOT, len(SOURCES) - 1, by_role)


def _tweet_objects(posts, accounts: Accounts, ids, bodies, rng) -> list[dict]:
    metrics = _metrics(posts, rng)
    source = _sources(accounts, rng)
    created = iso_times(posts.time)
    kinds = {RETWEET: "retweeted", REPLY: "replied_to", QUOTE: "quoted"}
    out = []
    for row in range(len(posts)):
        kind, target, author = posts.kind[row], posts.target[row], posts.author[row]
        shown = target if kind == RETWEET else row  # a retweet shows the original's counts
        tweet = {"entities": bodies[row].entities(), "author_id": accounts.ids[author]}
        tweet["text"] = bodies[row].text
        if kind == REPLY:
            tweet["in_reply_to_user_id"] = accounts.ids[posts.author[target]]
        if target >= 0:
            tweet["referenced_tweets"] = [{"type": kinds[int(kind)], "id": ids[target]}]
        conversation = ids[target] if kind == REPLY else ids[row]
        out.append(_finish(tweet, ids[row], conversation, SOURCES[source[author]],
                           metrics[shown], bodies[row].lang, created[row]))  # fmt: skip
    return out


def _finish(tweet: dict, tid, conversation, source, metrics, lang, created) -> dict:
    if not tweet["entities"]:
        del tweet["entities"]
    tweet.update(
        reply_settings="everyone",
        conversation_id=conversation,
        possibly_sensitive=False,
        source=source,
        public_metrics={
            "retweet_count": int(metrics[0]),
            "reply_count": int(metrics[1]),
            "like_count": int(metrics[2]),
            "quote_count": int(metrics[3]),
        },
        lang=lang,
        edit_history_tweet_ids=[tid],
        id=tid,
        created_at=created,
    )
    return tweet
