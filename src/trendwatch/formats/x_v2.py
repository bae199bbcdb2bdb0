"""X API v2 readers: twarc2 response pages, and twarc-flattened tweets.

Two formats share this module because they carry the same tweets in two shapes:

* ``twarc2`` — one API response page per line, as ``twarc2 search`` / ``timeline`` /
  ``stream`` save them: ``data`` (a list of tweets, or one tweet for the streaming endpoint),
  ``includes.users``, ``includes.tweets``, ``errors``, ``meta``, ``__twarc``;
* ``twarc2-flat`` — one tweet per line as ``twarc2 flatten`` writes it: the tweet with its
  ``author`` (user object) and its ``referenced_tweets`` expanded into whole tweets (each with
  its own ``author``). Plain v2 tweet objects, one per line, are read the same way.

Record accounting (see :mod:`.items`)
-------------------------------------
* Every tweet of ``data`` is one record: a collected post (a row of a
  :class:`~.items.PostTable`), or :class:`~.items.Quarantined` (the tweet as JSON, and a
  reason naming the line, the tweet's position and the field) when its ``id``,
  ``author_id`` or ``created_at`` is missing or bad.
* A line that is not JSON is one quarantined record (the raw line).
* A line holding no tweets is one :class:`~.items.Skipped` record whose reason says what it
  is: a user lookup page (its users are still stored as accounts), a tweet counts page, a list
  page, a page with only ``errors`` / ``meta``, a compliance event. A page with an empty
  ``data`` is skipped too. A line that is none of these is quarantined.
* Users in ``includes.users`` (flat: every ``author``) are account observations (rows of an
  :class:`~.items.AccountTable`), observed at ``__twarc.retrieved_at``. Tweets in
  ``includes.tweets`` (flat: the expanded referenced tweets, at any depth) are context posts
  (``collected=False``) so that references resolve. Neither counts as a record; a malformed
  one is left out.
* The page's ``errors`` (referenced tweets or users the API would not return) are not records.

Record numbers increase in file order (:class:`~.jsonrecords.RecordNumbers`); they equal line
numbers only when each line holds one tweet, so reasons also name the line.

Normalisation
-------------
Kind: ``retweeted`` -> repost, ``quoted`` -> quote, ``replied_to`` -> reply (precedence
repost > quote > reply, see :mod:`trendwatch.model`). ``ref_post_id`` is the retweeted or
quoted tweet and ``ref_author_id`` its author, read from the referenced tweet when the input
has it (for a retweet whose target is missing, from the ``RT @handle:`` mention).
``reply_to_post_id`` / ``reply_to_author_id`` come from ``replied_to`` and
``in_reply_to_user_id``.

Text: the long-post text (``note_tweet.text``, with its entities) when present, else ``text``,
with X's three HTML escapes undone as the v1.1 reader does. A retweet's own text is truncated
in v2, so when the retweeted tweet and its author are known the repost's text is
``RT @handle: <full text>`` and its hashtags, URLs and mentions (after the retweeted author)
are those of the retweeted tweet. Hashtags come from the entities (normalised, and raw as
typed), mentions are lower-cased usernames. URLs are the most resolved form the payload
gives, ``unwound_url`` (X followed the shorteners: ``bit.ly/x`` -> the article), else
``expanded_url`` (the link as typed), else ``url`` (t.co), normalised with
:func:`trendwatch.text.normalize_url`; nothing is fetched, so a shortener X did not unwind
stays a short link. X unwinds the links of recent tweets only, so a retweet's URLs are its
original's resolved by the retweet's own ``unwound_url`` of the same t.co link when the
original lacks one. ``source`` is the client application's name.
Handles are kept as the API spells them.

Each version of an edited tweet has its own id and is its own post.

Speed: posts and accounts are built as tuples in schema order and gathered into Arrow tables
of about 10,000 rows, rather than as :class:`~trendwatch.model.Post` objects (a frozen
dataclass costs more to build than normalising the tweet). :func:`tweet_post` and
:func:`account_record` give the same records one at a time. A large uncompressed JSON Lines
file is parsed by worker processes (:mod:`.parallel`, ``ReadOptions.parallel``), each piece
of it giving one table of posts and one of accounts; the store ends up the same.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache, partial

import pyarrow as pa

from ..model import ACCOUNT_SCHEMA, POST_SCHEMA, Account, Kind, Platform, Post
from ..text import hashtag_pair, normalize_url
from ..times import UNSTATED, read_input_time, zone
from .items import (
    AccountTable,
    Item,
    NaiveTimes,
    PostTable,
    Quarantined,
    ReadOptions,
    Skipped,
)
from .jsonrecords import JsonRecord, RecordNumbers, json_records, quarantined
from .parallel import read_in_parallel, reads_in_parallel
from .stream import InputFile
from .zoned import zoned_rows

__all__ = [
    "FORMATS",
    "V2Format",
    "Lookup",
    "tweet_post",
    "account_record",
    "page_items",
    "flat_items",
    "peek_fields",
    "sniff_pages",
    "sniff_flat",
]

_X = str(Platform.X)
_POST, _REPOST, _QUOTE, _REPLY = Kind.POST, Kind.REPOST, Kind.QUOTE, Kind.REPLY
_NO_ENTITIES: tuple = ((), (), (), ())
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n\ufeff"
# Keys only an X v2 tweet object has (a v1.1 tweet has ``id_str`` and ``user`` instead).
_TWEET_KEYS = ("author_id", "edit_history_tweet_ids", "note_tweet", "referenced_tweets")
_COMPLIANCE_KEYS = frozenset(("id", "action", "created_at", "reason", "redacted_at"))
_PAGE_EXTRA_KEYS = ("includes", "meta", "errors", "__twarc", "matching_rules")


class _Malformed(ValueError):
    """A tweet that cannot be normalised; the message is the quarantine reason."""


# ---------------------------------------------------------------------------------- detection


class _Cut:
    """Stands for a value that does not end inside the head (a page longer than the head)."""

    def __init__(self, first: object = None):
        self.first = first


def peek_fields(head: bytes) -> dict[str, object] | None:
    """The top-level fields of the first JSON object in ``head``, as far as the head goes.

    A twarc2 page is often longer than the head, so the object is read field by field and
    the field cut by the end of the head is given as a ``_Cut`` holding its first element
    (the first tweet of ``data``). Returns None when the head does not start with an object.

    >>> fields = peek_fields(b'{"data": [{"id": "1", "author_id": "2"}, {"id": "3", "au')
    >>> fields["data"].first
    {'id': '1', 'author_id': '2'}
    """
    text = head.decode("utf-8", "ignore")
    start = _skip_space(text, 0)
    if not text.startswith("{", start):
        return None
    return _object_fields(text, start + 1)


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def _object_fields(text: str, at: int) -> dict[str, object]:
    fields: dict[str, object] = {}
    try:
        at = _skip_space(text, at)
        while text[at] != "}":
            key, at = _DECODER.raw_decode(text, at)
            at = _skip_space(text, at)
            if text[at] != ":":
                return fields
            at = _skip_space(text, at + 1)
            try:
                fields[key], at = _DECODER.raw_decode(text, at)
            except ValueError:
                fields[key] = _Cut(_first_element(text, at))
                return fields
            at = _skip_space(text, at)
            at = _skip_space(text, at + 1) if text[at] == "," else at
    except (ValueError, IndexError, RecursionError):
        pass  # the head ends (or stops being JSON, or nests too deep) here: keep what was read
    return fields


def _first_element(text: str, at: int) -> object:
    if text.startswith("[", at):
        try:
            return _DECODER.raw_decode(text, _skip_space(text, at + 1))[0]
        except (ValueError, RecursionError):
            return None
    return _object_fields(text, at + 1) if text.startswith("{", at) else None


def _uncut(value: object) -> object:
    """The first tweet of a ``data`` value, complete or cut by the end of the head."""
    if isinstance(value, _Cut):
        return value.first
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _is_tweet(value: object) -> bool:
    return (
        type(value) is dict
        and type(value.get("id")) is str
        and ("text" in value or any(key in value for key in _TWEET_KEYS))
        and "id_str" not in value  # X v1.1
        and "user" not in value  # X v1.1
        and "account" not in value  # a Mastodon status also has a "text" field
    )


def _is_other_v2_object(value: object) -> bool:
    """Users, tweet counts and lists: the other things twarc2 saves as pages."""
    if type(value) is not dict:
        return False
    return "username" in value or "tweet_count" in value or "owner_id" in value


def _is_compliance_event(fields: dict) -> bool:
    return {"id", "action", "reason"} <= fields.keys() <= _COMPLIANCE_KEYS and isinstance(
        fields["action"], str
    )


def sniff_pages(head: bytes) -> bool:
    """True when the input starts with a twarc2 page (or twarc2 compliance output).

    >>> sniff_pages(b'{"data": [{"id": "1", "text": "hi", "author_id": "2"}], "includes"')
    True
    >>> sniff_pages(b'{"id": "1", "text": "hi", "author_id": "2"}')
    False
    """
    fields = peek_fields(head)
    if fields is None:
        return False
    if "data" in fields:
        first = _uncut(fields["data"])
        return _is_tweet(first) or _is_other_v2_object(first)
    if _is_tweet(fields):  # a flattened tweet also carries "__twarc"
        return False
    return "__twarc" in fields or _is_compliance_event(fields)


def sniff_flat(head: bytes) -> bool:
    """True when the input starts with a (twarc-flattened) v2 tweet object.

    >>> sniff_flat(b'{"id": "1", "text": "hi", "author_id": "2", "author": {"id": "2"}}')
    True
    >>> sniff_flat(b'{"id_str": "1", "text": "hi", "user": {"id_str": "2"}}')
    False
    """
    fields = peek_fields(head)
    return fields is not None and "data" not in fields and _is_tweet(fields)


# ------------------------------------------------------------------------------ normalisation


@dataclass(slots=True)
class Lookup:
    """What resolves a page's references: its users and tweets by id, and when it was fetched."""

    users: dict[str, dict]
    tweets: dict[str, dict]
    observed_at: datetime | None = None


