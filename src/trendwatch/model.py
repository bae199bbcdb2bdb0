"""The records every format is normalised into: :class:`Post` and :class:`Account`.

A format module turns its input into these records (or, for large tables, directly into Arrow
batches with :data:`POST_SCHEMA`); the store only ever sees these shapes.

Conventions
-----------
* ``created_at`` is a timezone-aware UTC :class:`datetime.datetime`.
* ``hashtags`` are normalised (NFKC + case-folded, no ``#``); ``hashtags_raw`` keeps the form
  the author typed, for display. ``mentions`` are handles, lower-cased, without ``@``.
  ``urls`` are normalised with :func:`trendwatch.text.normalize_url`.
* ``post_url`` is the post's own address where the platform gives one and it cannot be built
  from the id (Mastodon); a format that has none leaves it None.
* ``collected`` is True for the archive's own records and False for *context* posts: posts only
  seen as the target of a repost, quote or reply. Context posts are stored so references
  resolve, but they are never counted in ingest totals or campaign metrics.
* ``kind`` precedence when a post is several things at once: repost > quote > reply > post. A
  reply that quotes is a ``quote`` whose ``reply_to_post_id`` is set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyarrow as pa

__all__ = [
    "Platform",
    "Kind",
    "Post",
    "Account",
    "POST_SCHEMA",
    "ACCOUNT_SCHEMA",
    "posts_to_arrow",
    "accounts_to_arrow",
]


class Platform(StrEnum):
    X = "x"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"


class Kind(StrEnum):
    POST = "post"
    REPOST = "repost"
    REPLY = "reply"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class Post:
    """One post, normalised. Only ``platform``, ``post_id`` and ``kind`` are always set."""

    platform: str
    post_id: str
    author_id: str | None = None
    created_at: datetime | None = None
    kind: str = Kind.POST
    text: str | None = None
    lang: str | None = None
    ref_post_id: str | None = None
    """For a repost or a quote: the post it reposts or quotes."""
    ref_author_id: str | None = None
    ref_author_handle: str | None = None
    """Handle of the referenced author, when only the handle is known (e.g. ``RT @handle:``)."""
    reply_to_post_id: str | None = None
    reply_to_author_id: str | None = None
    conversation_id: str | None = None
    hashtags: tuple[str, ...] = ()
    hashtags_raw: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    author_handle: str | None = None
    collected: bool = True
    source: str | None = None
    post_url: str | None = None
    """The post's address as its platform gave it (a Mastodon status's ``url``, else its
    ``uri``), not checked: only ``http(s)`` addresses are ever shown as links
    (:func:`trendwatch.handles.post_url`). None where the address is built from the id and
    handle (X, Bluesky)."""


@dataclass(frozen=True, slots=True)
class Account:
    """One observation of an account. The store keeps the latest observation per account."""

    platform: str
    account_id: str
    handle: str | None = None
    name: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    listed: int | None = None
    verified: bool | None = None
    declared_bot: bool | None = None
    description: str | None = None
    observed_at: datetime | None = None


_TS = pa.timestamp("us", tz="UTC")
_STRS = pa.list_(pa.string())

POST_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("author_id", pa.string()),
        ("created_at", _TS),
        ("kind", pa.string()),
        ("text", pa.string()),
        ("lang", pa.string()),
        ("ref_post_id", pa.string()),
        ("ref_author_id", pa.string()),
        ("ref_author_handle", pa.string()),
        ("reply_to_post_id", pa.string()),
        ("reply_to_author_id", pa.string()),
        ("conversation_id", pa.string()),
        ("hashtags", _STRS),
        ("hashtags_raw", _STRS),
        ("mentions", _STRS),
        ("urls", _STRS),
        ("author_handle", pa.string()),
        ("collected", pa.bool_()),
        ("source", pa.string()),
        ("post_url", pa.string()),
    ]
)
"""Arrow schema of a batch of posts, field for field the :class:`Post` record."""

ACCOUNT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("name", pa.string()),
        ("created_at", _TS),
        ("followers", pa.int64()),
        ("following", pa.int64()),
        ("posts_count", pa.int64()),
        ("listed", pa.int64()),
        ("verified", pa.bool_()),
        ("declared_bot", pa.bool_()),
        ("description", pa.string()),
        ("observed_at", _TS),
    ]
)
"""Arrow schema of a batch of account observations, field for field :class:`Account`."""

_POST_FIELDS = [f.name for f in dataclasses.fields(Post)]
_ACCOUNT_FIELDS = [f.name for f in dataclasses.fields(Account)]
assert POST_SCHEMA.names == _POST_FIELDS, "Post and POST_SCHEMA must list the same fields"
assert ACCOUNT_SCHEMA.names == _ACCOUNT_FIELDS, "Account and ACCOUNT_SCHEMA must agree"


def _records_to_arrow(records: list, names: list[str], schema: pa.Schema) -> pa.Table:
    columns = [[getattr(r, name) for r in records] for name in names]
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def posts_to_arrow(posts: list[Post]) -> pa.Table:
    """Turn :class:`Post` records into a table with :data:`POST_SCHEMA`."""
    return _records_to_arrow(posts, _POST_FIELDS, POST_SCHEMA)


def accounts_to_arrow(accounts: list[Account]) -> pa.Table:
    """Turn :class:`Account` records into a table with :data:`ACCOUNT_SCHEMA`."""
    return _records_to_arrow(accounts, _ACCOUNT_FIELDS, ACCOUNT_SCHEMA)
