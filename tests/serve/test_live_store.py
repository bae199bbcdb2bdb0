"""The dashboard over a store another process writes (``trendwatch watch``)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import add_posts, make_post
from trendwatch.serve import Dashboard
from trendwatch.serve.live import StoreOpener
from trendwatch.serve.routes import ROUTES
from trendwatch.store import Store

OVERVIEW = next(r for r in ROUTES if r.name == "overview")
WRITE = """
import sys
from tests.conftest import add_posts, make_post
from trendwatch.store import Store
with Store(sys.argv[1], lock_wait=0) as store:  # fails at once if anyone holds the store
    add_posts(store, [make_post(sys.argv[2], "a2")])
"""


def posts_shown(dashboard: Dashboard) -> int:
    return dashboard.data(OVERVIEW, {})["posts"]


def test_the_dashboard_holds_no_lock_and_shows_what_a_writer_adds(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        add_posts(store, [make_post("1", "a1")])
    dashboard = Dashboard(StoreOpener(db))
    assert posts_shown(dashboard) == 1
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    written = subprocess.run([sys.executable, "-c", WRITE, str(db), "2"], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert written.returncode == 0, written.stderr  # the writer got the store at once
    assert posts_shown(dashboard) == 2  # the cached page was for the older store


def test_an_unchanged_store_serves_the_cached_page(tmp_path):
    db = tmp_path / "s.duckdb"
    Store(db).close()
    opener = StoreOpener(db)
    dashboard = Dashboard(opener)
    opened = []
    original = opener.opened

    def counting():
        opened.append(1)
        return original()

    opener.opened = counting
    posts_shown(dashboard)
    posts_shown(dashboard)
    assert len(opened) == 1
