"""X API v1.1 readers: tweets (JSON Lines or one JSON array) and Gnip Activity Streams.

Two formats share this module because they carry the same tweets in two shapes:

* ``x-v1`` — v1.1 tweet objects as the standard and enterprise ("Gnip original format") APIs
  deliver them: ``id_str``, ``user``, ``created_at`` (``Wed May 24 20:32:51 +0000 2017``),
  ``retweeted_status``, ``quoted_status``, ``extended_tweet``, ``entities``;
* ``gnip-activity`` — Gnip Activity Streams: ``id`` (``tag:search.twitter.com,2005:<id>``),
  ``verb`` (``post`` / ``share``), ``actor``, ``object``, ``body``, ``postedTime``,
  ``twitter_entities``, ``long_object``, ``inReplyTo``, ``twitter_quoted_status``.

Either reader accepts records of the other shape, so a mixed file loses nothing. Every input
record becomes exactly one record item (see :mod:`.items`):

* a tweet or ``post``/``share`` activity -> a collected :class:`~trendwatch.model.Post`, its
  author's :class:`~trendwatch.model.Account` observation, and the retweeted / quoted tweet as a
  context post (``collected=False``) with its own author;
* a stream control or compliance message (``delete``, ``limit``, ``scrub_geo``, Gnip ``info``
  system messages, ``delete`` activities...) -> :class:`~.items.Skipped` whose reason is the
  message type;
* anything else, a tweet without id, user or time, or an unparseable line ->
  :class:`~.items.Quarantined` with the raw record and a reason naming the field.

Text conventions: the full text (``extended_tweet.full_text`` / ``long_object.body``) is kept,
with Twitter's three HTML escapes (``&amp;``, ``&lt;``, ``&gt;``) undone. A retweet's text is
rebuilt as ``RT @handle: <full text of the retweeted tweet>`` and takes its hashtags and URLs
from the retweeted tweet (the retweet's own copy is truncated at 140 characters); its mentions
are the retweeted author followed by the retweeted tweet's mentions. ``source`` is the client
application's name (``Twitter Web Client``).

URLs are the most resolved form the payload gives, normalised with
:func:`trendwatch.text.normalize_url`: the final URL of the enterprise URL enrichment when
present (``entities.urls[].unwound.url`` in the original format; in Activity Streams,
``gnip.urls[].expanded_url`` for the same t.co link, the enclosing activity's for a shared
or quoted one), else ``expanded_url`` (the link as typed, perhaps a shortener), else the t.co
``url``. A retweet takes the retweeted tweet's URLs, resolved by its own enrichment when the
retweeted tweet's lacks it. Nothing is fetched: a shortener the payload did not unwind stays a
short link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import orjson

from ..model import Account, Kind, Platform, Post
from ..text import hashtag_pair, normalize_url
from ..times import parse_time, read_input_time
from .items import Item, Quarantined, ReadOptions, Skipped
from .jsonrecords import first_record, is_json_array, json_records
from .stream import InputFile

__all__ = [
    "FORMATS",
    "STREAM_MESSAGES",
    "ACTIVITY_VERBS_SKIPPED",
    "InvalidRecord",
    "V1Tweets",
    "GnipActivities",
    "normalize_v1_tweet",
    "normalize_activity",
    "record_items",
]

STREAM_MESSAGES: frozenset[str] = frozenset(
    {
        # Twitter streaming API messages
        "delete", "scrub_geo", "limit", "status_withheld", "user_withheld", "disconnect",
        "warning", "event", "friends", "friends_str", "direct_message", "for_user", "control",
        # Gnip original-format compliance events
        "user_delete", "user_undelete", "user_protect", "user_unprotect", "user_suspend",
        "user_unsuspend", "user_update",
        # Gnip system messages (both formats)
        "info", "warn", "error",
    }
)  # fmt: skip
"""Top-level keys of v1.1 / Gnip messages that are not tweets; such records are Skipped."""

ACTIVITY_VERBS_SKIPPED: frozenset[str] = frozenset(
    {
        "delete", "scrub_geo", "status_withheld", "user_withheld", "user_delete",
        "user_undelete", "user_protect", "user_unprotect", "user_suspend", "user_unsuspend",
    }
)  # fmt: skip
"""Activity Streams compliance verbs; such activities are Skipped."""

_ACTIVITY_ID_PREFIX = "tag:search.twitter.com"
_STATUS_LINK_RE = re.compile(r"twitter\.com/(?:#!/)?(\w+)/status(?:es)?/(\d+)", re.IGNORECASE)
_SOURCE_TAG_RE = re.compile(r"<[^>]*>")
_HEAD_LINES = 50  # records looked at by the sniffers, at most


class InvalidRecord(ValueError):
    """A record that cannot be normalised; the message is the quarantine reason."""


# -- shared helpers ---------------------------------------------------------------------------


def _unescape(text: str | None) -> str | None:
    # Twitter escapes exactly these three characters in tweet text; '&amp;' last, so that a
    # typed '&lt;' (sent as '&amp;lt;') comes back as '&lt;'.
    if not text or "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


@lru_cache(maxsize=1 << 16)
def _parse_cached(value: str) -> datetime | None:
    """:func:`parse_time` with a fast path for v1.1's ``Wed May 24 20:32:51 +0000 2017``.

    Time parsing was half the reading time (``strptime``); the same strings also repeat
    (account creation times, tweets of the same second), hence the cache.
    """
    parts = value.split(" ")
    if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS:
        try:
            hour, minute, second = parts[3].split(":")
            return datetime(int(parts[5]), _MONTHS[parts[1]], int(parts[2]), int(hour),
                            int(minute), int(second), tzinfo=UTC)  # fmt: skip
        except ValueError:
            pass  # e.g. day 32: let parse_time say what is wrong
    return read_input_time(value)  # one without an offset is marked (see trendwatch.times)


def _parse(value: Any) -> datetime | None:
    return _parse_cached(value) if isinstance(value, str) else parse_time(value)


def _time(record: dict, field: str, what: str) -> datetime:
    value = record.get(field)
    if value in (None, ""):
        raise InvalidRecord(f"{what}: missing field {field!r}")
    try:
        return _parse(value)
    except ValueError as exc:
        raise InvalidRecord(f"{what}: field {field!r}: {exc}") from None


def _lenient_time(value: Any) -> datetime | None:
    try:
        return _parse(value)
    except (ValueError, TypeError):
        return None


def _dict(record: dict, field: str) -> dict:
    value = record.get(field)
    return value if isinstance(value, dict) else {}


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _with_first(first: str | None, rest: Iterable[str]) -> tuple[str, ...]:
    """``first`` followed by ``rest`` without repeating ``first``."""
    if first is None:
        return tuple(rest)
    return (first, *(item for item in rest if item != first))


@dataclass(frozen=True, slots=True)
class _Entities:
    """Hashtags (normalised, raw), mentions and URLs of one tweet, ready for a Post."""

    hashtags: tuple[str, ...] = ()
    hashtags_raw: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


_NOT_UNWOUND: Mapping[str, str] = MappingProxyType({})


def _entities(entities: dict, unwound: Mapping[str, str] = _NOT_UNWOUND) -> _Entities:
    """Normalise a v1.1 ``entities`` object (also Activity Streams' ``twitter_entities``).

    ``unwound`` maps t.co links to final URLs found outside the entities (Activity Streams'
    ``gnip.urls``, a retweet's own enriched entities).
    """
    tags, raw = hashtag_pair(h.get("text") for h in entities.get("hashtags") or ())
    mentions = tuple(
        m["screen_name"].lower()
        for m in entities.get("user_mentions") or ()
        if m.get("screen_name")
    )
    found = (_best_url(u, unwound) for u in entities.get("urls") or ())
    return _Entities(tags, raw, mentions, tuple(normalize_url(u) for u in found if u))


def _best_url(url: dict, unwound: Mapping[str, str]) -> str | None:
    """The most resolved URL of a URL entity: where the enterprise API's URL enrichment
    unwound it to (``unwound.url`` in the original format, ``gnip.urls`` in Activity
    Streams: the end of any chain of shorteners), else ``expanded_url`` (the link as the
    author gave it), else ``url`` (t.co)."""
    short = url.get("url")
    return _enriched_url(url) or unwound.get(short) or url.get("expanded_url") or short


def _enriched_url(url: dict) -> str | None:
    """``unwound.url`` of a URL entity (the enterprise original format), if any."""
    enriched = url.get("unwound")
    if isinstance(enriched, dict) and isinstance(enriched.get("url"), str):
        return enriched["url"] or None
    return None


@dataclass(frozen=True, slots=True)
class _Refs:
    """What a post refers to: its kind, the reposted/quoted post, the replied-to post."""

    kind: str = Kind.POST.value
    ref_post_id: str | None = None
    ref_author_id: str | None = None
    reply_to_post_id: str | None = None
    reply_to_author_id: str | None = None


def _kind(repost: bool, quote: bool, reply: bool) -> str:
    # Precedence from the model: repost > quote > reply > post.
    if repost:
        return Kind.REPOST.value
    if quote:
        return Kind.QUOTE.value
    return Kind.REPLY.value if reply else Kind.POST.value


# -- v1.1 tweets ------------------------------------------------------------------------------


def _v1_id(record: dict, what: str) -> str:
    value = record.get("id_str") or record.get("id")
    if value in (None, "") or isinstance(value, bool):
        raise InvalidRecord(f"{what}: missing field 'id_str'")
    return str(value)


def _v1_full_text(tweet: dict) -> str | None:
    extended = _dict(tweet, "extended_tweet")
    return _unescape(extended.get("full_text") or tweet.get("full_text") or tweet.get("text"))


def _v1_raw_entities(tweet: dict) -> dict:
    return _dict(_dict(tweet, "extended_tweet"), "entities") or _dict(tweet, "entities")


def _v1_entities(tweet: dict, unwound: Mapping[str, str] = _NOT_UNWOUND) -> _Entities:
    return _entities(_v1_raw_entities(tweet), unwound)


def _unwound_links(entities: dict) -> Mapping[str, str]:
    """t.co link -> final URL, for the URLs of ``entities`` that the URL enrichment unwound."""
    found = {}
    for url in entities.get("urls") or ():
        final = _enriched_url(url) if isinstance(url, dict) else None
        if final and isinstance(url.get("url"), str):
            found[url["url"]] = final
    return found or _NOT_UNWOUND


def _v1_source(tweet: dict) -> str | None:
    """The client's name, from the HTML link v1.1 gives (``<a href=...>Twitter Web Client</a>``)."""
    source = tweet.get("source")
    if not isinstance(source, str):
        return None
    return _SOURCE_TAG_RE.sub("", source).strip() or None


def _v1_account(user: dict, observed_at: datetime | None) -> Account:
    """The :class:`Account` observation of a v1.1 ``user`` object."""
    return Account(
        platform=Platform.X,
        account_id=_v1_id(user, "user"),
        handle=user.get("screen_name"),
        name=user.get("name"),
        created_at=_lenient_time(user.get("created_at")),
        followers=_as_int(user.get("followers_count")),
        following=_as_int(user.get("friends_count")),
        posts_count=_as_int(user.get("statuses_count")),
        listed=_as_int(user.get("listed_count")),
        verified=user.get("verified") if isinstance(user.get("verified"), bool) else None,
        description=_unescape(user.get("description")),
        observed_at=observed_at,
    )


def _v1_refs(tweet: dict) -> _Refs:
    retweeted = _dict(tweet, "retweeted_status")
    if retweeted:
        ref_id, ref_user = retweeted.get("id_str"), _dict(retweeted, "user")
    else:  # a quote whose quoted tweet is unavailable still names it in quoted_status_id_str
        quoted = _dict(tweet, "quoted_status")
        ref_id = quoted.get("id_str") or tweet.get("quoted_status_id_str")
        ref_user = _dict(quoted, "user")
    reply_to = tweet.get("in_reply_to_status_id_str")
    return _Refs(
        kind=_kind(bool(retweeted), bool(ref_id), bool(reply_to)),
        ref_post_id=ref_id,
        ref_author_id=ref_user.get("id_str"),
        reply_to_post_id=reply_to,
        reply_to_author_id=tweet.get("in_reply_to_user_id_str"),
    )


def _v1_content(tweet: dict) -> tuple[str | None, _Entities]:
    """Text and entities; for a retweet, rebuilt from the retweeted tweet (see module doc)."""
    retweeted = _dict(tweet, "retweeted_status")
    if not retweeted:
        return _v1_full_text(tweet), _v1_entities(tweet)
    handle = _dict(retweeted, "user").get("screen_name")
    # The retweet's own entities may be enriched where the older retweeted tweet's are not.
    own = _v1_entities(retweeted, _unwound_links(_v1_raw_entities(tweet)))
    text = _v1_full_text(retweeted)
    if handle:
        text = f"RT @{handle}: {text or ''}"
    mentions = _with_first(handle.lower() if handle else None, own.mentions)
    return text, _Entities(own.hashtags, own.hashtags_raw, mentions, own.urls)


def _v1_contexts(tweet: dict, observed_at: datetime | None) -> list[Post | Account]:
    """The retweeted and quoted tweets, as context posts with their authors."""
    items: list[Post | Account] = []
    for field in ("retweeted_status", "quoted_status"):
        nested = _dict(tweet, field)
        if nested.get("id_str") or nested.get("id"):
            items += normalize_v1_tweet(nested, collected=False, observed_at=observed_at)
    return items


def normalize_v1_tweet(
    tweet: dict, *, collected: bool = True, observed_at: datetime | None = None
) -> list[Post | Account]:
    """Normalise one v1.1 tweet into its author, its context posts and the post itself.

    Parameters
    ----------
    tweet : dict
        A v1.1 tweet object (standard or Gnip original format).
    collected : bool
        False for a context tweet (a retweet or quote target): then a missing ``user`` or
        ``created_at`` is tolerated instead of raising.
    observed_at : datetime, optional
        When the account counters were seen; the tweet's own time by default (nested tweets
        carry their author's counters as of the outer tweet).

    Returns
    -------
    list of Post and Account
        The post comes last.

    Raises
    ------
    InvalidRecord
        When a collected tweet has no id, no ``user`` or no readable ``created_at``.

    Examples
    --------
    >>> items = normalize_v1_tweet({"id_str": "2", "created_at": "Wed May 24 20:32:51 +0000 2017",
    ...     "text": "hi #Paris", "user": {"id_str": "7", "screen_name": "Ann"},
    ...     "entities": {"hashtags": [{"text": "Paris"}]}})
    >>> items[-1].post_id, items[-1].author_id, items[-1].hashtags, items[0].handle
    ('2', '7', ('paris',), 'Ann')
    """
    post_id = _v1_id(tweet, "tweet")
    user = _dict(tweet, "user")
    if collected and not user:
        raise InvalidRecord(f"tweet {post_id}: missing field 'user'")
    if collected:
        created_at = _time(tweet, "created_at", f"tweet {post_id}")
    else:
        created_at = _lenient_time(tweet.get("created_at"))
    observed = observed_at or created_at
    author = [_v1_account(user, observed)] if user else []
    text, entities = _v1_content(tweet)
    refs = _v1_refs(tweet)
    post = Post(
        platform=Platform.X,
        post_id=post_id,
        author_id=author[0].account_id if author else None,
        created_at=created_at,
        text=text,
        lang=tweet.get("lang"),
        author_handle=user.get("screen_name"),
        collected=collected,
        source=_v1_source(tweet),
        **_post_fields(refs, entities),
    )
    return [*author, *_v1_contexts(tweet, observed), post]


def _post_fields(refs: _Refs, entities: _Entities) -> dict:
    return {
        "kind": refs.kind,
        "ref_post_id": refs.ref_post_id,
        "ref_author_id": refs.ref_author_id,
        "reply_to_post_id": refs.reply_to_post_id,
        "reply_to_author_id": refs.reply_to_author_id,
        "hashtags": entities.hashtags,
        "hashtags_raw": entities.hashtags_raw,
        "mentions": entities.mentions,
        "urls": entities.urls,
    }


# -- Gnip Activity Streams --------------------------------------------------------------------


def _tail_id(value: Any, what: str) -> str:
    """The numeric id ending ``tag:search.twitter.com,2005:<id>`` or ``id:twitter.com:<id>``."""
    tail = str(value).rsplit(":", 1)[-1] if value not in (None, "") else ""
    if not tail.isdigit():
        raise InvalidRecord(f"{what}: missing or malformed field 'id' ({str(value)[:60]!r})")
    return tail


def _activity_account(actor: dict, observed_at: datetime | None) -> Account:
    """The :class:`Account` observation of an Activity Streams ``actor``."""
    return Account(
        platform=Platform.X,
        account_id=_tail_id(actor.get("id"), "actor"),
        handle=actor.get("preferredUsername"),
        name=actor.get("displayName"),
        created_at=_lenient_time(actor.get("postedTime")),
        followers=_as_int(actor.get("followersCount")),
        following=_as_int(actor.get("friendsCount")),
        posts_count=_as_int(actor.get("statusesCount")),
        listed=_as_int(actor.get("listedCount")),
        verified=actor.get("verified") if isinstance(actor.get("verified"), bool) else None,
        description=_unescape(actor.get("summary")),
        observed_at=observed_at,
    )


def _activity_full_text(activity: dict) -> str | None:
    return _unescape(_dict(activity, "long_object").get("body") or activity.get("body"))


def _gnip_urls(activity: dict, inherited: Mapping[str, str]) -> Mapping[str, str]:
    """t.co link -> final URL, from the URL enrichment (``gnip.urls``), over ``inherited``.

    An activity's ``gnip.urls`` also covers the URLs of the activity it shares or quotes,
    which have no ``gnip`` object of their own: they inherit it.
    """
    urls = _dict(activity, "gnip").get("urls")
    if not isinstance(urls, list) or not urls:
        return inherited
    own = {u["url"]: u["expanded_url"] for u in urls if _is_unwound(u)}
    return {**inherited, **own} if inherited else own


def _is_unwound(url: object) -> bool:
    return (
        isinstance(url, dict)
        and isinstance(url.get("url"), str)
        and isinstance(url.get("expanded_url"), str)
        and bool(url["expanded_url"])
    )


def _activity_entities(activity: dict, unwound: Mapping[str, str]) -> _Entities:
    long_object = _dict(activity, "long_object")
    entities = _dict(long_object, "twitter_entities") or _dict(activity, "twitter_entities")
    return _entities(entities, unwound)


def _activity_content(activity: dict, unwound: Mapping[str, str]) -> tuple[str | None, _Entities]:
    """Text and entities; a share is rebuilt from the shared activity, as a v1.1 retweet."""
    if activity.get("verb") != "share":
        return _activity_full_text(activity), _activity_entities(activity, unwound)
    shared = _dict(activity, "object")
    handle = _dict(shared, "actor").get("preferredUsername")
    own = _activity_entities(shared, unwound)
    text = _activity_full_text(shared)
    if handle:
        text = f"RT @{handle}: {text or ''}"
    mentions = _with_first(handle.lower() if handle else None, own.mentions)
    return text, _Entities(own.hashtags, own.hashtags_raw, mentions, own.urls)


def _reply_target(activity: dict) -> tuple[str | None, str | None]:
    """Replied-to post id and author id; the author id is only known through a mention."""
    match = _STATUS_LINK_RE.search(str(_dict(activity, "inReplyTo").get("link") or ""))
    if not match:
        return None, None
    handle, post_id = match.group(1).lower(), match.group(2)
    actor = _dict(activity, "actor")
    if str(actor.get("preferredUsername", "")).lower() == handle:
        return post_id, _tail_id(actor.get("id"), "actor")
    long_object = _dict(activity, "long_object")
    entities = _dict(long_object, "twitter_entities") or _dict(activity, "twitter_entities")
    for mention in entities.get("user_mentions") or ():
        if str(mention.get("screen_name", "")).lower() == handle:
            return post_id, mention.get("id_str")
    return post_id, None


def _activity_refs(activity: dict) -> _Refs:
    shared = _dict(activity, "object") if activity.get("verb") == "share" else {}
    target = shared or _dict(activity, "twitter_quoted_status")
    ref_id = _tail_id(target.get("id"), "referenced activity") if target else None
    actor = _dict(target, "actor")
    reply_to, reply_author = _reply_target(activity)
    return _Refs(
        kind=_kind(bool(shared), bool(target) and not shared, bool(reply_to)),
        ref_post_id=ref_id,
        ref_author_id=_tail_id(actor["id"], "actor") if actor.get("id") else None,
        reply_to_post_id=reply_to,
        reply_to_author_id=reply_author,
    )


def _activity_contexts(
    activity: dict, observed_at: datetime | None, unwound: Mapping[str, str]
) -> list[Post | Account]:
    items: list[Post | Account] = []
    nested = [_dict(activity, "twitter_quoted_status")]
    if activity.get("verb") == "share":
        nested.insert(0, _dict(activity, "object"))
    for target in nested:
        if target.get("id"):
            items += normalize_activity(
                target, collected=False, observed_at=observed_at, unwound=unwound
            )
    return items


def normalize_activity(
    activity: dict,
    *,
    collected: bool = True,
    observed_at: datetime | None = None,
    unwound: Mapping[str, str] | None = None,
) -> list[Post | Account]:
    """Normalise one Gnip ``post``/``share`` activity, as :func:`normalize_v1_tweet` does a tweet.

    Parameters
    ----------
    activity : dict
        An Activity Streams activity.
    collected : bool
        False for a context activity (shared or quoted), as in :func:`normalize_v1_tweet`.
    observed_at : datetime, optional
        When the account counters were seen; the activity's own time by default.
    unwound : mapping of str to str, optional
        t.co link -> final URL, from the ``gnip.urls`` of the activity that encloses this one
        (a shared or quoted activity has no ``gnip`` of its own); the activity's own
        ``gnip.urls`` adds to it (see the module doc on URLs).

    Raises
    ------
    InvalidRecord
        When a collected activity has no usable ``id``, ``actor`` or ``postedTime``.

    Examples
    --------
    >>> items = normalize_activity({"id": "tag:search.twitter.com,2005:2", "verb": "post",
    ...     "postedTime": "2017-05-24T20:32:51.000Z", "body": "hi",
    ...     "actor": {"id": "id:twitter.com:7", "preferredUsername": "Ann"}})
    >>> items[-1].post_id, items[-1].author_id, items[-1].kind
    ('2', '7', 'post')
    """
    post_id = _tail_id(activity.get("id"), "activity")
    actor = _dict(activity, "actor")
    if collected and not actor:
        raise InvalidRecord(f"activity {post_id}: missing field 'actor'")
    if collected:
        created_at = _time(activity, "postedTime", f"activity {post_id}")
    else:
        created_at = _lenient_time(activity.get("postedTime"))
    observed = observed_at or created_at
    author = [_activity_account(actor, observed)] if actor else []
    unwound = _gnip_urls(activity, unwound or _NOT_UNWOUND)
    text, entities = _activity_content(activity, unwound)
    post = Post(
        platform=Platform.X,
        post_id=post_id,
        author_id=author[0].account_id if author else None,
        created_at=created_at,
        text=text,
        lang=activity.get("twitter_lang"),
        author_handle=actor.get("preferredUsername"),
        collected=collected,
        source=_dict(activity, "generator").get("displayName"),
        **_post_fields(_activity_refs(activity), entities),
    )
    return [*author, *_activity_contexts(activity, observed, unwound), post]


# -- record dispatch --------------------------------------------------------------------------


def _message_type(value: dict) -> str | None:
    """The type of a stream / compliance / system message, or None for anything else."""
    if "id_str" in value or "verb" in value:
        return None
    return next((key for key in value if key in STREAM_MESSAGES), None)


def _is_v1_tweet(value: dict) -> bool:
    if "id_str" not in value or "author_id" in value or "verb" in value:
        return False
    return isinstance(value.get("user"), dict) or "created_at" in value


def _is_activity(value: dict) -> bool:
    if "verb" not in value:
        return False
    return value.get("objectType") == "activity" or str(value.get("id", "")).startswith(
        _ACTIVITY_ID_PREFIX
    )


def _describe(value: object) -> str:
    if not isinstance(value, dict):
        return f"not a JSON object (a JSON {type(value).__name__})"
    keys = ", ".join(list(value)[:8]) or "none"
    return f"neither a v1.1 tweet, an activity nor a known stream message (keys: {keys})"


def record_items(value: object, record_no: int, raw: str | None = None) -> list[Item]:
    """Turn one decoded JSON record into the items it yields (exactly one record item).

    >>> record_items({"limit": {"track": 3}}, 4)
    [Skipped(record_no=4, reason='limit')]
    """
    if not isinstance(value, dict):
        return [Quarantined(record_no, raw, _describe(value))]
    message = _message_type(value)
    if message is None and _is_activity(value) and value["verb"] in ACTIVITY_VERBS_SKIPPED:
        message = value["verb"]
    if message is not None:
        return [Skipped(record_no, message)]
    try:
        if _is_v1_tweet(value):
            return normalize_v1_tweet(value)
        if _is_activity(value) and value["verb"] in ("post", "share"):
            return normalize_activity(value)
    except InvalidRecord as exc:
        return [Quarantined(record_no, raw, str(exc))]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        return [Quarantined(record_no, raw, f"malformed record: {type(exc).__name__}: {exc}")]
    if _is_activity(value):
        return [Quarantined(record_no, raw, f"unsupported activity verb {value['verb']!r}")]
    return [Quarantined(record_no, raw, _describe(value))]


def _read(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    for record in json_records(source, options):
        if record.error is not None:
            yield Quarantined(record.record_no, record.raw_text(), record.error)
            continue
        items = record_items(record.value, record.record_no)
        last = items[-1]
        if isinstance(last, Quarantined):  # the raw text is only decoded when it is kept
            items[-1] = Quarantined(last.record_no, record.raw_text(), last.reason)
        yield from items


# -- detection --------------------------------------------------------------------------------


def _head_values(head: bytes) -> list[object]:
    """The first records of a head, peeked: the first array element, or the complete lines."""
    if is_json_array(head):
        value = first_record(head)
        return [] if value is None else [value]
    values = []
    for line in head.splitlines()[:_HEAD_LINES]:
        if line.strip():
            try:
                values.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                break  # the head's last line is usually cut short
    if not values:  # one indented object, or a first line longer than the head
        value = first_record(head)
        values = [] if value is None else [value]
    return values


def _first_content(head: bytes) -> tuple[object | None, bool]:
    """The first record that is not a stream message, and whether messages came before it."""
    seen_message = False
    for value in _head_values(head):
        if isinstance(value, dict) and _message_type(value) is not None:
            seen_message = True
            continue
        return value, seen_message
    return None, seen_message


class V1Tweets:
    """The ``x-v1`` format: v1.1 tweets, one per line or in one JSON array."""

    NAME = "x-v1"
    DESCRIPTION = "X API v1.1 tweets (JSON Lines or a JSON array; Gnip original format)"

    def sniff(self, head: bytes) -> bool:
        """True for v1.1 tweets, or for a head holding only stream messages (delete, limit)."""
        value, seen_message = _first_content(head)
        if value is None:
            return seen_message
        return isinstance(value, dict) and _is_v1_tweet(value)

    def read(self, source: InputFile, options: ReadOptions) -> Iterator[Item]:
        """Yield posts, accounts, skipped messages and quarantined records (module doc)."""
        return _read(source, options)


class GnipActivities:
    """The ``gnip-activity`` format: Gnip Activity Streams, one activity per line or an array."""

    NAME = "gnip-activity"
    DESCRIPTION = "Gnip Activity Streams (X enterprise; verb post/share, actor, object)"

    def sniff(self, head: bytes) -> bool:
        """True when the first record that is not a system message is a Twitter activity."""
        value, _ = _first_content(head)
        return isinstance(value, dict) and _is_activity(value)

    def read(self, source: InputFile, options: ReadOptions) -> Iterator[Item]:
        """Yield posts, accounts, skipped messages and quarantined records (module doc)."""
        return _read(source, options)


FORMATS = {V1Tweets.NAME: V1Tweets(), GnipActivities.NAME: GnipActivities()}
"""Format name -> reader object, for :func:`trendwatch.formats.get_format`."""
