"""Legitimate look-alikes of coordination: an activist core, news bots, a live debate.

* **activist core**: a handful of years-old accounts among the counter-campaign's people start
  it half an hour early, post more than the others and retweet each other within a minute or
  so (a group chat with notifications on, not a bot farm). They are organised and authentic:
  the counter-campaign's crowd around them is hundreds of ordinary accounts, and they make a
  small share of its posts.
* **news bots**: old automated accounts that each follow two of four news feeds and post every
  headline with its link when they next poll the feed (every 5, 10 or 15 minutes, at a phase of
  their own). Two bots following the same feed post the same text and link at nearly the same
  time, again and again, with nobody organising them.
* **live debate**: on the first evening a televised debate runs two hours; hundreds of organic
  accounts post its hashtag several times each while it runs (their own words, sometimes a
  second hashtag), the way a crowd live-comments an event: everybody in the same minutes.
"""

from __future__ import annotations

import numpy as np

from .accounts import NEWSBOT, ORGANIC
from .bodies import UNIFORMS, counter_body, organic_body, pick
from .campaigns import candidate_of
from .organic import Writers, _add_unique_retweets
from .plan import DURATION, Plan
from .texts import Body, TextBuilder, tco
from .timeline import POST, Timeline, diurnal_times
from .vocab import HEADLINES, NEWS_FEEDS

__all__ = [
    "add_activist_core",
    "add_news_bots",
    "add_live_debate",
    "ARTICLES_PER_DAY",
    "POLL_INTERVALS",
    "DEBATE_START",
    "DEBATE_DURATION",
    "DEBATE_TAG",
]

ARTICLES_PER_DAY = 30
"""Articles each news feed publishes a day."""
POLL_INTERVALS = (300, 600, 900)
"""Seconds between two polls of a news bot."""
_FEEDS_PER_BOT = 2
DEBATE_START = 19 * 3600
"""The debate starts at 20:00 local time (19:00 UTC) on the first day."""
DEBATE_DURATION = 2 * 3600
DEBATE_TAG = "DebatDuJeudi"
_FEED_LINKS = 7 * 10**12
"""t.co numbers of the feeds' links: far from the shortener's (``seed * 10_000_019 + n``)."""


def add_activist_core(rng, plan: Plan, tl: Timeline, w: Writers, people) -> np.ndarray:
    """The core's posts and mutual retweets; returns its members (years-old counter people)."""
    acc = w.accounts
    old = people[acc.created[people] < plan.attack_start - 365 * 86400]
    core = rng.choice(old, min(plan.core_accounts, len(old)), replace=False)
    authors = np.repeat(core, rng.integers(4, 11, len(core)))
    offsets = rng.gamma(1.5, 1.5 * 3600, len(authors)) - 1800
    times = np.minimum(plan.counter_start + offsets, DURATION - 120)
    u = rng.random((len(authors), UNIFORMS))
    cand = candidate_of(w)
    bodies = [counter_body(x, "fr", cand, w.short, False) for x in u]
    rows = tl.add(times, authors, POST, bodies=bodies)
    _core_retweets(rng, tl, core, rows)
    return np.sort(core)


def _core_retweets(rng, tl: Timeline, core: np.ndarray, rows: np.ndarray) -> None:
    """Each core post is retweeted by two to four other members within a minute or so."""
    per = rng.integers(2, 5, len(rows))
    target = np.repeat(rows, per)
    retweeters = rng.choice(core, len(target))
    delays = np.clip(rng.lognormal(np.log(45.0), 0.6, len(target)), 8.0, 600.0)
    _add_unique_retweets(tl, tl.times()[target] + delays, retweeters, target)


def add_news_bots(rng, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    """Every bot posts every article of its feeds at its next poll; returns the bots."""
    bots = w.accounts.of_role(NEWSBOT)[: plan.news_bots]
    feeds = [_articles(rng, f) for f in range(len(NEWS_FEEDS))]
    for bot in bots:
        interval = float(pick(POLL_INTERVALS, rng.random()))
        phase = rng.uniform(0, interval)
        for feed in rng.choice(len(NEWS_FEEDS), _FEEDS_PER_BOT, replace=False):
            published, bodies = feeds[feed]
            times = published + (phase - published) % interval + rng.uniform(1, 6, len(published))
            keep = times < DURATION
            tl.add(times[keep], np.full(int(keep.sum()), bot), POST,
                   bodies=[b for b, k in zip(bodies, keep, strict=True) if k])  # fmt: skip
    return bots


def _articles(rng, feed: int) -> tuple[np.ndarray, list[Body]]:
    """One feed's publication times and the post every bot writes for each article."""
    domain, outlet = NEWS_FEEDS[feed]
    times = np.sort(diurnal_times(rng, ARTICLES_PER_DAY * DURATION // 86400))
    bodies = []
    for k in range(len(times)):
        headline = pick(HEADLINES, rng.random())
        slug = f"actu/{feed}-{k:03d}-{rng.integers(10**5, 10**6)}"
        display = f"{domain.removeprefix('www.')}/{slug}"[:25] + "…"
        text = TextBuilder("fr").words(f"{headline} – {outlet}")
        short = tco(_FEED_LINKS + feed * 10_000 + k)
        bodies.append(text.url(short, f"https://{domain}/{slug}", display).build())
    return times, bodies


def add_live_debate(rng, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    """The debate's live comments; returns the commenting accounts."""
    acc = w.accounts
    organic = acc.of_role(ORGANIC)
    weights = acc.activity[organic] ** 0.5
    viewers = rng.choice(organic, plan.debate_accounts, replace=False, p=weights / weights.sum())
    authors = np.repeat(viewers, rng.integers(2, 9, len(viewers)))
    times = DEBATE_START + DEBATE_DURATION * rng.beta(1.5, 1.3, len(authors))
    u = rng.random((len(authors), UNIFORMS))
    bodies = [_debate_body(x, acc.lang[a], w) for x, a in zip(u, authors, strict=True)]
    tl.add(times, authors, POST, bodies=bodies)
    return np.sort(viewers)


def _debate_body(u, lang: str, w: Writers) -> Body:
    """A live comment: an organic politics sentence with the debate's hashtag (and maybe more)."""
    body = organic_body(u, lang, "politics", w.mentions, w.short)
    words = [t for t in body.text.split(" ") if not t.startswith(("#", "@", "https://"))]
    b = TextBuilder(lang).words(" ".join(words)).hashtag(DEBATE_TAG)
    if u[12] < 0.3:
        b.hashtag("Presidentielle")
    return b.build()
