"""Normalisation of hashtags, mentions, URLs and text."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://WWW.Example.com/a/?utm_source=tw&id=3#frag", "example.com/a?id=3"),
        ("http://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
        ("https://t.co/AbC", "t.co/AbC"),  # short links are not followed
    ],
)
def test_normalize_url(url, key):
    assert normalize_url(url) == key


def test_normalize_url_never_raises_on_garbage():
    assert isinstance(normalize_url("http://[::1"), str)


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
