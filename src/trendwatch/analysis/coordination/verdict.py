"""The verdict on a scope: is there a coordinated core, how much of the scope did it make, and
what does it read like — a push by a small group, or an organised core inside a broad crowd?

The verdict is built from the groups' scores (:mod:`.scores`) and the scope's totals; every
number it states is in :class:`Verdict`, so a reader can check the sentence against them.

Finding (:attr:`Verdict.finding`)
    ``"coordinated core"`` when at least one group was found; otherwise ``"no coordinated
    core"``, with the caveat ``too_small`` when the scope holds fewer than
    :data:`MIN_POSTS` posts or :data:`MIN_ACCOUNTS` accounts (a test over so few cannot
    reach a strict false discovery rate, so "none found" says little).
Reading (:attr:`Verdict.reading`), from the core's share of the scope's posts (``share``) and of
its first 2,000 posts (``share_first``), and the crowd (accounts outside the core):
    ``"push"`` — the core made at least :data:`PUSH_SHARE` (50 %) of the posts or of the first
    2,000: the trend *is* the group. ``"organised core in a crowd"`` — the core made at most
    :data:`CROWD_SHARE` (20 %) of the posts and the crowd outnumbers it
    :data:`CROWD_RATIO` (10) times or more: organised, but most of the voice is not its own
    (an activist core, a campaign team). ``"coordinated minority"`` otherwise.

Volume (:attr:`Verdict.heavy_accounts`, :attr:`Verdict.heavy_share`)
    the accounts that posted at least :data:`HEAVY_POSTS` (10) times within one hour in the
    scope, and their share of its posts. When no core is found but they made at least
    :data:`HEAVY_SHARE` (half) of the posts, the verdict says so: a push by a few very active
    accounts that the link test cannot tell from their own activity (an archive that holds
    only the operation, as the IRA's #IslamKills: 129 of its 132 accounts posted ten times
    within an hour and made all but 11 of its 4,053 posts; the simulator's live debate: none).

These cut-offs describe; they do not judge intent. An organised activist core and a paid
network can look alike in the links: the shares, the crowd and the account ages (in each
group's scores) are what tell them apart, and the verdict shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import ibis
import pandas as pd

from ...wording import plural
from .engine import Scope

__all__ = [
    "Verdict",
    "verdict_of",
    "reading_of",
    "PUSH_SHARE",
    "CROWD_SHARE",
    "CROWD_RATIO",
    "MIN_POSTS",
    "MIN_ACCOUNTS",
    "HEAVY_POSTS",
    "HEAVY_SHARE",
    "heavy_posters",
]

PUSH_SHARE = 0.5
CROWD_SHARE = 0.2
CROWD_RATIO = 10
MIN_POSTS = 100
MIN_ACCOUNTS = 10
HEAVY_POSTS = 10
HEAVY_SHARE = 0.5


@dataclass(frozen=True)
class Verdict:
    """The verdict's sentence and the numbers behind it (see the module docs)."""

    finding: str
    text: str
    scope: str
    posts: int
    accounts: int
    core_accounts: int = 0
    core_posts: int = 0
    share: float = 0.0
    share_first: float = 0.0
    crowd_accounts: int = 0
    reading: str | None = None
    methods: list = field(default_factory=list)
    groups: int = 0
    too_small: bool = False
    heavy_accounts: int = 0
    heavy_share: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def reading_of(share: float, share_first: float, core: int, crowd: int) -> str:
    """The reading of a core (module docs).

    >>> reading_of(0.97, 0.99, 40, 35), reading_of(0.04, 0.05, 8, 640)
    ('push', 'organised core in a crowd')
    >>> reading_of(0.3, 0.2, 20, 100)
    'coordinated minority'
    """
    if max(share, share_first) >= PUSH_SHARE:
        return "push"
    if share <= CROWD_SHARE and crowd >= CROWD_RATIO * core:
        return "organised core in a crowd"
    return "coordinated minority"


def verdict_of(store, scores: pd.DataFrame, scope: Scope, methods) -> Verdict:
    """The verdict on ``scope`` given the groups' ``scores`` (one row per group).

    A scope of one hashtag is one campaign: the verdict reads its core as a whole. Any other
    scope (the archive, a time range, several hashtags: an attack and its counter-campaign)
    may hold several campaigns: the verdict lists the groups, each with the hashtag it pushed
    and its own reading (``scores["reading"]``).
    """
    posts, accounts = _scope_totals(store, scope)
    label = _scope_label(scope)
    too_small = posts < MIN_POSTS or accounts < MIN_ACCOUNTS
    heavy, heavy_posts = heavy_posters(store, scope)
    volume = {"heavy_accounts": heavy, "heavy_share": heavy_posts / posts if posts else 0.0}
    if scores.empty:
        text = _no_core_text(label, posts, accounts, too_small) + _volume_text(scope, **volume)
        return Verdict("no coordinated core", text, label, posts, accounts, too_small=too_small,
                       **volume)  # fmt: skip
    core = int(scores["size"].sum())
    core_posts = int(scores["posts"].sum())
    share = core_posts / posts if posts else 0.0
    share_first = float(scores["share_first_2000"].fillna(0).sum())
    crowd = max(accounts - core, 0)
    used = _methods_of(scores, methods)
    if scope.hashtags and len(scope.hashtags) == 1:
        reading = reading_of(share, share_first, core, crowd)
        text = _core_text(label, core, posts, share, share_first, crowd, reading, used)
    else:
        reading = None
        text = _groups_text(label, scores, core, posts, share, used)
    return Verdict(
        "coordinated core", text, label, posts, accounts, core, core_posts, share,
        share_first, crowd, reading, used, len(scores), too_small, **volume,
    )  # fmt: skip


