"""Bluesky (AT Protocol): API post views (format ``bluesky``) and Jetstream events (``jetstream``).

``bluesky`` reads ``app.bsky.feed.defs#postView`` objects: getPosts / searchPosts responses
(``{"posts": [...], "cursor": ...}``, one per line or a single one), a JSON array of post views,
or one post view per line. Every post view is one record.

``jetstream`` reads Jetstream events, one per line. Creates of ``app.bsky.feed.post`` become
posts, creates of ``app.bsky.feed.repost`` become reposts; every other event (deletes, likes,
follows, identity and account events, other collections) is one skipped record. Identity
events still give an :class:`~trendwatch.model.Account` observation (did -> handle), since
Jetstream posts carry no handle.

Identifiers and choices
-----------------------
* ``post_id`` is the record's AT URI (``at://did/app.bsky.feed.post/rkey``): it is what replies,
  quotes and reposts refer to. A repost's own id is its repost record's URI.
* ``author_id`` is the DID (stable); handles change and are kept as ``author_handle``.
* ``mentions``: a mention facet holds only the mentioned DID. We store the handle as the text
  shows it (the facet's byte range, ``@alice.bsky.social`` -> ``alice.bsky.social``), so mentions
  are handles on every platform, as the model asks; when that text is not a handle, the DID.
* ``created_at`` is the record's ``createdAt`` (set by the client), falling back to the time
  the network saw it (``indexedAt``, or Jetstream's ``time_us``) when absent or unreadable.
* ``conversation_id`` is the thread root's URI for replies, the post's own URI otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from ..model import Account, Kind, Platform, Post
from ..text import hashtag_pair, normalize_url
from ..times import from_epoch, read_input_time
from .items import Item, Quarantined, ReadOptions, Skipped
from .jsonrecords import JsonRecord, RecordNumbers, first_record, json_records, quarantined
from .stream import InputFile

__all__ = [
    "FORMATS",
    "BlueskyFormat",
    "sniff_post_views",
    "read_post_views",
    "sniff_jetstream",
    "read_jetstream",
    "post_view_items",
    "record_post",
    "jetstream_items",
    "at_uri",
    "uri_did",
]

_PLATFORM = str(Platform.BLUESKY)
POST_NSID = "app.bsky.feed.post"
REPOST_NSID = "app.bsky.feed.repost"
_EMBED_RECORD = "app.bsky.embed.record"
_EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_EMBED_EXTERNAL = "app.bsky.embed.external"
_FACET = "app.bsky.richtext.facet"
_VIEW_RECORD = "app.bsky.embed.record#viewRecord"
_HANDLE_RE = re.compile(r"@?([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+)")
# Peek for heads whose first record is longer than the head (a big searchPosts page).
_POST_VIEW_RE = re.compile(rb'"uri"\s*:\s*"at://[^"]+/app\.bsky\.feed\.post/')
_AUTHOR_RE = re.compile(rb'"author"\s*:\s*\{')
# Jetstream before v0.1 named event kinds and operations with short codes.
_LEGACY_KINDS = {"com": "commit", "id": "identity", "acc": "account"}
_LEGACY_OPERATIONS = {"c": "create", "u": "update", "d": "delete"}
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass(frozen=True)
class BlueskyFormat:
    """One input format of this module, as the format registry expects it."""

    NAME: str
    DESCRIPTION: str
    sniff: Callable[[bytes], bool]
    read: Callable[[InputFile, ReadOptions], Iterator[Item]]


# ----------------------------------------------------------------------------------- AT URIs


def at_uri(did: str, collection: str, rkey: str) -> str:
    """The AT URI of a record.

    >>> at_uri("did:plc:abc", "app.bsky.feed.post", "3k2")
    'at://did:plc:abc/app.bsky.feed.post/3k2'
    """
    return f"at://{did}/{collection}/{rkey}"


def uri_did(uri: object) -> str | None:
    """The repository (DID) part of an AT URI, or None when it is not one.

    >>> uri_did("at://did:plc:abc/app.bsky.feed.post/3k2")
    'did:plc:abc'
    """
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    return uri[5:].split("/", 1)[0] or None


def _uri_collection(uri: str) -> str | None:
    parts = uri[5:].split("/")
    return parts[1] if len(parts) > 2 else None


# -------------------------------------------------------------------------------- post views


def sniff_post_views(head: bytes) -> bool:
    """True when the head starts with post views (bare, in an array, or in a ``posts`` page)."""
    value = first_record(head)
    if value is None:
        return bool(_POST_VIEW_RE.search(head)) and bool(_AUTHOR_RE.search(head))
    if isinstance(value, list) and value:
        value = value[0]
    if _is_page(value) and value["posts"]:
        value = value["posts"][0]
    return _is_post_view(value)


def _is_post_view(value: object) -> bool:
    return (
        isinstance(value, dict)
        and uri_did(value.get("uri")) is not None
        and isinstance(value.get("author"), dict)
        and isinstance(value.get("record"), dict)
    )


def read_post_views(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    """Yield posts and accounts of post views; one record per post view."""
    numbers = RecordNumbers()
    for record in json_records(source, options):
        if record.error:
            yield Quarantined(numbers.take(record.record_no), record.raw_text(), record.error)
        else:
            yield from _read_views_value(record, numbers)


def _read_views_value(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item]:
    value, where = record.value, f"record {record.record_no}"
    if not isinstance(value, dict | list):
        yield from _read_view(value, numbers.take(record.record_no), where)
        return
    views = value["posts"] if _is_page(value) else value
    if isinstance(views, dict):  # one post view
        yield from _read_view(views, numbers.take(record.record_no), where)
    elif not views:
        yield Skipped(numbers.take(record.record_no), f"{where}: an empty page or list")
    for position, view in enumerate(views if isinstance(views, list) else (), start=1):
        yield from _read_view(view, numbers.take(record.record_no), f"{where}, post {position}")


def _is_page(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("posts"), list)


def _read_view(view: object, number: int, where: str) -> Iterator[Item]:
    if not _is_post_view(view):
        yield _quarantine(number, view, f"{where}: not a Bluesky post view (uri, author, record)")
        return
    try:
        items = post_view_items(view)
    except _MALFORMED as exc:
        yield _quarantine(number, view, f"{where}: malformed Bluesky post view ({_explain(exc)})")
        return
    yield from items


def post_view_items(view: dict) -> list[Post | Account]:
    """Normalise one ``app.bsky.feed.defs#postView``: accounts and context posts, then the post.

    The quoted post, when the view embeds it (``app.bsky.embed.record#viewRecord``), comes as a
    context post (``collected=False``) with its author's account.

    Examples
    --------
    >>> view = {"uri": "at://did:plc:a/app.bsky.feed.post/1", "indexedAt": "2024-11-20T10:00:01Z",
    ...         "author": {"did": "did:plc:a", "handle": "Ann.bsky.social"},
    ...         "record": {"text": "hi", "createdAt": "2024-11-20T10:00:00Z", "langs": ["en"]}}
    >>> post = post_view_items(view)[-1]
    >>> post.post_id, post.author_handle, post.lang
    ('at://did:plc:a/app.bsky.feed.post/1', 'ann.bsky.social', 'en')
    """
    indexed_at = _optional_time(view.get("indexedAt"))
    items: list[Post | Account] = [_author_account(view["author"], indexed_at)]
    quoted = _quoted_view(view.get("embed"))
    if quoted is not None:
        items += _quoted_items(quoted)
    post = record_post(
        view["uri"],
        _required(view["author"].get("did"), "author.did"),
        view["record"],
        author_handle=_lower(view["author"].get("handle")),
        seen_at=indexed_at,
    )
    items.append(post)
    return items


def _quoted_items(view_record: dict) -> list[Post | Account]:
    author = view_record["author"]
    seen_at = _optional_time(view_record.get("indexedAt"))
    post = record_post(
        view_record["uri"],
        _required(author.get("did"), "embed author.did"),
        view_record["value"],
        author_handle=_lower(author.get("handle")),
        seen_at=seen_at,
        collected=False,
    )
    return [_author_account(author, seen_at), post]


def _quoted_view(embed: object) -> dict | None:
    """The quoted post's ``viewRecord`` in a post view's ``embed``, when it is a post."""
    if not isinstance(embed, dict):
        return None
    inner = embed.get("record")
    if isinstance(inner, dict) and isinstance(inner.get("record"), dict):
        inner = inner["record"]  # recordWithMedia#view wraps a record#view
    if not isinstance(inner, dict) or inner.get("$type") != _VIEW_RECORD:
        return None
    uri = inner.get("uri")
    is_post = uri_did(uri) is not None and _uri_collection(uri) == POST_NSID
    return inner if is_post and isinstance(inner.get("value"), dict) else None


def _author_account(author: dict, observed_at: datetime | None) -> Account:
    return Account(
        platform=_PLATFORM,
        account_id=_required(author.get("did"), "author.did"),
        handle=_lower(author.get("handle")),
        name=author.get("displayName") or None,
        created_at=_optional_time(author.get("createdAt")),
        observed_at=observed_at,
    )


# ------------------------------------------------------------------------ post records (both)


def record_post(
    uri: str,
    did: str,
    record: dict,
    *,
    author_handle: str | None = None,
    seen_at: datetime | None = None,
    collected: bool = True,
) -> Post:
    """Normalise an ``app.bsky.feed.post`` record into a :class:`Post`.

    ``seen_at`` (the network's time) stands in for ``createdAt`` when that is missing or
    unreadable; with neither, the record is malformed (``ValueError``).

    >>> post = record_post("at://did:plc:b/app.bsky.feed.post/2", "did:plc:b",
    ...     {"text": "so true #Tag", "createdAt": "2024-11-20T10:00:00Z",
    ...      "reply": {"root": {"uri": "at://did:plc:a/app.bsky.feed.post/1"},
    ...                "parent": {"uri": "at://did:plc:a/app.bsky.feed.post/1"}},
    ...      "facets": [{"index": {"byteStart": 8, "byteEnd": 12},
    ...                  "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Tag"}]}]})
    >>> str(post.kind), post.reply_to_author_id, post.hashtags, post.hashtags_raw
    ('reply', 'did:plc:a', ('tag',), ('Tag',))
    """
    text = record.get("text") if isinstance(record.get("text"), str) else None
    facets = _Facets.of(record, text)
    parent, root = _reply_uris(record.get("reply"))
    quoted = _quoted_uri(record.get("embed"))
    hashtags, hashtags_raw = hashtag_pair(facets.tags + _strings(record.get("tags")))
    return Post(
        platform=_PLATFORM,
        post_id=uri,
        author_id=did,
        created_at=_created_at(record.get("createdAt"), seen_at),
        kind=Kind.QUOTE if quoted else Kind.REPLY if parent else Kind.POST,
        text=text,
        lang=(_strings(record.get("langs")) or [None])[0],
        ref_post_id=quoted,
        ref_author_id=uri_did(quoted),
        reply_to_post_id=parent,
        reply_to_author_id=uri_did(parent),
        conversation_id=root or parent or uri,
        hashtags=hashtags,
        hashtags_raw=hashtags_raw,
        mentions=tuple(facets.mentions),
        urls=_normalized_urls(facets.links + _external_uris(record.get("embed"))),
        author_handle=author_handle,
        collected=collected,
    )


@dataclass(frozen=True)
class _Facets:
    """What a post's rich-text facets say: tags, mentioned handles, link targets."""

    tags: list[str]
    mentions: list[str]
    links: list[str]

    @classmethod
    def of(cls, record: dict, text: str | None) -> _Facets:
        found = cls([], [], [])
        encoded = (text or "").encode("utf-8")
        for facet in record.get("facets") or ():
            if isinstance(facet, dict):
                found._add(facet, encoded)
        return found

    def _add(self, facet: dict, encoded: bytes) -> None:
        for feature in facet.get("features") or ():
            kind = feature.get("$type") if isinstance(feature, dict) else None
            if kind == f"{_FACET}#tag" and isinstance(feature.get("tag"), str):
                self.tags.append(feature["tag"])
            elif kind == f"{_FACET}#link" and isinstance(feature.get("uri"), str):
                self.links.append(feature["uri"])
            elif kind == f"{_FACET}#mention" and isinstance(feature.get("did"), str):
                self.mentions.append(_mentioned(facet.get("index"), encoded, feature["did"]))


