"""Mastodon: Status entities of the REST API, raw or as recorded API responses.

Accepted inputs
---------------
* Status entities as one JSON array, or one per line (JSON Lines); a line may also hold a
  whole API body (a page of statuses, a ``Context``).
* Recorded responses: a JSON array (or lines) of ``{"request_uri", "recorded_at", "body"}``,
  as API recorders such as the rtoot test fixtures keep them. ``recorded_at`` becomes the
  ``observed_at`` of the accounts seen in that body.

Record accounting
-----------------
Every status in a body is one record (a ``Context`` body gives its ancestors and descendants;
a page gives each of its statuses). A body that holds no status (an Account, a list of
Accounts, trends, an API error) is one :class:`~.items.Skipped` record whose reason names what
it is; Accounts found there are still yielded as :class:`~trendwatch.model.Account`
observations. Anything that cannot be read as a status is :class:`~.items.Quarantined`.
Record numbers count records in file order and equal the line (or array position) of the
input when each line holds one status; quarantine reasons name the line or response.

Identifiers
-----------
``post_id`` is the status ``id`` exactly as the API gave it. Those ids are local to the
instance that answered: ``in_reply_to_id`` and ``reblog.id`` use the same local ids, so keeping
them is what lets replies and reblogs resolve to posts of the same archive. The price is that
one status fetched from two instances gets two ids (and is counted twice); the fediverse-wide
``uri`` would avoid that but nothing in a status refers to other statuses by ``uri``, so it is
not stored as the id. It is the fallback of ``post_url``, the status's address: its ``url``
(the page a reader opens), else its ``uri``, kept as given (a hostile instance may send
anything there; outputs link only ``http(s)`` addresses). A reblog's address is the reblog's
own (its ``uri`` ends in ``/activity``); the reblogged status, stored as a context post, keeps
its own. ``author_handle`` is ``acct`` lower-cased, which is also instance-relative
(``user`` for the answering instance's own accounts, ``user@host`` for others).

Content
-------
``text`` is the HTML ``content`` as plain text (:mod:`.html_text`), with the content warning
(``spoiler_text``) in front of it when there is one. A reblog is a ``repost`` whose text,
hashtags, mentions and URLs are those of the reblogged status (as X retweets carry their
original's); the reblogged status itself is yielded as a context post. ``source`` is the
posting application's name when the API gives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from ..model import Account, Kind, Platform, Post
from ..text import hashtag_pair, normalize_url
from ..times import parse_time, read_input_time
from .html_text import html_to_text, parse_html
from .items import Item, Quarantined, ReadOptions, Skipped
from .jsonrecords import JsonRecord, RecordNumbers, first_record, json_records, quarantined
from .stream import InputFile

__all__ = [
    "NAME",
    "DESCRIPTION",
    "sniff",
    "read",
    "status_items",
    "status_post",
    "account_record",
    "is_status",
]

NAME = "mastodon"
DESCRIPTION = (
    "Mastodon API Status entities (JSON array or JSON Lines), or recorded API responses "
    "[{request_uri, recorded_at, body}]"
)

_PLATFORM = str(Platform.MASTODON)
# Peeks for heads whose first record is longer than the head (a long recorded response).
# Keys are matched with their JSON quotes, so text quoted inside a post cannot fake them.
_RECORDED_RE = re.compile(rb'"request_uri"\s*:\s*"https?://[^"]*/api/v[12]/')
_STATUS_KEY_RE = re.compile(rb'"in_reply_to_account_id"\s*:')
_SPOILER_KEY_RE = re.compile(rb'"spoiler_text"\s*:')
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


# ---------------------------------------------------------------------------------- detection


def sniff(head: bytes) -> bool:
    """True when the head starts with a Mastodon status, context or recorded API response.

    >>> sniff(b'[{"request_uri": "https://m.social/api/v1/timelines/public", "body": []}]')
    True
    >>> sniff(b'{"id_str": "1", "user": {"id_str": "2"}}')
    False
    """
    value = first_record(head)
    if isinstance(value, list) and value:  # a line holding a page of statuses
        value = value[0]
    if value is None:
        return bool(_RECORDED_RE.search(head)) or _has_status_keys(head)
    return _is_recorded_response(value) or is_status(value) or _is_context(value)


def _has_status_keys(head: bytes) -> bool:
    return bool(_STATUS_KEY_RE.search(head)) and bool(_SPOILER_KEY_RE.search(head))


def is_status(value: object) -> bool:
    """True when a JSON value has the shape of a Mastodon Status entity."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("account"), dict)
        and ("content" in value or "reblog" in value)
        and "id" in value
    )


