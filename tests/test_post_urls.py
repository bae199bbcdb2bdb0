"""Every evidence row links to its post: Mastodon statuses keep their address (``post_url``).

A hand-made Mastodon archive: ann's status 100 is reblogged by bob (201, 10 s later), carl
(202, 20 s) and dan (203, 30 s), each reblog with its own address; dan's instance is hostile
and sends ``javascript:`` as the reblog's ``url``, eve's a user part in the host. Co-retweet
with a 60 s window links the three reblogging accounts pairwise; each pair's evidence is their
two reblogs, so its URLs are the reblogs' addresses, and none is dan's.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, shared_path
from tests.report.conftest import trio_posts
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.export import write_evidence
from trendwatch.cli import cli
from trendwatch.engines.lake import export_lake
from trendwatch.exports.package import write_package
from trendwatch.exports.package_import import import_package
from trendwatch.exports.package_privacy import Privacy
from trendwatch.exports.pseudonyms import Pseudonymiser
from trendwatch.handles import add_key_urls, post_url, safe_post_link
from trendwatch.ingest import ingest
from trendwatch.report import build_report, views
from trendwatch.report.views import evidence_view
from trendwatch.serve.readable import evidence_body
from trendwatch.store import SCHEMA_VERSION, Store

ACCOUNT_IDS = {"ann": "1", "bob": "2", "carl": "3", "dan": "4", "eve": "5"}
HOSTILE_URL = "javascript:alert(document.cookie)"
ORIGINAL_URL = "https://m.example/@ann/100"


def _status(sid, acct, second, *, url, uri=None, reblog=None, host="m.example"):
    return {
        "id": str(sid), "created_at": f"2024-11-20T10:00:{second:02d}.000Z",
        "in_reply_to_id": None, "in_reply_to_account_id": None, "spoiler_text": "",
        "language": "fr", "url": url, "uri": uri or f"https://{host}/users/{acct}/statuses/{sid}",
        "content": "<p>vote #Tag</p>", "reblog": reblog, "mentions": [],
        "tags": [{"name": "Tag", "url": "https://m.example/tags/Tag"}],
        "account": {"id": ACCOUNT_IDS[acct], "acct": acct, "username": acct},
    }  # fmt: skip


def _reblog(sid, acct, second, url):
    original = _status(100, "ann", 0, url=ORIGINAL_URL)
    host = "bad.example" if acct == "dan" else "m.example"
    return _status(sid, acct, second, url=url, reblog=original, host=host,
                   uri=f"https://{host}/users/{acct}/statuses/{sid}/activity")  # fmt: skip


STATUSES = [
    _status(100, "ann", 0, url=ORIGINAL_URL),
    _reblog(201, "bob", 10, None),  # no url (Mastodon sends none for reblogs): the uri
    _reblog(202, "carl", 20, "https://m.example/@carl/202"),
    _reblog(203, "dan", 30, HOSTILE_URL),
    _status(300, "eve", 40, url="https://m.example@bad.example/@eve/300"),
]
BOB_URL = "https://m.example/users/bob/statuses/201/activity"
CARL_URL = "https://m.example/@carl/202"


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "statuses.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in STATUSES))
    return path


@pytest.fixture
def db(tmp_path, archive):
    path = tmp_path / "m.duckdb"
    with Store(path) as store:
        ingest([str(archive)], store)
    run = CliRunner().invoke(
        cli, ["coordination", "-m", "co-retweet", "--no-test", "--db", str(path), "--json"]
    )
    assert run.exit_code == 0, run.output
    return path


def _addresses(store) -> dict[str, str | None]:
    return dict(store.con.execute("SELECT post_id, post_url FROM posts").fetchall())


def _accounts(path) -> dict[str, str]:
    with Store(path, read_only=True) as store:
        return dict(store.con.execute("SELECT handle, account_id FROM accounts").fetchall())


# -- stored ------------------------------------------------------------------------------


def test_each_status_keeps_its_url_else_its_uri_as_given(db):
    with Store(db, read_only=True) as store:
        assert _addresses(store) == {
            "100": ORIGINAL_URL,  # the reblogged status, a context post, keeps its own
            "201": BOB_URL,
            "202": CARL_URL,
            "203": HOSTILE_URL,  # stored as data; never shown as a link
            "300": "https://m.example@bad.example/@eve/300",
        }


def test_only_plain_web_addresses_are_links():
    assert safe_post_link(CARL_URL) == CARL_URL
    hostile_links = (HOSTILE_URL, "https://m.example@bad.example/@eve/300", "data:text/html,x",
                     "https://m.example/a b", "https://m.example/\x1b[31m", "//m.example/1",
                     "https://", "https://[::1/x", "https://m.example/" + "a" * 2100,
                     None, 7)  # fmt: skip
    for hostile in hostile_links:
        assert safe_post_link(hostile) is None, hostile
    # X and Bluesky keep their built addresses, whatever is stored
    assert post_url("x", "12", "ann", stored="https://evil.example/") == (
        "https://x.com/ann/status/12"
    )
    assert post_url("bluesky", "not-an-at-uri", stored="https://evil.example/") is None


# -- shown ---------------------------------------------------------------------------------


def test_evidence_json_links_each_reblog_and_never_the_hostile_one(db):
    ids = _accounts(db)
    res = CliRunner().invoke(cli, ["evidence", ids["bob"], ids["carl"], "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.output)["evidence"]
    by_post = {row["post_a"]: row["url_a"], row["post_b"]: row["url_b"]}
    assert by_post == {"201": BOB_URL, "202": CARL_URL}
    assert (row["key"], row["key_url"]) == ("100", ORIGINAL_URL)  # the reblogged status
    res = CliRunner().invoke(cli, ["evidence", ids["bob"], ids["dan"], "--db", str(db), "--json"])
    [row] = json.loads(res.output)["evidence"]
    assert {row["post_a"]: row["url_a"], row["post_b"]: row["url_b"]} == {
        "201": BOB_URL, "203": None}  # fmt: skip


def test_evidence_table_shows_the_addresses(db):
    ids = _accounts(db)
    res = CliRunner().invoke(cli, ["evidence", ids["bob"], ids["carl"], "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-2:] == [f"post 201: {BOB_URL}", f"post 202: {CARL_URL}"]
    res = CliRunner().invoke(cli, ["evidence", ids["bob"], ids["dan"], "--db", str(db)])
    assert res.output.splitlines()[-1] == f"post 201: {BOB_URL}"  # none for dan's post


def test_the_evidence_csv_export_carries_the_addresses(db, tmp_path):
    with Store(db, read_only=True) as store:
        result = coordinate(store, "co-retweet", record=False)
        write_evidence(result, tmp_path / "evidence.csv", store)
    with open(tmp_path / "evidence.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    urls = {(r["post_a"], r["url_a"]) for r in rows} | {(r["post_b"], r["url_b"]) for r in rows}
    assert urls == {("201", BOB_URL), ("202", CARL_URL), ("203", "")}
    assert {(r["key"], r["key_url"]) for r in rows} == {("100", ORIGINAL_URL)}


def test_only_keys_that_name_a_post_get_its_address(db):
    frame = pd.DataFrame({"method": ["co-retweet", "co-link", "co-reply", "co-retweet"],
                          "key": ["100", "100", "202", "content:ann|vote"]})  # fmt: skip
    with Store(db, read_only=True) as store:
        out = add_key_urls(store, frame)
    assert out["key_url"].tolist() == [ORIGINAL_URL, None, CARL_URL, None]


def test_dashboard_and_report_evidence_link_the_status(db):
    ids = _accounts(db)
    with Store(db, read_only=True) as store:
        view = evidence_view(store, ids["bob"], ids["dan"])
    urls = {p["post_a"]: p["url_a"] for p in view["pairs"]} | {
        p["post_b"]: p["url_b"] for p in view["pairs"]}  # fmt: skip
    assert urls == {"201": BOB_URL, "203": None}
    body = evidence_body(view, [])
    assert f'<a href="{BOB_URL}" rel="noopener noreferrer nofollow">' in body
    assert "javascript" not in body and "<code>203</code>" in body  # the id, not the URL
    key_link = f'<code><a href="{ORIGINAL_URL}" rel="noopener noreferrer nofollow"><bdi>100'
    assert key_link in body


def _mastodon_trio(store) -> None:
    """The report tests' coordinated trio (a1, a2, a3 reposting six posts together), on
    Mastodon: a2's and a3's reposts have addresses, a1's instance sends a hostile one."""

    def address(post):
        if post.author_id == "a1":
            return HOSTILE_URL
        return f"https://m.example/@{post.author_id}/{post.post_id}"

    add_posts(store, [replace(p, platform="mastodon", post_url=address(p)) for p in trio_posts()])