def _time(value: object) -> datetime:
    # Fast path for the API's ISO form; other forms (and errors) go through read_input_time.
    # A time without an offset is marked UNSTATED (UTC), see trendwatch.formats.zoned.
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = read_input_time(value)
        zone = moment.tzinfo
        if zone is UTC or zone is UNSTATED:
            return moment
        return moment.replace(tzinfo=UNSTATED) if zone is None else moment.astimezone(UTC)
    raise ValueError(f"expected a time string, found {type(value).__name__}")


def _optional_time(value: object) -> datetime | None:
    try:
        return _time(value)
    except ValueError:
        return None


@lru_cache(maxsize=1 << 16)
def _cached_time(value: str) -> datetime | None:
    return _optional_time(value)


def _account_created_at(value: object) -> datetime | None:
    # The same accounts come back page after page: their creation times are parsed once.
    return _cached_time(value) if type(value) is str else None


def _text(value: object) -> str | None:
    if type(value) is not str:
        return None
    # X escapes exactly these three characters; '&amp;' last (as in the v1.1 reader).
    if "&" not in value:
        return value
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _opt(value: object) -> str | None:
    return value if type(value) is str else None


def _count(value: object) -> int | None:
    return value if type(value) is int else None


def _content(tweet: dict) -> tuple[str | None, object]:
    """The full text and its entities: the long-post ``note_tweet`` ones when present."""
    note = tweet.get("note_tweet")
    if note and type(note) is dict and type(note.get("text")) is str:
        return _text(note["text"]), note.get("entities") or tweet.get("entities")
    return _text(tweet.get("text")), tweet.get("entities")


