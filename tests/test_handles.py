"""Handles beside ids and post addresses: which handle wins, and hostile parts give no link."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.export import write_edges, write_evidence
from trendwatch.cli import cli
from trendwatch.exports import restore
from trendwatch.handles import (
    _handles_through_ibis,
    account_handles,
    add_handles,
    add_post_urls,
    post_url,
)
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


@pytest.mark.parametrize(
    ("platform", "post_id", "handle", "url"),
    [
        ("x", "1989", "Anna_B", "https://x.com/Anna_B/status/1989"),
        ("x", "1989", None, "https://x.com/i/web/status/1989"),
        ("x", "1989", "evil.example/x?", "https://x.com/i/web/status/1989"),
        ("x", "1989", "a" * 51, "https://x.com/i/web/status/1989"),
        ("x", "19a", "ann", None),
        ("x", "//evil.example", "ann", None),
        ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kxyz",
         None, "https://bsky.app/profile/did:plc:abc123/post/3kxyz"),
        ("bluesky", "at://did:plc:abc/app.bsky.feed.like/3k", None, None),
        ("bluesky", "at://did:plc:a/app.bsky.feed.post/3k/../../x", None, None),
        ("bluesky", "at://evil.example/app.bsky.feed.post/3k", None, None),
        ("mastodon", "109", "ann@mastodon.social", None),
        (None, "1", "ann", None),
    ],
)  # fmt: skip
def test_post_url(platform, post_id, handle, url):
    assert post_url(platform, post_id, handle) == url


@pytest.fixture
def known(store):
    """a: profile "Ann" and posts as "old_a"; b: posts as "b1" then "b2"; c: no handle."""
    add_posts(store, [
        make_post(1, "a", at(0), author_handle="old_a"),
        make_post(2, "b", at(1), author_handle="b2"),
        make_post(3, "b", at(0), author_handle="b1"),
        make_post(4, "c", at(2)),
    ])  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="Ann")]))
    return store


def test_the_profile_wins_then_the_latest_post(known):
    assert account_handles(known, ["a", "b", "c", "nobody", None]) == {
        "a": "Ann", "b": "b2", "c": None, "nobody": None,
    }  # fmt: skip


def test_the_ibis_path_for_a_lake_gives_what_the_duckdb_sql_gives(known):
    """The Spark engine's store has no DuckDB connection: the same rule through Ibis."""
    wanted = ["a", "b", "c", "nobody"]
    assert _handles_through_ibis(known, wanted) == account_handles(known, wanted)


def test_add_handles_puts_each_handle_after_its_id(known):
    frame = pd.DataFrame({"account_a": ["a", "c"], "account_b": ["b", None], "weight": [2, 1]})
    out = add_handles(known, frame, {"account_a": "handle_a", "account_b": "handle_b"})
    assert out.columns.tolist() == ["account_a", "handle_a", "account_b", "handle_b", "weight"]
    assert out["handle_a"].tolist() == ["Ann", None]
    assert out["handle_b"].tolist() == ["b2", None]  # no account, no handle
    assert frame.columns.tolist() == ["account_a", "account_b", "weight"]  # a copy


def test_add_post_urls_uses_the_posts_own_handle_first(known):
    frame = pd.DataFrame({"post_a": ["1", "4"], "post_b": ["3", "missing"]})
    out = add_post_urls(known, frame, {"post_a": "url_a", "post_b": "url_b"})
    assert out.values.tolist() == [
        ["1", "https://x.com/old_a/status/1", "3", "https://x.com/b1/status/3"],
        ["4", "https://x.com/i/web/status/4", "missing", None],
    ]


def ring(store) -> None:
    """a and b repost the same post 5 s apart; a is known as "Ann", b as "=cmd" (a formula)."""
    add_posts(store, [
        make_post(10, "a", at(0), "repost", ref_post_id="X", author_handle="Ann"),
        make_post(11, "b", at(0, 5), "repost", ref_post_id="X", author_handle="=cmd"),
    ])  # fmt: skip


def test_edges_and_evidence_exports_carry_handles_and_urls(store, tmp_path):
    ring(store)
    result = coordinate(store, "co-retweet", window=10)
    write_edges(result, tmp_path / "e.csv", store)
    edges = pd.read_csv(tmp_path / "e.csv", dtype=str)
    assert edges[["account_a", "handle_a", "account_b"]].values.tolist() == [["a", "Ann", "b"]]
    assert restore(edges["handle_b"].iloc[0]) == "=cmd"  # written as '=cmd
    write_evidence(result, tmp_path / "v.csv", store)
    evidence = pd.read_csv(tmp_path / "v.csv", dtype=str)
    assert evidence[["post_a", "url_a", "post_b", "url_b"]].values.tolist() == [
        ["10", "https://x.com/Ann/status/10", "11", "https://x.com/i/web/status/11"],
    ]
    write_edges(result, tmp_path / "plain.csv")  # no store: ids only, as before
    assert "handle_a" not in pd.read_csv(tmp_path / "plain.csv").columns


def test_coordination_table_shows_handles(tmp_path):
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        ring(store)
    res = CliRunner().invoke(cli, ["coordination", "--db", str(db), "-m", "co-retweet",
                                   "--window", "10", "--no-test"])  # fmt: skip
    assert res.exit_code == 0, res.output
    row = res.output.splitlines()[3].split()
    assert row[:4] == ["@Ann", "(a)", "@=cmd", "(b)"]
    as_json = CliRunner().invoke(cli, ["coordination", "--db", str(db), "-m", "co-retweet",
                                       "--window", "10", "--no-test", "--json"])  # fmt: skip
    assert '"handle_a": "Ann"' in as_json.output and '"handle_b": "=cmd"' in as_json.output