_HEAVY_SQL = """
    WITH scoped AS ({posts}), rates AS (
        SELECT author_id, count(*) OVER (
            PARTITION BY author_id ORDER BY created_at
            RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS in_hour
        FROM scoped
    ), heavy AS (SELECT author_id FROM rates GROUP BY author_id HAVING max(in_hour) >= ?)
    SELECT (SELECT count(*) FROM heavy), count(*) FROM scoped
    WHERE author_id IN (SELECT author_id FROM heavy)
"""


def heavy_posters(store, scope: Scope) -> tuple[int, int]:
    """``(accounts, their posts)``: the scope's accounts that posted at least
    :data:`HEAVY_POSTS` times within one hour, and all their posts in the scope."""
    posts = scope.apply(store.posts()).select("author_id", "created_at")
    if getattr(store, "engine", "duckdb") == "spark":  # the same SQL text on Spark
        sql = _HEAVY_SQL.format(posts=store.compile(posts))
        [(accounts, heavy_posts)] = store.sql_rows(sql, [HEAVY_POSTS])
    else:
        sql = _HEAVY_SQL.format(posts=ibis.to_sql(posts, dialect="duckdb"))
        accounts, heavy_posts = store.con.execute(sql, [HEAVY_POSTS]).fetchall()[0]
    return int(accounts), int(heavy_posts)


def _percent(share: float) -> str:
    """A share in whole percent that never says 100 % unless it is all.

    >>> _percent(0.976), _percent(0.997), _percent(1.0)
    ('98%', '99%', '100%')
    """
    return "100%" if share >= 1 else f"{min(round(share * 100), 99)}%"


def _volume_text(scope: Scope, heavy_accounts: int, heavy_share: float) -> str:
    if heavy_share < HEAVY_SHARE:
        return ""
    check = " ".join(f"--hashtag {t}" for t in scope.hashtags or ())
    return (
        f" But {plural(heavy_accounts, 'account')} posted {HEAVY_POSTS} times or more within "
        f"an hour each and made {_percent(heavy_share)} of the posts: a push by volume that "
        f"the link test cannot tell from their own activity. Check them: trendwatch accounts "
        f"{check}"
    ).rstrip() + "."


def _scope_totals(store, scope: Scope) -> tuple[int, int]:
    posts = scope.apply(store.posts())
    row = posts.aggregate(n=posts.count(), accounts=posts.author_id.nunique()).to_pyarrow()
    return int(row["n"][0].as_py() or 0), int(row["accounts"][0].as_py() or 0)


def _scope_label(scope: Scope) -> str:
    if scope.hashtags:
        return " or ".join(f"#{tag.lstrip('#')}" for tag in scope.hashtags)
    return "the scope" if (scope.since or scope.until or scope.platform) else "the archive"


def _methods_of(scores: pd.DataFrame, methods) -> list:
    found = {k["method"] for keys in scores["top_keys"] for k in keys}
    return [m for m in methods if m in found] or list(methods)


def _no_core_text(label: str, posts: int, accounts: int, too_small: bool) -> str:
    text = (
        f"No coordinated core found in {label} ({plural(posts, 'post')} by "
        f"{plural(accounts, 'account')}): no group of accounts acted together more often than "
        "their activity explains."
    )
    if too_small:
        text += " The scope is small, so this says little: too few posts to tell."
    return text


_READINGS = {
    "push": "Reads as a push by a small group: the core made most of the posts{first}.",
    "organised core in a crowd": (
        "Reads as an organised core inside a broad crowd: {crowd} other accounts made most "
        "of the posts."
    ),
    "coordinated minority": (
        "A coordinated minority: the core made a sizeable part of the posts, the {crowd} "
        "other accounts the rest."
    ),
}


SHOWN_GROUPS = 5
"""Groups described one by one in an archive's verdict (the rest are counted)."""


def _groups_text(label, scores: pd.DataFrame, core: int, posts: int, share: float, methods):
    head = (
        f"{plural(len(scores), 'coordinated group')} ({plural(core, 'account')}, "
        f"{', '.join(methods)}) made {_percent(share)} of the {plural(posts, 'post')} of {label}"
    )
    parts = [_group_phrase(row) for row in scores.head(SHOWN_GROUPS).to_dict("records")]
    more = len(scores) - SHOWN_GROUPS
    tail = f"; {plural(more, 'more group')}" if more > 0 else ""
    return f"{head}: " + "; ".join(parts) + tail + "."


def _group_phrase(row: dict) -> str:
    """``group 1: 40 accounts made 98% of the 2,296 posts of #tag (push)``."""
    start = f"group {row['group_id']}: {plural(int(row['size']), 'account')}"
    tag, n = row.get("top_hashtag"), row.get("hashtag_posts")
    if not isinstance(tag, str):
        methods = sorted({k["method"] for k in row["top_keys"]})
        return f"{start} ({', '.join(methods)}), {plural(int(row['posts']), 'post')}"
    return (
        f"{start} made {_percent(row['hashtag_share'])} of the {plural(int(n), 'post')} of #{tag} "
        f"({row['reading']})"
    )


def _core_text(label, core, posts, share, share_first, crowd, reading, methods):
    first = f" and {_percent(share_first)} of the first 2,000" if share_first >= PUSH_SHARE else ""
    return (
        f"Coordinated core: {plural(core, 'account')} made {_percent(share)} of the "
        f"{plural(posts, 'post')} of {label} ({', '.join(methods)}). "
        + _READINGS[reading].format(first=first, crowd=f"{crowd:,}")
    )
