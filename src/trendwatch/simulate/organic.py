"""Organic background: topical posts, replies, quotes, ordinary retweets and big fast cascades.

The cascades are the trap for naive co-retweet methods: hundreds of unrelated accounts retweet
a celebrity's post within minutes, so many pairs of them fall within 60 s of each other.
"""

from __future__ import annotations

import numpy as np

from .accounts import CELEBRITY, COORDINATED, NEWSBOT, Accounts
from .bodies import TOPIC_NAMES, UNIFORMS, Mentionable, Shortener, organic_body, pick, quote_body
from .bodies import reply_body as make_reply_body
from .plan import DURATION, Plan
from .timeline import (
    POST,
    QUOTE,
    REPLY,
    RETWEET,
    Timeline,
    diurnal_times,
    retweet_delays,
    weighted_pick,
)

__all__ = ["Writers", "add_organic", "add_retweets", "earlier_targets"]

_TOPIC_SHARE = np.array([0.35, 0.25, 0.25, 0.15])


class Writers:
    """What organic generators need to write texts: accounts, mentions, link shortener."""

    def __init__(self, accounts: Accounts, short: Shortener):
        self.accounts = accounts
        self.short = short
        famous = np.argsort(-accounts.followers, kind="stable")[:300]
        self.mentions = Mentionable(
            [accounts.usernames[i] for i in famous], [accounts.ids[i] for i in famous]
        )

    def organic(self, rng: np.random.Generator, authors: np.ndarray, topics=None) -> list:
        """Topical bodies for ``authors`` (topic drawn per post unless given)."""
        n = len(authors)
        u = rng.random((n, UNIFORMS))
        if topics is None:
            topics = rng.choice(len(TOPIC_NAMES), n, p=_TOPIC_SHARE)
        lang = self.accounts.lang
        return [
            organic_body(u[i], lang[a], TOPIC_NAMES[t], self.mentions, self.short)
            for i, (a, t) in enumerate(zip(authors, topics, strict=True))
        ]


def add_organic(rng: np.random.Generator, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    """Add the organic background and cascades; return the rows of the cascade roots."""
    posts = _posts(rng, plan, tl, w)
    _replies_and_quotes(rng, plan, tl, w, posts)
    add_retweets(rng, tl, w.accounts, np.arange(len(tl)), median=1200, sigma=1.6)
    return _cascades(rng, plan, tl, w)


def _posting_pool(accounts: Accounts) -> tuple[np.ndarray, np.ndarray]:
    """Everybody posts a little in the background, planted accounts included (rarely).

    News bots only post their feeds' headlines (:mod:`.lookalikes`).
    """
    pool = np.arange(len(accounts))
    weights = accounts.activity * np.where(accounts.role == COORDINATED, 0.3, 1.0)
    weights = np.where(accounts.role == NEWSBOT, 0.0, weights)
    return pool, weights


def _posts(rng, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    n = round(plan.organic_originals * 0.72)
    pool, weights = _posting_pool(w.accounts)
    authors = weighted_pick(rng, pool, weights, n)
    return tl.add(diurnal_times(rng, n), authors, POST, bodies=w.organic(rng, authors))


def _replies_and_quotes(rng, plan: Plan, tl: Timeline, w: Writers, posts: np.ndarray) -> None:
    pool, weights = _posting_pool(w.accounts)
    post_times = tl.times()[posts]
    lang = w.accounts.lang
    for kind, share in ((REPLY, 0.18), (QUOTE, 0.10)):
        n = round(plan.organic_originals * share)
        times = diurnal_times(rng, n)
        targets = earlier_targets(rng, times, posts, post_times, mean_back=150)
        keep = targets >= 0
        times, targets = times[keep], targets[keep]
        authors = weighted_pick(rng, pool, weights, len(times))
        u = rng.random((len(times), UNIFORMS))
        if kind == REPLY:
            bodies = [make_reply_body(u[i], lang[a]) for i, a in enumerate(authors)]
        else:
            bodies = [quote_body(u[i], lang[a], pick(TOPIC_NAMES, u[i, 9])) for i, a in
                      enumerate(authors)]  # fmt: skip
        tl.add(times, authors, kind, target=targets, bodies=bodies)


def earlier_targets(rng, times, rows, row_times, mean_back: float) -> np.ndarray:
    """For each instant, one of the posts shortly before it (-1 when there is none).

    How far back is geometric with mean ``mean_back`` posts, so recent posts get most answers.
    """
    order = np.argsort(row_times, kind="stable")
    before = np.searchsorted(row_times[order], times - 1.0)
    j = before - rng.geometric(1.0 / mean_back, len(times))
    found = (before > 0) & (j >= 0)
    return np.where(found, rows[order][np.clip(j, 0, None)], -1)


def add_retweets(rng, tl: Timeline, accounts: Accounts, originals, median: float, sigma: float):
    """Ordinary retweets: popular authors get more, after heavy-tailed delays.

    Each original gets a Poisson number of retweets growing with its author's followers;
    retweeters are organic accounts, the busy ones more often.
    """
    authors = tl.authors()[originals]
    lam = np.minimum(0.3 * (accounts.followers[authors] / 100.0) ** 0.55, 80.0)
    counts = rng.poisson(lam)
    target = np.repeat(originals, counts)
    times = np.repeat(tl.times()[originals], counts)
    times = times + retweet_delays(rng, len(times), median, sigma)
    organic = np.flatnonzero(~np.isin(accounts.role, (COORDINATED, NEWSBOT)))
    retweeters = weighted_pick(rng, organic, accounts.activity[organic] ** 0.7, len(times))
    return _add_unique_retweets(tl, times, retweeters, target)


def _add_unique_retweets(tl: Timeline, times, retweeters, target) -> np.ndarray:
    """Drop self-retweets, repeats of the same (account, post) and retweets after the end."""
    authors = tl.authors()
    ok = (retweeters != authors[target]) & (times < DURATION)
    times, retweeters, target = times[ok], retweeters[ok], target[ok]
    _, first = np.unique(np.stack([retweeters, target]), axis=1, return_index=True)
    first = np.sort(first)
    return tl.add(times[first], retweeters[first], RETWEET, target=target[first])


def _cascades(rng, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    """Celebrity posts retweeted by hundreds of organic accounts within minutes."""
    acc = w.accounts
    celebrities = acc.of_role(CELEBRITY)
    authors = rng.choice(celebrities, plan.cascades, replace=False)
    local_hour = rng.uniform(8, 22, plan.cascades)
    times = rng.integers(0, 2, plan.cascades) * 86400.0 + (local_hour - 1) * 3600.0
    roots = tl.add(times, authors, POST, bodies=w.organic(rng, authors))
    organic = np.flatnonzero(acc.role == 0)
    size = min(plan.cascade_size, len(organic) // 2)
    for root, t in zip(roots, times, strict=True):
        fans = rng.choice(organic, size, replace=False, p=_normalised(acc.activity[organic] ** 0.5))
        delays = retweet_delays(rng, size, median=150, sigma=1.2)
        _add_unique_retweets(tl, t + delays, fans, np.full(size, root))
    return roots


def _normalised(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()