def test_the_report_embeds_each_evidence_posts_address(store):
    _mastodon_trio(store)
    view = views.groups_view(store, ["tag"], record=False)
    pairs = [p for rows in view["evidence"].values() for p in rows]
    shown = {p["post_a"]: p["url_a"] for p in pairs} | {p["post_b"]: p["url_b"] for p in pairs}
    assert shown and all(
        url == (None if post.startswith("a1-") else f"https://m.example/@{post[:2]}/{post}")
        for post, url in shown.items()
    )
    html = build_report(store, hashtags=["tag"])
    assert "https://m.example/@a2/a2-0" in html and HOSTILE_URL not in html


# -- carried -------------------------------------------------------------------------------


def test_a_package_keeps_the_addresses_and_reads_them_back(db, tmp_path):
    with Store(db, read_only=True) as store:
        package = write_package(store, tmp_path / "pkg")
    posts = pq.read_table(package.path / "posts.parquet").to_pylist()
    assert {p["post_id"]: p["post_url"] for p in posts}["202"] == CARL_URL
    with Store(tmp_path / "copy.duckdb") as copy:
        import_package(copy, package.path)
        assert _addresses(copy)["202"] == CARL_URL and _addresses(copy)["100"] == ORIGINAL_URL


def test_a_pseudonymised_package_hides_the_handles_in_the_addresses(db, tmp_path):
    privacy = Privacy(Pseudonymiser("a key long enough for the test"))
    with Store(db, read_only=True) as store:
        package = write_package(store, tmp_path / "pkg", privacy=privacy)
    posts = pq.read_table(package.path / "posts.parquet").to_pylist()
    address = {p["author_handle"]: p["post_url"] for p in posts if p["kind"] == "repost"}
    carl = privacy.pseudonymiser.handle("carl@m.example")
    assert address[privacy.pseudonymiser.handle("carl")].startswith(f"https://m.example/@{carl}/")
    for raw in (package.path / "posts.parquet").read_bytes(), json.dumps(address).encode():
        assert b"carl" not in raw and b"@bob" not in raw and b"users/bob" not in raw