def _entities(entities: object) -> tuple[tuple, tuple, tuple, tuple]:
    """(hashtags, hashtags as typed, mentions, urls) of a v2 ``entities`` object."""
    if not entities:
        return _NO_ENTITIES
    get = entities.get
    tags = get("hashtags")
    hashtags, raw = hashtag_pair([tag["tag"] for tag in tags]) if tags else ((), ())
    mentions = get("mentions")
    urls = get("urls")
    return (
        hashtags,
        raw,
        tuple([m["username"].lower() for m in mentions]) if mentions else (),
        tuple([normalize_url(_best_url(u)) for u in urls]) if urls else (),
    )


def _best_url(url: dict, unwound: dict[str, str] | None = None) -> str:
    """The most resolved URL of an ``entities.urls`` item: where X unwound it to (the end of
    any chain of shorteners; ``unwound`` maps t.co links to such URLs found elsewhere), else
    the URL as the author gave it, else the t.co link."""
    found = url.get("unwound_url")
    if not found and unwound:
        found = unwound.get(url.get("url"))
    return found or url.get("expanded_url") or url["url"]


def _retweeted_urls(keys: tuple, retweet_entities: object, retweeted: dict | None) -> tuple:
    """The URL keys of a retweeted tweet, its links resolved by the retweet's own.

    X unwinds the links of recent tweets only: a retweet's own (truncated) entities may give
    the ``unwound_url`` of a t.co link that the older retweeted tweet gives as a shortener.
    """
    own = retweet_entities.get("urls") if retweet_entities else None
    unwound = {u["url"]: u["unwound_url"] for u in own or () if u.get("unwound_url") and "url" in u}
    if not unwound or retweeted is None:
        return keys
    urls = (_content(retweeted)[1] or {}).get("urls") or ()
    return tuple([normalize_url(_best_url(u, unwound)) for u in urls])