def _mentioned(index: object, encoded: bytes, did: str) -> str:
    """The handle the text shows at a mention facet's byte range, else the mentioned DID."""
    if isinstance(index, dict):
        start, end = index.get("byteStart"), index.get("byteEnd")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
            shown = encoded[start:end].decode("utf-8", "replace").strip()
            match = _HANDLE_RE.fullmatch(shown)
            if match:
                return match.group(1).lower()
    return did


def _reply_uris(reply: object) -> tuple[str | None, str | None]:
    """(parent URI, root URI) of a post record's ``reply``."""
    if not isinstance(reply, dict):
        return None, None
    parent, root = reply.get("parent"), reply.get("root")
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    root_uri = root.get("uri") if isinstance(root, dict) else None
    return _str_or_none(parent_uri), _str_or_none(root_uri)


def _quoted_uri(embed: object) -> str | None:
    """URI of the post a record embed quotes (``embed.record`` / ``recordWithMedia``), if any."""
    if not isinstance(embed, dict):
        return None
    ref = embed.get("record")
    if embed.get("$type") == _EMBED_RECORD_WITH_MEDIA and isinstance(ref, dict):
        ref = ref.get("record")
    uri = ref.get("uri") if isinstance(ref, dict) else None
    # Record embeds also embed feeds, lists and starter packs: only posts are quotes.
    if uri_did(uri) is None or _uri_collection(uri) != POST_NSID:
        return None
    return uri


