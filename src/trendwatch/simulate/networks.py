"""The planted networks besides the retweet ring: a link network, a hashtag flood, a reply raid.

Each is a common shape of coordination in which every member acts **once per event**, the shape
a detector must not miss:

* **link network**: its members post the same fringe article within 30 s of each other, about
  25 times over the two days, each with a comment of its own and a link that differs in its
  tracking parameters, its ``www`` or scheme, or goes through a shortener (the payload's
  ``expanded_url`` is then the short link and ``unwound_url`` the article). A few organic
  accounts share the same articles hours later;
* **hashtag flood**: every few hours, its members post original texts carrying the same three
  to five hashtags (in any order) within a shared five-minute window;
* **reply raid**: its members answer each post of one targeted account within two minutes.
  Organic accounts answer the same posts at human pace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import FLOOD, LINKS, ORGANIC, RAID
from .bodies import UNIFORMS, pick, reply_body
from .organic import Writers
from .plan import DURATION, Plan
from .texts import Body, TextBuilder
from .timeline import POST, REPLY, Timeline, diurnal_times, retweet_delays, weighted_pick
from .vocab import (
    FLOOD_ENDINGS,
    FLOOD_MIDDLES,
    FLOOD_OPENERS,
    FLOOD_TAGS,
    FRINGE_DOMAINS,
    FRINGE_SLUGS,
    LINK_COMMENTS,
    RAID_ENDINGS,
    RAID_OPENERS,
    SHORTENERS,
    UTM_CAMPAIGNS,
    UTM_SOURCES,
)

__all__ = [
    "LINK_WINDOW",
    "FLOOD_WINDOW",
    "RAID_WINDOW",
    "RaidTarget",
    "add_link_network",
    "add_hashtag_flood",
    "add_reply_raid",
]

LINK_WINDOW = 30
"""The link network's members post an article within this many seconds of the first."""
FLOOD_WINDOW = 300
"""A flood wave lasts this many seconds."""
RAID_WINDOW = 120
"""Raiders answer a targeted post within this many seconds."""
_TAKE_PART = {LINKS: 0.75, FLOOD: 0.8, RAID: 0.7}
"""Chance that a member takes part in one event of its network."""
_SHORT_CODE = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class RaidTarget:
    """The account the reply raid targets, and its posts."""

    account: int
    rows: np.ndarray


def _participants(rng, members: np.ndarray, shape: int) -> np.ndarray:
    """The members taking part in one event (at least three)."""
    joined = members[rng.random(len(members)) < _TAKE_PART[shape]]
    return joined if len(joined) >= 3 else rng.choice(members, 3, replace=False)


# --- link network ------------------------------------------------------------------------------


def add_link_network(rng, plan: Plan, tl: Timeline, w: Writers) -> np.ndarray:
    """The link network's posts (and the organic echoes); returns its members."""
    members = w.accounts.of_shape(LINKS)
    for start in np.sort(diurnal_times(rng, plan.link_events)):
        article = f"{pick(FRINGE_SLUGS, rng.random())}-{rng.integers(100, 999)}"
        domain = pick(FRINGE_DOMAINS, rng.random())
        joined = _participants(rng, members, LINKS)
        times = start + np.r_[0.0, rng.uniform(1, LINK_WINDOW, len(joined) - 1)]
        bodies = [_link_body(rng, domain, article, w) for _ in joined]
        tl.add(times, rng.permutation(joined), POST, bodies=bodies)
        _organic_echoes(rng, tl, w, start, domain, article)
    return members


def _link_body(rng, domain: str, article: str, w: Writers) -> Body:
    expanded, unwound = _link_variant(rng, domain, article)
    b = TextBuilder("fr").words(
        pick(LINK_COMMENTS, rng.random()) + pick((" :", " !", ""), rng.random())
    )
    display = f"{domain}/{article}"
    display = display if len(display) <= 26 else display[:25] + "…"
    return b.url(w.short(), expanded, display, unwound).build()


def _link_variant(rng, domain: str, article: str) -> tuple[str, str | None]:
    """``(expanded, unwound)``: the same article behind trackers, ``www``, ``http``, shorteners."""
    tracked = (
        f"https://{domain}/{article}?utm_source={pick(UTM_SOURCES, rng.random())}"
        f"&utm_medium=social&utm_campaign={pick(UTM_CAMPAIGNS, rng.random())}"
    )
    x = rng.random()
    if x < 0.4:
        return tracked, None
    if x < 0.65:
        code = "".join(rng.choice(list(_SHORT_CODE), 7))
        return f"https://{pick(SHORTENERS, rng.random())}/{code}", tracked
    if x < 0.8:
        return f"https://www.{domain}/{article}", None
    return f"http://{domain}/{article}", None


