"""Data packages: contents and manifest, pseudonymisation leaves no planted byte, ids-only,
reading back (checksums, idempotence), and the demo campaign's groups reproduced."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import add_posts, at, make_post
from tests.exports.planted import (
    ORIGINAL,
    PLANTED,
    TRIO,
    ZOE_DID,
    ZOE_HANDLE,
    ZOE_POST,
    original_id,
    planted_store,
    repost_id,
)
from trendwatch.errors import InputError, NoDataError, ParameterError
from trendwatch.exports.package import sha256_of, write_package
from trendwatch.exports.package_import import import_package, rerun_groups, verify_package
from trendwatch.exports.package_privacy import Privacy
from trendwatch.exports.package_scope import PackageScope
from trendwatch.exports.pseudonyms import Pseudonymiser
from trendwatch.ingest import ingest
from trendwatch.store import SCHEMA_VERSION, Store

KEY = "the package tests' secret key"
P = Pseudonymiser(KEY)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """(store path, groups result) of the planted store."""
    db = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    with Store(db) as store:
        result = planted_store(store)
    return db, result


def package_of(db, out, **kwargs):
    with Store(db, read_only=True) as store:
        return write_package(store, out, **kwargs)


def all_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()))


def table(folder: Path, name: str) -> list[dict]:
    return pq.read_table(folder / f"{name}.parquet").to_pylist()


# -- contents and manifest ---------------------------------------------------------------------


def test_the_package_holds_every_table_and_a_manifest_that_checks_them(planted, tmp_path):
    db, result = planted
    package = package_of(db, tmp_path / "pkg")
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert manifest == package.manifest
    assert (
        manifest["format"] == "trendwatch-package" and manifest["schema_version"] == SCHEMA_VERSION
    )
    assert manifest["pseudonymised"] is None and manifest["contents"] == "tables"
    # 6 originals + 18 reposts + Zoe's reply + 240 background reposts; 3 + Zoe's profiles
    assert package.rows["posts.parquet"] == 265 and package.rows["accounts.parquet"] == 4
    assert package.rows["group_members.parquet"] == 3 and package.rows["runs.parquet"] == 3
    for name, entry in manifest["files"].items():
        path = tmp_path / "pkg" / name
        assert entry["sha256"] == sha256_of(path) and entry["bytes"] == path.stat().st_size
        assert entry["rows"] == pq.read_metadata(path).num_rows
    assert set(manifest["input_fingerprints"]["runs"]) == {result.run_id, *result.runs.values()}


def test_a_hashtag_scope_takes_its_posts_their_days_and_the_runs_inside_it(planted, tmp_path):
    db, result = planted
    package = package_of(db, tmp_path / "p", scope=PackageScope(hashtags=("tag",)))
    assert package.rows["posts.parquet"] == 265  # the background's day comes along
    runs = {r["run_id"] for r in table(tmp_path / "p", "runs")}
    assert runs == {result.run_id, *result.runs.values()}
    only = package_of(db, tmp_path / "q", scope=PackageScope(hashtags=("tag",), whole_days=False))
    assert only.rows["posts.parquet"] == 25


def test_runs_of_a_wider_scope_stay_out(planted, tmp_path):
    db, _ = planted
    scope = PackageScope(hashtags=("tag",), since="2024-03-01T12:10", whole_days=False)
    package = package_of(db, tmp_path / "p", scope=scope)
    assert package.rows["runs.parquet"] == 0
    # the trio's reposts of originals 2..5 (minutes 10..25: 12) and originals 3..5
    # (minutes 14, 19, 24; original 2 is at minute 9)
    assert package.rows["posts.parquet"] == 15


def test_a_group_scope_holds_its_members_posts_and_rows_only(planted, tmp_path):
    db, result = planted
    package = package_of(db, tmp_path / "g", scope=PackageScope(group=1))
    members = {r["account_id"] for r in table(tmp_path / "g", "group_members")}
    assert members == set(TRIO)
    posts = table(tmp_path / "g", "posts")
    assert {p["author_id"] for p in posts if p["collected"]} == set(TRIO)
    assert package.rows["accounts.parquet"] == 3
    edges = table(tmp_path / "g", "coordination_edges")
    assert edges and all({e["account_a"], e["account_b"]} <= set(TRIO) for e in edges)
    with pytest.raises(ParameterError, match="no group 2"):
        package_of(db, tmp_path / "g2", scope=PackageScope(group=2))
    with pytest.raises(ParameterError, match="leave out --hashtag"):
        package_of(db, tmp_path / "g3", scope=PackageScope(group=1, hashtags=("tag",)))


def test_an_empty_scope_or_a_used_folder_is_refused(planted, tmp_path):
    db, _ = planted
    with pytest.raises(NoDataError, match="#nothing"):
        package_of(db, tmp_path / "e", scope=PackageScope(hashtags=("nothing",)))
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(ParameterError, match="not an empty folder"):
        package_of(db, tmp_path / "used")


# -- pseudonymised -----------------------------------------------------------------------------


def test_no_byte_of_a_planted_value_remains_in_a_pseudonymised_package(planted, tmp_path):
    db, _ = planted
    out = tmp_path / "pseudo"
    package_of(db, out, privacy=Privacy(P), compression=None)  # pages as written: bytes visible
    data = all_bytes(out)
    for value in PLANTED:
        for form in {value, value.lower(), value.upper()}:
            assert form.encode() not in data, form
    assert KEY.encode() not in data


def test_a_compressed_package_read_back_holds_no_planted_value(planted, tmp_path):
    db, _ = planted
    out = tmp_path / "pseudo"
    package_of(db, out, privacy=Privacy(P, text="mask"))
    text = "\n".join(
        json.dumps(table(out, path.stem), default=str) for path in out.glob("*.parquet")
    ).lower()
    assert not [v for v in PLANTED if v.lower() in text]


def test_every_place_gets_its_pseudonym(planted, tmp_path):
    db, _ = planted
    out = tmp_path / "pseudo"
    package_of(db, out, privacy=Privacy(P))
    anna, orig = "770077007701", ORIGINAL[0]
    reposts = {p["post_id"]: p for p in table(out, "posts")}
    first = reposts[P.post(repost_id(anna, 0))]
    assert first["author_id"] == P.account(anna) and first["author_handle"] == P.handle(
        "PlantedAnna"
    )
    assert first["ref_post_id"] == P.post(original_id(0)) == first["conversation_id"]
    assert first["ref_author_id"] == P.account(orig) and first["mentions"] == [
        P.handle(ORIGINAL[1])
    ]
    h = P.handle(ORIGINAL[1])
    assert first["text"] == f"RT @{h}: original 0 https://x.com/{h}/status/{P.post(original_id(0))}"
    assert first["urls"] == [f"twitter.com/{h}/status/{P.post(original_id(0))}"]
    zoe = reposts[P.post(ZOE_POST)]
    assert zoe["author_id"] == P.account(ZOE_DID) and zoe["author_handle"] == P.handle(ZOE_HANDLE)
    assert zoe["reply_to_author_id"] == P.account(anna)
    accounts = {a["account_id"]: a for a in table(out, "accounts")}
    assert accounts[P.account(anna)]["name"] == P.name("Anna Plantedname")
    assert accounts[P.account(anna)]["description"] == f"bio, follow @{h}"


def test_edges_keep_the_stores_order_with_their_sides_swapped(planted, tmp_path):
    db, _ = planted
    out = tmp_path / "pseudo"
    package_of(db, out, privacy=Privacy(P))
    for edge in table(out, "coordination_edges"):
        assert edge["account_a"] < edge["account_b"]
    for row in table(out, "coordination_evidence"):
        posts = {row["post_a"], row["post_b"]}
        assert row["account_a"] < row["account_b"]
        # each side's post is its account's own (the repost ids end in the account's digit)
        by_author = {P.post(repost_id(a, i)): P.account(a) for a in TRIO for i in range(6)}
        assert by_author[row["post_a"]] == row["account_a"] and len(posts) == 2
        assert by_author[row["post_b"]] == row["account_b"]
    for row in table(out, "group_edges"):
        data = orjson.loads(row["data"])
        assert (data["account_a"], data["account_b"]) == (row["account_a"], row["account_b"])


def test_text_modes_and_coarse_times(planted, tmp_path):
    db, _ = planted
    masked, dropped = tmp_path / "m", tmp_path / "d"
    package_of(db, masked, privacy=Privacy(P, text="mask", coarsen="hour"))
    package_of(db, dropped, privacy=Privacy(P, text="drop"))
    texts = {p["post_id"]: p["text"] for p in table(masked, "posts")}
    h = P.handle(ORIGINAL[1])
    assert texts[P.post(repost_id("770077007701", 0))] == (
        f"XX @{h}: xxxxxxxx 9 https://x.com/{h}/status/{P.post(original_id(0))}"
    )
    assert all(p["text"] is None for p in table(dropped, "posts"))
    times = {p["created_at"] for p in table(masked, "posts")}
    assert all(t.minute == 0 and t.second == 0 for t in times)
    evidence = table(masked, "coordination_evidence")
    assert {row["gap_s"] for row in evidence} <= {0.0}  # 1-2 s gaps, rounded to the hour
    assert {row["key"][:2] for row in evidence} == {"p_"}  # reposted posts: post pseudonyms
    scores = orjson.loads(table(masked, "group_scores")[0]["data"])
    assert scores["top_keys"][0]["example_text"].startswith("XX @h_")


def test_the_manifest_names_the_key_by_its_fingerprint(planted, tmp_path):
    db, _ = planted
    package = package_of(db, tmp_path / "p", privacy=Privacy(P, text="mask", coarsen="day"))
    described = package.manifest["pseudonymised"]
    assert described["key_fingerprint"] == P.fingerprint
    assert (described["text"], described["coarsen_times"]) == ("mask", "day")


def test_two_packages_with_one_key_join_on_their_pseudonyms(planted, tmp_path):
    db, _ = planted
    package_of(db, tmp_path / "a", privacy=Privacy(P), scope=PackageScope(group=1))
    package_of(db, tmp_path / "b", privacy=Privacy(P, text="drop"))
    a = {p["author_id"] for p in table(tmp_path / "a", "posts")}
    b = {p["author_id"] for p in table(tmp_path / "b", "posts")}
    assert a and a <= b


HANDLES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ_0123456789", min_size=7, max_size=15)


def could_be_elsewhere(handle: str) -> bool:
    """A handle that could occur by chance in a package's other bytes: without a digit (a
    column name, a word of the texts) or made of hex digits only (inside a pseudonym)."""
    lower = handle.lower()
    return not any(c.isdigit() for c in lower) or not any(
        c in "ghijklmnopqrstuvwxyz_" for c in lower
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(handles=st.lists(HANDLES.filter(lambda h: not could_be_elsewhere(h)),
                        min_size=2, max_size=2, unique_by=str.lower))  # fmt: skip
def test_random_handles_leave_no_byte_in_the_package(tmp_path_factory, handles):
    alice, bob = handles
    out = tmp_path_factory.mktemp("prop")
    with Store(":memory:") as store:
        add_posts(store, [
            make_post("1001", "8001", at(0), text=f"hi @{bob} x.com/{bob}/status/1",
                      author_handle=alice, mentions=(bob.lower(),), hashtags=("tag",)),
            make_post("1002", "8002", at(1), "repost", ref_post_id="1001", ref_author_id="8001",
                      ref_author_handle=alice, text=f"RT @{alice.upper()}: hi", author_handle=bob,
                      urls=(f"https://x.com/{alice}",)),
            # Mastodon addresses as instances give them: a status's url, a reblog's uri
            make_post("1003", "8001", at(2), platform="mastodon", author_handle=alice,
                      post_url=f"https://m.example/@{alice}/1003"),
            make_post("1004", "8002", at(3), "repost", platform="mastodon", author_handle=bob,
                      post_url=f"https://m.example/users/{bob}/statuses/1004/activity"),
        ])  # fmt: skip
        write_package(store, out / "p", privacy=Privacy(P), compression=None)
    data = all_bytes(out / "p").lower()
    assert alice.lower().encode() not in data and bob.lower().encode() not in data


# -- ids only ----------------------------------------------------------------------------------


def test_ids_only_writes_one_file_per_platform(planted, tmp_path):
    db, _ = planted
    package = package_of(db, tmp_path / "ids", ids_only=True)
    assert set(package.manifest["files"]) == {"post_ids_bluesky.txt", "post_ids_x.txt"}
    assert (tmp_path / "ids" / "post_ids_bluesky.txt").read_text() == ZOE_POST + "\n"
    x_ids = (tmp_path / "ids" / "post_ids_x.txt").read_text().splitlines()
    assert len(x_ids) == 264 and original_id(0) in x_ids and len(set(x_ids)) == 264
    assert package.manifest["contents"] == "ids" and package.manifest["ids_left_out"] == 0
    with pytest.raises(ParameterError, match="cannot be pseudonymised"):
        package_of(db, tmp_path / "both", ids_only=True, privacy=Privacy(P))
    with pytest.raises(InputError, match="rehydrate"):
        import_package(Store(":memory:"), tmp_path / "ids")


def test_an_id_with_a_line_break_is_left_out_and_counted(tmp_path):
    with Store(":memory:") as store:
        add_posts(store, [make_post("1", "a"), make_post("2\n3", "b")])
        package = write_package(store, tmp_path / "ids", ids_only=True)
    assert (tmp_path / "ids" / "post_ids_x.txt").read_text() == "1\n"
    assert package.manifest["ids_left_out"] == 1


# -- reading back ------------------------------------------------------------------------------


def test_ingest_reads_a_package_back_and_a_second_time_adds_nothing(planted, tmp_path):
    db, result = planted
    package_of(db, tmp_path / "pkg")
    new = tmp_path / "new.duckdb"
    first = ingest([tmp_path / "pkg"], new).files[0]
    assert (first.format, first.read, first.added, first.error) == ("package", 265, 265, None)
    second = ingest([tmp_path / "pkg" / "manifest.json"], new).files[0]
    assert (second.read, second.added, second.duplicates) == (265, 0, 265)
    with Store(new, read_only=True) as store:
        [(runs,)] = store.con.execute("SELECT count(*) FROM runs").fetchall()
        [(members,)] = store.con.execute("SELECT count(*) FROM group_members").fetchall()
        [(accounts,)] = store.con.execute("SELECT count(*) FROM accounts").fetchall()
    assert (runs, members, accounts) == (3, 3, 4)


def test_a_changed_file_refuses_the_whole_package(planted, tmp_path):
    db, _ = planted
    package_of(db, tmp_path / "pkg")
    posts = tmp_path / "pkg" / "posts.parquet"
    data = bytearray(posts.read_bytes())
    data[len(data) // 2] ^= 1
    posts.write_bytes(bytes(data))
    (tmp_path / "pkg" / "runs.parquet").unlink()
    report = ingest([tmp_path / "pkg"], tmp_path / "new.duckdb").files[0]
    assert "posts.parquet does not match its checksum" in report.error
    assert "runs.parquet is missing" in report.error
    with Store(tmp_path / "new.duckdb", read_only=True) as store:
        assert store.posts(include_context=True).count().execute() == 0


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(planted, tmp_path):
    db, _ = planted
    package_of(db, tmp_path / "pkg")
    manifest_path = tmp_path / "pkg" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["../secret.parquet"] = {"sha256": "0", "bytes": 0, "rows": 0}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="is not a file name"):
        verify_package(tmp_path / "pkg")


def test_a_folder_without_a_package_manifest_is_not_read_as_one(tmp_path):
    (tmp_path / "manifest.json").write_text('{"format": "something else"}')
    report = ingest([tmp_path], tmp_path / "s.duckdb").files[0]
    assert report.format != "package" and report.error


def test_package_created_in_the_future_version_is_refused(planted, tmp_path):
    db, _ = planted
    package_of(db, tmp_path / "pkg")
    path = tmp_path / "pkg" / "manifest.json"
    path.write_text(path.read_text().replace('"package_version": 1', '"package_version": 9'))
    with pytest.raises(InputError, match="package version 9"):
        verify_package(tmp_path / "pkg")


# -- the demo campaign, reproduced ---------------------------------------------------------------


@pytest.fixture
def demo(demo_campaign):
    """The demo campaign (tests/conftest.py), read only."""
    return demo_campaign


def member_sets(members) -> list[frozenset]:
    return sorted(frozenset(g["account_id"]) for _, g in members.groupby("group_id"))


def test_the_demo_package_read_back_gives_the_same_groups_and_edges(demo, tmp_path):
    db, tag, result = demo
    package_of(db, tmp_path / "pkg", scope=PackageScope(hashtags=(tag,)))
    ingest([tmp_path / "pkg"], tmp_path / "new.duckdb")
    with Store(tmp_path / "new.duckdb") as store:
        again = rerun_groups(store, result.run_id)
    assert member_sets(again.members) == member_sets(result.members)
    assert [len(s) for s in member_sets(again.members)] == [16]
    pairs = ["account_a", "account_b", "weight"]
    assert again.edges[pairs].values.tolist() == result.edges[pairs].values.tolist()


def test_the_pseudonymised_demo_gives_the_same_groups_with_pseudonymous_members(demo, tmp_path):
    db, tag, result = demo
    package_of(db, tmp_path / "pkg", scope=PackageScope(hashtags=(tag,)), privacy=Privacy(P))
    ingest([tmp_path / "pkg"], tmp_path / "new.duckdb")
    with Store(tmp_path / "new.duckdb") as store:
        stored = store.con.execute(
            "SELECT group_id, account_id FROM group_members ORDER BY ALL"
        ).fetchall()
        again = rerun_groups(store, result.run_id)
    expected = [frozenset(P.account(a) for a in s) for s in member_sets(result.members)]
    assert member_sets(again.members) == sorted(expected)
    assert sorted(frozenset(a for g, a in stored if g == 1) for _ in [0]) == sorted(expected)
    assert again.groups["size"].tolist() == result.groups["size"].tolist()


def test_the_demo_package_names_no_original_id_or_handle(demo, tmp_path):
    db, tag, _ = demo
    package_of(db, tmp_path / "pkg", scope=PackageScope(hashtags=(tag,)), privacy=Privacy(P),
               compression=None)  # fmt: skip
    with Store(db, read_only=True) as store:
        ids = {i for (i,) in store.con.execute("SELECT DISTINCT author_id FROM posts").fetchall()}
        found = store.con.execute("SELECT DISTINCT handle FROM accounts WHERE handle IS NOT NULL")
        handles = {h for (h,) in found.fetchall()}
    names = {row["name"] for row in table_of_store(db, "accounts", tmp_path / "plain", tag)}
    data = all_bytes(tmp_path / "pkg")
    assert not [v for v in ids | handles if v.lower().encode() in data.lower()]
    assert not [n for n in names if n and n.encode() in data]


def table_of_store(db, name, out, tag) -> list[dict]:
    """A table as the plain package of the same scope holds it (the values to look for)."""
    package_of(db, out, scope=PackageScope(hashtags=(tag,)))
    return table(out, name)


def test_a_package_time_is_its_creation_in_utc(planted, tmp_path):
    db, _ = planted
    before = datetime.now(UTC)
    package = package_of(db, tmp_path / "p")
    assert datetime.fromisoformat(package.manifest["created_at"]) >= before


def test_a_result_table_added_later_is_exported_and_pseudonymised_too(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        result = planted_store(store)
        store.con.execute(
            "CREATE TABLE later_results (run_id VARCHAR, note VARCHAR, who VARCHAR[])"
        )
        store.con.execute(
            "INSERT INTO later_results VALUES (?, ?, ?)",
            [result.run_id, '{"account": "770077007701", "by": "@PlantedBenoit"}',
             ["PlantedChloe", "see x.com/PlantedOrig"]],
        )  # fmt: skip
        write_package(store, tmp_path / "p", privacy=Privacy(P), compression=None)
    [row] = table(tmp_path / "p", "later_results")
    assert json.loads(row["note"]) == {"account": P.account("770077007701"),
                                       "by": "@" + P.handle("PlantedBenoit")}  # fmt: skip
    assert row["who"] == [P.handle("PlantedChloe"), f"see x.com/{P.handle('PlantedOrig')}"]
    data = all_bytes(tmp_path / "p").lower()
    assert not [v for v in PLANTED if v.lower().encode() in data]