def _references(refs: object) -> tuple[str | None, str | None, str | None]:
    """(retweeted id, quoted id, replied-to id) of ``referenced_tweets``."""
    retweeted = quoted = replied = None
    for ref in refs:
        kind = ref["type"]
        if kind == "retweeted":
            retweeted = _opt(ref["id"])
        elif kind == "quoted":
            quoted = _opt(ref["id"])
        elif kind == "replied_to":
            replied = _opt(ref["id"])
    return retweeted, quoted, replied


def _required(tweet: dict) -> tuple[str, str, datetime]:
    if type(tweet) is not dict:
        raise _Malformed(f"expected a tweet (a JSON object), found {_kind_of(tweet)}")
    post_id, author_id = tweet.get("id"), tweet.get("author_id")
    if type(post_id) is not str:
        raise _Malformed("missing id" if post_id is None else "id is not a string")
    if type(author_id) is not str:
        raise _Malformed("missing author_id" if author_id is None else "author_id is not a string")
    created = tweet.get("created_at")
    if created is None:
        raise _Malformed("missing created_at")
    try:
        return post_id, author_id, _time(created)
    except ValueError as exc:
        raise _Malformed(f"bad created_at: {exc}") from None


def tweet_post(
    tweet: dict, lookup: Lookup, context: dict[str, tuple] | None = None, collected: bool = True
) -> Post:
    """Normalise one v2 tweet into a :class:`Post`, resolving references through ``lookup``.

    ``context`` maps tweet ids to already normalised referenced tweets (rows, see
    :func:`_post_row`); a retweet whose target
    is there takes its full text, hashtags, mentions and URLs. Raises ``ValueError`` (a
    message naming the field), ``KeyError``, ``TypeError`` or ``AttributeError`` when the
    tweet is malformed.

    Examples
    --------
    >>> tweet = {"id": "9", "author_id": "1", "created_at": "2021-09-22T10:00:00.000Z",
    ...          "text": "@bob yes &amp; #No", "in_reply_to_user_id": "2",
    ...          "referenced_tweets": [{"type": "replied_to", "id": "8"}],
    ...          "entities": {"hashtags": [{"tag": "No"}], "mentions": [{"username": "Bob"}]}}
    >>> post = tweet_post(tweet, Lookup(users={}, tweets={}))
    >>> str(post.kind), post.text, post.reply_to_post_id, post.hashtags, post.mentions
    ('reply', '@bob yes & #No', '8', ('no',), ('bob',))
    """
    return Post(*_post_row(tweet, lookup, context, collected))


# The reader builds rows (tuples in POST_SCHEMA / ACCOUNT_SCHEMA order) rather than Post and
# Account objects: a frozen dataclass costs 20 attribute sets per record, and the rows go
# straight into Arrow columns. Indexes into a post row:
_POST_ID, _AUTHOR_ID, _TEXT, _KIND, _REF_POST_ID = 1, 2, 5, 4, 7
_HASHTAGS, _HASHTAGS_RAW, _MENTIONS, _URLS, _AUTHOR_HANDLE = 13, 14, 15, 16, 17
assert [POST_SCHEMA.names[i] for i in (_POST_ID, _AUTHOR_ID, _KIND, _TEXT, _REF_POST_ID)] == [
    "post_id",
    "author_id",
    "kind",
    "text",
    "ref_post_id",
]
assert POST_SCHEMA.names[_HASHTAGS : _AUTHOR_HANDLE + 1] == [
    "hashtags",
    "hashtags_raw",
    "mentions",
    "urls",
    "author_handle",
]
assert POST_SCHEMA.names[-3:] == ["collected", "source", "post_url"] and len(POST_SCHEMA) == 21
# A row stops at ``source``: X's addresses are built from the id, so ``post_url`` (and any
# field after it) is null in the table (:func:`_arrow`) and None in the Post.


