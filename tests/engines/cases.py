"""A small hand-made store on which every engine must agree: a retweet ring, a copy-paste
crowd, link, reply and mention raids, hashtag sequences, organic chatter, account ages."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.model import Account, accounts_to_arrow

RING = [f"ring{i}" for i in range(5)]
COPIERS = [f"copy{i}" for i in range(4)]
CHATTER = [f"user{i}" for i in range(12)]
SEQUENCE = ("a1", "b2", "c3", "d4", "e5")


def ring_posts() -> list:
    """Five accounts repost the same three posts within seconds, three times an hour."""
    return [
        make_post(f"rt-{k}-{i}", acc, at(20 * k, 4 * i), "repost", ref_post_id=f"orig{k}",
                  hashtags=("push",), lang="fr")
        for k in range(3) for i, acc in enumerate(RING)
    ]  # fmt: skip


def copier_posts() -> list:
    """Four accounts post one text (with the same link and mention) within a minute, twice."""
    return [
        make_post(f"cp-{k}-{i}", acc, at(5 + 30 * k, 10 * i), text="Vote for Z now! #push",
                  hashtags=("push",), urls=("https://example.org/z",), mentions=("zed",),
                  lang="fr")
        for k in range(2) for i, acc in enumerate(COPIERS)
    ]  # fmt: skip


def reply_posts() -> list:
    """Three accounts reply to one post of one account within two minutes."""
    return [
        make_post(f"re-{i}", acc, at(12, 30 * i), "reply", reply_to_post_id="target-1",
                  reply_to_author_id="target", text=f"reply {i}", lang="en")
        for i, acc in enumerate(RING[:3])
    ]  # fmt: skip


def sequence_posts() -> list:
    """Two accounts post the same five-hashtag sequence on one day."""
    return [
        make_post(f"seq-{i}", acc, at(40 + 60 * i), text=f"seq {i}", hashtags=SEQUENCE)
        for i, acc in enumerate(COPIERS[:2])
    ]


def chatter_posts() -> list:
    """Organic posts on #daily over six hours, one account now and then, a few #push too."""
    return [
        make_post(f"d-{i}", CHATTER[i % 12], T0 + timedelta(minutes=17 * i - 240),
                  text=f"day {i}", hashtags=("daily",) if i % 5 else ("daily", "push"),
                  lang="en" if i % 3 else "de")
        for i in range(30)
    ]  # fmt: skip


def accounts() -> list:
    """Ring accounts created a week before the push; chatter accounts years before."""
    young = [Account("x", acc, handle=acc, created_at=T0 - timedelta(days=7)) for acc in RING]
    old = [Account("x", acc, handle=acc, created_at=T0 - timedelta(days=900)) for acc in CHATTER]
    return young + old


def fill(store) -> None:
    """Write the whole case into ``store`` (with one quarantined record)."""
    posts = ring_posts() + copier_posts() + reply_posts() + sequence_posts() + chatter_posts()
    add_posts(store, posts)
    store.write_batch(
        accounts=accounts_to_arrow(accounts()),
        quarantine=[("case.jsonl", 7, "{not json", "not JSON")],
    )
