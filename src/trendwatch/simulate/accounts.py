"""The simulated population: organic users, celebrity and news accounts, and the attackers.

Organic accounts are mostly years old, with heavy-tailed followers and activity (a few power
users post as much as an attacker). Attackers are mostly days old, with few followers and many
posts for their age; a few are older "sleeper" accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import NEW_ACCOUNT_DAYS, START, Plan
from .vocab import BOT_DESCRIPTIONS, CELEBRITIES, FIRST_NAMES, LAST_NAMES, ORGANIC_DESCRIPTIONS

__all__ = ["Accounts", "make_accounts", "ORGANIC", "CELEBRITY", "COORDINATED", "snowflake"]

ORGANIC, CELEBRITY, COORDINATED = 0, 1, 2
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

    def of_role(self, role: int) -> np.ndarray:
        return np.flatnonzero(self.role == role)

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
    )


def _concat(parts: list[_Columns]) -> _Columns:
    fields = _Columns.__dataclass_fields__
    return _Columns(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def make_accounts(rng: np.random.Generator, plan: Plan) -> Accounts:
    """The population: organic users, then celebrities, then the coordinated accounts."""
    cols = _concat(
        [
            _organic(rng, plan.organic_accounts),
            _celebrities(rng),
            _attackers(rng, plan.attackers, plan.sleepers),
        ]
    )
    created = np.floor(plan.attack_start - cols.age_days * DAY)
    handles, names, descriptions = _identities(rng, cols.role, cols.lang)
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
    )


def _user_ids(created: np.ndarray) -> np.ndarray:
    epoch_ms = (START.timestamp() + created) * 1000
    return snowflake(epoch_ms, np.arange(len(created)))


def _identities(rng: np.random.Generator, role: np.ndarray, lang: np.ndarray):
    n = len(role)
    u = rng.random((n, 5))
    digits = rng.integers(0, 10**8, n)
    handles, names, descriptions = [], [], []
    celebrity = iter(CELEBRITIES)
    for i in range(n):
        if role[i] == CELEBRITY:
            handle, name, *_ = next(celebrity)
            handles.append(handle)
            names.append(name)
            descriptions.append("Compte officiel.")
            continue
        first = FIRST_NAMES[int(u[i, 0] * len(FIRST_NAMES))]
        last = LAST_NAMES[int(u[i, 1] * len(LAST_NAMES))]
        bot = role[i] == COORDINATED
        handles.append(_handle(first, last, int(u[i, 2] * 5), int(digits[i]), bot))
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
