"""X v1.1 and Gnip Activity Streams readers: hand-made golden records, real Gnip payloads,
twitwi cross-check, accounting through ingest, and detection against other formats' heads."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FIXTURES, shared_path
from trendwatch.formats import ReadOptions, get_format
from trendwatch.formats.items import Quarantined, Skipped
from trendwatch.formats.stream import open_input
from trendwatch.formats.x_v1 import FORMATS, normalize_activity, normalize_v1_tweet, record_items
from trendwatch.ingest import ingest
from trendwatch.model import Account, Post
from trendwatch.text import hashtag_pair, normalize_url
from trendwatch.times import parse_time

V1 = FIXTURES / "x_v1"
GNIP = ("twitter-v1-gnip",)
BROKEN = (*GNIP, "broken_and_unsupported_payloads")


def read(path: Path, name: str) -> list:
    source = open_input(str(path))
    try:
        return list(FORMATS[name].read(source, ReadOptions()))
    finally:
        source.close()


def collected(items: list) -> list[Post]:
    return [i for i in items if isinstance(i, Post) and i.collected]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- the hand-made stream: expected records, field by field -----------------------------------

LONG_TEXT = (
    "Long thread on #Remigration: why the numbers do not add up, and what the accounts pushing "
    "it have in common. Read it all before sharing #Debunk https://t.co/xyz"
)
TWEET = Post(
    platform="x",
    post_id="1764000000000000001",
    author_id="101",
    created_at=utc(2024, 3, 4, 12, 0),
    kind="post",
    text="Debate tonight #Remigration & #France2027 with @CarolB https://t.co/abc",
    lang="fr",
    hashtags=("remigration", "france2027"),
    hashtags_raw=("Remigration", "France2027"),
    mentions=("carolb",),
    urls=("example.com/live?id=7",),
    author_handle="Alice_FR",
    source="Twitter for Android",
)
RETWEETED = Post(
    platform="x",
    post_id="1764000000000000000",
    author_id="103",
    created_at=utc(2024, 3, 4, 11, 50),
    kind="post",
    text=LONG_TEXT,
    lang="en",
    hashtags=("remigration", "debunk"),
    hashtags_raw=("Remigration", "Debunk"),
    urls=("blog.example.org/numbers",),
    author_handle="CarolB",
    collected=False,
    source="Twitter for Android",
)
RETWEET = Post(
    platform="x",
    post_id="1764000000000000002",
    author_id="102",
    created_at=utc(2024, 3, 4, 12, 1, 30),
    kind="repost",
    text="RT @CarolB: " + LONG_TEXT,
    lang="en",
    ref_post_id="1764000000000000000",
    ref_author_id="103",
    hashtags=("remigration", "debunk"),
    hashtags_raw=("Remigration", "Debunk"),
    mentions=("carolb",),
    urls=("blog.example.org/numbers",),
    author_handle="bob_rt",
    source="Twitter for Android",
)
QUOTE = Post(
    platform="x",
    post_id="1764000000000000003",
    author_id="104",
    created_at=utc(2024, 3, 4, 12, 5),
    kind="quote",
    text="Not again. #StopHate https://t.co/q1",
    lang="en",
    ref_post_id="1764000000000000001",
    ref_author_id="101",
    hashtags=("stophate",),
    hashtags_raw=("StopHate",),
    urls=("twitter.com/Alice_FR/status/1764000000000000001",),
    author_handle="dave",
    source="Twitter Web App",
)
REPLY = Post(
    platform="x",
    post_id="1764000000000000004",
    author_id="103",
    created_at=utc(2024, 3, 4, 12, 10),
    kind="reply",
    text="@Alice_FR Thanks, watching #REMIGRATION coverage",
    lang="en",
    reply_to_post_id="1764000000000000001",
    reply_to_author_id="101",
    hashtags=("remigration",),
    hashtags_raw=("REMIGRATION",),
    mentions=("alice_fr",),
    author_handle="CarolB",
    source="Twitter for Android",
)
ALICE = Account(
    platform="x",
    account_id="101",
    handle="Alice_FR",
    name="Alice",
    created_at=utc(2010, 1, 5, 10, 0),
    followers=1500,
    following=300,
    posts_count=12000,
    listed=25,
    verified=True,
    description="Journalist & editor",
    observed_at=TWEET.created_at,
)
BOB = Account("x", "102", "bob_rt", "Bob", utc(2024, 2, 2, 8, 30), 3, 1900, 45000, 0, False,
              observed_at=RETWEET.created_at)  # fmt: skip
CAROL = Account("x", "103", "CarolB", "Carol", utc(2014, 6, 1), 820, 640, 5100, 9, False,
                observed_at=REPLY.created_at)  # fmt: skip
DAVE = Account("x", "104", "dave", "Dave", utc(2023, 3, 1, 9, 0), 12, 40, 230, 1, False,
               observed_at=QUOTE.created_at)  # fmt: skip


def test_stream_fixture_gives_every_item_in_order():
    items = read(V1 / "stream.jsonl", "x-v1")
    bad_line = (V1 / "stream.jsonl").read_text().splitlines()[7]
    expected_head = [
        ALICE, TWEET,
        BOB, dataclasses.replace(CAROL, observed_at=RETWEET.created_at), RETWEETED, RETWEET,
        DAVE, dataclasses.replace(ALICE, observed_at=QUOTE.created_at),
        dataclasses.replace(TWEET, collected=False), QUOTE,
        CAROL, REPLY,
        Skipped(6, "delete"), Skipped(7, "limit"),
    ]  # fmt: skip
    assert items[:-1] == expected_head
    last = items[-1]
    assert isinstance(last, Quarantined)
    assert (last.record_no, last.raw) == (8, bad_line)  # line 5 is blank and not a record
    assert last.reason.startswith("invalid JSON")


def test_json_array_variant_gives_the_same_posts():
    items = read(V1 / "timeline.json", "x-v1")
    assert collected(items) == [TWEET, RETWEET, QUOTE, REPLY]
    assert items[-2:] == [
        Skipped(5, "limit"),
        Quarantined(6, '["not","a","tweet"]', "not a JSON object (a JSON list)"),
    ]


def test_registry_returns_these_readers():
    assert get_format("x-v1") is FORMATS["x-v1"]
    assert get_format("gnip-activity") is FORMATS["gnip-activity"]
    assert {f.NAME for f in FORMATS.values()} == {"x-v1", "gnip-activity"}


def test_ingest_accounts_for_every_line_and_is_idempotent(store):
    first = ingest([V1 / "stream.jsonl"], store, format="x-v1").files[0]
    counts = [first.read, first.added, first.duplicates, first.skipped, first.quarantined]
    assert counts == [7, 4, 0, 2, 1]
    again = ingest([V1 / "stream.jsonl", V1 / "timeline.json"], store, format="x-v1").files
    # The stream's quarantined line, read again, is a duplicate too.
    assert [(f.read, f.added, f.duplicates) for f in again] == [(7, 0, 5), (6, 0, 4)]
    assert [f.quarantined for f in again] == [0, 1]
    context = store.con.execute("SELECT post_id FROM posts WHERE NOT collected").fetchall()
    assert context == [(RETWEETED.post_id,)]
    quarantine = store.con.execute("SELECT record_no, reason FROM quarantine ORDER BY 1").fetchall()
    assert [r[0] for r in quarantine] == [6, 8]  # the array's list element, the stream's line 8


def test_latest_account_observation_wins_in_the_store(store):
    ingest([V1 / "stream.jsonl"], store, format="x-v1")
    rows = store.con.execute(
        "SELECT account_id, observed_at, followers FROM accounts ORDER BY account_id"
    ).fetchall()
    # Alice is seen at 12:00 (her tweet) and 12:05 (quoted by Dave); Carol at 12:01:30 and 12:10.
    assert rows == [
        ("101", QUOTE.created_at, 1500),
        ("102", RETWEET.created_at, 3),
        ("103", REPLY.created_at, 820),
        ("104", QUOTE.created_at, 12),
    ]


# -- single records -----------------------------------------------------------------------------

BASE = {"id_str": "5", "created_at": "Mon Mar 04 12:00:00 +0000 2024", "text": "x",
        "user": {"id_str": "9", "screen_name": "u"}}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user": None}, "tweet 5: missing field 'user'"),
        ({"created_at": None}, "tweet 5: missing field 'created_at'"),
        ({"created_at": "yesterday"}, "tweet 5: field 'created_at': unrecognised time 'yesterday'"),
        ({"user": {"screen_name": "u"}}, "user: missing field 'id_str'"),
    ],
)
def test_incomplete_tweets_are_quarantined_with_the_field(change, reason):
    record = {**BASE, **change}
    assert record_items(record, 3, "raw") == [Quarantined(3, "raw", reason)]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"scrub_geo": {"user_id_str": "1"}}, "scrub_geo"),
        ({"status_withheld": {"id_str": "1"}}, "status_withheld"),
        ({"disconnect": {"code": 7}}, "disconnect"),
        ({"info": {"message": "Replay Request Completed"}}, "info"),
        ({"event": "follow", "source": {}, "target": {}}, "event"),
        ({"verb": "delete", "objectType": "activity", "object": {}}, "delete"),
    ],
)
def test_stream_and_compliance_messages_are_skipped_with_their_type(record, reason):
    assert record_items(record, 1) == [Skipped(1, reason)]


def test_unknown_records_are_quarantined_with_their_keys():
    [item] = record_items({"hello": 1, "world": 2}, 2, "raw")
    assert item == Quarantined(
        2,
        "raw",
        "neither a v1.1 tweet, an activity nor a known stream message (keys: hello, world)",
    )
    [verb] = record_items({"verb": "favorite", "objectType": "activity"}, 3)
    assert verb.reason == "unsupported activity verb 'favorite'"


def test_quote_of_a_deleted_tweet_keeps_the_reference():
    tweet = {**BASE, "is_quote_status": True, "quoted_status_id_str": "4"}
    post = normalize_v1_tweet(tweet)[-1]
    assert (post.kind, post.ref_post_id, post.ref_author_id) == ("quote", "4", None)


def test_retweet_of_a_quote_is_a_repost_with_both_targets_as_context():
    quoted = {**BASE, "id_str": "1", "user": {"id_str": "7", "screen_name": "q"}}
    shared = {**BASE, "id_str": "2", "quoted_status": quoted, "quoted_status_id_str": "1"}
    retweet = {**BASE, "id_str": "3", "retweeted_status": shared, "quoted_status": quoted}
    posts = [p for p in normalize_v1_tweet(retweet) if isinstance(p, Post)]
    assert [(p.post_id, p.kind, p.ref_post_id, p.collected) for p in posts] == [
        ("1", "post", None, False),
        ("2", "quote", "1", False),
        ("1", "post", None, False),
        ("3", "repost", "2", True),
    ]


def test_html_escapes_are_undone_once():
    post = normalize_v1_tweet({**BASE, "text": "a &amp;lt; b &lt;&gt; c &amp; d"})[-1]
    assert post.text == "a &lt; b <> c & d"


def test_activity_reply_author_comes_from_the_mention_or_the_actor():
    activity = {
        "id": "tag:search.twitter.com,2005:20", "verb": "post", "body": "@Ann hi",
        "postedTime": "2017-05-24T20:32:51.000Z",
        "actor": {"id": "id:twitter.com:7", "preferredUsername": "Bob"},
        "inReplyTo": {"link": "http://twitter.com/ann/statuses/19"},
        "twitter_entities": {"user_mentions": [{"screen_name": "Ann", "id_str": "8"}]},
    }  # fmt: skip
    post = normalize_activity(activity)[-1]
    assert (post.kind, post.reply_to_post_id, post.reply_to_author_id) == ("reply", "19", "8")
    activity["inReplyTo"] = {"link": "http://twitter.com/BOB/statuses/18"}  # a self-reply
    assert normalize_activity(activity)[-1].reply_to_author_id == "7"


def test_activity_without_usable_id_is_quarantined():
    [item] = record_items({"id": "tag:search.twitter.com,2005:", "verb": "post"}, 1, "r")
    reason = "activity: missing or malformed field 'id' ('tag:search.twitter.com,2005:')"
    assert item == Quarantined(1, "r", reason)


# -- URLs: the final URLs of the enterprise URL enrichment -------------------------------------

ARTICLE = "fringe-news.example/2025/11/remigration-now"
LINK_KEYS = {  # (post id, collected) -> urls, the same in both formats
    ("301", True): (ARTICLE,),  # bit.ly unwound, utm_* dropped
    ("302", True): (ARTICLE,),  # extended tweet: ow.ly unwound to m.fringe-news.example/.../
    ("301", False): (ARTICLE,),
    ("303", True): (ARTICLE,),  # retweet of 301
    ("399", False): ("fringe-news.example/2025/11/the-plan",),  # the quoted tweet: trib.al
    ("304", True): (ARTICLE,),  # not enriched: expanded_url with utm_* and fbclid
    ("305", True): ("buff.ly/4xYz",),  # the enrichment failed: the short link stays
    ("306", True): ("t.co/x6",),  # no expanded_url
    ("307", True): (ARTICLE,),  # retweet of an old tweet: only the retweet was enriched
}


@pytest.mark.parametrize(
    ("name", "fmt", "old_tweet"),
    [
        ("links.jsonl", "x-v1", "is.gd/fr1ng3"),
        # A shared activity has no gnip object: it takes the sharing activity's gnip.urls.
        ("links_activity.jsonl", "gnip-activity", ARTICLE),
    ],
)
def test_urls_are_the_enrichments_final_urls(name, fmt, old_tweet):
    items = read(V1 / name, fmt)
    posts = {(p.post_id, p.collected): p.urls for p in items if isinstance(p, Post)}
    assert posts == {**LINK_KEYS, ("398", False): (old_tweet,)}


@pytest.mark.parametrize("unwound", [None, "x", {"status": 404}, {"url": 5}, {"url": ""}])
def test_a_missing_or_malformed_enrichment_falls_back_to_expanded_url(unwound):
    url = {"url": "https://t.co/a", "expanded_url": "https://bit.ly/b", "unwound": unwound}
    [*_, post] = normalize_v1_tweet({**BASE, "entities": {"urls": [url]}})
    assert post.urls == ("bit.ly/b",)


def test_a_nested_activity_takes_the_enclosing_gnip_urls():
    activity = {
        "id": "tag:search.twitter.com,2005:9",
        "verb": "post",
        "body": "x https://t.co/a",
        "twitter_entities": {
            "urls": [{"url": "https://t.co/a", "expanded_url": "https://bit.ly/b"}]
        },
    }
    final = {"https://t.co/a": "https://www.ex.org/a?utm_source=bitly"}
    assert normalize_activity(activity, collected=False, unwound=final)[-1].urls == ("ex.org/a",)
    assert normalize_activity(activity, collected=False)[-1].urls == ("bit.ly/b",)
    own = {"gnip": {"urls": [{"url": "https://t.co/a", "expanded_url": "https://ex.org/c"}]}}
    post = normalize_activity({**activity, **own}, collected=False, unwound=final)[-1]
    assert post.urls == ("ex.org/c",)  # its own enrichment first


# -- detection ----------------------------------------------------------------------------------

V1_LINE = json.dumps(BASE).encode()
ACTIVITY_LINE = (
    b'{"id": "tag:search.twitter.com,2005:1", "objectType": "activity", "verb": "post", '
    b'"actor": {"id": "id:twitter.com:2"}, "postedTime": "2017-05-24T20:32:51.000Z"}'
)
OTHER_HEADS = {
    "twarc2 page": b'{"data": [{"id": "1", "author_id": "2", "text": "hi", "created_at": '
    b'"2021-01-01T00:00:00.000Z"}], "includes": {"users": [{"id": "2", "username": "a"}]}, '
    b'"meta": {"result_count": 1}}\n',
    "twarc2 flat": b'{"id": "1", "author_id": "2", "text": "hi", "created_at": '
    b'"2021-01-01T00:00:00.000Z", "author": {"id": "2", "username": "a"}}\n',
    "mastodon status": b'[{"id": "109", "created_at": "2022-11-06T18:33:47.000Z", '
    b'"content": "<p>hi</p>", "account": {"id": "1", "acct": "a"}, "reblog": null}]',
    "v2 compliance": b'{"id": "1", "action": "delete", "created_at": "2019-09-06T17:25:54Z"}\n',
    "v1 user object": b'{"id_str": "1", "screen_name": "a", "followers_count": 3}\n',
    "csv": b"id,author_id,created_at,text\n1,2,2021-01-01,hi\n",
    "empty": b"",
    "garbage": b"\x00\x01not json",
}


@pytest.mark.parametrize("name", sorted(OTHER_HEADS))
def test_sniffers_refuse_other_formats(name):
    head = OTHER_HEADS[name]
    assert not FORMATS["x-v1"].sniff(head)
    assert not FORMATS["gnip-activity"].sniff(head)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (V1_LINE + b"\n" + V1_LINE[:40], "x-v1"),  # the head's last line cut short
        (b"[" + V1_LINE + b", " + V1_LINE[:30], "x-v1"),
        (json.dumps(BASE, indent=2).encode(), "x-v1"),
        (b'{"delete": {"status": {"id_str": "1"}}}\n{"limit": {"track": 3}}\n', "x-v1"),
        (b'{"limit": {"track": 3}}\n' + V1_LINE + b"\n", "x-v1"),
        (ACTIVITY_LINE + b"\n", "gnip-activity"),
        (b'{"info": {"message": "Replay started"}}\n' + ACTIVITY_LINE + b"\n", "gnip-activity"),
    ],
)
def test_sniffers_claim_their_own_heads_only(head, expected):
    claims = [name for name, fmt in FORMATS.items() if fmt.sniff(head)]
    assert claims == [expected]


@pytest.mark.realdata
def test_sniffers_refuse_real_files_of_other_formats():
    heads = [
        shared_path("twitter-v2-twarc", name)
        for name in ("brexit.jsonl", "flat.jsonl", "tweets_compliance.jsonl", "users.jsonl")
    ]
    heads += sorted(shared_path("mastodon-rtoot", "responses").glob("*.json"))
    for path in heads:
        source = open_input(str(path))
        source.close()
        assert not any(fmt.sniff(source.head) for fmt in FORMATS.values()), path


# -- real Gnip payloads ---------------------------------------------------------------------


@pytest.mark.realdata
def test_original_and_activity_streams_give_the_same_posts():
    original = read(shared_path(*GNIP, "original_format_examples.json"), "x-v1")
    activity = read(shared_path(*GNIP, "activity_streams_examples.json"), "gnip-activity")
    posts_o, posts_a = collected(original), collected(activity)
    assert len(posts_o) == 25
    for mine, theirs in zip(posts_o, posts_a, strict=True):
        assert mine == theirs  # every field, text included
    # Independent count from the payloads: 3 shares, 8 twitter_quoted_status (one of them
    # also a reply), 4 inReplyTo -> 3 replies; the other 11 are plain posts.
    assert Counter(p.kind for p in posts_o) == {"post": 11, "quote": 8, "repost": 3, "reply": 3}


@pytest.mark.realdata
def test_original_and_activity_streams_give_the_same_context_and_accounts():
    original = read(shared_path(*GNIP, "original_format_examples.json"), "x-v1")
    activity = read(shared_path(*GNIP, "activity_streams_examples.json"), "gnip-activity")

    def context(items):
        return [(p.post_id, p.author_id, p.created_at, p.text) for p in items
                if isinstance(p, Post) and not p.collected]  # fmt: skip

    def accounts(items):  # Activity Streams gives account creation times to the millisecond
        return [dataclasses.replace(a, created_at=a.created_at.replace(microsecond=0))
                for a in items if isinstance(a, Account)]  # fmt: skip

    assert context(original) == context(activity)
    assert len(context(original)) == 11
    assert accounts(original) == accounts(activity)


def _twitwi_rows(path: Path) -> list[dict]:
    twitwi = pytest.importorskip("twitwi")
    rows = []
    for line in path.read_text().splitlines():
        tweet = json.loads(line)
        rows += twitwi.normalize_tweet(tweet, extract_referenced_tweets=True, collection_source="x")
    return rows


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["original_format_examples.json", "public_api_sample.json"])
def test_agrees_with_twitwi(name):
    folder = GNIP if name.startswith("original") else BROKEN
    path = shared_path(*folder, name)
    ours = {}
    for line in path.read_text().splitlines():
        posts = [p for p in normalize_v1_tweet(json.loads(line)) if isinstance(p, Post)]
        ours.update({(p.post_id, p.collected): p for p in posts})
    rows = _twitwi_rows(path)
    keys = [(r["id"], r["collected_via"] == ["x"]) for r in rows]  # twitwi names context rows
    assert set(keys) == set(ours)
    for key, row in zip(keys, rows, strict=True):
        post = ours[key]
        assert post.author_id == row["user_id"]
        assert int(post.created_at.timestamp()) == row["timestamp_utc"]
        assert (post.reply_to_post_id, post.reply_to_author_id) == (
            row["to_tweetid"],
            row["to_userid"],
        )
        if post.collected:  # twitwi leaves the quote of a context tweet out
            ref = (row["retweeted_id"] or row["quoted_id"],
                   row["retweeted_user_id"] or row["quoted_user_id"])  # fmt: skip
            assert (post.ref_post_id, post.ref_author_id) == ref
        # twitwi also credits a quote with the quoted tweet's hashtags and mentions
        assert set(post.hashtags) <= set(hashtag_pair(row["hashtags"])[0])
        assert set(post.mentions) <= set(row["mentioned_names"])
        if post.kind != "quote":
            assert set(post.hashtags) == set(hashtag_pair(row["hashtags"])[0])
            assert set(post.mentions) == set(row["mentioned_names"])
            assert set(post.urls) == {normalize_url(u) for u in row["links"]}


def _raw_ids(path: Path) -> list[str]:
    ids = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        ids.append(record.get("id_str") or str(record["id"]).rsplit(":", 1)[-1])
    return ids


@pytest.mark.realdata
def test_broken_payloads_are_all_accounted_for(store):
    folder = shared_path(*BROKEN)
    reports = []
    for path in sorted(folder.glob("*.json")):
        source = open_input(str(path))
        source.close()
        [name] = [n for n, fmt in FORMATS.items() if fmt.sniff(source.head)]
        reports += ingest([path], store, format=name).files
    for r in reports:
        assert r.error is None and r.read == r.added + r.duplicates + r.skipped + r.quarantined
    # Only the tweet without a user is unusable; a missing description, an extra field or a
    # quoted tweet without a user do not stop a record.
    missing_user = "original_format_missing_user.json"
    assert [(Path(r.path).name, r.quarantined) for r in reports if r.quarantined] == [
        (missing_user, 1)
    ]
    assert store.con.execute("SELECT reason FROM quarantine").fetchall() == [
        ("tweet 867833721579122688: missing field 'user'",)
    ]
    ids = [i for p in sorted(folder.glob("*.json")) if p.name != missing_user for i in _raw_ids(p)]
    assert sum(r.read for r in reports) == len(ids) + 1 == 26
    assert sum(r.added for r in reports) == len(set(ids))
    assert sum(r.duplicates for r in reports) == len(ids) - len(set(ids))


@pytest.mark.realdata
def test_quote_whose_quoted_tweet_lacks_a_user_keeps_the_quote():
    path = shared_path(*BROKEN, "original_format_missing_quotetweet_field.json")
    items = read(path, "x-v1")
    quoted, post = [i for i in items if isinstance(i, Post)]
    assert (post.kind, post.ref_post_id, post.ref_author_id) == ("quote", quoted.post_id, None)
    assert (quoted.collected, quoted.author_id) == (False, None)
    assert quoted.post_id == json.loads(path.read_text())["quoted_status"]["id_str"]


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("Wed May 24 20:32:51 +0000 2017", utc(2017, 5, 24, 20, 32, 51)),
        ("Wed May 24 20:32:51 +0200 2017", utc(2017, 5, 24, 18, 32, 51)),
        ("2017-05-24T20:32:51.000Z", utc(2017, 5, 24, 20, 32, 51)),
    ],
)
def test_tweet_times_in_every_accepted_form(created_at, expected):
    assert normalize_v1_tweet({**BASE, "created_at": created_at})[-1].created_at == expected


@given(st.datetimes(min_value=datetime(2006, 3, 21), max_value=datetime(2099, 12, 31)))
def test_fast_v1_time_path_agrees_with_parse_time(moment):
    text = moment.replace(tzinfo=UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")
    assert normalize_v1_tweet({**BASE, "created_at": text})[-1].created_at == parse_time(text)


def test_impossible_v1_date_is_quarantined():
    [item] = record_items({**BASE, "created_at": "Wed May 32 20:32:51 +0000 2017"}, 1)
    assert isinstance(item, Quarantined) and "field 'created_at'" in item.reason
