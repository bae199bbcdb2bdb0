"""Fixtures for the dashboard tests: a store full of hostile text, and a running server."""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.conftest import T0, add_posts, background_reposts, make_post
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.serve import make_server
from trendwatch.store import Store

HOSTILE = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "&lt;b&gt; &amp; &#60;",
    "abc\u202etxt.exe",
    "</script><script>alert(2)</script>",
]
HOSTILE_TAG = "<script>alert(1)</script>"
# Attackers' ids are hostile too: they travel in URLs and in the evidence page.
ATTACKERS = [f"<i>a{i}\"'&" for i in range(6)]


def _campaign_posts(rng: random.Random) -> list:
    """30 originals, each reposted within seconds by the 6 attackers and later by 3 others."""
    posts, organic = [], [f"org{i}" for i in range(40)]
    for k in range(30):
        t, original = T0 + timedelta(minutes=10 * k), f"o{k}"
        posts.append(make_post(original, "src", t, text=f"{HOSTILE[k % 6]} http://x.y/{k}",
                               hashtags=(HOSTILE_TAG, "attack"), urls=("javascript:alert(1)",),
                               author_handle=HOSTILE[1]))  # fmt: skip
        for j, account in enumerate(ATTACKERS):
            posts.append(make_post(f"r{k}-{j}", account, t + timedelta(seconds=5 + 3 * j),
                                   kind="repost", ref_post_id=original,
                                   text=f"RT {HOSTILE[(k + j) % 6]}",
                                   hashtags=(HOSTILE_TAG, "attack"),
                                   author_handle=HOSTILE[j]))  # fmt: skip
        for account in rng.sample(organic, 3):
            later = t + timedelta(seconds=rng.randint(0, 3000))
            posts.append(
                make_post(f"r{k}-{account}", account, later, kind="repost",
                          ref_post_id=original, text="RT x", hashtags=("attack",))
            )  # fmt: skip
    return posts


def _organic_posts(rng: random.Random) -> list:
    return [
        make_post(f"p{i}-{m}", f"org{i}", T0 + timedelta(seconds=rng.randint(0, 18000)),
                  text=f"hello {HOSTILE[m % 6]} #attack", hashtags=("attack",))
        for i in range(40)
        for m in range(10)
    ]  # fmt: skip


def _accounts() -> list[Account]:
    return [
        Account("x", account, handle=HOSTILE[j], name=HOSTILE[(j + 1) % 6],
                description=HOSTILE[(j + 2) % 6], created_at=T0 - timedelta(days=3))
        for j, account in enumerate(ATTACKERS)
    ]  # fmt: skip


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    """A store file whose posts, hashtags, handles, names and URLs are attack strings."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    rng = random.Random(1)
    with Store(path) as store:
        # The background reposters are the crowd the attackers stand out from.
        add_posts(store, _campaign_posts(rng) + _organic_posts(rng) + background_reposts(60))
        store.write_batch(None, accounts_to_arrow(_accounts()))
        store.write_batch(None, None, [(HOSTILE[0], 1, HOSTILE[5], HOSTILE[1])])
    return path


@pytest.fixture(scope="session")
def hostile_store(hostile_db):
    with Store(hostile_db, read_only=True) as store:
        yield store


@contextmanager
def running(store, **options):
    """A dashboard on an ephemeral loopback port, serving in a thread; yields the server."""
    server = make_server(store, port=0, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def hostile_server(hostile_store):
    with running(hostile_store) as server:
        yield server