def _post_row(
    tweet: dict, lookup: Lookup, context: dict[str, tuple] | None, collected: bool
) -> tuple:
    """The fields of :func:`tweet_post`'s Post, in :data:`POST_SCHEMA` order."""
    post_id, author_id, created_at = _required(tweet)
    get = tweet.get
    refs = get("referenced_tweets")
    retweeted, quoted, replied = _references(refs) if refs else (None, None, None)
    text, entities = _content(tweet)
    hashtags, raw, mentions, urls = _entities(entities)
    ref_id = retweeted or quoted
    ref_author = ref_handle = None
    if ref_id is not None:
        ref_author, ref_handle = _ref_author(ref_id, lookup, tweet if retweeted else None)
    target = context.get(retweeted) if retweeted is not None and context else None
    if target is not None and target[_AUTHOR_HANDLE]:
        handle = target[_AUTHOR_HANDLE]
        text = f"RT @{handle}: {target[_TEXT] or ''}"
        hashtags, raw, urls = target[_HASHTAGS], target[_HASHTAGS_RAW], target[_URLS]
        if urls:
            urls = _retweeted_urls(urls, entities, lookup.tweets.get(retweeted))
        mentions = (handle.lower(), *target[_MENTIONS])
    user = lookup.users.get(author_id)
    return (
        _X,
        post_id,
        author_id,
        created_at,
        _REPOST if retweeted else _QUOTE if quoted else _REPLY if replied else _POST,
        text,
        _opt(get("lang")),
        ref_id,
        ref_author,
        ref_handle,
        replied,
        _opt(get("in_reply_to_user_id")),
        _opt(get("conversation_id")),
        hashtags,
        raw,
        mentions,
        urls,
        _opt(user.get("username")) if user else None,
        collected,
        _opt(get("source")),
    )


def _username(lookup: Lookup, user_id: str | None) -> str | None:
    user = lookup.users.get(user_id) if user_id else None
    return _opt(user.get("username")) if user else None


def _ref_author(ref_id: str, lookup: Lookup, retweet: dict | None) -> tuple[str | None, ...]:
    """(author id, handle) of a referenced tweet; for a retweet, the RT mention as fallback."""
    target = lookup.tweets.get(ref_id)
    if target is not None:
        author_id = _opt(target.get("author_id"))
        return author_id, _username(lookup, author_id)
    if retweet is None:
        return None, None
    return _rt_mention(retweet)


def _rt_mention(retweet: dict) -> tuple[str | None, str | None]:
    """(id, handle) of the ``@handle`` in ``RT @handle:`` when the entities name it."""
    text, mentions = retweet.get("text"), (retweet.get("entities") or {}).get("mentions")
    if type(text) is not str or not mentions or not text.startswith("RT @"):
        return None, None
    first = mentions[0]
    handle = _opt(first.get("username"))
    if not handle or not text.startswith(f"RT @{handle}:"):
        return None, None
    return _opt(first.get("id")), handle


def account_record(user: dict, observed_at: datetime | None = None) -> Account:
    """Normalise a v2 user object into an :class:`Account` observation.

    Raises ``ValueError`` when the user has no string ``id``.

    >>> user = {"id": "1", "username": "Ann", "public_metrics": {"followers_count": 5}}
    >>> account = account_record(user)
    >>> account.handle, account.followers, account.following
    ('Ann', 5, None)
    """
    return Account(*_account_row(user, observed_at))


def _account_row(user: dict, observed_at: datetime | None) -> tuple:
    """The fields of :func:`account_record`'s Account, in :data:`ACCOUNT_SCHEMA` order."""
    account_id = user.get("id")
    if type(account_id) is not str:
        raise ValueError("user without an id")
    metrics = user.get("public_metrics")
    metrics = metrics if type(metrics) is dict else {}
    verified = user.get("verified")
    return (
        _X,
        account_id,
        _opt(user.get("username")),
        _opt(user.get("name")),
        _account_created_at(user.get("created_at")),
        _count(metrics.get("followers_count")),
        _count(metrics.get("following_count")),
        _count(metrics.get("tweet_count")),
        _count(metrics.get("listed_count")),
        verified if type(verified) is bool else None,
        None,  # declared_bot: X v2 says nothing about automation in the user object
        _text(user.get("description")) or None,
        observed_at,
    )


# ------------------------------------------------------------------------- pages to records


