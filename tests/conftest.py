"""Shared fixtures: the real-data folder (skipped when absent) and tiny stores built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trendwatch.model import Post, posts_to_arrow
from trendwatch.store import Store

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def shared_path(*parts: str) -> Path:
    """Path inside ../shared/data; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (see ../shared/data/README.md)")
    return path


@pytest.fixture
def shared_data():
    return shared_path


@pytest.fixture
def store():
    """An empty in-memory store."""
    with Store(":memory:") as s:
        yield s


@pytest.fixture
def trio_db(tmp_path):
    """A store file holding ``campaign_store``: a trio retweeting together under #tag."""
    from tests.coordination.test_groups import campaign_store

    path = tmp_path / "trio.duckdb"
    with Store(path) as store:
        campaign_store(store)
    return str(path)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    """T0 plus an offset: hand-made cases read as 'minute 3', 'second 20'."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def make_post(post_id, author, when=None, kind="post", **fields) -> Post:
    """A collected X post with sensible defaults, for hand-made cases."""
    return Post(
        platform=fields.pop("platform", "x"),
        post_id=str(post_id),
        author_id=str(author),
        created_at=when if when is not None else T0,
        kind=kind,
        **fields,
    )


def background_reposts(n_accounts: int = 40, per_account: int = 6, minute: float = 60) -> list:
    """Accounts that repost alone, each its own posts, without hashtags, from ``minute`` on:
    the context a coordinated handful stands out from (the significance test needs one)."""
    return [
        make_post(f"bg{i}-{k}", f"bg{i}", at(minute + i, 10 * k), "repost",
                  ref_post_id=f"b{i}-{k}")
        for i in range(n_accounts) for k in range(per_account)
    ]  # fmt: skip


def add_posts(store: Store, posts: list[Post]):
    """Write hand-made posts into a store; returns the BatchCounts."""
    return store.write_batch(posts_to_arrow(posts))


@pytest.fixture(scope="session")
def ira_store(tmp_path_factory):
    """The IRA archive (2.46 M posts) ingested once per test session into a temporary store."""
    from trendwatch.ingest import ingest

    parquet = shared_path("ira-troll-tweets", "ira_tweets.parquet")
    db = tmp_path_factory.mktemp("ira") / "ira.duckdb"
    ingest([parquet], db)
    with Store(db, read_only=True) as s:
        yield s


@pytest.fixture(scope="session")
def simulation(tmp_path_factory):
    """The simulator's default archive (seed 7) ingested once per session: (store, truth)."""
    from trendwatch.ingest import ingest
    from trendwatch.simulate import simulate

    out = tmp_path_factory.mktemp("sim")
    truth = simulate(out / "archive", seed=7)
    db = out / "sim.duckdb"
    ingest(sorted((out / "archive").glob("*.jsonl")), db)
    with Store(db, read_only=True) as s:
        yield s, truth


@pytest.fixture(scope="session")
def demo_campaign(tmp_path_factory):
    """The simulator's demo campaign (seed 7, 5 %) ingested, with a groups run over its
    attack hashtag: (store path, hashtag, groups result). Read it, or copy it to change it."""
    from trendwatch.analysis.coordination.groups import groups
    from trendwatch.ingest import ingest
    from trendwatch.simulate import simulate

    out = tmp_path_factory.mktemp("demo")
    truth = simulate(out / "archive", seed=7, scale=0.05)
    db = out / "demo.duckdb"
    ingest(sorted((out / "archive").glob("*.jsonl")), db)
    with Store(db) as store:
        result = groups(store, hashtags=[truth.attack_hashtag])
    return db, truth.attack_hashtag, result
