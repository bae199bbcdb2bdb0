"""Keyed pseudonyms and the scrubbing of identifiers out of texts and URLs."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trendwatch.errors import ParameterError
from trendwatch.exports.pseudonyms import (
    MIN_KEY_CHARS,
    X_RESERVED_PATHS,
    Pseudonymiser,
    is_pseudonym,
)

KEY = "a secret key for the tests"


@pytest.fixture
def p():
    return Pseudonymiser(KEY)


def expected(kind: str, prefix: str, value: str, key: str = KEY) -> str:
    """The pseudonym worked out from its definition: HMAC-SHA-256(key, kind NUL value)."""
    message = kind.encode() + b"\0" + value.encode()
    return prefix + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:20]


def test_a_pseudonym_is_the_keyed_hmac_of_its_kind_and_value(p):
    assert p.account("12345") == expected("account", "a_", "12345")
    assert p.handle("Alice") == expected("handle", "h_", "alice")
    assert p.post("99") == expected("post", "p_", "99")
    assert p.name("Alice B.") == expected("name", "n_", "Alice B.")
    assert p.key("same text") == expected("key", "k_", "same text")


def test_the_same_key_gives_the_same_pseudonyms_another_key_others(p):
    again = Pseudonymiser(KEY)
    other = Pseudonymiser(KEY + "!")
    assert again.account("1") == p.account("1") and again.handle("bob") == p.handle("bob")
    assert other.account("1") != p.account("1")
    assert other.fingerprint != p.fingerprint and again.fingerprint == p.fingerprint


def test_kinds_do_not_share_pseudonyms(p):
    assert len({p.account("x1"), p.handle("x1"), p.post("x1"), p.name("x1")}) == 4


def test_handles_are_case_folded_and_lose_their_at(p):
    assert p.handle("@Alice") == p.handle("alice") == p.handle("ALICE")


def test_the_fingerprint_does_not_contain_the_key(p):
    assert KEY not in p.fingerprint and len(p.fingerprint) == 16


def test_a_short_key_is_refused():
    with pytest.raises(ParameterError, match=f"at least {MIN_KEY_CHARS}"):
        Pseudonymiser("short")


def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TW_TEST_KEY", KEY)
    assert Pseudonymiser.from_env("TW_TEST_KEY").account("1") == expected("account", "a_", "1")
    monkeypatch.delenv("TW_TEST_KEY")
    with pytest.raises(ParameterError, match="TW_TEST_KEY is not set"):
        Pseudonymiser.from_env("TW_TEST_KEY")


def test_is_pseudonym(p):
    assert is_pseudonym(p.account("1")) and not is_pseudonym("alice")


# -- scrubbing -------------------------------------------------------------------------------


def test_mentions_in_a_text(p):
    h = p.handle
    assert p.scrub("RT @Alice: hi @bob_2.") == f"RT @{h('alice')}: hi @{h('bob_2')}."
    assert p.scrub("mail@example.com stays") == "mail@example.com stays"


def test_bluesky_and_mastodon_mentions(p):
    assert p.scrub("hi @alice.bsky.social!") == f"hi @{p.handle('alice.bsky.social')}!"
    assert p.scrub("hi @user@mastodon.social") == f"hi @{p.handle('user@mastodon.social')}"


def test_x_urls_lose_their_handle_and_status_id(p):
    assert p.scrub("https://x.com/Alice/status/123?s=20") == (
        f"https://x.com/{p.handle('alice')}/status/{p.post('123')}?s=20"
    )
    assert p.scrub("twitter.com/bob") == f"twitter.com/{p.handle('bob')}"
    assert p.scrub("https://x.com/i/web/status/77") == f"https://x.com/i/web/status/{p.post('77')}"
    assert p.scrub("https://x.com/hashtag/tag") == "https://x.com/hashtag/tag"


def test_bluesky_urls_and_dids(p):
    did = "did:plc:abcdefghijklmnopqrstuvwx"
    assert p.scrub("https://bsky.app/profile/alice.bsky.social/post/3kabc") == (
        f"https://bsky.app/profile/{p.handle('alice.bsky.social')}/post/{p.post('3kabc')}"
    )
    assert (
        p.scrub(f"https://bsky.app/profile/{did}") == f"https://bsky.app/profile/{p.account(did)}"
    )
    uri = f"at://{did}/app.bsky.feed.post/3kabc"
    assert p.scrub(uri) == f"at://{p.account(did)}/app.bsky.feed.post/3kabc"


def test_mastodon_urls(p):
    assert p.scrub("https://mastodon.social/@alice/1099") == (
        f"https://mastodon.social/@{p.handle('alice@mastodon.social')}/{p.post('1099')}"
    )
    assert p.scrub("https://eu.social/users/bob/statuses/42") == (
        f"https://eu.social/users/{p.handle('bob@eu.social')}/statuses/{p.post('42')}"
    )


def test_a_sentence_end_after_a_url_stays(p):
    assert p.scrub("see x.com/alice.") == f"see x.com/{p.handle('alice')}."


def test_text_without_identifiers_is_unchanged(p):
    text = "Vote #Dorsani 2027 https://example.org/page?id=3"
    assert p.scrub(text) == text


PLACES = (
    "RT @{h}: hi @{H}, https://x.com/{h}/status/5 twitter.com/{h} "
    "bsky.app/profile/{h}.bsky.social https://m.social/@{h} "
    "https://m.social/users/{h}/statuses/9 (@{h})"
)
HANDLE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_", min_size=6, max_size=15)


@settings(max_examples=200, deadline=None)
@given(handle=HANDLE.filter(lambda h: any(c in "ghijklmnopqrstuvwxyzXYZ_" for c in h)))
def test_no_handle_survives_scrubbing_in_any_place_it_can_be_written(handle):
    p = Pseudonymiser(KEY)
    text = PLACES.format(h=handle, H=handle.upper())
    assume(handle.lower() not in PLACES.format(h="", H="").lower())  # e.g. "social"
    assume(handle.lower() not in X_RESERVED_PATHS)  # x.com/signup is a page, not an account
    scrubbed = p.scrub(text).lower()
    assert handle.lower() not in scrubbed


@pytest.mark.parametrize(
    ("text", "expected_of"),
    [
        ("https://mobile.twitter.com/Alice", lambda p: f"https://mobile.twitter.com/{p.handle('alice')}"),
        ("https://x.com/@alice", lambda p: f"https://x.com/{p.handle('alice')}"),
        ("https://m.social/@bob@other.host/7",
         lambda p: f"https://m.social/@{p.handle('bob@other.host')}/{p.post('7')}"),
        ("did:web:alice.example.org", lambda p: p.account("did:web:alice.example.org")),
        ("(did:plc:abc123).", lambda p: f"({p.account('did:plc:abc123')})."),
        ("@a", lambda p: f"@{p.handle('a')}"),
        ("x.com/hashtag/Dorsani?src=hash", lambda p: "x.com/hashtag/Dorsani?src=hash"),
        ("https://example.org/@alice", lambda p: f"https://example.org/@{p.handle('alice@example.org')}"),
    ],
)  # fmt: skip
def test_more_places_a_handle_or_id_hides(p, text, expected_of):
    assert p.scrub(text) == expected_of(p)


def test_scrubbing_twice_changes_nothing_more_in_ids_it_already_replaced(p):
    once = p.scrub("RT @alice: x.com/alice/status/1 did:plc:abc")
    assert p.scrub(once).count("a_") == once.count("a_")
    assert "alice" not in p.scrub(once)