def _is_recorded_response(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "body" in value
        and isinstance(value.get("request_uri"), str)
        and "/api/v" in value["request_uri"]
    )


def _is_context(value: object) -> bool:
    return isinstance(value, dict) and ("ancestors" in value or "descendants" in value)


def _is_account(value: object) -> bool:
    return isinstance(value, dict) and "acct" in value and "id" in value and "content" not in value


# ------------------------------------------------------------------------------------ reading


def read(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    """Yield posts, accounts, skipped and quarantined records of a Mastodon input.

    See the module docstring for the accepted inputs and how records are counted.
    """
    numbers = RecordNumbers()
    for record in json_records(source, options):
        yield from _read_record(record, numbers)


@dataclass
class _Origin:
    """Where a body comes from: the input record, its label, when it was recorded."""

    record: JsonRecord
    numbers: RecordNumbers
    where: str
    observed_at: datetime | None = None

    def number(self) -> int:
        return self.numbers.take(self.record.record_no)


def _read_record(record: JsonRecord, numbers: RecordNumbers) -> Iterator[Item]:
    if record.error:
        yield Quarantined(numbers.take(record.record_no), record.raw_text(), record.error)
        return
    value = record.value
    if _is_recorded_response(value):
        origin = _Origin(record, numbers, f"response {record.record_no}")
        origin.observed_at = _recorded_time(value.get("recorded_at"))
        yield from _read_body(value["body"], origin)
    else:
        yield from _read_body(value, _Origin(record, numbers, f"record {record.record_no}"))


def _recorded_time(value: object) -> datetime | None:
    """``recorded_at`` of a recorded response (``2022-11-08 15:23:15 GMT``), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    text = text[:-4] if text.endswith((" GMT", " UTC")) else text
    try:
        return parse_time(text)
    except ValueError:
        return None


def _read_body(body: object, origin: _Origin) -> Iterator[Item]:
    if isinstance(body, list):
        yield from _read_list(body, origin)
    elif _is_context(body):
        yield from _read_context(body, origin)
    elif is_status(body):
        yield from _read_status(body, origin, origin.where)
    elif _is_account(body):
        yield from _account_items([body], origin)
        yield Skipped(origin.number(), f"Mastodon Account entity (@{body.get('acct')})")
    elif isinstance(body, dict) and "error" in body:
        yield Skipped(origin.number(), f"Mastodon API error: {str(body['error'])[:200]}")
    else:
        reason = f"{origin.where}: not a Mastodon status, context, account or trend"
        yield _quarantine(origin.number(), body, reason)


def _read_context(body: dict, origin: _Origin) -> Iterator[Item]:
    statuses = [*(body.get("ancestors") or ()), *(body.get("descendants") or ())]
    if not statuses:
        yield Skipped(origin.number(), "Mastodon Context with no ancestors or descendants")
    for position, status in enumerate(statuses, start=1):
        yield from _read_status(status, origin, f"{origin.where}, context status {position}")


def _read_list(body: list, origin: _Origin) -> Iterator[Item]:
    if any(is_status(value) for value in body):
        for position, status in enumerate(body, start=1):
            yield from _read_status(status, origin, f"{origin.where}, status {position}")
        return
    what = _describe_list(body)
    if what is None:
        reason = f"{origin.where}: a list that holds no Mastodon status or account"
        yield _quarantine(origin.number(), body, reason)
        return
    if what == "accounts":
        yield from _account_items(body, origin)
    yield Skipped(origin.number(), f"list of {len(body)} Mastodon {what}, no status")


def _describe_list(body: list) -> str | None:
    """Name what a list without statuses holds (accounts, trending tags or links), or None."""
    if not body:
        return "entries (empty list)"
    if all(_is_account(value) for value in body):
        return "accounts"
    if all(isinstance(v, dict) and "history" in v for v in body):
        links = all("url" in v and "title" in v for v in body)
        return "trending links" if links else "trending tags"
    return None


def _account_items(accounts: Iterable[dict], origin: _Origin) -> Iterator[Item]:
    for position, account in enumerate(accounts, start=1):
        try:
            yield account_record(account, origin.observed_at)
        except _MALFORMED as exc:
            # Counted as a quarantined record besides the skipped body, so it is not lost.
            reason = f"{origin.where}, account {position}: malformed account ({_explain(exc)})"
            yield _quarantine(origin.number(), account, reason)


def _read_status(status: object, origin: _Origin, where: str) -> Iterator[Item]:
    number = origin.number()  # taken for every status, so numbers stay in file order
    if not is_status(status):
        yield _quarantine(number, status, f"{where}: not a Mastodon status")
        return
    try:
        items = status_items(status, origin.observed_at)
    except _MALFORMED as exc:
        yield _quarantine(number, status, f"{where}: malformed Mastodon status ({_explain(exc)})")
        return
    yield from items


def _quarantine(number: int, value: object, reason: str) -> Quarantined:
    return quarantined(number, value, reason)


def _explain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------ normalisation


def status_items(status: dict, observed_at: datetime | None = None) -> list[Post | Account]:
    """Normalise one Status into its records: context posts and accounts, then the post.

    The collected post comes last. A reblog gives the reblogged status as a context post
    (``collected=False``); a quote post whose quoted status is embedded gives it likewise.
    Raises ``KeyError``/``ValueError``/``TypeError`` on a malformed status.

    Examples
    --------
    >>> status = {"id": "9", "created_at": "2022-11-08T10:00:00Z", "content": "<p>hi</p>",
    ...           "account": {"id": "1", "acct": "Ann@ex.org"}}
    >>> [type(item).__name__ for item in status_items(status)]
    ['Account', 'Post']
    """
    items: list[Post | Account] = []
    embedded = status.get("reblog") or _quoted_status(status.get("quote"))
    context = None
    if embedded:
        context = status_post(embedded, collected=False)
        items += [context, account_record(embedded["account"], observed_at)]
    items.append(account_record(status["account"], observed_at))
    post = status_post(status)
    if status.get("reblog"):
        post = _as_repost(post, context)
    items.append(post)
    return items


def status_post(status: dict, *, collected: bool = True) -> Post:
    """Normalise one Status (not its reblog) into a :class:`Post`.

    >>> post = status_post({"id": "9", "created_at": "2022-11-08T10:00:00Z",
    ...     "in_reply_to_id": "7", "in_reply_to_account_id": "2",
    ...     "content": "<p>yes &amp; no</p>", "account": {"id": "1", "acct": "Ann"}})
    >>> str(post.kind), post.text, post.reply_to_post_id, post.author_handle, post.post_url
    ('reply', 'yes & no', '7', 'ann', None)
    """
    account = status["account"]
    parsed = parse_html(status.get("content"))
    hashtags, hashtags_raw = hashtag_pair(tag["name"] for tag in status.get("tags") or ())
    quoted_id, quoted_author = _quote_reference(status.get("quote"))
    reply_to = _optional_id(status.get("in_reply_to_id"), "in_reply_to_id")
    return Post(
        platform=_PLATFORM,
        post_id=_required_id(status.get("id"), "id"),
        author_id=_required_id(account.get("id"), "account.id"),
        created_at=_created_at(status),
        kind=_kind(status, reply_to),
        text=_with_spoiler(status.get("spoiler_text"), parsed.text),
        lang=status.get("language") or None,
        ref_post_id=quoted_id,
        ref_author_id=quoted_author,
        reply_to_post_id=reply_to,
        reply_to_author_id=_optional_id(
            status.get("in_reply_to_account_id"), "in_reply_to_account_id"
        ),
        hashtags=hashtags,
        hashtags_raw=hashtags_raw,
        mentions=tuple(_lower(m["acct"]) for m in status.get("mentions") or ()),
        urls=_status_urls(status, parsed.links),
        author_handle=_lower(account.get("acct")),
        collected=collected,
        source=_application(status),
        post_url=_address(status),
    )


def _address(status: dict) -> str | None:
    """The status's ``url``, else its ``uri`` (None when neither is a non-empty string)."""
    for field in ("url", "uri"):
        value = status.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def account_record(account: dict, observed_at: datetime | None = None) -> Account:
    """Normalise a Mastodon Account entity; ``note`` (HTML) becomes the plain description.

    >>> account_record({"id": "1", "acct": "Bot@ex.org", "bot": True}).declared_bot
    True
    """
    return Account(
        platform=_PLATFORM,
        account_id=_required_id(account.get("id"), "account.id"),
        handle=_lower(account.get("acct")),
        name=account.get("display_name") or None,
        created_at=read_input_time(account.get("created_at")),
        followers=_count(account.get("followers_count")),
        following=_count(account.get("following_count")),
        posts_count=_count(account.get("statuses_count")),
        declared_bot=account.get("bot") if isinstance(account.get("bot"), bool) else None,
        description=_note_text(account.get("note")),
        observed_at=observed_at,
    )


@lru_cache(maxsize=1 << 14)
def _note_text(note: object) -> str | None:
    # Cached: an archive repeats each author's profile note with every status of theirs.
    return html_to_text(note) or None if isinstance(note, str) else None


def _kind(status: dict, reply_to: str | None) -> str:
    # Precedence (model docstring): repost > quote > reply > post.
    if status.get("reblog"):
        return Kind.REPOST
    if isinstance(status.get("quote"), dict):
        return Kind.QUOTE
    return Kind.REPLY if reply_to else Kind.POST


def _as_repost(post: Post, original: Post) -> Post:
    """The reblog: who and when from the wrapper, what was said from the reblogged status."""
    return Post(
        platform=post.platform,
        post_id=post.post_id,
        author_id=post.author_id,
        created_at=post.created_at,
        kind=Kind.REPOST,
        text=original.text,
        lang=original.lang,
        ref_post_id=original.post_id,
        ref_author_id=original.author_id,
        hashtags=original.hashtags,
        hashtags_raw=original.hashtags_raw,
        mentions=original.mentions,
        urls=original.urls,
        author_handle=post.author_handle,
        source=post.source,
        post_url=post.post_url,
    )


def _quoted_status(quote: object) -> dict | None:
    """The quoted Status embedded in ``quote``: Mastodon's ``Quote`` wraps it, others inline it."""
    if not isinstance(quote, dict):
        return None
    inner = quote.get("quoted_status", quote)
    return inner if is_status(inner) else None


def _quote_reference(quote: object) -> tuple[str | None, str | None]:
    """(quoted status id, its author id) from ``Quote``/``ShallowQuote``, when known."""
    quoted = _quoted_status(quote)
    if quoted is not None:
        return _required_id(quoted.get("id"), "quote.id"), _optional_id(
            quoted["account"].get("id"), "quote.account.id"
        )
    if isinstance(quote, dict):
        return _optional_id(quote.get("quoted_status_id"), "quote.quoted_status_id"), None
    return None, None


def _status_urls(status: dict, links) -> tuple[str, ...]:
    """Normalised URLs of the content's plain links and of the preview card, without repeats."""
    mention_urls = {m.get("url") for m in status.get("mentions") or () if isinstance(m, dict)}
    found = [
        link.href
        for link in links
        if not link.is_mention_or_hashtag and link.href not in mention_urls
    ]
    card = status.get("card")
    if isinstance(card, dict) and card.get("url"):
        found.append(card["url"])
    web = [u for u in found if isinstance(u, str) and u.lower().startswith(("http://", "https://"))]
    return tuple(dict.fromkeys(normalize_url(u) for u in web))


def _with_spoiler(spoiler: object, text: str) -> str | None:
    parts = [p for p in (spoiler if isinstance(spoiler, str) else "", text) if p and p.strip()]
    return "\n\n".join(p.strip() for p in parts) or None


def _created_at(status: dict) -> datetime:
    created_at = read_input_time(status.get("created_at"))
    if created_at is None:
        raise ValueError("missing created_at")
    return created_at


def _required_id(value: object, name: str) -> str:
    identifier = _optional_id(value, name)
    if identifier is None:
        raise ValueError(f"missing {name}")
    return identifier


def _optional_id(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{name} is not an id: {value!r}"[:120])
    return str(value)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _lower(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def _application(status: dict) -> str | None:
    application = status.get("application")
    return application.get("name") or None if isinstance(application, dict) else None
