"""Erasure: nothing of a forgotten account remains in any table, others' posts lose what
points at it, the runs it changes are marked, and the file shrinks once compacted."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.forget import FORGOTTEN, forget
from trendwatch.model import Account, Post, accounts_to_arrow
from trendwatch.runs import list_all_runs, run_changes
from trendwatch.store import Store

ANN, BOB = "420042004200", "700070007000"


def hand_store(store):
    """Ann (one post, one quarantined record, a profile); Bob reposts and mentions her."""
    add_posts(store, [
        make_post("1", ANN, at(0), text="mine #tag", author_handle="Ann_W", hashtags=("tag",)),
        make_post("2", BOB, at(1), "repost", ref_post_id="1", ref_author_id=ANN,
                  ref_author_handle="Ann_W", text="RT @Ann_W: mine #tag", mentions=("ann_w",),
                  urls=("https://x.com/ann_w/status/1", "https://example.org/ann_wx"),
                  conversation_id="1", hashtags=("tag",), author_handle="Bob"),
        make_post("3", BOB, at(2),
                  text="Ann Wexford and @ann_wx are not the same; id 420042004200"),
    ])  # fmt: skip
    store.write_batch(
        accounts=accounts_to_arrow([
            Account("x", ANN, handle="Ann_W", name="Ann Wexford"),
            Account("x", BOB, handle="Bob", description="friend of @ann_w"),
        ]),  # fmt: skip
        quarantine=[("in.jsonl", 7, '{"user": {"screen_name": "Ann_W"}}', "bad"),
                    ("in.jsonl", 8, '{"user": {"screen_name": "Ann_Wx"}}', "bad")],
    )  # fmt: skip


def rows(store, sql, *params):
    return store.con.execute(sql, list(params)).fetchall()


def test_others_posts_lose_every_pointer_to_the_account(store):
    hand_store(store)
    done = forget(store, accounts=["@ann_w"])
    assert done.posts == 1 and done.accounts["account_id"].tolist() == [ANN]
    [repost] = rows(store, "SELECT ref_post_id, ref_author_id, ref_author_handle, mentions, "
                    "urls, conversation_id, text FROM posts WHERE post_id = '2'")  # fmt: skip
    assert repost == (None, None, None, [], [FORGOTTEN, "https://example.org/ann_wx"], None,
                      f"RT @{FORGOTTEN}: mine #tag")  # fmt: skip
    [(text,)] = rows(store, "SELECT text FROM posts WHERE post_id = '3'")
    assert text == f"{FORGOTTEN} and @ann_wx are not the same; id {FORGOTTEN}"
    assert rows(store, "SELECT description FROM accounts") == [(f"friend of @{FORGOTTEN}",)]
    assert rows(store, "SELECT record_no FROM quarantine") == [(8,)]  # Ann_Wx is someone else
    assert done.rows["posts"] == 1 and done.rows["posts changed"] == 2
    assert done.rows["quarantine"] == 1 and done.rows["accounts changed"] == 1


def test_an_unknown_account_or_post_removes_nothing(store):
    hand_store(store)
    with pytest.raises(ParameterError, match="no account 'nobody'"):
        forget(store, accounts=["Ann_W", "nobody"])
    with pytest.raises(ParameterError, match="no post '99'"):
        forget(store, posts=["99"])
    with pytest.raises(ParameterError, match="say what to forget"):
        forget(store)
    assert rows(store, "SELECT count(*) FROM posts") == [(3,)]


def test_forgetting_a_post_clears_the_references_to_it(store):
    hand_store(store)
    done = forget(store, posts=["1"])
    assert done.posts == 1
    assert rows(store, "SELECT ref_post_id, conversation_id FROM posts WHERE post_id = '2'") == [
        (None, None)
    ]
    assert rows(store, "SELECT count(*) FROM accounts") == [(2,)]


def test_a_bluesky_account_leaves_no_uri_naming_it(store):
    did = "did:plc:forgetme00000000000000aa"
    uri = f"at://{did}/app.bsky.feed.post/3kx"
    add_posts(store, [
        Post("bluesky", uri, did, at(0), text="hello", author_handle="me.bsky.social"),
        Post("bluesky", "at://did:plc:other/app.bsky.feed.post/1", "did:plc:other", at(1),
             "reply", reply_to_post_id=uri, conversation_id=uri, text=f"hi {did}"),
    ])  # fmt: skip
    forget(store, accounts=["me.bsky.social"])
    [(reply_to, conversation, text)] = rows(
        store, "SELECT reply_to_post_id, conversation_id, text FROM posts"
    )
    assert (reply_to, conversation, text) == (None, None, f"hi {FORGOTTEN}")


# -- the demo campaign ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_built(demo_campaign, tmp_path_factory):
    """The demo campaign (tests/conftest.py) with a quarantined record naming a member of
    its group: (store path, member, handle, name, groups result)."""
    source, _, result = demo_campaign
    db = tmp_path_factory.mktemp("forget") / "demo.duckdb"
    db.write_bytes(source.read_bytes())
    member = result.members["account_id"].iloc[0]
    with Store(db) as store:
        [(handle, name)] = rows(store, "SELECT handle, name FROM accounts WHERE account_id = ?",
                                member)  # fmt: skip
        store.write_batch(quarantine=[("x.jsonl", 1, json.dumps({"screen_name": handle}), "bad")])
    return db, member, handle, name, result


@pytest.fixture
def demo_db(demo_built, tmp_path):
    """A copy of the built demo store for one test to change."""
    db, *rest = demo_built
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(db.read_bytes())
    return copy, *rest


def string_columns(store) -> list[tuple[str, str]]:
    """Every (table, column) of the store, from its schema: a table added later is included."""
    return rows(store, "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal "
                "AND database_name = current_database() ORDER BY ALL")  # fmt: skip


def mentions_of(store, values: list[str]) -> list[tuple[str, str]]:
    pattern = r"(?i)(^|[^\w])(" + "|".join(map(re.escape, values)) + r")([^\w]|$)"
    found = []
    for table, column in string_columns(store):
        [(count,)] = rows(
            store,
            f'SELECT count(*) FROM "{table}" WHERE regexp_matches("{column}"::VARCHAR, ?)',
            pattern,
        )
        found += [(table, column)] * bool(count)
    return found


def test_forget_leaves_nothing_of_a_demo_account_in_any_table(demo_db):
    db, member, handle, name, result = demo_db
    with Store(db) as store:
        assert len(mentions_of(store, [member, handle, name])) >= 5  # it is everywhere before
        done = forget(store, accounts=[handle])
        assert mentions_of(store, [member, handle, name]) == []
        changed = set(run_changes(store)["run_id"])
        assert changed == {result.run_id, *result.runs.values()} == set(done.changed_runs)
        runs = list_all_runs(store).set_index("run_id")
        assert runs.loc[result.run_id, "changed"].startswith("forgotten: 1 account")


def test_the_cli_forgets_marks_runs_and_shrinks_the_file(demo_db):
    db, member, handle, _, result = demo_db
    out = CliRunner().invoke(cli, ["forget", "--account", member, "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    sizes = report["bytes"]
    assert sizes["compacted"] < sizes["before"]
    data = db.read_bytes()  # the deleted rows' old pages went with the compaction
    assert handle.encode() not in data and member.encode() not in data
    assert report["rows"]["group_members"] == 1 and report["changed_runs"]
    listed = CliRunner().invoke(cli, ["runs", "--db", str(db)])
    assert "forgotten: 1 account" in listed.output
    pairs = result.edges[["account_a", "account_b"]].values.tolist()
    pair = next(p for p in pairs if member not in p)  # a pair that stays
    evidence = CliRunner().invoke(cli, ["evidence", *pair, "--db", str(db)])
    assert evidence.exit_code == 0, evidence.output
    assert f"note: run {result.run_id} changed since: forgotten" in evidence.output


def test_the_cli_says_when_an_account_is_unknown(demo_db):
    db = demo_db[0]
    out = CliRunner().invoke(cli, ["forget", "--account", "@nobody_here", "--db", str(db)])
    assert out.exit_code == 1 and "no account '@nobody_here'" in out.output


def test_a_run_whose_scope_held_a_forgotten_post_is_marked_and_no_other(store):
    hand_store(store)
    tagged = store.record_run("coordination:co-link", {"hashtags": ["tag"]})
    other = store.record_run("coordination:co-link", {"hashtags": ["elsewhere"]})
    later = store.record_run("coordination:co-link", {"since": "2024-03-02"})
    done = forget(store, posts=["1"])
    assert done.changed_runs == [tagged]
    assert set(run_changes(store)["run_id"]) == {tagged} and {other, later}.isdisjoint(
        run_changes(store)["run_id"]
    )


def test_a_forgotten_post_takes_the_quarantined_records_that_hold_its_id(store):
    hand_store(store)
    store.write_batch(quarantine=[("in.jsonl", 9, '{"id": "3", "retweeted": "1"}', "bad"),
                                  ("in.jsonl", 10, '{"id": "31"}', "bad")])  # fmt: skip
    forget(store, posts=["3"])
    assert rows(store, "SELECT record_no FROM quarantine ORDER BY 1") == [(7,), (8,), (10,)]


def test_an_account_is_found_by_id_or_by_handle_in_any_case(store):
    hand_store(store)
    assert forget(store, accounts=["ANN_W"]).accounts["account_id"].tolist() == [ANN]
    hand_store(store)
    assert forget(store, accounts=[ANN]).accounts["handles"].tolist() == [["ann_w"]]


def test_the_cli_forgets_a_post(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        hand_store(store)
    out = CliRunner().invoke(cli, ["forget", "--post", "3", "--db", str(db), "--no-compact"])
    assert out.exit_code == 0, out.output
    assert "forgot 0 accounts and 1 post" in out.output and "(not compacted)" in out.output
    with Store(db, read_only=True) as store:
        assert rows(store, "SELECT post_id FROM posts ORDER BY 1") == [("1",), ("2",)]


def test_the_cli_needs_a_store(tmp_path):
    out = CliRunner().invoke(cli, ["forget", "--post", "3", "--db", str(tmp_path / "none")])
    assert out.exit_code == 1 and "no store at" in out.output
