"""Normalisation of hashtags, mentions, URLs and post text: pure functions, no I/O.

Each function has one job and is cached where inputs repeat a lot (hashtags, URLs), because
ingest calls them once per entity on millions of posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote

import ural
from ural.youtube import YoutubeShort, YoutubeVideo, parse_youtube_url

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


# ural's options, spelled out so that a change of its defaults cannot change our keys.
_URAL_OPTIONS = {
    "strip_protocol": True,  # http and https lead to the same page
    "strip_irrelevant_subdomains": True,  # www., www2., m., mobile., amp.
    "strip_trailing_slash": True,
    "strip_index": True,  # /index.html, /default.aspx
    "strip_authentication": True,
    "strip_fragment": "except-routing",  # '#section' goes, '#/route' and '#!/x' stay
    "normalize_amp": True,  # /amp, .amp.html, ?amp=1, ?outputType=amp, amp- hosts
    "sort_query": True,
    "fix_common_mistakes": True,
    "infer_redirection": False,  # done by _local_target, with our redirectors
    "platform_aware": False,  # it maps facebook.com/share/p/<id> and youtube.com/@<name> to
    # one URL each (different pages, one key); YouTube videos are handled by _youtube_video
}

# Query items dropped besides ural's own (utm_*, mtm_*, fbclid, gclid, dclid, twclid, mc_cid,
# mc_eid, igshid, mkt_tok, xtor, at_*, ref=twitter and the like, s=<2 digits>, amp...):
# trackers found in the shared samples or documented by their vendors, under names that no
# page uses for its own content. Matched against the lower-cased name.
_TRACKERS_RE = re.compile(
    r"(?:cmp|icid|ocid|smid|ssm|igsh|sf\d+|wt\.mc_id|wt_mc"  # publishers, SocialFlow, Webtrends
    r"|hss_channel|_hsenc|_hsmi|guce_referrer(?:_sig)?"  # HubSpot, Yahoo's consent redirect
    r"|msclkid|yclid|ttclid|gbraid|wbraid|srsltid|li_fat_id"  # ad click ids
    r"|ref_src|ref_url|is_copy_url|is_from_webapp|sender_device|sender_web_id)"  # X, TikTok
)

# Redirectors whose target ural's infer_redirection does not read (it reads url=, u=, q=,
# link=, next=, redirect=, target=... and AMP caches): Tumblr's t.umblr.com/redirect?z=,
# VK's away.php?to=, and Google's AMP viewer google.<tld>/amp/s/<host>/<path>.
_REDIRECTOR_RE = re.compile(
    r"https?://(?:t\.umblr\.com/redirect|(?:m\.|away\.)?vk\.com/away\.php)"
    r"\?(?:[^#]*&)?(?:z|to)=([^&#]+)",
    re.IGNORECASE,
)
_AMP_VIEWER_RE = re.compile(
    r"https?://(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?/amp/(s/)?([^#]+)", re.IGNORECASE
)
_YOUTUBE_HINT_RE = re.compile(r"youtu|yt\.be", re.IGNORECASE)
_MAX_HOPS = 5  # redirectors wrapped in redirectors, at most


@lru_cache(maxsize=1 << 18)
def normalize_url(url: str) -> str:
    """Return the matching key of a URL: one key per page, whatever link led to it.

    Never follows a link over the network. Works on the link itself:

    1. a redirector's target is taken from the link (``facebook.com/l.php?u=``,
       ``google.com/url?q=``, ``t.umblr.com/redirect?z=``, ``vk.com/away.php?to=``, any
       ``?url=`` / ``?next=`` / ``?redirect=``, AMP caches and Google's AMP viewer);
    2. a YouTube video link (``youtu.be/<id>``, ``/shorts/``, ``/embed/``, ``m.``,
       ``music.``) becomes ``youtube.com/watch?v=<id>``, without playlist or time;
    3. ``ural.normalize_url`` drops the protocol (``http`` = ``https``), ``www.``, ``m.``,
       ``mobile.``, ``amp.``, the port 80/443, user and password, ``index.html``, the trailing
       slash, AMP suffixes, non-routing fragments, and tracking parameters (ural's:
       ``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``igshid``, ``ref=twitter``...; ours:
       ``CMP``, ``ocid``, ``smid``, HubSpot's, ad click ids such as ``msclkid``, TikTok's
       share parameters...); it lower-cases the host, decodes the path and sorts the query.

    What identifies the page is kept: the path as typed (case included) and the other query
    parameters (``?id=3``, ``?ref=homepage``). A link through a shortener the payload did not
    resolve (``bit.ly/x``) stays a short link: the same short link gives the same key, which
    is still right, but it does not meet the page it leads to; the readers therefore give
    the payload's most resolved URL (``unwound_url``, then ``expanded_url``). Text that
    ural cannot parse is returned stripped of spaces, as given.

    Examples
    --------
    >>> normalize_url("https://WWW.Example.com/a/?utm_source=x&id=3#frag")
    'example.com/a?id=3'
    >>> normalize_url("http://m.example.com/a/amp?fbclid=IwAR0&utm_medium=social")
    'example.com/a'
    >>> normalize_url("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fa&h=AT0")
    'example.com/a'
    >>> normalize_url("https://youtu.be/ulhx7G5g3EY?t=30")
    'youtube.com/watch?v=ulhx7G5g3EY'
    >>> normalize_url("https://bit.ly/3UEGtWn")
    'bit.ly/3UEGtWn'
    """
    url = url.strip()
    try:
        return ural.normalize_url(
            _local_target(url), query_item_filter=_not_a_tracker, **_URAL_OPTIONS
        )
    except Exception:  # ural raises assorted errors on malformed URLs; keep the URL as given
        return url


def _not_a_tracker(name: str, value: str | None) -> bool:
    # ural asks this only for names it keeps itself, and not on facebook.com or youtube.com,
    # which have their own filters.
    return _TRACKERS_RE.fullmatch(name) is None


def _local_target(url: str) -> str:
    """Where a link leads, as far as the link itself says (redirectors, YouTube videos)."""
    for _ in range(_MAX_HOPS):
        url = ural.infer_redirection(url)
        target = _redirector_target(url)
        if target is None:
            break
        url = target
    return _youtube_video(url)


def _redirector_target(url: str) -> str | None:
    """The target of a redirector that ural does not read, or None."""
    found = _REDIRECTOR_RE.match(url)
    if found:
        target = unquote(found.group(1))
        return target if target.lower().startswith(("http://", "https://")) else None
    found = _AMP_VIEWER_RE.match(url)
    if found:
        return ("https://" if found.group(1) else "http://") + found.group(2)
    return None


def _youtube_video(url: str) -> str:
    """``https://www.youtube.com/watch?v=<id>`` for a link to a YouTube video, else ``url``."""
    if not _YOUTUBE_HINT_RE.search(url):
        return url
    parsed = parse_youtube_url(url)
    if isinstance(parsed, YoutubeVideo | YoutubeShort):
        return f"https://www.youtube.com/watch?v={parsed.id}"
    return url


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
