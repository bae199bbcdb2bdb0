"""The coordination methods: each maps scoped posts to actions ``(account_id, key, time, post_id)``.

Each method is a small definition over the engine (:mod:`.engine`); its defaults are declared
as data in :data:`METHODS` and documented here with where they come from.

=================  ============================================================================
co-retweet         reposts of the same post (key: the reposted post id). QUT toolkit, CooRTweet.
                   A repost that names no post (the IRA files mark retweets with a flag and
                   the original's text) is keyed by ``content:<handle>|<text_norm>``: the same
                   original author (when the table gives one) and the same normalised text;
                   empty texts never match.
co-tweet           identical normalised text among non-reposts (key: ``posts.text_norm``, see
                   :func:`trendwatch.text.normalize_text`: NFC, lower case, no leading
                   ``rt @x:``, no URLs, no @mentions, white space collapsed; empty texts never
                   match). ``text_mode="qut"`` uses the QUT toolkit's key instead: lower case,
                   ``@\\S*`` removed, white space collapsed, URLs kept, empty texts match (and
                   Python's lower case, word-final "ς" included).
co-similar         near-duplicate text among non-reposts: MinHash + LSH over word shingles,
                   verified Jaccard >= ``threshold`` (0.8, the issue's default; QUT's is 0.9).
                   See :mod:`.minhash`.
co-link            the same normalised URL (``posts.urls``, normalised with ``ural`` at ingest)
                   among non-reposts: a repost carries its original's URL, as in the QUT
                   toolkit, which also ignores URLs in reposts. QUT matches the expanded URL as
                   given; ours is the payload's unwound URL where it has one (a shortener
                   resolved), merges ``http``/``https``, ``www``, ``m.``, AMP pages, tracking
                   parameters and redirector links (:func:`trendwatch.text.normalize_url`).
co-reply           replies to the same post (key: ``reply_to_post_id``), reposts excluded.
co-reply-account   replies to the same account (key: ``reply_to_author_id``): a reply raid
                   answers one account's posts within minutes of each.
co-hashtag         the same hashtag among non-reposts; ``ignore_scope_hashtags`` (default True)
                   drops the scoped campaign's own hashtags, which every scoped post carries.
co-mention         the same mentioned account among non-reposts.
sync-post          posting in the same time bin (``bin_s`` = 1800 s, Pacheco et al. 2021,
                   "Uncovering coordinated networks on social media", ICWSM); one action per
                   account and bin, window = the bin, TF-IDF cosine weight on by default.
hashtag-sequence   the same ordered sequence of at least ``min_hashtags`` hashtags (5, Pacheco et
                   al. 2021) on the same UTC day (key: day + sequence), window one day.
=================  ============================================================================

Each method has its own default window (:attr:`Method.window`), used when the caller gives
none: 60 s for reposts, texts and links (a retweet ring acts within seconds; QUT's and
CooRTweet's usual setting), 120 s for replies (a raid answers within a minute or two), 300 s
for hashtags (a flood's wave lasts minutes), the bin for sync-post, a day for
hashtag-sequence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis

from ...errors import ParameterError
from ...text import re2_class_body

__all__ = ["Method", "METHODS", "method_names", "get_method"]

_NOT_REPOST = "repost"
_UNKNOWN_ORIGINAL = "content:"
"""Prefix of co-retweet keys made from a repost's content (no post id can start with it)."""


@dataclass(frozen=True)
class Method:
    """One coordination method: a name, a doc line, its defaults and its action builder.

    ``build(posts, params)`` returns an Ibis table with at least ``account_id, key, time,
    post_id``; ``window(params)`` gives the window in seconds when the caller passes
    ``window=None``; ``link`` replaces the engine's :func:`~.engine.link` (co-similar).
    """

    name: str
    doc: str
    build: Callable[[ibis.Table, dict], ibis.Table]
    defaults: dict = field(default_factory=dict)
    window: Callable[[dict], float] = lambda params: 60.0
    pair_budget: int | None = None
    """The per-key pair budget :func:`~.groups.groups` gives the engine's hot-key bound for
    this method (None: the engine's own, 1,000,000)."""
    tfidf_default: bool = False
    link: Callable | None = None
    text_keys: Callable[[dict], str | None] = lambda params: None

    def resolve(self, params: dict, scope=None) -> dict:
        """Defaults overlaid with ``params``; an unknown parameter is an error."""
        # Keys starting with "_" are the engine's own (e.g. the scope's hashtags).
        unknown = sorted(k for k in set(params) - set(self.defaults) if not k.startswith("_"))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise ParameterError(f"{self.name}: unknown parameter(s) {unknown}; known: {known}")
        merged = {**self.defaults, **params}
        merged["_scope_hashtags"] = tuple(scope.hashtags or ()) if scope else ()
        return merged


