"""Hand-made stores for the report tests: a small campaign, a coordinated trio, hostile text."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.conftest import T0, add_posts, at, background_reposts, make_post
from trendwatch.model import Account, accounts_to_arrow

HOSTILE_TEXTS = (
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "&lt;b&gt; stays literal",
    "bidi \u202eevil\u202c here",
    "close </script><script>alert(2)</script>",
)
HOSTILE_HANDLE = "<b>\u202eadmin"
HOSTILE_URL = "javascript:alert(1)"


def alpha_posts():
    """#alpha: a posts at minutes 0, 1 and 3, b reposts a's first post at minute 2.

    Posts per account [3, 1]: Gini 0.25, Lorenz (0, 0), (0.5, 0.25), (1, 1).
    """
    return [
        make_post("p1", "a", at(0), hashtags=("alpha",), text="first"),
        make_post("p2", "a", at(1), hashtags=("alpha",), text="second"),
        make_post("p3", "b", at(2), "repost", ref_post_id="p1", ref_author_id="a",
                  hashtags=("alpha",), text="RT first"),
        make_post("p4", "a", at(3), hashtags=("alpha",), text="third"),
    ]  # fmt: skip


def trio_posts():
    """a1, a2, a3 repost six posts of #tag together (0, 1, 2 s apart), one every 5 minutes;
    z posts five times before. Texts are hostile. Forty accounts repost alone later, without
    the tag (the context of the significance test)."""
    posts = [
        make_post(f"z{i}", "z", at(-10 + i), hashtags=("tag",), text=f"early {i}") for i in range(5)
    ]
    for i, (account, secs) in itertools.product(range(6), (("a1", 0), ("a2", 1), ("a3", 2))):
        posts.append(
            make_post(f"{account}-{i}", account, at(5 * i, secs), "repost", ref_post_id=f"o{i}",
                      hashtags=("tag",), text=HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)],
                      urls=(HOSTILE_URL,))
        )  # fmt: skip
    return posts + background_reposts()


def trio_accounts():
    return [
        Account("x", "a1", handle=HOSTILE_HANDLE, created_at=T0 - timedelta(days=10), followers=5),
        Account("x", "a2", handle="two", created_at=T0 - timedelta(days=20), followers=7),
        Account("x", "a3", handle="three"),
    ]


@pytest.fixture
def alpha_store(store):
    add_posts(store, alpha_posts())
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="alice")]))
    return store


@pytest.fixture
def trio_store(store):
    add_posts(store, trio_posts())
    store.write_batch(accounts=accounts_to_arrow(trio_accounts()))
    return store