def _organic_echoes(rng, tl: Timeline, w: Writers, start: float, domain: str, article: str):
    """A few organic accounts share the same article hours later, one by one."""
    n = rng.poisson(1.0)
    organic = w.accounts.of_role(ORGANIC)
    authors = weighted_pick(rng, organic, w.accounts.activity[organic], n)
    times = start + rng.uniform(3600, 10 * 3600, n)
    keep = times < DURATION
    url = f"https://{domain}/{article}"
    bodies = [
        TextBuilder("fr").words("Vu passer ça").url(w.short(), url, f"{domain}/…").build()
        for _ in range(int(keep.sum()))
    ]
    tl.add(times[keep], authors[keep], POST, bodies=bodies)


# --- hashtag flood -----------------------------------------------------------------------------


def add_hashtag_flood(rng, plan: Plan, tl: Timeline, w: Writers) -> tuple[np.ndarray, tuple]:
    """The flood's waves; returns its members and every hashtag it used."""
    members = w.accounts.of_shape(FLOOD)
    spacing = (DURATION - 4 * 3600) / plan.flood_events
    starts = 2 * 3600 + np.arange(plan.flood_events) * spacing + rng.uniform(0, 1800)
    used: set[str] = set()
    for start in starts:
        tags = list(rng.choice(FLOOD_TAGS, rng.integers(3, 6), replace=False))
        used.update(tags)
        joined = _participants(rng, members, FLOOD)
        authors = np.repeat(joined, np.where(rng.random(len(joined)) < 0.3, 2, 1))
        times = start + rng.uniform(0, FLOOD_WINDOW, len(authors))
        bodies = [_flood_body(rng, tags) for _ in authors]
        tl.add(times, authors, POST, bodies=bodies)
    return members, tuple(sorted(used))


def _flood_body(rng, tags: list[str]) -> Body:
    """An original sentence of its own, then the wave's hashtags in a random order."""
    sentence = f"{pick(FLOOD_OPENERS, rng.random())}, {pick(FLOOD_MIDDLES, rng.random())}"
    b = TextBuilder("fr").words(sentence + pick(FLOOD_ENDINGS, rng.random()))
    for tag in rng.permutation(tags):
        b.hashtag(str(tag))
    return b.build()


# --- reply raid --------------------------------------------------------------------------------


def add_reply_raid(rng, plan: Plan, tl: Timeline, w: Writers) -> tuple[np.ndarray, RaidTarget]:
    """The targeted account's posts, the raid under each, and organic replies."""
    raiders = w.accounts.of_shape(RAID)
    target = _raid_target(w)
    times = np.sort(diurnal_times(rng, plan.raid_posts))
    rows = tl.add(
        times, np.full(len(times), target), POST, bodies=w.organic(rng, [target] * len(times))
    )
    for row, start in zip(rows, times, strict=True):
        joined = _participants(rng, raiders, RAID)
        delays = np.clip(rng.lognormal(np.log(40.0), 0.6, len(joined)), 4.0, RAID_WINDOW - 5)
        bodies = [_raid_body(rng) for _ in joined]
        tl.add(start + delays, joined, REPLY, target=np.full(len(joined), row), bodies=bodies)
        _organic_replies(rng, tl, w, row, start)
    return raiders, RaidTarget(target, rows)


def _raid_target(w: Writers) -> int:
    """The French organic account with the most followers: a journalist, say."""
    acc = w.accounts
    candidates = np.flatnonzero((acc.role == ORGANIC) & (acc.lang == "fr"))
    return int(candidates[np.argmax(acc.followers[candidates])])


def _raid_body(rng) -> Body:
    return (
        TextBuilder("fr")
        .words(pick(RAID_OPENERS, rng.random()) + pick(RAID_ENDINGS, rng.random()))
        .build()
    )


def _organic_replies(rng, tl: Timeline, w: Writers, row: int, start: float) -> None:
    organic = w.accounts.of_role(ORGANIC)
    n = rng.poisson(3.0)
    authors = weighted_pick(rng, organic, w.accounts.activity[organic], n)
    times = start + retweet_delays(rng, n, median=1200, sigma=1.0)
    keep = times < DURATION
    u = rng.random((n, UNIFORMS))
    bodies = [reply_body(u[i], w.accounts.lang[a]) for i, a in enumerate(authors) if keep[i]]
    tl.add(times[keep], authors[keep], REPLY, target=np.full(int(keep.sum()), row), bodies=bodies)
