"""Mastodon reader and HTML-to-text: hand-written statuses field by field, the rtoot recordings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES, shared_path
from trendwatch.formats import get_format, open_input
from trendwatch.formats.html_text import HtmlLink, html_to_text, parse_html
from trendwatch.formats.items import Quarantined, ReadOptions, Skipped
from trendwatch.formats.jsonrecords import first_record
from trendwatch.formats.mastodon import account_record, read, sniff, status_items
from trendwatch.ingest import ingest
from trendwatch.model import Account, Post

MASTODON = FIXTURES / "mastodon"
BLUESKY = FIXTURES / "bluesky"
RESPONSES = ("mastodon-rtoot", "responses")


def _items(path):
    source = open_input(str(path))
    try:
        return list(read(source, ReadOptions()))
    finally:
        source.close()


def _posts(items, collected=True):
    return {i.post_id: i for i in items if isinstance(i, Post) and i.collected is collected}


def _accounts(items):
    return {i.account_id: i for i in items if isinstance(i, Account)}


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


def _head(path, size=64 * 1024):
    with open(path, "rb") as handle:
        return handle.read(size)


# ------------------------------------------------------------------------------- html_text


def test_paragraphs_and_line_breaks_become_newlines():
    assert html_to_text("<p>one<br>two</p><p>three</p>") == "one\ntwo\n\nthree"


def test_entities_are_unescaped_once():
    assert html_to_text("<p>&lt;b&gt; &amp;amp; caf&eacute; &#x1F600;</p>") == "<b> &amp; café 😀"


def test_script_and_style_content_is_dropped_even_unclosed():
    assert html_to_text("<p>a<script>alert(1)</script>b<style>p{}</style>c</p>") == "abc"
    assert html_to_text("<p>safe</p><script>document.cookie") == "safe"


def test_nested_and_unclosed_tags_keep_their_text():
    assert html_to_text("<p><b><i>deep</b> still</i> <span>x</p>") == "deep still x"


def test_white_space_collapses_and_edges_are_trimmed():
    assert html_to_text("  <p>  a \n\t b  </p>\n<p> c </p> ") == "a b\n\nc"


def test_break_placeholders_cannot_be_forged_from_content():
    assert html_to_text("a\x00b\x01c") == "abc"


def test_empty_inputs_give_empty_text():
    assert html_to_text(None) == "" and html_to_text("") == ""
    assert parse_html("<p></p>").links == ()


def test_links_keep_href_text_and_classes():
    html = (
        '<p><a href="https://ex.social/tags/X" class="mention hashtag" rel="tag">#<span>X</span>'
        '</a> <a href="https://a.org/?q=1&amp;r=2"><span class="invisible">https://</span>'
        "a.org/?q=1&amp;r=2</a> <a>no href</a></p>"
    )
    parsed = parse_html(html)
    assert parsed.text == "#X https://a.org/?q=1&r=2 no href"
    assert parsed.links == (
        HtmlLink("https://ex.social/tags/X", "#X", ("mention", "hashtag"), ("tag",)),
        HtmlLink("https://a.org/?q=1&r=2", "https://a.org/?q=1&r=2"),
    )
    assert [link.is_mention_or_hashtag for link in parsed.links] == [True, False]


def test_a_hostile_href_is_returned_as_data_only():
    parsed = parse_html('<a href="javascript:alert(1)" onclick="x()">click</a>')
    assert parsed.text == "click"
    assert parsed.links[0].href == "javascript:alert(1)"


# ------------------------------------------------------------------- hand-written statuses


@pytest.fixture(scope="module")
def lines():
    return _items(MASTODON / "statuses.jsonl")


def test_status_with_spoiler_html_tags_mentions_card(lines):
    post = _posts(lines)["1001"]
    assert post == Post(
        platform="mastodon",
        post_id="1001",
        author_id="100",
        created_at=_utc(2022, 11, 8, 10, 0),
        kind="post",
        text="politics\n\nNon à la #Remigration & co, @NewsBot\n\n"
        "lire\nhttps://www.example.org/article?utm_source=masto",
        lang="fr",
        hashtags=("remigration",),
        hashtags_raw=("Remigration",),
        mentions=("newsbot@bots.example",),
        urls=("example.org/article",),
        author_handle="ann",
        source="Web",
        post_url="https://ex.social/users/ann/statuses/1001",  # no url: the uri
    )


def test_reblog_is_a_repost_carrying_the_original_and_a_context_post(lines):
    repost = _posts(lines)["1002"]
    original = _posts(lines)["1001"]
    assert (repost.kind, repost.author_id, repost.author_handle) == (
        "repost",
        "200",
        "newsbot@bots.example",
    )
    assert (repost.ref_post_id, repost.ref_author_id) == ("1001", "100")
    assert repost.created_at == _utc(2022, 11, 8, 10, 5)
    assert repost.post_url == "https://bots.example/users/NewsBot/statuses/55/activity"
    assert (repost.text, repost.hashtags, repost.urls) == (
        original.text,
        ("remigration",),
        original.urls,
    )
    assert _posts(lines, collected=False)["1001"] == Post(
        **{**_fields(original), "collected": False}
    )


def _fields(post):
    return {name: getattr(post, name) for name in post.__slots__}


def test_reply_keeps_the_replied_status_and_account(lines):
    reply = _posts(lines)["1003"]
    assert (reply.kind, reply.reply_to_post_id, reply.reply_to_author_id) == (
        "reply",
        "1001",
        "100",
    )
    assert (reply.text, reply.mentions, reply.urls) == ("@ann agreed", ("ann",), ())


def test_quote_with_embedded_status_yields_it_as_context(lines):
    quote = _posts(lines)["1004"]
    assert (quote.kind, quote.ref_post_id, quote.ref_author_id) == ("quote", "1003", "200")
    assert _posts(lines, collected=False)["1003"].kind == "reply"


def test_shallow_quote_that_replies_is_a_quote_with_reply_fields(lines):
    post = _posts(lines)["1005"]
    assert (post.kind, post.ref_post_id, post.ref_author_id) == ("quote", "1001", None)
    assert (post.reply_to_post_id, post.reply_to_author_id) == ("1003", "200")


def test_accounts_from_statuses(lines):
    accounts = _accounts(lines)
    assert accounts["100"] == Account(
        platform="mastodon",
        account_id="100",
        handle="ann",
        name="Ann A.",
        created_at=_utc(2022, 11, 1),
        followers=10,
        following=20,
        posts_count=30,
        declared_bot=False,
        description="Researcher & #osint",
        observed_at=None,
    )
    assert (accounts["200"].declared_bot, accounts["200"].handle) == (True, "newsbot@bots.example")
    assert accounts["200"].name is None and accounts["200"].description is None


def test_malformed_status_and_bad_line_are_quarantined_with_line_numbers(lines):
    bad = [i for i in lines if isinstance(i, Quarantined)]
    assert [b.record_no for b in bad] == [6, 8]  # line 7 is blank
    assert "missing account.id" in bad[0].reason and '"1006"' in bad[0].raw
    assert bad[1].reason.startswith("invalid JSON")
    assert len(_posts(lines)) == 5 and not [i for i in lines if isinstance(i, Skipped)]


def test_array_gives_the_same_records_as_lines(lines):
    array = _items(MASTODON / "statuses_array.json")
    assert _posts(array) == _posts(lines)
    assert _posts(array, collected=False) == _posts(lines, collected=False)


def test_status_items_put_the_collected_post_last():
    status = {"id": 5, "created_at": "2022-11-08T10:00:00Z", "account": {"id": 7, "acct": "A"}}
    items = status_items(status)
    assert isinstance(items[-1], Post) and items[-1].post_id == "5" and items[-1].text is None


@pytest.mark.parametrize(
    "status, message",
    [
        ({"id": "1", "account": {"id": "2"}, "content": ""}, "missing created_at"),
        ({"id": True, "created_at": "2022-11-08T10:00:00Z", "account": {"id": "2"}}, "id"),
        ({"id": "1", "created_at": "yesterday", "account": {"id": "2"}}, "unrecognised time"),
    ],
)
def test_status_items_reject_malformed_statuses(status, message):
    with pytest.raises((ValueError, TypeError), match=message):
        status_items(status)


def test_links_and_the_card_get_the_canonical_url_keys():
    article = "https://fringe-news.example/2025/11/remigration-now"
    content = (
        f'<p>lisez <a href="{article}?utm_source=mastodon&amp;fbclid=x">fringe-news</a> '
        '<a href="https://l.facebook.com/l.php?u=https%3A%2F%2Fyoutu.be%2Fulhx7G5g3EY">vidéo</a>'
        "</p>"
    )
    status = {
        "id": "5",
        "created_at": "2022-11-08T10:00:00Z",
        "account": {"id": "7", "acct": "a"},
        "content": content,
        "card": {"url": "http://www.fringe-news.example/2025/11/remigration-now/", "title": "t"},
    }
    assert status_items(status)[-1].urls == (
        "fringe-news.example/2025/11/remigration-now",
        "youtube.com/watch?v=ulhx7G5g3EY",
    )


def test_account_record_ignores_non_boolean_bot_and_non_integer_counts():
    account = account_record({"id": "1", "acct": "x", "bot": "yes", "followers_count": "12"})
    assert (account.declared_bot, account.followers) == (None, None)


# ---------------------------------------------------------------------------------- sniffing


def test_sniff_claims_statuses_pages_and_recorded_responses():
    assert sniff(_head(MASTODON / "statuses.jsonl"))
    assert sniff(_head(MASTODON / "statuses_array.json"))
    for path in sorted(shared_path(*RESPONSES).glob("*.json")):
        assert sniff(_head(path)), path.name


def test_sniff_peeks_at_a_response_longer_than_the_head():
    head = _head(shared_path(*RESPONSES, "get_context_default.json"))
    assert first_record(head) is None  # the whole response does not fit in the head
    assert sniff(head)


def test_sniff_refuses_bluesky_and_x_heads():
    for path in sorted(BLUESKY.iterdir()):
        assert not sniff(_head(path)), path.name
    for name in ("brexit.jsonl", "flat.jsonl", "users.jsonl", "streaming_output_with_error.jsonl"):
        assert not sniff(_head(shared_path("twitter-v2-twarc", name))), name
    for name in ("original_format_examples.json", "activity_streams_examples.json"):
        assert not sniff(_head(shared_path("twitter-v1-gnip", name))), name


def test_sniff_refuses_x_shapes_and_quoted_keys_in_text():
    assert not sniff(b'{"id_str": "1", "user": {"id_str": "2"}, "text": "hi"}\n')
    assert not sniff(b'{"data": [{"id": "1", "author_id": "2", "text": "x"}]}\n')
    # Mastodon key names inside a post's text are escaped, so they do not count.
    fake = b'{"text": "\\"in_reply_to_account_id\\": 1, \\"spoiler_text\\": 2' + b"x" * 70000
    assert not sniff(fake[: 64 * 1024])


def _earlier_formats():
    """Formats detected before mastodon whose modules exist (others are being written)."""
    from trendwatch.formats import FORMAT_ORDER

    found = []
    for name in FORMAT_ORDER[: FORMAT_ORDER.index("mastodon")]:
        try:
            found.append((name, get_format(name)))
        except ImportError:
            continue
    return found


def test_formats_detected_before_mastodon_do_not_claim_mastodon_inputs():
    heads = [_head(MASTODON / "statuses.jsonl"), _head(MASTODON / "statuses_array.json")]
    heads += [_head(p) for p in sorted(shared_path(*RESPONSES).glob("*.json"))]
    for name, module in _earlier_formats():
        assert not any(module.sniff(head) for head in heads), name


# ----------------------------------------------------------------------------- real data


def _response_items(name):
    return _items(shared_path(*RESPONSES, name))


def test_reply_thread_has_127_replies_and_no_ancestor():
    posts = _posts(_response_items("get_context_default.json"))
    assert len(posts) == 127
    assert {p.kind for p in posts.values()} == {"reply"}
    assert all(p.reply_to_post_id and p.reply_to_author_id for p in posts.values())


def test_context_with_ancestors_counts_ancestors_and_descendants():
    items = _response_items("get_context_with_ancesters.json")
    kinds = sorted(p.kind for p in _posts(items).values())
    assert kinds == ["post", "reply", "reply", "reply"]


def test_account_statuses_count_reblogs():
    default = _posts(_response_items("get_account_statuses_default.json"))
    limit = _posts(_response_items("get_account_statuses_limit.json"))
    assert (len(default), sum(p.kind == "repost" for p in default.values())) == (20, 1)
    # 43 statuses over three pages; the reblog wrappers are 4 of them.
    assert (len(limit), sum(p.kind == "repost" for p in limit.values())) == (43, 4)


def test_hashtag_timeline_posts_all_carry_the_tag():
    for name in ("get_timeline_hashtag_default.json", "get_timeline_hashtag_instance.json"):
        posts = _posts(_response_items(name))
        assert len(posts) == 5
        assert all("ichbinhanna" in p.hashtags for p in posts.values()), name


def test_declared_bots_and_recording_time_on_accounts():
    items = _response_items("get_timeline_public_instance.json")
    authors = {p.author_id for p in _posts(items).values()}
    accounts = _accounts(items)
    bots = [p for p in _posts(items).values() if accounts[p.author_id].declared_bot]
    assert len(bots) == 3 and authors <= set(accounts)
    assert {a.observed_at for a in accounts.values()} == {_utc(2022, 11, 8, 12, 7, 36)}


def test_bodies_without_statuses_are_one_skipped_record_each():
    cases = {
        "get_account_default.json": ("Account entity", 1),
        "get_account_followers_default.json": ("list of 3 Mastodon accounts", 3),
        "get_favourited_by_default.json": ("list of 40 Mastodon accounts", 40),
        "get_instance_trends_default.json": ("list of 10 Mastodon trending tags", 0),
    }
    for name, (reason, n_accounts) in cases.items():
        items = _response_items(name)
        skipped = [i for i in items if isinstance(i, Skipped)]
        assert len(skipped) == 1 and reason in skipped[0].reason, name
        assert len(_accounts(items)) == n_accounts and not _posts(items), name


def test_every_recorded_record_is_accounted_for(store):
    paths = sorted(shared_path(*RESPONSES).glob("*.json"))
    report = ingest(paths, store, format="mastodon")
    totals = report.totals
    assert totals["read"] == totals["added"] + totals["duplicates"] + totals["skipped"]
    # 275 statuses in the bodies + 6 bodies without statuses; nothing is malformed.
    assert (totals["read"], totals["skipped"], totals["quarantined"]) == (281, 6, 0)
    collected = store.con.execute("SELECT count(*) FROM posts WHERE collected").fetchone()[0]
    assert collected == totals["added"]


def test_plain_text_without_markup_is_only_tidied():
    assert html_to_text("just  text\n here ") == "just text here"