def test_the_lake_has_the_post_url_column(db, tmp_path):
    with Store(db, read_only=True) as store:
        export_lake(store, tmp_path / "lake")
    posts = duckdb.sql(
        f"SELECT post_id, post_url FROM read_parquet('{tmp_path}/lake/posts/**/*.parquet', "
        "hive_partitioning = true) ORDER BY post_id"
    ).fetchall()
    assert dict(posts)["202"] == CARL_URL and len(posts) == 5


# -- older stores ----------------------------------------------------------------------------


def _version_2_store(path):
    """A store as version 2 left it: posts without post_url."""
    with Store(path) as store:
        ingest([str(path.with_name("statuses.jsonl"))], store)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE posts DROP COLUMN post_url")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()


def test_a_version_2_store_reads_as_it_is_and_says_an_upgrade_is_pending(archive, tmp_path):
    path = tmp_path / "v2.duckdb"
    _version_2_store(path)
    with Store(path, read_only=True) as store:
        assert set(_addresses(store).values()) == {None}
        assert set(_addresses(store.cursor()).values()) == {None}  # a cursor reads it too
        assert "schema version 2" in store.upgrade_pending()
        assert store.posts().post_url.count().execute() == 0
    info = CliRunner().invoke(cli, ["info", "--db", str(path)])
    assert info.exit_code == 0 and info.output.splitlines()[-1] == (
        f"note: store {path} has schema version 2; the next command that writes to it "
        "upgrades it to 3 (until then Mastodon posts show no address)"
    )
    with Store(path) as store:  # a writable open upgrades it
        assert store.schema_version() == str(SCHEMA_VERSION) and store.upgrade_pending() is None
        assert set(_addresses(store).values()) == {None}  # what was ingested keeps no address
        store.con.execute("DELETE FROM posts")
        ingest([str(archive)], store)
        assert _addresses(store)["202"] == CARL_URL


def test_a_version_2_package_reads_into_a_version_3_store(db, tmp_path):
    with Store(db, read_only=True) as store:
        package = write_package(store, tmp_path / "pkg")
    posts = pq.read_table(package.path / "posts.parquet").drop_columns(["post_url"])
    pq.write_table(posts, package.path / "posts.parquet")
    manifest = json.loads((package.path / "manifest.json").read_text())
    from trendwatch.exports.package import sha256_of

    manifest["files"]["posts.parquet"]["sha256"] = sha256_of(package.path / "posts.parquet")
    (package.path / "manifest.json").write_text(json.dumps(manifest))
    with Store(tmp_path / "copy.duckdb") as copy:
        counts = import_package(copy, package.path)
        assert counts.added == 5 and set(_addresses(copy).values()) == {None}


# -- the real sample -------------------------------------------------------------------------


def test_every_status_of_the_real_sample_has_a_web_address(tmp_path):
    folder = shared_path("mastodon-rtoot", "responses")
    with Store(tmp_path / "real.duckdb") as store:
        ingest(sorted(str(p) for p in folder.glob("*.json")), store)
        rows = store.con.execute("SELECT post_id, kind, post_url FROM posts").fetchall()
    assert rows and all(safe_post_link(url) == url for _, _, url in rows)
    addresses = {post_id: url for post_id, _, url in rows}
    # a reblog (rtoot's get_account_statuses): its own activity, and its original's page
    assert addresses["109302355966430559"] == (
        "https://social.tchncs.de/users/chainsawriot/statuses/109302355966430559/activity"
    )
    assert "https://fosstodon.org/@JBGruber/109302082337396296" in addresses.values()