def _external_uris(embed: object) -> list[str]:
    """The link card's URL of an external embed (alone or as the media of recordWithMedia)."""
    if not isinstance(embed, dict):
        return []
    if embed.get("$type") == _EMBED_RECORD_WITH_MEDIA:
        embed = embed.get("media")
    if not isinstance(embed, dict) or embed.get("$type") != _EMBED_EXTERNAL:
        return []
    external = embed.get("external")
    uri = external.get("uri") if isinstance(external, dict) else None
    return [uri] if isinstance(uri, str) else []


def _normalized_urls(urls: list[str]) -> tuple[str, ...]:
    web = [u for u in urls if u.lower().startswith(("http://", "https://"))]
    return tuple(dict.fromkeys(normalize_url(u) for u in web))


# --------------------------------------------------------------------------------- Jetstream


def sniff_jetstream(head: bytes) -> bool:
    """True when the first line is a Jetstream event (``did``, ``time_us``, ``kind``).

    >>> sniff_jetstream(b'{"did": "did:plc:a", "time_us": 1725911162329308, "kind": "commit"}')
    True
    """
    value = first_record(head)
    return (
        isinstance(value, dict)
        and isinstance(value.get("did"), str)
        and value["did"].startswith("did:")
        and isinstance(value.get("time_us"), int)
        and (value.get("kind") or _LEGACY_KINDS.get(value.get("type"))) in _LEGACY_KINDS.values()
    )