def _by_id(values: object) -> dict[str, dict]:
    """Index a list of objects by their string ``id``, leaving out anything else."""
    if type(values) is not list:
        return {}
    return {v["id"]: v for v in values if type(v) is dict and type(v.get("id")) is str}


def _retrieved_at(value: dict) -> datetime | None:
    twarc = value.get("__twarc")
    return _optional_time(twarc.get("retrieved_at")) if type(twarc) is dict else None


def _page_lookup(page: dict) -> Lookup:
    includes = page.get("includes")
    includes = includes if type(includes) is dict else {}
    return Lookup(
        users=_by_id(includes.get("users")),
        tweets=_by_id(includes.get("tweets")),
        observed_at=_retrieved_at(page),
    )


def _accounts(users: Iterable[dict], observed_at: datetime | None) -> list[tuple]:
    rows = []
    for user in users:
        try:
            rows.append(_account_row(user, observed_at))
        except _MALFORMED:
            continue  # an observation, not a record: nothing to account for
    return rows


def _context_posts(lookup: Lookup) -> dict[str, tuple]:
    """The referenced tweets of a page as context post rows, by id; malformed ones left out."""
    posts = {}
    for tweet_id, tweet in lookup.tweets.items():
        try:
            posts[tweet_id] = _post_row(tweet, lookup, None, False)
        except _MALFORMED:
            continue
    return posts


@dataclass(frozen=True, slots=True)
class _Rows:
    """Post and account rows of one input line; the reader gathers them into Arrow tables."""

    posts: list[tuple]
    accounts: list[tuple]


@dataclass(frozen=True, slots=True)
class _Where:
    """The input record being read: its line (or array position) and the record numbers."""

    record: JsonRecord
    numbers: RecordNumbers

    def number(self) -> int:
        return self.numbers.take(self.record.record_no)

    @property
    def label(self) -> str:
        noun = "line" if self.record.raw is not None else "record"
        return f"{noun} {self.record.record_no}"


def _tweets_items(tweets: list, lookup: Lookup, where: _Where) -> Iterator[Item | _Rows]:
    """Rows of the accounts, context posts and collected posts; the quarantined tweets."""
    accounts = _accounts(lookup.users.values(), lookup.observed_at)
    context = _context_posts(lookup)
    own = {t["id"]: t for t in tweets if type(t) is dict and type(t.get("id")) is str}
    posts = [row for post_id, row in context.items() if post_id not in own]
    # A retweeted tweet may be in the page's data and not in its includes (the API leaves
    # out of includes what data already holds): resolve references through data too.
    lookup.tweets = {**own, **lookup.tweets}
    rows = {}  # position -> row of the collected tweets
    for position, tweet in enumerate(tweets):
        number = where.number()
        try:
            rows[position] = _post_row(tweet, lookup, context, True)
        except _MALFORMED as exc:
            reason = f"{where.label}, tweet {position + 1}: {_explain(exc)}"
            yield _quarantined(number, tweet, reason)
    _resolve_within(rows, context, tweets, lookup)
    posts += rows.values()
    yield _Rows(posts, accounts)


def _resolve_within(rows: dict, context: dict, tweets: list, lookup: Lookup) -> None:
    """Give reposts of a tweet collected in the same page that tweet's full content."""
    pending = [
        position
        for position, row in rows.items()
        if row[_KIND] is _REPOST and row[_REF_POST_ID] not in context
    ]
    if not pending:
        return
    collected = {row[_POST_ID]: row for row in rows.values()}
    for position in pending:
        if rows[position][_REF_POST_ID] in collected:
            rows[position] = _post_row(tweets[position], lookup, collected, True)


def _explain(exc: Exception) -> str:
    if isinstance(exc, _Malformed):
        return str(exc)
    if isinstance(exc, KeyError):
        return f"malformed tweet: missing field {exc.args[0]!r}"
    return f"malformed tweet: {type(exc).__name__}: {exc}"


def _quarantined(number: int, value: object, reason: str) -> Quarantined:
    return quarantined(number, value, reason)


def _page_items(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item | _Rows]:
    where = _Where(record, numbers)
    page = record.value
    if record.error:
        yield Quarantined(where.number(), record.raw_text(), f"{where.label}: {record.error}")
    elif type(page) is not dict:
        reason = f"{where.label}: expected a twarc2 page (a JSON object), found {_kind_of(page)}"
        yield _quarantined(where.number(), page, reason)
    elif "data" not in page:
        yield _dataless(page, record, where)
    else:
        yield from _data_items(page, record, where)


