"""X API v2 readers: hand-made golden records, real twarc2 files, flat vs pages, twitwi
cross-check, accounting through ingest, and detection against other formats' heads."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from twitwi import normalize_tweets_payload_v2

from tests.conftest import FIXTURES, shared_path
from trendwatch.formats import HEAD_BYTES, ReadOptions, detect_format
from trendwatch.formats.items import AccountTable, PostTable, Quarantined, Skipped
from trendwatch.formats.jsonrecords import JsonRecord, RecordNumbers
from trendwatch.formats.stream import open_input
from trendwatch.formats.x_v2 import (
    FORMATS,
    Lookup,
    account_record,
    page_items,
    peek_fields,
    tweet_post,
)
from trendwatch.ingest import ingest
from trendwatch.model import Account, Post

V2 = FIXTURES / "x_v2"
TWARC = "twitter-v2-twarc"
PAGES, FLAT = FORMATS["twarc2"], FORMATS["twarc2-flat"]


def records(items) -> list:
    """Items with the posts and accounts of Arrow tables turned back into records."""
    out = []
    for item in items:
        if isinstance(item, PostTable | AccountTable):
            record = Post if isinstance(item, PostTable) else Account
            out += [record(**_tuples(row)) for row in item.table.to_pylist()]
        else:
            out.append(item)
    return out


def _tuples(row: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}


def read(path: Path, fmt=PAGES) -> list:
    source = open_input(str(path))
    try:
        return records(fmt.read(source, ReadOptions()))
    finally:
        source.close()


def collected(items: list) -> list[Post]:
    return [i for i in items if isinstance(i, Post) and i.collected]


def context(items: list) -> dict[str, Post]:
    return {i.post_id: i for i in items if isinstance(i, Post) and not i.collected}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- the hand-made page: expected records, field by field -------------------------------------

ORIGINAL_TEXT = (
    "Un texte long qui a été coupé par l'API v2 parce que les retweets sont tronqués à "
    "140 caractères #Remigration https://t.co/z"
)
EXPECTED = [
    Post(
        platform="x",
        post_id="101",
        author_id="1",
        created_at=utc(2024, 3, 1, 12, 0),
        kind="post",
        text="Tous dehors & vite #Remigration #ＦＲＡＮＣＥ @Bob_2 https://t.co/a",
        lang="fr",
        conversation_id="101",
        hashtags=("remigration", "france"),
        hashtags_raw=("Remigration", "ＦＲＡＮＣＥ"),
        mentions=("bob_2",),
        urls=("example.com/a?id=3",),
        author_handle="ann",
        source="Twitter Web App",
    ),
    Post(  # a retweet: full text, hashtags and URLs of the retweeted tweet from includes
        platform="x",
        post_id="102",
        author_id="2",
        created_at=utc(2024, 3, 1, 12, 0, 5),
        kind="repost",
        text="RT @carla: " + ORIGINAL_TEXT,
        lang="fr",
        ref_post_id="110",
        ref_author_id="3",
        ref_author_handle="carla",
        conversation_id="110",
        hashtags=("remigration",),
        hashtags_raw=("Remigration",),
        mentions=("carla",),
        urls=("example.org/z",),
        author_handle="Bob_2",
    ),
    Post(  # a quote that replies: kind quote, reply fields set; author not in includes
        platform="x",
        post_id="103",
        author_id="4",
        created_at=utc(2024, 3, 1, 12, 1),
        kind="quote",
        text="@eve look at this https://t.co/q",
        lang="en",
        ref_post_id="111",
        ref_author_id="3",
        ref_author_handle="carla",
        reply_to_post_id="112",
        reply_to_author_id="5",
        conversation_id="112",
        mentions=("eve",),
        urls=("twitter.com/carla/status/111",),
    ),
    Post(
        platform="x",
        post_id="104",
        author_id="3",
        created_at=utc(2024, 3, 1, 12, 2),
        kind="reply",
        text="@ann non",
        reply_to_post_id="101",
        reply_to_author_id="1",
        conversation_id="101",
        mentions=("ann",),
        author_handle="carla",
    ),
    Post(  # a retweet whose target is missing: own text, author from the RT mention
        platform="x",
        post_id="105",
        author_id="4",
        created_at=utc(2024, 3, 1, 12, 3),
        kind="repost",
        text="RT @Zed: lost original",
        ref_post_id="113",
        ref_author_id="9",
        ref_author_handle="Zed",
        mentions=("zed",),
    ),
    Post(  # a long post: note_tweet text and entities
        platform="x",
        post_id="106",
        author_id="1",
        created_at=utc(2024, 3, 1, 12, 4),
        kind="post",
        text="Le début seulement, puis la suite #Longue",
        hashtags=("longue",),
        hashtags_raw=("Longue",),
        author_handle="ann",
    ),
]
RETRIEVED = utc(2024, 3, 1, 13, 0)


def test_hand_made_page_gives_expected_posts_field_by_field():
    posts = collected(read(V2 / "pages.jsonl"))
    assert len(posts) == len(EXPECTED)
    for got, want in zip(posts, EXPECTED, strict=True):
        assert got == want, got.post_id


def test_hand_made_page_context_posts_are_the_included_tweets():
    ctx = context(read(V2 / "pages.jsonl"))
    assert set(ctx) == {"110", "111"}
    assert ctx["110"] == Post(
        platform="x",
        post_id="110",
        author_id="3",
        created_at=utc(2024, 3, 1, 11, 0),
        kind="post",
        text=ORIGINAL_TEXT,
        lang="fr",
        conversation_id="110",
        hashtags=("remigration",),
        hashtags_raw=("Remigration",),
        urls=("example.org/z",),
        author_handle="carla",
        collected=False,
    )


def test_hand_made_page_accounts_observed_at_retrieval():
    accounts = {a.account_id: a for a in read(V2 / "pages.jsonl") if isinstance(a, Account)}
    assert set(accounts) == {"1", "2", "3"}
    assert accounts["1"] == Account(
        platform="x",
        account_id="1",
        handle="ann",
        name="Ann",
        created_at=utc(2020, 1, 2, 3, 4, 5),
        followers=10,
        following=20,
        posts_count=30,
        listed=1,
        verified=False,
        description="Tout & rien",
        observed_at=RETRIEVED,
    )
    assert accounts["2"].verified is True and accounts["2"].description is None


def test_hand_made_page_quarantines_and_skips_with_precise_reasons():
    items = read(V2 / "pages.jsonl")
    bad = [i for i in items if isinstance(i, Quarantined | Skipped)]
    assert [type(i).__name__ for i in bad] == ["Quarantined", "Skipped", "Quarantined"]
    no_author, errors_page, broken = bad
    assert (no_author.record_no, no_author.reason) == (7, "line 1, tweet 7: missing author_id")
    assert json.loads(no_author.raw)["id"] == "107"
    assert (errors_page.record_no, errors_page.reason) == (
        8,
        "line 2: page without 'data' (1 errors)",
    )
    assert broken.record_no == 9 and broken.reason.startswith("line 3: invalid JSON")
    assert broken.raw == '{"data": [{"id": "108", "author_id": "1"'


def test_hand_made_page_accounting_through_ingest(store):
    report = ingest([V2 / "pages.jsonl"], store)
    file = report.files[0]
    assert (file.format, file.read, file.added, file.skipped, file.quarantined) == (
        "twarc2",
        9,
        6,
        1,
        2,
    )
    assert store.posts(include_context=True).count().execute() == 8
    assert store.quarantine().count().execute() == 2


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id", None, "missing id"),
        ("id", 101, "id is not a string"),
        ("author_id", ["1"], "author_id is not a string"),
        ("created_at", None, "missing created_at"),
        ("created_at", "yesterday", "bad created_at: unrecognised time 'yesterday'"),
    ],
)
def test_missing_or_bad_required_field_is_quarantined_naming_it(field, value, reason):
    tweet = {"id": "1", "author_id": "2", "created_at": "2024-03-01T12:00:00Z", "text": "x"}
    tweet[field] = value
    if value is None:
        del tweet[field]
    record = JsonRecord(4, b"...", {"data": [tweet]})
    (item,) = page_items(record, RecordNumbers())
    assert isinstance(item, Quarantined)
    assert item.reason == f"line 4, tweet 1: {reason}"


def test_malformed_entities_are_quarantined_not_raised():
    tweet = {
        "id": "1",
        "author_id": "2",
        "created_at": "2024-03-01T12:00:00Z",
        "text": "x",
        "entities": {"hashtags": [{"start": 0}]},
    }
    (item,) = page_items(JsonRecord(1, b"", {"data": [tweet]}), RecordNumbers())
    assert item.reason == "line 1, tweet 1: malformed tweet: missing field 'tag'"


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ([1, 2], Quarantined, "line 1: expected a twarc2 page (a JSON object), found list"),
        ({"data": "x"}, Quarantined, "line 1: 'data' is str, expected a list or an object"),
        ({"data": []}, Skipped, "line 1: page with an empty 'data'"),
        ({"meta": {"result_count": 0}}, Skipped, "line 1: page without 'data' (0 errors)"),
        (
            {"data": [{"tweet_count": 3, "start": "a"}]},
            Skipped,
            "line 1: tweet counts page (1 buckets), no posts",
        ),
        (
            {"id": "1", "action": "delete", "reason": "protected"},
            Skipped,
            "line 1: compliance event (delete, protected)",
        ),
        (
            {"id": "1", "text": "t", "author_id": "2"},
            Quarantined,
            "line 1: not a twarc2 page, no 'data' (a flattened tweet? use --format twarc2-flat)",
        ),
    ],
)
def test_lines_without_tweets_count_as_one_record(value, kind, reason):
    (item,) = page_items(JsonRecord(1, orjson.dumps(value), value), RecordNumbers())
    assert type(item) is kind and item.reason == reason


def test_account_record_ignores_values_of_the_wrong_type():
    user = {
        "id": "7",
        "username": 3,
        "verified": "yes",
        "created_at": "never",
        "public_metrics": {"followers_count": "5", "following_count": 2},
    }
    account = account_record(user)
    assert (account.handle, account.verified, account.created_at) == (None, None, None)
    assert (account.followers, account.following) == (None, 2)


def test_flat_tweets_give_the_same_posts_as_the_page():
    flat = collected(read(V2 / "flat.jsonl", FLAT))
    assert flat[0] == EXPECTED[1]
    # the flat quote carries its author, which the page's includes lacked
    assert flat[1] == EXPECTED[2].__class__(
        **{**{f: getattr(EXPECTED[2], f) for f in Post.__slots__}, "author_handle": "dan"}
    )
    ctx = context(read(V2 / "flat.jsonl", FLAT))
    assert set(ctx) == {"110", "111"} and ctx["110"].author_handle == "carla"


def test_tweet_post_resolves_reference_authors_through_lookup():
    from trendwatch.formats.x_v2 import tweet_post

    lookup = Lookup(
        users={"3": {"id": "3", "username": "c"}}, tweets={"9": {"id": "9", "author_id": "3"}}
    )
    tweet = {
        "id": "1",
        "author_id": "2",
        "created_at": "2024-03-01T12:00:00Z",
        "referenced_tweets": [{"type": "quoted", "id": "9"}],
    }
    post = tweet_post(tweet, lookup)
    assert (post.kind, post.ref_post_id, post.ref_author_id, post.ref_author_handle) == (
        "quote",
        "9",
        "3",
        "c",
    )


# -- URLs: the most resolved link the payload gives, one key per article ------------------------

ARTICLE = "fringe-news.example/2025/11/remigration-now"
VIDEO = "youtube.com/watch?v=ulhx7G5g3EY"
LINK_KEYS = {
    "201": (ARTICLE,),  # expanded_url with utm_*
    "202": (ARTICLE,),  # bit.ly; unwound_url with www, a trailing slash and other utm_*
    "203": (ARTICLE,),  # ow.ly; unwound_url (status 404: still where the link leads) + fbclid
    "204": (ARTICLE,),  # a Facebook redirect (l.php?u=) as expanded_url
    "205": (ARTICLE,),  # the AMP page
    "206": ("buff.ly/4xYz",),  # a shortener X did not unwind stays a short link
    "207": ("t.co/a7",),  # no expanded_url: the t.co link
    "208": (ARTICLE, VIDEO),  # dlvr.it unwound to m.fringe-news...; youtu.be
    "209": (VIDEO,),  # youtube.com/watch?v=...&feature=youtu.be
    "210": ("fringe-news.example/article?id=42",),  # another page of the same site
    "211": (ARTICLE,),  # a retweet of 202 carries its URLs
    "212": (ARTICLE,),  # a long post: note_tweet entities, tinyurl unwound, mc_cid/mc_eid
    "213": (ARTICLE,),  # retweet of an old tweet: only the retweet gives the is.gd link unwound
}


def test_urls_are_the_most_resolved_link_canonicalised():
    items = read(V2 / "links.jsonl")
    assert {p.post_id: p.urls for p in collected(items)} == LINK_KEYS
    # The old tweet itself keeps its short link: its own entities do not unwind it.
    assert context(items)["299"].urls == ("is.gd/fr1ng3",)


def test_unwound_url_wins_over_expanded_url_and_the_t_co_link():
    tweet = {"id": "1", "author_id": "2", "created_at": "2024-03-01T12:00:00Z", "text": "x"}
    url = {"url": "https://t.co/x", "expanded_url": "https://bit.ly/y"}
    unwound = {**url, "unwound_url": "https://ex.org/a?utm_source=bitly", "status": 200}
    lookup = Lookup(users={}, tweets={})

    def urls(*items):
        return tweet_post({**tweet, "entities": {"urls": list(items)}}, lookup).urls

    assert urls(unwound, url, {"url": "https://t.co/z"}) == ("ex.org/a", "bit.ly/y", "t.co/z")


def test_a_retweet_url_entity_without_its_t_co_link_does_not_stop_the_retweet():
    original = {
        "id": "1",
        "author_id": "7",
        "created_at": "2024-03-01T12:00:00Z",
        "text": "x",
        "entities": {"urls": [{"url": "https://t.co/a", "expanded_url": "https://bit.ly/b"}]},
    }
    retweet = {
        "id": "2",
        "author_id": "8",
        "created_at": "2024-03-01T12:01:00Z",
        "text": "RT",
        "referenced_tweets": [{"type": "retweeted", "id": "1"}],
        "entities": {"urls": [{"unwound_url": "https://ex.org/a"}]},
    }
    users = [{"id": "7", "username": "ann"}]
    page = {"data": [retweet], "includes": {"tweets": [original], "users": users}}
    items = records(page_items(JsonRecord(1, b"", page), RecordNumbers()))
    assert [p.urls for p in collected(items)] == [("bit.ly/b",)]


def test_co_link_links_every_account_that_shared_the_article(store):
    from trendwatch.analysis.coordination import coordinate

    ingest([V2 / "links.jsonl"], store)
    result = coordinate(store, "co-link", window=60, record=False)
    pairs = set(zip(result.edges["account_a"], result.edges["account_b"], strict=True))
    # Reposts (211, 213) do not count, as in the QUT toolkit; 6 and 7 gave short links.
    sharing = ["1", "2", "3", "4", "5", "8"]
    assert pairs == set(itertools.combinations(sharing, 2)) | {("8", "9")}
    assert set(result.evidence["key"]) == {ARTICLE, VIDEO}


def test_real_links_through_shorteners_meet_the_article_they_lead_to():
    posts = {p.post_id: p for p in read(shared_path(TWARC, "entities_test.jsonl"))
             if isinstance(p, Post)}  # fmt: skip
    politico = (
        "politico.eu/article/italy-election-exit-poll-far-right-giorgia-meloni-brothers-of-"
        "berlusconi-salvini-mario-draghi"
    )
    assert posts["1574186239741333504"].urls[0] == politico  # politi.co/3xSGdJG
    assert posts["1574146959346106369"].urls == (politico,)  # bit.ly/3UEGtWn, utm_* dropped
    assert posts["1574184402111766528"].urls == ("youtube.com/watch?v=OFWlVzxPJn8",)  # youtu.be


def test_real_retweets_take_the_unwound_link_the_retweeted_tweet_lacks():
    posts = {p.post_id: p for p in read(shared_path(TWARC, "kpop.jsonl")) if isinstance(p, Post)}
    giveaway = "gleam.io/IihFp/signed-astro-polaroid-giveaway"
    assert posts["1440716837365243908"].urls[0] == giveaway  # RT, bit.ly unwound in the RT
    assert posts["1433167533314555908"].urls[0] == "bit.ly/ASTROxDIVEGiveaway"  # the original
    tiktok = "tiktok.com/@itslive_official/video/7010764427180002561?lang=ko-KR"
    assert posts["1440717136192626696"].urls[0] == tiktok  # RT of a bit.ly unwound in both


# -- detection ----------------------------------------------------------------------------------

OTHER_HEADS = {
    "x-v1": b'{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id": 1, "id_str": "1", '
    b'"text": "hi", "user": {"id_str": "2"}}\n',
    "gnip": b'{"id": "tag:search.twitter.com,2005:1", "verb": "post", "actor": {}, "body": "x"}',
    "mastodon": b'{"id": "1", "content": "<p>x</p>", "text": null, "account": {"id": "2"}}',
    "bluesky": b'{"uri": "at://did:plc:x/app.bsky.feed.post/1", "cid": "b", "author": {}}',
    "jetstream": b'{"did": "did:plc:x", "time_us": 1, "kind": "commit", "commit": {}}',
    "csv": b"id,author_id,text,created_at\n1,2,hi,2024-01-01\n",
    "parquet": b"PAR1\x15\x04",
    "empty": b"",
    "array of numbers": b"[1, 2, 3]",
}


@pytest.mark.parametrize("name", sorted(OTHER_HEADS))
def test_neither_format_claims_other_formats_heads(name):
    assert not PAGES.sniff(OTHER_HEADS[name])
    assert not FLAT.sniff(OTHER_HEADS[name])


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (FIXTURES.glob("*/*")) if "x_v2" not in str(p))
)
def test_neither_format_claims_other_readers_fixtures(name):
    path = next(p for p in FIXTURES.glob(f"*/{name}") if "x_v2" not in str(p))
    head = path.read_bytes()[:HEAD_BYTES]
    assert not PAGES.sniff(head) and not FLAT.sniff(head)


def test_hand_made_fixtures_are_detected():
    assert PAGES.sniff((V2 / "pages.jsonl").read_bytes())
    assert not FLAT.sniff((V2 / "pages.jsonl").read_bytes())
    assert FLAT.sniff((V2 / "flat.jsonl").read_bytes())
    assert not PAGES.sniff((V2 / "flat.jsonl").read_bytes())


@pytest.mark.parametrize(
    ("head", "pages", "flat"),
    [
        (
            b'\n{"data": {"id": "1", "text": "t", "author_id": "2"}, "matching_rules": []}',
            True,
            False,
        ),
        (b'{"data": [{"id": "1", "username": "u", "name": "U"}], "includes"', True, False),
        (b'{"meta": {"result_count": 0}, "__twarc": {"version": "2"}}', True, False),
        (
            b'{"id": "1", "action": "delete", "created_at": "2019", "reason": "protected"}',
            True,
            False,
        ),
        (
            b'{"id": "1", "author_id": "2", "edit_history_tweet_ids": ["1"], "__twarc": {}}',
            False,
            True,
        ),
        (b'{"data": {"x": 1}}', False, False),
        (b'{"id": 1, "text": "t", "author_id": "2"}', False, False),
    ],
)
def test_sniff_small_heads(head, pages, flat):
    assert (PAGES.sniff(head), FLAT.sniff(head)) == (pages, flat)


def test_peek_fields_reads_a_page_cut_by_the_head():
    line = (shared_path(TWARC, "brexit.jsonl")).read_bytes()
    head = line[:HEAD_BYTES]
    assert len(line) > 5 * HEAD_BYTES
    fields = peek_fields(head)
    assert (
        list(fields) == ["data"] and fields["data"].first["id"] == json.loads(line)["data"][0]["id"]
    )
    assert detect_format(head) == "twarc2"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("brexit.jsonl", "twarc2"),
        ("flat.jsonl", "twarc2-flat"),
        ("noflat.jsonl", "twarc2"),
        ("streaming_output_with_error.jsonl", "twarc2"),
        ("users.jsonl", "twarc2"),
        ("counts.jsonl", "twarc2"),
        ("tweets_compliance.jsonl", "twarc2"),
        ("withheld.jsonl", "twarc2"),
    ],
)
def test_real_files_are_detected(name, expected):
    path = shared_path(TWARC, name)
    assert detect_format(path.read_bytes()[:HEAD_BYTES]) == expected


# -- real twarc2 files --------------------------------------------------------------------------


def test_brexit_reposts_resolve_to_stored_context_posts(store):
    report = ingest([shared_path(TWARC, "brexit.jsonl")], store)
    assert report.files[0].read == report.files[0].added == 100
    posts = store.con.execute(
        "SELECT post_id, kind, ref_post_id, ref_author_id, text FROM posts WHERE collected"
    ).fetchall()
    reposts = [p for p in posts if p[1] == "repost"]
    assert len(posts) == 100 and len(reposts) == 67
    assert all(p[2] and p[3] and p[4].startswith("RT @") for p in reposts)
    unresolved = store.con.execute("""
        SELECT count(*) FROM posts p WHERE p.collected AND p.kind = 'repost'
          AND NOT EXISTS (SELECT 1 FROM posts t WHERE t.post_id = p.ref_post_id
                          AND t.author_id = p.ref_author_id)
    """).fetchone()[0]
    assert unresolved == 0


def test_flat_and_noflat_give_the_same_posts():
    flat = {p.post_id: p for p in collected(read(shared_path(TWARC, "flat.jsonl"), FLAT))}
    pages = {p.post_id: p for p in collected(read(shared_path(TWARC, "noflat.jsonl")))}
    assert len(flat) == 100 and flat == pages
    assert len({p.kind for p in flat.values()}) == 4  # all kinds occur
    flat_ctx = context(read(shared_path(TWARC, "flat.jsonl"), FLAT))
    page_ctx = context(read(shared_path(TWARC, "noflat.jsonl")))
    assert page_ctx.items() <= flat_ctx.items()


def test_streaming_file_quarantines_exactly_its_malformed_line(store):
    path = shared_path(TWARC, "streaming_output_with_error.jsonl")
    file = ingest([path], store).files[0]
    assert (file.read, file.added, file.duplicates, file.skipped, file.quarantined) == (
        8,
        7,
        0,
        0,
        1,
    )
    ((record_no, raw, reason),) = store.con.execute(
        "SELECT record_no, raw, reason FROM quarantine"
    ).fetchall()
    bad_line = path.read_bytes().splitlines()[7].decode()
    assert (record_no, raw) == (8, bad_line)
    assert reason.startswith("line 8: invalid JSON")


def test_ingesting_the_same_file_twice_adds_nothing(store):
    path = shared_path(TWARC, "withheld.jsonl")
    first = ingest([path], store).files[0]
    rows = store.posts(include_context=True).count().execute()
    second = ingest([path], store).files[0]
    assert first.added == 215 and second.added == 0 and second.duplicates == 215
    assert store.posts(include_context=True).count().execute() == rows


def test_user_lookup_page_gives_accounts_and_one_skipped_record(store):
    file = ingest([shared_path(TWARC, "users.jsonl")], store).files[0]
    assert (file.read, file.skipped) == (1, 1)
    accounts = store.con.execute("SELECT count(*), count(followers) FROM accounts").fetchone()
    assert accounts == (91, 91)  # 96 user objects, 91 distinct accounts


@pytest.mark.parametrize(
    ("name", "skipped"),
    [("counts.jsonl", 1), ("lists.jsonl", 2), ("tweets_compliance.jsonl", 2)],
)
def test_pages_without_posts_are_skipped_records(store, name, skipped):
    file = ingest([shared_path(TWARC, name)], store).files[0]
    assert (file.read, file.skipped, file.added, file.quarantined) == (skipped, skipped, 0, 0)


def test_empty_file_forced_as_twarc2_reads_nothing(store):
    file = ingest([shared_path(TWARC, "empty.json")], store, format="twarc2").files[0]
    assert (file.read, file.error) == (0, None)


def _twitwi_tweets(page: dict) -> dict[str, dict]:
    """twitwi's normalisation of each tweet it can handle (it rejects incomplete includes),
    with the retweeted and quoted tweets it extracts, by id."""
    data = page["data"] if isinstance(page["data"], list) else [page["data"]]
    out = {}
    for tweet in data:
        try:
            found = normalize_tweets_payload_v2(
                {**page, "data": [tweet]}, extract_referenced_tweets=True
            )
        except Exception:  # noqa: BLE001 - twitwi raises assorted errors on incomplete payloads
            continue
        out.update((ref["id"], ref) for ref in reversed(found))
    return out


def _agrees(post: Post, ref: dict, refs: dict[str, dict]) -> list[str]:
    # twitwi takes a retweet's hashtags from its truncated text; trendwatch from the original.
    tagged = refs[post.ref_post_id] if post.kind == "repost" and post.ref_post_id in refs else ref
    checks = {
        "author": post.author_id == ref["user_id"],
        "time": int(post.created_at.timestamp()) == ref["timestamp_utc"],
        "hashtags": set(post.hashtags_raw) == set(tagged["hashtags"]),
        "retweeted": (post.ref_post_id if post.kind == "repost" else None)
        == ref.get("retweeted_id"),
        "retweeted user": post.kind != "repost"
        or post.ref_author_id == ref.get("retweeted_user_id", post.ref_author_id),
        "quoted": (post.ref_post_id if post.kind == "quote" else None) == ref.get("quoted_id"),
        "replied": not ref.get("to_tweetid") or post.reply_to_post_id == ref["to_tweetid"],
    }
    return [name for name, ok in checks.items() if not ok]


@pytest.mark.parametrize(
    "name",
    [
        "brexit.jsonl",
        "kpop.jsonl",
        "2sets.jsonl",
        "noflat.jsonl",
        "withheld.jsonl",
        "streaming_output_with_error.jsonl",
        "quoted_edit.jsonl",
        "geo_tweets.jsonl",
        "media_policy_violation_on.jsonl",
        "many_urls.jsonl",
    ],
)
def test_cross_check_with_twitwi(name):
    path = shared_path(TWARC, name)
    compared = 0
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            page = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        items = records(page_items(JsonRecord(number, line, page), RecordNumbers()))
        ours = {p.post_id: p for p in collected(items)}
        refs = _twitwi_tweets(page)
        for post_id, post in ours.items():
            if post_id in refs:
                assert _agrees(post, refs[post_id], refs) == [], post_id
                compared += 1
    assert compared >= 1


def test_retweet_of_a_tweet_in_the_same_page_but_not_in_includes_is_resolved():
    original = {
        "id": "1",
        "author_id": "7",
        "created_at": "2024-03-01T12:00:00Z",
        "text": "full text #Tag",
        "entities": {"hashtags": [{"tag": "Tag"}]},
    }
    retweet = {
        "id": "2",
        "author_id": "8",
        "created_at": "2024-03-01T12:01:00Z",
        "text": "RT @ann: full te…",
        "referenced_tweets": [{"type": "retweeted", "id": "1"}],
    }
    page = {"data": [retweet, original], "includes": {"users": [{"id": "7", "username": "ann"}]}}
    items = records(page_items(JsonRecord(1, b"", page), RecordNumbers()))
    posts = {p.post_id: p for p in collected(items)}
    assert (posts["2"].text, posts["2"].ref_author_id, posts["2"].hashtags) == (
        "RT @ann: full text #Tag",
        "7",
        ("tag",),
    )
    assert context(items) == {}  # the original is collected, not context


def test_rows_are_gathered_into_tables_of_bounded_size():
    from trendwatch.formats.x_v2 import _as_tables, _post_row, _Rows

    tweet = {"id": "1", "author_id": "2", "created_at": "2024-03-01T12:00:00Z"}
    row = _post_row(tweet, Lookup(users={}, tweets={}), None, True)
    skipped = Skipped(3, "x")
    out = list(_as_tables([_Rows([row, row], []), skipped, _Rows([row], [])], table_rows=2))
    assert [type(i).__name__ for i in out] == ["PostTable", "Skipped", "PostTable"]
    assert [out[0].table.num_rows, out[2].table.num_rows] == [2, 1]
