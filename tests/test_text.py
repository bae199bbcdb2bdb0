"""Normalisation of hashtags, mentions, URLs and text."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trendwatch.text import (
    extract_hashtags,
    extract_mentions,
    extract_urls,
    hashtag_pair,
    normalize_hashtag,
    normalize_text,
    normalize_url,
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("#Remigration", "remigration"),
        ("ＦＲＡＮＣＥ", "france"),  # full-width letters: NFKC
        ("Straße", "strasse"),  # case-folding, not just lower()
        ("ÉtéFrançais", "étéfrançais"),
        ("＃Tag", "tag"),
    ],
)
def test_normalize_hashtag(raw, key):
    assert normalize_hashtag(raw) == key


def test_hashtag_pair_keeps_the_typed_form():
    expected = (("brexit", "brexit"), ("Brexit", "BREXIT"))
    assert hashtag_pair(["#Brexit", "BREXIT", "", "#"]) == expected


def test_extract_hashtags_unicode_and_entities():
    text = "Soutien #SolidaritéAvecLui &#39;quoted #1stDay word#not ＃Wide"
    assert extract_hashtags(text) == ["SolidaritéAvecLui", "1stDay", "Wide"]
    assert extract_hashtags(None) == []


def test_extract_mentions_and_urls():
    assert extract_mentions("RT @Alice: hi @bob_2 and mail@example.com") == ["alice", "bob_2"]
    text = "see https://ex.com/a?b=1). and http://t.co/xyz…"
    assert extract_urls(text) == ["https://ex.com/a?b=1", "http://t.co/xyz"]


VIDEO = "youtube.com/watch?v=ulhx7G5g3EY"
URL_KEYS = [
    ("https://WWW.Example.com/a/?utm_source=tw&id=3#frag", "example.com/a?id=3"),
    ("http://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
    ("https://t.co/AbC", "t.co/AbC"),  # short links are not followed
    # tracking parameters go (ural's list, then ours); the page's own parameters stay
    ("https://ex.org/a?utm_source=tw&utm_medium=s&utm_campaign=c&utm_content=x", "ex.org/a"),
    ("https://ex.org/a?fbclid=IwAR0abc&gclid=Cj0&dclid=1&twclid=2", "ex.org/a"),
    ("https://ex.org/a?mc_cid=9f&mc_eid=1a&mkt_tok=x&mtm_campaign=y", "ex.org/a"),
    ("https://www.instagram.com/p/B-7ItQw/?igshid=187dqx4b5lu2y", "instagram.com/p/B-7ItQw"),
    ("https://www.instagram.com/p/B-7ItQw/?igsh=MWQ1ZGUxMzBkMA==", "instagram.com/p/B-7ItQw"),
    ("https://ex.org/a?ref=twitter", "ex.org/a"),
    ("https://ex.org/a?ref=homepage", "ex.org/a?ref=homepage"),  # not a known tracker value
    ("https://ex.org/a?xtor=RSS-3&at_medium=x&__twitter_impression=true", "ex.org/a"),
    ("https://ex.org/a?CMP=share_btn_tw&ocid=msn&smid=tw-share&icid=x", "ex.org/a"),
    ("https://ex.org/a?hss_channel=tw-1&_hsenc=p2&_hsmi=3&WT.mc_id=tw", "ex.org/a"),
    ("https://ex.org/a?msclkid=1&yclid=2&ttclid=3&gbraid=4&wbraid=5&srsltid=6", "ex.org/a"),
    ("https://ex.org/a?sf143442415=1&sf143470074=1&guce_referrer=aHR0&ssm=TW_CM", "ex.org/a"),
    ("https://ex.org/a?ref_src=twsrc%5Etfw&ref_url=x", "ex.org/a"),
    ("https://www.tiktok.com/@a/video/7010?is_from_webapp=v1&sender_device=pc&lang=ko-KR",
     "tiktok.com/@a/video/7010?lang=ko-KR"),
    ("https://ex.org/a?id=3&page=2&q=x&s=123&v=9", "ex.org/a?id=3&page=2&q=x&s=123&v=9"),
    # AMP versions, subdomains, trailing slash, protocol
    ("https://ex.org/a/amp", "ex.org/a"),
    ("https://ex.org/a.amp.html", "ex.org/a.html"),
    ("https://ex.org/a?amp=1", "ex.org/a"),
    ("https://ex.org/a?outputType=amp", "ex.org/a"),
    ("https://amp.ex.org/a", "ex.org/a"),
    ("https://ex-org.cdn.ampproject.org/c/s/ex.org/a", "ex.org/a"),
    ("https://www.google.com/amp/s/ex.org/a", "ex.org/a"),
    ("https://www.google.fr/amp/s/www.ex.org/a.amp", "ex.org/a"),
    ("https://m.ex.org/a", "ex.org/a"),
    ("https://mobile.ex.org/a", "ex.org/a"),
    ("https://www2.ex.org/a/", "ex.org/a"),
    ("http://ex.org/a", "ex.org/a"),
    ("HTTPS://Ex.ORG:443/A?B=1", "ex.org/A?B=1"),  # the host is case-insensitive, the path not
    ("https://user:pw@ex.org/index.html", "ex.org"),
    ("https://ex.org/caf%C3%A9", "ex.org/café"),
    ("https://ex.org/a#section", "ex.org/a"),
    ("https://ex.org/#/route", "ex.org#/route"),  # a routing fragment names the page
    # redirectors: the target is in the link
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fex.org%2Fa%3Futm_source%3Dfb&h=AT0", "ex.org/a"),
    ("https://www.facebook.com/l.php?u=https%3A%2F%2Fex.org%2Fa", "ex.org/a"),
    ("https://www.google.com/url?q=https://ex.org/a&sa=D&source=editors", "ex.org/a"),
    ("https://www.google.com/url?sa=t&url=https%3A%2F%2Fex.org%2Fa&usg=x", "ex.org/a"),
    ("https://t.umblr.com/redirect?z=https%3A%2F%2Fex.org%2Fa&t=YjE", "ex.org/a"),
    ("https://vk.com/away.php?to=https%3A%2F%2Fex.org%2Fa&cc_key=", "ex.org/a"),
    ("https://out.reddit.com/t3_x?url=https%3A%2F%2Fex.org%2Fa&token=t", "ex.org/a"),
    ("https://www.youtube.com/redirect?q=https%3A%2F%2Fex.org%2Fa&v=x", "ex.org/a"),
    ("https://t.umblr.com/redirect?z=https%3A%2F%2Fl.facebook.com%2Fl.php%3Fu%3Dhttps%253A%252F"
     "%252Fex.org%252Fa", "ex.org/a"),  # a redirector in a redirector
    ("https://t.umblr.com/redirect?z=javascript%3Ax", "t.umblr.com/redirect?z=javascript:x"),
    # YouTube videos, whatever the link
    ("https://youtu.be/ulhx7G5g3EY?si=share&t=30", VIDEO),
    ("https://m.youtube.com/watch?v=ulhx7G5g3EY&feature=youtu.be", VIDEO),
    ("https://www.youtube.com/watch?v=ulhx7G5g3EY&list=PL1&index=2", VIDEO),
    ("https://music.youtube.com/watch?v=ulhx7G5g3EY", VIDEO),
    ("https://www.youtube.com/shorts/ulhx7G5g3EY", VIDEO),
    ("https://www.youtube.com/embed/ulhx7G5g3EY", VIDEO),
    ("https://www.youtube.com/@someone", "youtube.com/@someone"),  # channels are not videos
    ("https://www.facebook.com/share/p/1AbC/", "facebook.com/share/p/1AbC"),
    # shorteners stay short links: the same short link gives the same key
    ("https://bit.ly/3UEGtWn", "bit.ly/3UEGtWn"),
    ("http://ow.ly/tZrM50EH7h4", "ow.ly/tZrM50EH7h4"),
    ("https://buff.ly/4xYz", "buff.ly/4xYz"),
    ("http://dlvr.it/SYzfMq", "dlvr.it/SYzfMq"),
    ("https://tinyurl.com/fringe1", "tinyurl.com/fringe1"),
    ("https://trib.al/xY", "trib.al/xY"),
    (" https://ex.org/a ", "ex.org/a"),
    ("", ""),
    ("not a url", "not a url"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "key"), URL_KEYS)
def test_normalize_url(url, key):
    assert normalize_url(url) == key


@pytest.mark.parametrize("key", sorted({key for _, key in URL_KEYS if "." in key}))
def test_a_key_is_its_own_key(key):
    assert normalize_url(key) == key
    assert normalize_url("https://" + key) == key


def test_one_article_one_key_whatever_the_link():
    article = "https://fringe-news.example/2025/11/remigration-now"
    links = [
        article,
        article + "/",
        article + "?utm_source=twitter&utm_medium=social&utm_campaign=a1",
        article + "?utm_campaign=b7&utm_source=bitly",
        article + "?fbclid=IwAR0xyz#comments",
        article + "/amp?utm_source=tw2",
        "http://www.fringe-news.example/2025/11/remigration-now",
        "https://m.fringe-news.example/2025/11/remigration-now?utm_source=dlvr.it",
        "https://l.facebook.com/l.php?u=" + quote(article + "?utm_source=fb", safe=""),
        "https://www.google.com/url?q=" + quote(article, safe="") + "&sa=D",
        "https://t.umblr.com/redirect?z=" + quote(article, safe="") + "&t=x",
        "https://www.google.com/amp/s/fringe-news.example/2025/11/remigration-now",
    ]
    assert {normalize_url(link) for link in links} == {
        "fringe-news.example/2025/11/remigration-now"
    }


def test_different_pages_keep_different_keys():
    links = [
        "https://ex.org/article?id=1",
        "https://ex.org/article?id=2",
        "https://ex.org/Article?id=1",
        "https://ex.org/a#/one",
        "https://ex.org/a#/two",
        "https://youtu.be/ulhx7G5g3EY",
        "https://youtu.be/SL1IUmpBqdE",
        "https://www.facebook.com/share/p/1AbC/",
        "https://www.facebook.com/share/p/2DeF/",
        "https://bit.ly/a",
        "https://bit.ly/A",
    ]
    assert len({normalize_url(link) for link in links}) == len(links)


def test_normalize_url_never_uses_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("normalize_url opened a connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # Links never seen before (the cache would answer without ural otherwise).
    fresh = f"nEtW0rk{id(refuse)}"
    for link in (
        "https://bit.ly/",
        "https://t.co/",
        "https://youtu.be/",
        "https://l.facebook.com/",
    ):
        assert fresh in normalize_url(f"{link}{fresh}?u=https%3A%2F%2Fex.org%2F{fresh}")


def test_normalize_url_never_raises_on_garbage():
    assert isinstance(normalize_url("http://[::1"), str)


@given(st.text())
def test_normalize_url_returns_text_for_any_text(text):
    assert isinstance(normalize_url(text), str)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("RT @x: Hello   @Bob https://t.co/x WORLD ", "hello world"),
        ("Same text!", "same text!"),
        ("@alice@mastodon.social bonjour", "bonjour"),
        ("write to me@example.com", "write to me@example.com"),
        (None, ""),
    ],
)
def test_normalize_text(text, key):
    assert normalize_text(text) == key


@given(st.text())
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