def read_jetstream(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    """Yield the posts and reposts of a Jetstream capture; every other event is skipped."""
    for record in json_records(source, options):
        if record.error:
            yield Quarantined(record.record_no, record.raw_text(), record.error)
            continue
        try:
            yield from jetstream_items(record.value, record.record_no)
        except _MALFORMED as exc:
            reason = f"line {record.record_no}: malformed Jetstream event ({_explain(exc)})"
            yield Quarantined(record.record_no, record.raw_text(), reason)


def jetstream_items(event: object, record_no: int = 1) -> list[Item]:
    """Normalise one Jetstream event: ``[Post]`` for post and repost creates, else a Skipped.

    Raises ``KeyError``/``ValueError``/``TypeError`` on a malformed event.

    >>> event = {"did": "did:plc:b", "time_us": 1732096800000000, "kind": "commit",
    ...   "commit": {"operation": "create", "collection": "app.bsky.feed.repost", "rkey": "r1",
    ...     "record": {"subject": {"uri": "at://did:plc:a/app.bsky.feed.post/1"},
    ...                "createdAt": "2024-11-20T10:00:00Z"}}}
    >>> post = jetstream_items(event)[0]
    >>> post.post_id, str(post.kind), post.ref_author_id
    ('at://did:plc:b/app.bsky.feed.repost/r1', 'repost', 'did:plc:a')
    """
    if not isinstance(event, dict):
        raise TypeError(f"expected a JSON object, got {type(event).__name__}")
    did = _required(event.get("did"), "did")
    kind = event.get("kind") or _LEGACY_KINDS.get(event.get("type"))
    if kind == "commit":
        return _commit_items(did, event["commit"], _event_time(event), record_no)
    if kind == "identity":
        return [*_identity_account(did, event), Skipped(record_no, "Jetstream identity event")]
    return [Skipped(record_no, f"Jetstream {kind or 'unknown'} event")]


def _commit_items(did: str, commit: dict, seen_at: datetime, record_no: int) -> list[Item]:
    collection = commit.get("collection")
    operation = commit.get("operation") or _LEGACY_OPERATIONS.get(commit.get("type"))
    if operation != "create" or collection not in (POST_NSID, REPOST_NSID):
        return [Skipped(record_no, f"Jetstream {operation} of {collection}")]
    uri = at_uri(did, collection, _required(commit.get("rkey"), "commit.rkey"))
    record = commit["record"]
    if not isinstance(record, dict):
        raise TypeError("commit.record is not an object")
    if collection == POST_NSID:
        return [record_post(uri, did, record, seen_at=seen_at)]
    return [_repost(uri, did, record, seen_at)]


def _repost(uri: str, did: str, record: dict, seen_at: datetime) -> Post:
    subject = _required(record["subject"].get("uri"), "record.subject.uri")
    return Post(
        platform=_PLATFORM,
        post_id=uri,
        author_id=did,
        created_at=_created_at(record.get("createdAt"), seen_at),
        kind=Kind.REPOST,
        ref_post_id=subject,
        ref_author_id=uri_did(subject),
    )


def _identity_account(did: str, event: dict) -> list[Account]:
    identity = event.get("identity")
    handle = identity.get("handle") if isinstance(identity, dict) else None
    if not isinstance(handle, str) or not handle:
        return []
    observed_at = _optional_time(identity.get("time")) or _event_time(event)
    return [
        Account(platform=_PLATFORM, account_id=did, handle=handle.lower(), observed_at=observed_at)
    ]


def _event_time(event: dict) -> datetime:
    time_us = event.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool):
        raise ValueError("missing time_us")
    return from_epoch(time_us / 1_000_000)


# ----------------------------------------------------------------------------------- helpers


def _created_at(value: object, seen_at: datetime | None) -> datetime:
    created_at = _optional_time(value) or seen_at
    if created_at is None:
        raise ValueError("no readable createdAt")
    return created_at


def _optional_time(value: object) -> datetime | None:
    try:
        return read_input_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _required(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing {name}")
    return value


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _lower(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def _quarantine(number: int, value: object, reason: str) -> Quarantined:
    return quarantined(number, value, reason)


def _explain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


FORMATS = {
    "bluesky": BlueskyFormat(
        "bluesky",
        "Bluesky post views (app.bsky.feed.defs#postView): getPosts/searchPosts responses, "
        "a JSON array, or one per line",
        sniff_post_views,
        read_post_views,
    ),
    "jetstream": BlueskyFormat(
        "jetstream",
        "Bluesky Jetstream events, one per line (post and repost creates; the rest skipped)",
        sniff_jetstream,
        read_jetstream,
    ),
}