def _actions(posts: ibis.Table, key) -> ibis.Table:
    return posts.select(
        account_id=posts.author_id, key=key, time=posts.created_at, post_id=posts.post_id
    )


def _originals(posts: ibis.Table) -> ibis.Table:
    return posts.filter(posts.kind != _NOT_REPOST)


def co_retweet(posts: ibis.Table, params: dict) -> ibis.Table:
    """Reposts of the same post; a repost that names no post, by its original's content."""
    reposts = posts.filter(posts.kind == "repost")
    # Tables such as the IRA files mark retweets without the retweeted post's id: the
    # original is then known by its author's handle (when given) and its normalised text.
    by_content = (
        _UNKNOWN_ORIGINAL + reposts.ref_author_handle.fill_null("") + "|" + reposts.text_norm
    )
    known_content = reposts.text_norm.notnull() & (reposts.text_norm != "")
    key = reposts.ref_post_id.fill_null(ibis.ifelse(known_content, by_content, ibis.null()))
    return _actions(reposts, key).filter(lambda t: t.key.notnull())


def qut_text_key(text: ibis.Value) -> ibis.Value:
    """The QUT toolkit's co-tweet key in SQL: lower case, ``@\\S*`` removed, spaces collapsed.

    White space is spelled out (RE2's ``\\s`` is ASCII only): a mention ends at the toolkit's
    ``regex`` module ``\\s`` (Unicode White_Space), the words are split at Python's
    ``str.split()`` white space, which adds ``\\x1c-\\x1f``. Only the runs that change are
    replaced (two spaces or more, or one that is not " "): replacing every single " " by " "
    cost 2x the whole key.

    Lower case is Python's ``str.lower``, which differs from DuckDB's in two places: "İ"
    becomes an "i" and a combining dot, and a word-final "Σ" becomes "ς"
    (:func:`_final_sigma_re`).
    """
    final = ibis.ifelse(
        text.contains("\u03a3"), text.re_replace(_final_sigma_re(), "\\1\u03c2\\2"), text
    )
    lowered = final.replace("\u0130", "i\u0307").lower()
    stripped = lowered.re_replace(f"@[^{_MENTION_END}]*", "")
    collapsed = stripped.re_replace(f"[{_PY_SPACE}][{_PY_SPACE}]+|[{_PY_SPACE_NOT_BLANK}]", " ")
    # Only " " is left at the ends: DuckDB's one-argument trim (Unicode space separators)
    # is then the same as Ibis's strip(), and ~3x cheaper than its TRIM(x, ' \t\n').
    return _trim(collapsed)


@functools.cache
def _final_sigma_re() -> str:
    """RE2: a "Σ" that Python lower-cases to "ς", with what precedes and follows it as groups.

    Python's rule (Unicode's Final_Sigma): a cased character, then case-ignorable ones, the
    sigma, and no cased character after the case-ignorable ones that follow. Both sets are
    read from ``str.lower`` itself, so they follow the Python the toolkit runs on. The
    character after the context is consumed (RE2 has no look-ahead); it is never cased, so it
    never starts the next sigma's context.
    """
    cased, ignorable = [], []
    for code in range(0x30000):
        if 0xD800 <= code < 0xE000:  # surrogates are not characters
            continue
        char = chr(code)
        after_cased = (char + "\u03a3").lower()[-1] == "\u03c2"  # cased, not ignorable
        skipped_or_cased = ("A" + char + "\u03a3").lower()[-1] == "\u03c2"
        skipped_or_uncased = ("A\u03a3" + char).lower()[1] == "\u03c2"
        if after_cased:
            cased.append(code)
        elif skipped_or_cased and skipped_or_uncased:
            ignorable.append(code)
    cased_class, ignorable_class = re2_class_body(cased), re2_class_body(ignorable)
    return (
        f"([{cased_class}][{ignorable_class}]*)\u03a3"
        f"([{ignorable_class}]*(?:[^{cased_class}{ignorable_class}]|$))"
    )


