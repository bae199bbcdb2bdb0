"""Bluesky readers: post views in every accepted shape and Jetstream events, field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES, shared_path
from trendwatch.formats import FORMAT_ORDER, get_format, open_input
from trendwatch.formats.bluesky import (
    FORMATS,
    jetstream_items,
    record_post,
    sniff_jetstream,
    sniff_post_views,
    uri_did,
)
from trendwatch.formats.items import Quarantined, ReadOptions, Skipped
from trendwatch.ingest import ingest
from trendwatch.model import Account, Post

BLUESKY = FIXTURES / "bluesky"
MASTODON = FIXTURES / "mastodon"
ALICE, BOB, CAROL = "did:plc:alice111", "did:plc:bob222", "did:plc:carol333"
ROOT = f"at://{ALICE}/app.bsky.feed.post/3kroot"
REPLY = f"at://{BOB}/app.bsky.feed.post/3kreply"
QUOTE = f"at://{CAROL}/app.bsky.feed.post/3kquote"
FEED_EMBED = f"at://{CAROL}/app.bsky.feed.post/3kfeed"
JET_POST = f"at://{ALICE}/app.bsky.feed.post/3kp1"


def _items(path, fmt="bluesky"):
    source = open_input(str(path))
    try:
        return list(get_format(fmt).read(source, ReadOptions()))
    finally:
        source.close()


def _posts(items, collected=True):
    return {i.post_id: i for i in items if isinstance(i, Post) and i.collected is collected}


def _of(items, kind):
    return [i for i in items if isinstance(i, kind)]


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


def _head(path):
    with open(path, "rb") as handle:
        return handle.read(64 * 1024)


EXPECTED_ROOT = Post(
    platform="bluesky",
    post_id=ROOT,
    author_id=ALICE,
    created_at=_utc(2024, 11, 20, 10, 0),
    kind="post",
    text="Hello world #Trend",
    lang="fr",
    conversation_id=ROOT,
    hashtags=("trend", "extra"),
    hashtags_raw=("Trend", "Extra"),
    author_handle="alice.bsky.social",
)
EXPECTED_REPLY = Post(
    platform="bluesky",
    post_id=REPLY,
    author_id=BOB,
    created_at=_utc(2024, 11, 20, 10, 5),
    kind="reply",
    text="@alice.bsky.social so true 🎉 #Remigration https://ex.org/a?utm_source=x",
    lang="en",
    reply_to_post_id=ROOT,
    reply_to_author_id=ALICE,
    conversation_id=ROOT,
    hashtags=("remigration",),
    hashtags_raw=("Remigration",),
    mentions=("alice.bsky.social",),
    urls=("ex.org/a",),
    author_handle="bob.example.com",
)
EXPECTED_QUOTE = Post(
    platform="bluesky",
    post_id=QUOTE,
    author_id=CAROL,
    created_at=_utc(2024, 11, 20, 10, 10),
    kind="quote",
    text="look at this",
    ref_post_id=ROOT,
    ref_author_id=ALICE,
    conversation_id=QUOTE,
    urls=("news.example.org/story",),
    author_handle="carol.bsky.social",
)


# ------------------------------------------------------------------------------ post views


@pytest.fixture(scope="module")
def array_items():
    return _items(BLUESKY / "postviews_array.json")


def test_post_view_fields(array_items):
    posts = _posts(array_items)
    assert posts[ROOT] == EXPECTED_ROOT
    assert posts[REPLY] == EXPECTED_REPLY
    assert posts[QUOTE] == EXPECTED_QUOTE


def test_record_embed_of_a_feed_is_not_a_quote_and_indexed_at_stands_for_created_at(array_items):
    post = _posts(array_items)[FEED_EMBED]
    assert (post.kind, post.ref_post_id) == ("post", None)
    assert post.created_at == _utc(2024, 11, 20, 10, 20)


def test_quoted_view_is_a_context_post(array_items):
    context = _posts(array_items, collected=False)
    assert set(context) == {ROOT}
    assert context[ROOT].text == "Hello world #Trend" and context[ROOT].author_id == ALICE


def test_accounts_from_authors(array_items):
    accounts = {(a.account_id, a.observed_at): a for a in _of(array_items, Account)}
    # Alice is seen twice at the same time: as the root's author and as the quoted author.
    alice = [a for a in _of(array_items, Account) if a.account_id == ALICE]
    assert len(alice) == 2 and alice[1].created_at is None
    assert alice[0] == Account(
        platform="bluesky",
        account_id=ALICE,
        handle="alice.bsky.social",
        name="Alice",
        created_at=_utc(2023, 5, 1, 8, 0),
        observed_at=_utc(2024, 11, 20, 10, 0, 1, 500000),
    )
    bob = accounts[(BOB, _utc(2024, 11, 20, 10, 5, 2))]
    assert (bob.name, bob.created_at) == (None, None)


@pytest.mark.parametrize(
    "name, n_posts, n_skipped",
    [
        ("postviews_array.json", 4, 0),
        ("postviews_lines.jsonl", 4, 0),
        ("getposts_pages.jsonl", 4, 1),
        ("searchposts_single.json", 2, 0),
    ],
)
def test_every_shape_gives_the_same_posts(array_items, name, n_posts, n_skipped):
    items = _items(BLUESKY / name)
    posts = _posts(items)
    assert len(posts) == n_posts and len(_of(items, Skipped)) == n_skipped
    assert all(posts[key] == post for key, post in _posts(array_items).items() if key in posts)


def test_bad_post_views_are_quarantined_with_their_line():
    bad = _of(_items(BLUESKY / "postviews_lines.jsonl"), Quarantined)
    assert [b.record_no for b in bad] == [5, 6, 7]
    assert "no readable createdAt" in bad[0].reason
    assert "not a Bluesky post view" in bad[1].reason and '"nope"' in bad[1].raw
    assert bad[2].reason.startswith("invalid JSON")


def test_page_records_get_distinct_numbers():
    items = _items(BLUESKY / "getposts_pages.jsonl")
    assert [s.record_no for s in _of(items, Skipped)] == [5]  # after 2 + 2 page posts


def test_mention_falls_back_to_the_did_when_the_text_is_not_a_handle():
    record = {
        "text": "hey you",
        "createdAt": "2024-11-20T10:00:00Z",
        "facets": [
            {
                "index": {"byteStart": 4, "byteEnd": 7},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": CAROL}],
            },
            {"index": "bad", "features": "bad"},
            "not a facet",
        ],
    }
    assert record_post(ROOT, ALICE, record).mentions == (CAROL,)


def test_mention_byte_range_counts_utf8_bytes():
    text = "é🎉 @Bob.example.com"
    start = len("é🎉 ".encode())
    facet = {
        "index": {"byteStart": start, "byteEnd": len(text.encode())},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BOB}],
    }
    record = {"text": text, "createdAt": "2024-11-20T10:00:00Z", "facets": [facet]}
    assert record_post(ROOT, ALICE, record).mentions == ("bob.example.com",)


def test_quote_that_replies_is_a_quote_with_its_reply_target():
    record = {
        "text": "x",
        "createdAt": "2024-11-20T10:00:00Z",
        "reply": {"root": {"uri": ROOT}, "parent": {"uri": REPLY}},
        "embed": {"$type": "app.bsky.embed.record", "record": {"uri": QUOTE}},
    }
    post = record_post(JET_POST, ALICE, record)
    assert (post.kind, post.ref_post_id, post.ref_author_id) == ("quote", QUOTE, CAROL)
    assert (post.reply_to_post_id, post.reply_to_author_id, post.conversation_id) == (
        REPLY,
        BOB,
        ROOT,
    )


def test_links_and_link_cards_get_the_canonical_url_keys():
    article = "https://fringe-news.example/2025/11/remigration-now"
    text = "lisez ça"
    record = {
        "text": text,
        "createdAt": "2024-11-20T10:00:00Z",
        "facets": [
            {
                "index": {"byteStart": 0, "byteEnd": 5},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            }
            for uri in (
                article + "?utm_source=bsky&utm_medium=social",
                "https://youtu.be/ulhx7G5g3EY",
            )
        ],
        "embed": {
            "$type": "app.bsky.embed.external",
            "external": {"uri": "https://www.fringe-news.example/2025/11/remigration-now/amp"},
        },
    }
    assert record_post(ROOT, ALICE, record).urls == (
        "fringe-news.example/2025/11/remigration-now",
        "youtube.com/watch?v=ulhx7G5g3EY",
    )


def test_uri_did():
    assert uri_did(ROOT) == ALICE
    assert uri_did("https://bsky.app/profile/x") is None and uri_did(None) is None


# -------------------------------------------------------------------------------- jetstream


@pytest.fixture(scope="module")
def jet_items():
    return _items(BLUESKY / "jetstream.jsonl", "jetstream")


def test_jetstream_post_create(jet_items):
    assert _posts(jet_items)[JET_POST] == Post(
        platform="bluesky",
        post_id=JET_POST,
        author_id=ALICE,
        created_at=_utc(2024, 11, 20, 9, 59, 59),
        kind="post",
        text="Stop #Remigration now",
        lang="en",
        conversation_id=JET_POST,
        hashtags=("remigration",),
        hashtags_raw=("Remigration",),
    )


def test_jetstream_reposts_with_created_at_or_time_us(jet_items):
    posts = _posts(jet_items)
    bob = posts[f"at://{BOB}/app.bsky.feed.repost/3krp"]
    carol = posts[f"at://{CAROL}/app.bsky.feed.repost/3krq"]
    assert bob == Post(
        platform="bluesky",
        post_id=f"at://{BOB}/app.bsky.feed.repost/3krp",
        author_id=BOB,
        created_at=_utc(2024, 11, 20, 10, 0, 4),
        kind="repost",
        ref_post_id=JET_POST,
        ref_author_id=ALICE,
    )
    # No createdAt: time_us (T0 + 6 s) is when the network saw it.
    assert (carol.created_at, carol.ref_post_id) == (_utc(2024, 11, 20, 10, 0, 6), JET_POST)


def test_jetstream_other_events_are_skipped_with_reasons(jet_items):
    reasons = [s.reason for s in _of(jet_items, Skipped)]
    assert reasons == [
        "Jetstream create of app.bsky.feed.like",
        "Jetstream delete of app.bsky.feed.post",
        "Jetstream create of app.bsky.graph.follow",
        "Jetstream identity event",
        "Jetstream account event",
    ]
    accounts = _of(jet_items, Account)
    assert accounts == [
        Account(
            platform="bluesky",
            account_id=CAROL,
            handle="carol.bsky.social",
            observed_at=_utc(2024, 11, 20, 10, 0, 9),
        )
    ]


def test_jetstream_malformed_lines_are_quarantined(jet_items):
    bad = _of(jet_items, Quarantined)
    assert [b.record_no for b in bad] == [9, 10]
    assert "missing field 'subject'" in bad[0].reason
    assert bad[1].reason.startswith("invalid JSON")


def test_jetstream_legacy_short_codes():
    event = {
        "did": ALICE,
        "time_us": 1732096800000000,
        "type": "com",
        "commit": {"type": "c", "collection": "app.bsky.feed.post", "rkey": "k", "record": {}},
    }
    (post,) = jetstream_items(event)
    assert (post.post_id, post.created_at) == (
        f"at://{ALICE}/app.bsky.feed.post/k",
        _utc(2024, 11, 20, 10, 0),
    )


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"time_us": 1, "kind": "commit"},
        {
            "did": ALICE,
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "k",
                "record": {},
            },
        },
        {
            "did": ALICE,
            "time_us": 1,
            "kind": "commit",
            "commit": {"operation": "create", "collection": "app.bsky.feed.post", "record": {}},
        },
    ],
)
def test_jetstream_items_reject_malformed_events(event):
    with pytest.raises((KeyError, TypeError, ValueError)):
        jetstream_items(event)


# ---------------------------------------------------------------------- accounting and sniffs


@pytest.mark.parametrize(
    "name, fmt, expected",
    [
        ("postviews_lines.jsonl", "bluesky", (7, 4, 0, 0, 3)),
        ("getposts_pages.jsonl", "bluesky", (5, 4, 0, 1, 0)),
        ("jetstream.jsonl", "jetstream", (10, 3, 0, 5, 2)),
    ],
)
def test_ingest_accounts_for_every_record(store, name, fmt, expected):
    report = ingest([BLUESKY / name], store, format=fmt).totals
    counts = tuple(report[k] for k in ("read", "added", "duplicates", "skipped", "quarantined"))
    assert counts == expected
    assert counts[0] == sum(counts[1:])


def test_ingest_twice_adds_nothing(store):
    ingest([BLUESKY / "postviews_array.json"], store, format="bluesky")
    again = ingest([BLUESKY / "searchposts_single.json"], store, format="bluesky").totals
    assert (again["added"], again["duplicates"]) == (0, 2)


def test_registry_exposes_both_formats():
    assert get_format("bluesky") is FORMATS["bluesky"]
    assert get_format("jetstream") is FORMATS["jetstream"]
    assert get_format("bluesky").DESCRIPTION and get_format("jetstream").NAME == "jetstream"


def test_sniffs_claim_their_own_fixtures_only():
    views = ["postviews_array.json", "postviews_lines.jsonl", "getposts_pages.jsonl"]
    for name in [*views, "searchposts_single.json"]:
        head = _head(BLUESKY / name)
        assert sniff_post_views(head) and not sniff_jetstream(head), name
    head = _head(BLUESKY / "jetstream.jsonl")
    assert sniff_jetstream(head) and not sniff_post_views(head)


def test_sniff_post_views_peeks_at_a_page_longer_than_the_head():
    line = (BLUESKY / "getposts_pages.jsonl").read_bytes().split(b"\n")[0]
    big = line[:-2] + b', "padding": "' + b"x" * 70_000 + b'"}'
    assert sniff_post_views(big[: 64 * 1024])


def test_sniffs_refuse_mastodon_and_x_heads():
    heads = [_head(p) for p in sorted(MASTODON.iterdir())]
    heads += [_head(p) for p in sorted(shared_path("mastodon-rtoot", "responses").glob("*.json"))]
    for name in ("brexit.jsonl", "flat.jsonl", "users.jsonl", "withheld.jsonl"):
        heads.append(_head(shared_path("twitter-v2-twarc", name)))
    heads.append(_head(shared_path("twitter-v1-gnip", "original_format_examples.json")))
    heads.append(_head(shared_path("twitter-v1-gnip", "activity_streams_examples.json")))
    for head in heads:
        assert not sniff_post_views(head) and not sniff_jetstream(head), head[:80]


def test_formats_detected_earlier_do_not_claim_bluesky_inputs():
    heads = [_head(p) for p in sorted(BLUESKY.iterdir())]
    for name in FORMAT_ORDER[: FORMAT_ORDER.index("bluesky")]:
        try:
            reader = get_format(name)
        except ImportError:  # a reader another engineer has not written yet
            continue
        assert not any(reader.sniff(head) for head in heads), name