def _kind_of(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _data_items(page: dict, record: JsonRecord, where: _Where) -> Iterator[Item]:
    data = page["data"]
    items = [data] if type(data) is dict else data
    if type(items) is not list:
        reason = f"{where.label}: 'data' is {_kind_of(data)}, expected a list or an object"
        yield Quarantined(where.number(), record.raw_text(), reason)
    elif not items:
        yield Skipped(where.number(), f"{where.label}: page with an empty 'data'")
    elif _is_tweet(items[0]) or not _is_other_v2_object(items[0]):
        yield from _tweets_items(items, _page_lookup(page), where)
    else:
        yield from _other_page(items, page, record, where)


def _other_page(items: list, page: dict, record: JsonRecord, where: _Where) -> Iterator[Item]:
    """A page of users (stored as accounts), tweet counts or lists: one skipped record."""
    first = items[0]
    if "username" in first:
        accounts = _accounts(items, _retrieved_at(page))
        yield _Rows([], accounts)
        pinned = len(_page_lookup(page).tweets)
        reason = (
            f"{where.label}: user lookup page, {len(accounts)} accounts stored as account "
            f"observations ({len(items) - len(accounts)} malformed, {pinned} pinned posts "
            "not stored)"
        )
    elif "tweet_count" in first:
        reason = f"{where.label}: tweet counts page ({len(items)} buckets), no posts"
    else:
        reason = f"{where.label}: list page ({len(items)} lists), no posts"
    yield Skipped(where.number(), reason)


def _dataless(page: dict, record: JsonRecord, where: _Where) -> Item:
    if _is_compliance_event(page):
        reason = f"{where.label}: compliance event ({page['action']}, {page.get('reason')})"
        return Skipped(where.number(), reason)
    if "errors" in page or "meta" in page or "__twarc" in page:
        errors = page.get("errors")
        count = len(errors) if type(errors) is list else 0
        return Skipped(where.number(), f"{where.label}: page without 'data' ({count} errors)")
    hint = " (a flattened tweet? use --format twarc2-flat)" if _is_tweet(page) else ""
    reason = f"{where.label}: not a twarc2 page, no 'data'{hint}"
    return Quarantined(where.number(), record.raw_text(), reason)


# ------------------------------------------------------------------------ flattened tweets


def _flat_lookup(tweet: dict) -> Lookup:
    """Users and referenced tweets embedded in a flattened tweet, at any depth."""
    lookup = Lookup(users={}, tweets={}, observed_at=_retrieved_at(tweet))
    _collect_embedded(tweet, lookup, depth=0)
    return lookup


def _collect_embedded(tweet: dict, lookup: Lookup, depth: int) -> None:
    for key in ("author", "in_reply_to_user"):
        user = tweet.get(key)
        if type(user) is dict and type(user.get("id")) is str:
            lookup.users[user["id"]] = user
    refs = tweet.get("referenced_tweets")
    if depth > 8 or type(refs) is not list:
        return
    for ref in refs:
        # An expanded reference is a whole tweet; an unexpanded one only has type and id.
        if type(ref) is dict and type(ref.get("id")) is str and "author_id" in ref:
            lookup.tweets.setdefault(ref["id"], ref)
            _collect_embedded(ref, lookup, depth + 1)


def _flat_items(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item | _Rows]:
    where = _Where(record, numbers)
    value = record.value
    if record.error:
        yield Quarantined(where.number(), record.raw_text(), f"{where.label}: {record.error}")
    elif type(value) is dict and "data" in value:
        yield from _page_items(record, numbers)  # a page in a flat file: read it as a page
    elif type(value) is dict:
        yield from _tweets_items([value], _flat_lookup(value), where)
    else:
        reason = f"{where.label}: expected a tweet (a JSON object), found {_kind_of(value)}"
        yield _quarantined(where.number(), value, reason)


# ---------------------------------------------------------------------------------- formats


def page_items(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item]:
    """The items of one twarc2 line: see the module docstring for how lines are counted.

    Posts and accounts come as one :class:`~.items.PostTable` and one
    :class:`~.items.AccountTable` per line.
    """
    return _as_tables(_page_items(record, numbers), 1)


def flat_items(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item]:
    """The items of one line of flattened tweets (one tweet; a JSON array of them also works)."""
    return _as_tables(_flat_items(record, numbers), 1)


_TABLE_ROWS = 10_000  # rows gathered into one Arrow table by the reader


def _as_tables(items: Iterable[Item | _Rows], table_rows: int, tz: tzinfo = UTC) -> Iterator[Item]:
    """Pass records through; gather post and account rows into tables of ``table_rows``,
    their times without an offset read in ``tz`` (:func:`~.zoned.zoned_rows`).

    When reading the input fails (a truncated gzip...), the rows gathered so far are given
    before the error is raised: the records read before it are not lost.
    """
    posts: list[tuple] = []
    accounts: list[tuple] = []
    try:
        for item in items:
            if type(item) is not _Rows:
                yield item
                continue
            posts += item.posts
            accounts += item.accounts
            if len(posts) + len(accounts) >= table_rows:
                yield from _tables(posts, accounts, tz)
                posts, accounts = [], []
    except Exception:
        yield from _tables(posts, accounts, tz)
        raise
    yield from _tables(posts, accounts, tz)


def _tables(posts: list[tuple], accounts: list[tuple], tz: tzinfo) -> Iterator[Item]:
    if naive := zoned_rows(posts, accounts, tz):
        yield NaiveTimes(naive)
    if posts:
        yield PostTable(_arrow(posts, POST_SCHEMA))
    if accounts:
        yield AccountTable(_arrow(accounts, ACCOUNT_SCHEMA))


def _arrow(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """The rows as a table; the schema's fields after the rows' last one are null."""
    columns = list(zip(*rows, strict=True))
    fields = list(schema)
    arrays = [
        pa.array(column, type=field.type)
        for column, field in zip(columns, fields[: len(columns)], strict=True)
    ]
    arrays += [pa.nulls(len(rows), field.type) for field in fields[len(columns) :]]
    return pa.Table.from_arrays(arrays, schema=schema)


LineItems = Callable[[JsonRecord, RecordNumbers], Iterator[Item | _Rows]]


def _read_with(items: LineItems, source: InputFile, options: ReadOptions) -> Iterator[Item]:
    # Large files are parsed by worker processes: the reader, not the store, is the slow side.
    if reads_in_parallel(source, options.parallel):
        pieces = read_in_parallel(
            source,
            partial(_piece_items, items, options.assume_tz),
            options.parallel,
            options.max_record_bytes,
        )
        return (item for piece in pieces for item in piece)
    numbers = RecordNumbers()
    records = json_records(source, options)
    lines = (item for record in records for item in items(record, numbers))
    return _as_tables(lines, _TABLE_ROWS, options.assumed_zone)


# -- reading in worker processes (see :mod:`.parallel`) ---------------------------------------
#
# A worker sends each piece's posts and accounts as one table each, after the piece's record
# items, so the store gets the serial reader's rows in the same order but cut into other
# tables and batches; its result does not depend on the cuts (Store.write_batch), and tests
# compare both paths on every shared file.


def _piece_items(
    items: LineItems, assume_tz: str, records: Iterator[JsonRecord], numbers: RecordNumbers
) -> Iterator[Item]:
    """A piece's items (in a worker): its record items, then its post and account tables
    (times without an offset read in the zone named ``assume_tz``)."""
    lines = (item for record in records for item in items(record, numbers))
    yield from _as_tables(lines, sys.maxsize, zone(assume_tz))


@dataclass(frozen=True)
class V2Format:
    """One of this module's formats, as the format registry expects it."""

    NAME: str
    DESCRIPTION: str
    _sniff: Callable[[bytes], bool]
    _items: LineItems

    def sniff(self, head: bytes) -> bool:
        """True when the head looks like this format (it peeks, never consumes)."""
        return self._sniff(head)

    def read(self, source: InputFile, options: ReadOptions) -> Iterator[Item]:
        """Yield the posts, accounts, skipped and quarantined records of ``source``."""
        return _read_with(self._items, source, options)


FORMATS = {
    "twarc2": V2Format(
        "twarc2",
        "X API v2 response pages as twarc2 saves them (data, includes, meta, __twarc per line)",
        sniff_pages,
        _page_items,
    ),
    "twarc2-flat": V2Format(
        "twarc2-flat",
        "X API v2 tweets one per line, e.g. twarc2 flatten output (author, referenced_tweets)",
        sniff_flat,
        _flat_items,
    ),
}