_PY_SPACE_NOT_BLANK = (
    r"\t\n\x0b\f\r\x1c-\x1f\x85\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
    r"\x{205f}\x{3000}"
)
"""Python's white space (``str.isspace``) but " ", as an RE2 character class body."""
_PY_SPACE = " " + _PY_SPACE_NOT_BLANK
"""Python's white space: the same as RE2's ``[\\t\\n\\x0b\\f\\r\\x1c-\\x1f\\x85\\p{Z}]``."""
_MENTION_END = _PY_SPACE.replace(r"\x1c-\x1f", "")
"""The `regex` module's ``\\s`` (Unicode White_Space): Python's white space but \\x1c-\\x1f."""


@ibis.udf.scalar.builtin(name="trim")
def _trim(text: str) -> str:
    """DuckDB's ``trim(text)``: space separators removed from both ends."""


def co_tweet(posts: ibis.Table, params: dict) -> ibis.Table:
    """Identical normalised text among non-reposts (``text_mode``: "trendwatch" or "qut")."""
    originals = _originals(posts)
    if params["text_mode"] == "qut":
        return _actions(originals, qut_text_key(originals.text.fill_null("")))
    if params["text_mode"] != "trendwatch":
        raise ParameterError(
            f"co-tweet: text_mode must be 'trendwatch' or 'qut', not {params['text_mode']!r}"
        )
    originals = originals.filter(originals.text_norm.notnull() & (originals.text_norm != ""))
    return _actions(originals, originals.text_norm)


def _unnested(posts: ibis.Table, column: str) -> ibis.Table:
    # A post listing a value twice gives two identical actions: the engine counts each
    # distinct action once (see engine.actions). Removing the repeats here made co-link on
    # the IRA archive slower, as the link reads the actions twice: 0.75-0.89 s with a
    # DISTINCT over all the rows, 0.61-0.70 s with a list_distinct per post, 0.40-0.42 s
    # without either.
    exploded = _originals(posts).select(
        "author_id", "created_at", "post_id", value=posts[column].unnest()
    )
    return exploded.filter(exploded.value.notnull() & (exploded.value != ""))


def co_link(posts: ibis.Table, params: dict) -> ibis.Table:
    """The same normalised URL among non-reposts."""
    links = _unnested(posts, "urls")
    return _actions(links, links.value)


def co_reply(posts: ibis.Table, params: dict) -> ibis.Table:
    """Replies to the same post."""
    replies = _originals(posts).filter(posts.reply_to_post_id.notnull())
    return _actions(replies, replies.reply_to_post_id)


def co_reply_account(posts: ibis.Table, params: dict) -> ibis.Table:
    """Replies to the same account."""
    replies = _originals(posts).filter(posts.reply_to_author_id.notnull())
    return _actions(replies, replies.reply_to_author_id)


def co_hashtag(posts: ibis.Table, params: dict) -> ibis.Table:
    """The same hashtag among non-reposts, optionally without the scope's own hashtags."""
    tags = _unnested(posts, "hashtags")
    if params["ignore_scope_hashtags"] and params["_scope_hashtags"]:
        from ...text import normalize_hashtag

        own = [normalize_hashtag(t) for t in params["_scope_hashtags"]]
        tags = tags.filter(~tags.value.isin(own))
    return _actions(tags, tags.value)


def co_mention(posts: ibis.Table, params: dict) -> ibis.Table:
    """The same mentioned account among non-reposts."""
    mentions = _unnested(posts, "mentions")
    return _actions(mentions, mentions.value)


