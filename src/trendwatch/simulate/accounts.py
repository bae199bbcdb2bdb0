"""The simulated population: organic users, celebrities, news bots, and the planted networks.

Organic accounts are mostly years old, with heavy-tailed followers and activity (a few power
users post as much as an attacker). The retweet ring's attackers are mostly days old, with few
followers and many posts for their age; a few are older "sleeper" accounts. The other planted
networks (:data:`SHAPES`) mix new and old accounts, so that no account signal gives them away.
News bots are old automated accounts that post headlines from news feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import NEW_ACCOUNT_DAYS, START, Plan
from .vocab import (
    BOT_DESCRIPTIONS,
    CELEBRITIES,
    FIRST_NAMES,
    LAST_NAMES,
    NEWS_BOTS,
    ORGANIC_DESCRIPTIONS,
)

__all__ = [
    "Accounts",
    "make_accounts",
    "ORGANIC",
    "CELEBRITY",
    "COORDINATED",
    "NEWSBOT",
    "SHAPES",
    "RING",
    "LINKS",
    "FLOOD",
    "RAID",
    "snowflake",
]

ORGANIC, CELEBRITY, COORDINATED, NEWSBOT = 0, 1, 2, 3
"""Roles; every account of a planted network is COORDINATED, whatever its shape."""
RING, LINKS, FLOOD, RAID = 1, 2, 3, 4
SHAPES = {RING: "retweet ring", LINKS: "link network", FLOOD: "hashtag flood", RAID: "reply raid"}
"""Shape code -> name of each planted coordinated network (shape 0: not planted)."""
DAY = 86400
_TWITTER_EPOCH_MS = 1288834974657
_LANGS = np.array(["fr", "en", "es"])


def snowflake(epoch_ms: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """X-style ids: milliseconds since the Twitter epoch in the high bits, a sequence below."""
    return ((epoch_ms.astype(np.int64) - _TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)


@dataclass(frozen=True)
class Accounts:
    """Columns of the population; row ``i`` is one account. ``created`` is in seconds from START."""

    ids: list[str]
    usernames: list[str]
    names: list[str]
    descriptions: list[str]
    role: np.ndarray
    created: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    tweet_count: np.ndarray
    verified: np.ndarray
    lang: np.ndarray
    activity: np.ndarray
    """Relative posting rate: lognormal for organic users, so some post a lot."""
    shape: np.ndarray
    """The planted network (a key of :data:`SHAPES`) of each account; 0 for the others."""

    def of_role(self, role: int) -> np.ndarray:
        return np.flatnonzero(self.role == role)

    def of_shape(self, shape: int) -> np.ndarray:
        return np.flatnonzero(self.shape == shape)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _Columns:
    role: np.ndarray
    age_days: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    daily_posts: np.ndarray
    verified: np.ndarray
    lang: np.ndarray
    activity: np.ndarray
    shape: np.ndarray


def _organic(rng: np.random.Generator, n: int) -> _Columns:
    recent = rng.random(n) < 0.03  # a few organic users joined recently too
    age = np.where(recent, rng.uniform(1, 60, n), 90 + np.minimum(rng.gamma(2.0, 900, n), 5000))
    return _Columns(
        role=np.full(n, ORGANIC, np.int8),
        age_days=age,
        followers=np.floor(rng.lognormal(5.3, 1.6, n)),
        following=np.floor(rng.lognormal(5.5, 1.0, n)),
        daily_posts=rng.lognormal(0.3, 1.3, n),
        verified=rng.random(n) < 0.01,
        lang=rng.choice(_LANGS, n, p=[0.88, 0.09, 0.03]),
        activity=rng.lognormal(0.0, 1.5, n),
        shape=np.zeros(n, np.int8),
    )


def _celebrities(rng: np.random.Generator) -> _Columns:
    n = len(CELEBRITIES)
    return _Columns(
        role=np.full(n, CELEBRITY, np.int8),
        age_days=rng.uniform(4000, 5000, n),
        followers=np.floor(rng.lognormal(12.5, 0.9, n)),
        following=np.floor(rng.lognormal(6.0, 0.8, n)),
        daily_posts=rng.uniform(8, 30, n),
        verified=np.ones(n, bool),
        lang=np.array([c[3] for c in CELEBRITIES]),
        activity=rng.uniform(3, 8, n),
        shape=np.zeros(n, np.int8),
    )


def _attackers(rng: np.random.Generator, n: int, sleepers: int) -> _Columns:
    sleeper = np.arange(n) >= n - sleepers
    age = np.where(sleeper, rng.uniform(700, 3000, n), rng.uniform(0.5, NEW_ACCOUNT_DAYS - 1, n))
    return _Columns(
        role=np.full(n, COORDINATED, np.int8),
        age_days=age,
        followers=np.where(sleeper, rng.integers(40, 400, n), rng.geometric(1 / 20, n) - 1),
        following=rng.integers(150, 1500, n).astype(float),
        daily_posts=np.where(sleeper, rng.uniform(5, 20, n), rng.uniform(60, 250, n)),
        verified=np.zeros(n, bool),
        lang=np.full(n, "fr"),
        activity=rng.uniform(0.2, 1.0, n),
        shape=np.full(n, RING, np.int8),
    )


def _network(rng: np.random.Generator, n: int, shape: int, new_share: float) -> _Columns:
    """A planted network of another shape: some new accounts, the others years old."""
    new = rng.random(n) < new_share
    age = np.where(new, rng.uniform(2, NEW_ACCOUNT_DAYS - 1, n), rng.uniform(400, 3500, n))
    return _Columns(
        role=np.full(n, COORDINATED, np.int8),
        age_days=age,
        followers=np.floor(rng.lognormal(np.where(new, 2.5, 4.8), 1.0, n)),
        following=rng.integers(100, 2000, n).astype(float),
        daily_posts=rng.lognormal(np.where(new, 3.0, 1.5), 0.6, n),
        verified=np.zeros(n, bool),
        lang=np.full(n, "fr"),
        activity=rng.lognormal(-0.5, 0.8, n),
        shape=np.full(n, shape, np.int8),
    )


def _news_bots(rng: np.random.Generator, n: int) -> _Columns:
    """Old automated accounts: many posts a day, some followers, never verified."""
    return _Columns(
        role=np.full(n, NEWSBOT, np.int8),
        age_days=rng.uniform(1200, 4000, n),
        followers=np.floor(rng.lognormal(7.5, 1.0, n)),
        following=rng.integers(0, 20, n).astype(float),
        daily_posts=rng.uniform(40, 120, n),
        verified=np.zeros(n, bool),
        lang=np.full(n, "fr"),
        activity=np.full(n, 0.01),  # they post headlines only (simulate.lookalikes)
        shape=np.zeros(n, np.int8),
    )


def _concat(parts: list[_Columns]) -> _Columns:
    fields = _Columns.__dataclass_fields__
    return _Columns(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def make_accounts(rng: np.random.Generator, plan: Plan) -> Accounts:
    """The population: organic users, celebrities, the retweet ring, the other networks, bots."""
    cols = _concat(
        [
            _organic(rng, plan.organic_accounts),
            _celebrities(rng),
            _attackers(rng, plan.attackers, plan.sleepers),
            _network(rng, plan.link_accounts, LINKS, new_share=0.3),
            _network(rng, plan.flood_accounts, FLOOD, new_share=0.5),
            _network(rng, plan.raid_accounts, RAID, new_share=0.6),
            _news_bots(rng, plan.news_bots),
        ]
    )
    created = np.floor(plan.attack_start - cols.age_days * DAY)
    handles, names, descriptions = _identities(rng, cols)
    return Accounts(
        ids=[str(i) for i in _user_ids(created)],
        usernames=handles,
        names=names,
        descriptions=descriptions,
        role=cols.role,
        created=created,
        followers=cols.followers.astype(np.int64),
        following=cols.following.astype(np.int64),
        tweet_count=np.ceil(cols.age_days * cols.daily_posts).astype(np.int64),
        verified=cols.verified,
        lang=cols.lang,
        activity=cols.activity,
        shape=cols.shape,
    )


def _user_ids(created: np.ndarray) -> np.ndarray:
    epoch_ms = (START.timestamp() + created) * 1000
    return snowflake(epoch_ms, np.arange(len(created)))


def _identities(rng: np.random.Generator, cols: _Columns):
    n = len(cols.role)
    u = rng.random((n, 5))
    digits = rng.integers(0, 10**8, n)
    handles, names, descriptions = [], [], []
    fixed = iter([(h, name, "Compte officiel.") for h, name, *_ in CELEBRITIES] + list(NEWS_BOTS))
    # The ring's accounts and every new planted account keep the handle X proposes.
    generated = (cols.shape == RING) | (
        (cols.role == COORDINATED) & (cols.age_days < NEW_ACCOUNT_DAYS)
    )
    for i in range(n):
        if cols.role[i] in (CELEBRITY, NEWSBOT):
            for column, value in zip((handles, names, descriptions), next(fixed), strict=True):
                column.append(value)
            continue
        first = FIRST_NAMES[int(u[i, 0] * len(FIRST_NAMES))]
        last = LAST_NAMES[int(u[i, 1] * len(LAST_NAMES))]
        handles.append(_handle(first, last, int(u[i, 2] * 5), int(digits[i]), generated[i]))
        bot = cols.role[i] == COORDINATED
        names.append(f"{first} 🇫🇷" if bot and u[i, 3] < 0.5 else f"{first} {last}")
        pool = BOT_DESCRIPTIONS if bot else ORGANIC_DESCRIPTIONS
        descriptions.append(pool[int(u[i, 4] * len(pool))])
    return _unique(handles), names, descriptions


def _handle(first: str, last: str, style: int, digits: int, bot: bool) -> str:
    first = _ascii(first)
    last = _ascii(last)
    if bot:  # the default handle X proposes to a new account: a name and eight digits
        return f"{first}{digits:08d}"
    styles = (
        f"{first}{last}",
        f"{first}_{last}{digits % 100}",
        f"{first[0]}{last}{digits % 1000}",
        f"{last}{first}",
        f"{first.lower()}.{last.lower()}"[:15].replace(".", "_"),
    )
    return styles[style][:15]


def _ascii(word: str) -> str:
    table = str.maketrans("éèëêïîôöàâçÉ", "eeeeiiooaacE")
    return word.translate(table)


def _unique(handles: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for handle in handles:
        candidate, k = handle, 1
        while candidate.lower() in seen:
            k += 1
            candidate = f"{handle[:13]}{k}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out
