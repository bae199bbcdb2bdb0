"""The ground truth of a simulated archive: who is coordinated, when things happen, counts.

Every number is computed from the rows actually written (not from the plan), so tests can use
the truth as an oracle for the trends, campaign and coordination analyses.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson

from ..errors import InputError
from ..text import normalize_hashtag
from .accounts import COORDINATED, RING, SHAPES, Accounts
from .plan import COORDINATION_WINDOW, DURATION, NEW_ACCOUNT_DAYS, START, Plan, to_datetime
from .render import Rendered
from .timeline import Posts
from .vocab import ATTACK_TAG, COUNTER_TAG

__all__ = ["SimulationTruth", "Extras", "load_truth", "make_truth"]

_TIME_FIELDS = ("start", "end", "attack_start", "attack_end", "counter_start")


@dataclass(frozen=True)
class SimulationTruth:
    """What :func:`~trendwatch.simulate.simulate` put in an archive, for checking analyses.

    Hashtags are normalised (lower-case, no '#'); account lists are sorted ids; times are aware
    UTC datetimes (whole seconds, like ``created_at``).
    """

    seed: int
    scale: float
    files: tuple[str, ...]
    """Archive files, relative to the output folder."""
    start: datetime
    end: datetime
    attack_hashtag: str
    counter_hashtag: str
    coordinated_accounts: tuple[str, ...]
    """Exactly the accounts that coordinate: the members of every planted network."""
    attack_accounts: tuple[str, ...]
    """The attackers who push the attack hashtag (the retweet ring)."""
    shapes: dict[str, tuple[str, ...]]
    """Each planted network by its shape's name (retweet ring, link network, hashtag flood,
    reply raid): its members."""
    lookalikes: dict[str, tuple[str, ...]]
    """Legitimate accounts that act together (activist core, news bots): not coordinated."""
    flood_hashtags: tuple[str, ...]
    """The hashtags of the hashtag flood."""
    raid_target: str
    """The account the reply raid targets."""
    late_joiners: tuple[str, ...]
    """Organic accounts that posted the attack hashtag later, without coordinating."""
    counter_accounts: tuple[str, ...]
    """Authors of counter-hashtag posts (all organic)."""
    organic_accounts: tuple[str, ...]
    """Every account in the archive (author or mentioned) that is not coordinated."""
    attack_start: datetime
    """First attack-hashtag post by a coordinated account."""
    attack_end: datetime
    """Last attack-hashtag post by a coordinated account."""
    counter_start: datetime
    """First counter-hashtag post."""
    coordination_window: int
    """Attackers retweet each other at most this many seconds after the original."""
    new_account_days: int
    """Attackers counted as new were created at most this many days before the attack."""
    posts: int
    accounts: int
    attack_posts: int
    attack_posts_by_coordinated: int
    counter_posts: int
    both_hashtags_posts: int
    hashtag_counts: dict[str, int]
    """Posts (retweets included) whose own entities hold the hashtag, most used first."""

    def to_dict(self) -> dict:
        """A JSON-ready dict (times as ISO 8601 strings ending in ``Z``)."""
        data = dataclasses.asdict(self)
        for name in _TIME_FIELDS:
            data[name] = data[name].strftime("%Y-%m-%dT%H:%M:%SZ")
        for name, value in data.items():
            if isinstance(value, tuple):
                data[name] = list(value)
            elif name in ("shapes", "lookalikes"):
                data[name] = {k: list(v) for k, v in value.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SimulationTruth:
        """The inverse of :meth:`to_dict`."""
        values = dict(data)
        for name in _TIME_FIELDS:
            values[name] = datetime.fromisoformat(values[name].replace("Z", "+00:00"))
        for field in dataclasses.fields(cls):
            if isinstance(values.get(field.name), list):
                values[field.name] = tuple(values[field.name])
        for name in ("shapes", "lookalikes"):
            values[name] = {k: tuple(v) for k, v in values[name].items()}
        return cls(**values)


def load_truth(path: str | Path) -> SimulationTruth:
    """Read a ``truth.json`` written by :func:`~trendwatch.simulate.simulate`.

    ``path`` may be the file or the folder holding it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "truth.json"
    try:
        return SimulationTruth.from_dict(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a simulation truth file ({exc})") from exc


def _rows_with(tags: list[frozenset[str]], tag: str) -> np.ndarray:
    return np.array([tag in row for row in tags], bool)


def _ids(accounts: Accounts, rows) -> tuple[str, ...]:
    return tuple(sorted(accounts.ids[i] for i in np.unique(rows)))


def _hashtag_counts(tags: list[frozenset[str]]) -> dict[str, int]:
    counts = Counter(tag for row in tags for tag in row)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _appearing(posts: Posts, rendered: Rendered, accounts: Accounts) -> np.ndarray:
    row_of_id = {uid: i for i, uid in enumerate(accounts.ids)}
    mentioned = [row_of_id[m[3]] for body in rendered.bodies for m in body.mentions]
    return np.unique(np.concatenate([posts.author, np.array(mentioned, np.int64)]))


@dataclass(frozen=True)
class Extras:
    """What the generators report beside the posts: accounts and names the truth records."""

    joiners: np.ndarray
    core: np.ndarray
    news_bots: np.ndarray
    debate: np.ndarray
    flood_hashtags: tuple[str, ...]
    raid_target: int


def make_truth(plan: Plan, posts: Posts, rendered: Rendered, accounts: Accounts, files, extras):
    """The truth of what was written."""
    tags = [body.tags() for body in rendered.bodies]
    attack = _rows_with(tags, normalize_hashtag(ATTACK_TAG))
    counter = _rows_with(tags, normalize_hashtag(COUNTER_TAG))
    coordinated = accounts.shape[posts.author] == RING
    by_attackers = posts.time[attack & coordinated]
    appearing = _appearing(posts, rendered, accounts)
    return SimulationTruth(
        seed=plan.seed,
        scale=plan.scale,
        files=tuple(files),
        start=START,
        end=to_datetime(DURATION),
        attack_hashtag=normalize_hashtag(ATTACK_TAG),
        counter_hashtag=normalize_hashtag(COUNTER_TAG),
        coordinated_accounts=_ids(accounts, accounts.of_role(COORDINATED)),
        attack_accounts=_ids(accounts, accounts.of_shape(RING)),
        shapes={name: _ids(accounts, accounts.of_shape(code)) for code, name in SHAPES.items()},
        lookalikes={
            "activist core": _ids(accounts, extras.core),
            "news bots": _ids(accounts, extras.news_bots),
            "live debate": _ids(accounts, extras.debate),
        },
        flood_hashtags=tuple(sorted(normalize_hashtag(t) for t in extras.flood_hashtags)),
        raid_target=accounts.ids[extras.raid_target],
        late_joiners=_ids(accounts, extras.joiners),
        counter_accounts=_ids(accounts, posts.author[counter]),
        organic_accounts=_ids(accounts, appearing[accounts.role[appearing] != COORDINATED]),
        attack_start=to_datetime(by_attackers.min()),
        attack_end=to_datetime(by_attackers.max()),
        counter_start=to_datetime(posts.time[counter].min()),
        coordination_window=COORDINATION_WINDOW,
        new_account_days=NEW_ACCOUNT_DAYS,
        posts=len(posts),
        accounts=len(appearing),
        attack_posts=int(attack.sum()),
        attack_posts_by_coordinated=int((attack & coordinated).sum()),
        counter_posts=int(counter.sum()),
        both_hashtags_posts=int((attack & counter).sum()),
        hashtag_counts=_hashtag_counts(tags),
    )