def sync_post(posts: ibis.Table, params: dict) -> ibis.Table:
    """One action per account and ``bin_s`` time bin (key: the bin's start, epoch seconds)."""
    bin_s = params["bin_s"]
    if not bin_s > 0:
        raise ParameterError(f"sync-post: bin_s must be > 0 seconds, got {bin_s}")
    binned = posts.filter(posts.author_id.notnull() & posts.created_at.notnull())
    start = (binned.created_at.epoch_seconds() // bin_s) * bin_s
    binned = binned.mutate(key=start.cast("int64").cast("string"))
    first = binned.group_by(["author_id", "key"]).aggregate(
        time=binned.created_at.min(), post_id=binned.post_id.min()
    )
    return first.select(account_id=first.author_id, key=first.key, time="time", post_id="post_id")


def hashtag_sequence(posts: ibis.Table, params: dict) -> ibis.Table:
    """The same ordered hashtag sequence (>= ``min_hashtags`` tags) on the same UTC day."""
    originals = _originals(posts)
    originals = originals.filter(originals.hashtags.length() >= params["min_hashtags"])
    day = originals.created_at.date().cast("string")
    return _actions(originals, day + "|" + originals.hashtags.join(" "))


def _co_similar_link(actions, link_kwargs):
    from .minhash import link_similar

    return link_similar(actions, link_kwargs)


def _co_similar_actions(posts: ibis.Table, params: dict) -> ibis.Table:
    originals = _originals(posts).filter(posts.text.notnull())
    text = originals.text if params["text_mode"] == "raw" else originals.text_norm
    return originals.select(
        account_id=originals.author_id,
        key=text,
        time=originals.created_at,
        post_id=originals.post_id,
    )


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method(
            "co-retweet",
            "reposts of the same post",
            co_retweet,
            text_keys=lambda p: "unresolved reposts",
        ),
        Method(
            "co-tweet",
            "identical normalised text",
            co_tweet,
            {"text_mode": "trendwatch"},
            text_keys=lambda p: "originals" if p["text_mode"] == "trendwatch" else None,
        ),
        Method(
            "co-similar",
            "near-duplicate text (MinHash + LSH, Jaccard >= threshold)",
            _co_similar_actions,
            {
                "threshold": 0.8,
                "shingle": 1,
                "num_perm": 64,
                "bands": 16,
                "seed": 1,
                "text_mode": "norm",
            },
            link=_co_similar_link,
            text_keys=lambda p: None if p["text_mode"] == "raw" else "originals",
        ),
        Method("co-link", "the same normalised URL", co_link),
        Method("co-reply", "replies to the same post", co_reply, window=lambda p: 120.0),
        Method(
            "co-reply-account",
            "replies to the same account",
            co_reply_account,
            window=lambda p: 120.0,
        ),
        Method(
            "co-hashtag",
            "the same hashtag",
            co_hashtag,
            {"ignore_scope_hashtags": True},
            window=lambda p: 300.0,
        ),
        Method("co-mention", "the same mentioned account", co_mention),
        Method(
            "sync-post",
            "posting in the same time bins (TF-IDF cosine)",
            sync_post,
            {"bin_s": 1800},
            window=lambda p: float(p["bin_s"]),
            tfidf_default=True,
            # Every bin is a hot key: on the 33,000-post demo, 2.4 M pairs and 2.7 GB in
            # groups without it; with it, 0.9 M pairs and under 1 GB (the test's counts only
            # shrink: the bound is conservative, and the run lists the bounded keys).
            pair_budget=20_000,
        ),
        Method(
            "hashtag-sequence",
            "the same ordered hashtag sequence on the same day",
            hashtag_sequence,
            {"min_hashtags": 5},
            window=lambda p: 86400.0,
        ),
    ]
}
"""Every method by name, in the order the CLI lists them."""


def method_names() -> list[str]:
    """The method names, in the order the CLI lists them."""
    return list(METHODS)


def get_method(name: str) -> Method:
    """The :class:`Method` called ``name``; a precise error otherwise."""
    try:
        return METHODS[name]
    except KeyError:
        raise ParameterError(
            f"unknown coordination method {name!r}; choose one of: {', '.join(METHODS)}"
        ) from None
