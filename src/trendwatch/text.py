"""Normalisation of hashtags, mentions, URLs and post text: pure functions, no I/O.

Each function has one job and is cached where inputs repeat a lot (hashtags, URLs), because
ingest calls them once per entity on millions of posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import ural

__all__ = [
    "normalize_hashtag",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "normalize_url",
    "normalize_text",
    "simple_lower",
    "re2_class_body",
    "hashtag_pair",
]

# A hashtag is '#' (or the full-width '＃') followed by letters, marks, digits or underscores,
# not preceded by a word character or '&' (so HTML entities like '&#39;' are not hashtags).
_HASHTAG_RE = re.compile(r"(?<![\w&])[#＃]([^\W]\w*)", re.UNICODE)
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,30})", re.ASCII)
_URL_RE = re.compile(r"https?://[^\s<>\"'\u2026]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?)]}»”’"
# ASCII word characters, as in the vectorised SQL twin of normalize_text (RE2's \w is ASCII).
_TEXT_MENTION_RE = re.compile(r"(^|[^\w@])@\w+(?:@[\w.-]+)?", re.ASCII)
_RT_PREFIX_RE = re.compile(r"^rt @\w+:[\t\n\f\r ]*", re.ASCII)
# Explicit classes so the SQL twin (RE2, where \s is ASCII) matches exactly.
_NORM_URL_RE = re.compile(r"https?://[^\t\n\f\r <>\"'\u2026]+")  # after lower()
_NORM_SPACE_RE = re.compile(r"[\t\n\f\r ]+")


@lru_cache(maxsize=1 << 16)
def normalize_hashtag(tag: str) -> str:
    """Return the matching key of a hashtag: NFKC, case-folded, without leading '#'.

    >>> normalize_hashtag("#Remigration")
    'remigration'
    >>> normalize_hashtag("ＦＲＡＮＣＥ")
    'france'
    """
    return unicodedata.normalize("NFKC", tag.lstrip("#＃")).casefold()


def hashtag_pair(raw_tags) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return ``(normalised, raw)`` tuples for hashtags as typed, dropping empty ones."""
    raw = tuple(t.lstrip("#＃") for t in raw_tags if t and t.lstrip("#＃"))
    return tuple(normalize_hashtag(t) for t in raw), raw


def extract_hashtags(text: str | None) -> list[str]:
    """Return the hashtags in a text as typed (without '#'), in order of appearance.

    For formats that give no entities (CSV exports, the IRA files).

    >>> extract_hashtags("Go #Brexit! #brexit&#39;s #1stDay")
    ['Brexit', 'brexit', '1stDay']
    """
    if not text:
        return []
    return _HASHTAG_RE.findall(text)


def extract_mentions(text: str | None) -> list[str]:
    """Return the @handles in a text, lower-cased, without '@'.

    >>> extract_mentions("RT @Alice: hi @bob_2 mail@example.com")
    ['alice', 'bob_2']
    """
    if not text:
        return []
    return [m.lower() for m in _MENTION_RE.findall(text)]


def extract_urls(text: str | None) -> list[str]:
    """Return the http(s) URLs in a text, with trailing punctuation removed."""
    if not text:
        return []
    return [u.rstrip(_TRAILING_PUNCT) for u in _URL_RE.findall(text)]


@lru_cache(maxsize=1 << 18)
def normalize_url(url: str) -> str:
    """Return the matching key of a URL, using ``ural`` (no network: short links stay as they are).

    Drops the protocol, ``www``, tracking parameters (``utm_*``, ``fbclid``...) and non-routing
    fragments; lower-cases the host; sorts the query.

    >>> normalize_url("https://WWW.Example.com/a/?utm_source=x&id=3#frag")
    'example.com/a?id=3'
    """
    try:
        return ural.normalize_url(url.strip())
    except Exception:  # ural raises assorted errors on malformed URLs; keep the URL as given
        return url.strip()


def simple_lower(text: str) -> str:
    """Lower case one character at a time (Unicode's simple mapping), as DuckDB's ``lower``.

    ``str.lower`` differs in two places only: it turns "İ" into "i" and a combining dot, and a
    word-final "Σ" into "ς". The stored text keys are computed by DuckDB, so this reference
    follows DuckDB (a test compares them on every character).

    >>> simple_lower("ΟΔΟΣ İstanbul"), "ΟΔΟΣ İstanbul".lower()
    ('οδοσ istanbul', 'οδος i̇stanbul')
    """
    if "\u0130" not in text and "\u03a3" not in text:
        return text.lower()
    return "".join(["i" if char == "\u0130" else char.lower() for char in text])


def normalize_text(text: str | None) -> str:
    """Return the key for exact-duplicate (co-tweet) matching.

    Applies NFC, lower-cases (:func:`simple_lower`), removes a leading ``rt @handle:``, URLs and
    @mentions (also Mastodon's ``@user@host``), and collapses white space. This is trendwatch's
    own definition; see the coordination docs for the QUT-compatible variant. The store
    computes the same key in SQL when an analysis first reads it (``posts.text_norm``); a test
    keeps the two in step.

    >>> normalize_text("RT @x: Hello   @Bob https://t.co/x WORLD ")
    'hello world'
    """
    if not text:
        return ""
    text = _RT_PREFIX_RE.sub("", simple_lower(unicodedata.normalize("NFC", text)))
    text = _NORM_URL_RE.sub(" ", text)
    text = _TEXT_MENTION_RE.sub(r"\1 ", text)
    return _NORM_SPACE_RE.sub(" ", text).strip(" ")


def re2_class_body(codes: Iterable[int]) -> str:
    r"""The inside of an RE2 character class holding the code points ``codes``, as ranges.

    RE2 (DuckDB's regular expressions) spells a code point ``\x{hex}``.

    >>> re2_class_body([0x61, 0x62, 0x63, 0x3A3])
    '\\x{61}-\\x{63}\\x{3a3}'
    """
    ranges: list[list[int]] = []
    for code in sorted(set(codes)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
