"""Mastodon streaming: the server-sent-events and websocket endpoints of one instance.

The protocol (mastodon/mastodon, ``streaming/index.js``):

* **Server-sent events**: ``GET /api/v1/streaming/public``, ``/public/local``,
  ``/hashtag?tag=NAME`` (``/hashtag/local``): ``event: update`` with a Status entity as
  ``data``, ``event: status.update`` (an edit), ``event: delete`` (a status id), and
  heartbeat comments (``:thump``) that keep the connection open.
* **Websocket**: ``GET /api/v1/streaming?stream=public:local`` (``&tag=NAME`` for hashtags);
  each message is ``{"stream": [...], "event": "update", "payload": "<the Status as a JSON
  string>"}``; an error is ``{"error": ..., "status": ...}``.

The access token goes in an ``Authorization: Bearer`` header (never in the URL, which
proxies log); the CLI reads it from the environment variable ``--token-env`` names. Updates
and edits become records through :func:`trendwatch.formats.mastodon.status_items`, as a
Mastodon archive does in ``ingest`` (an edit of a post already stored is a duplicate);
deletes are skipped records. A status's ``created_at`` is its time on the stream's clock.

Mastodon's streaming API cannot replay: what was posted while the watcher was disconnected
is lost, and each outage is recorded as a gap.

An instance that refuses the access (HTTP 401: no token, or one it does not know; 403: a
token without the ``read:statuses`` scope, or a client it forbids) would refuse every
reconnect too: the stream raises :class:`~trendwatch.errors.AccessRefusedError`, which stops
the watch with a message saying what to do. A websocket also refuses a stream in a message
(``{"error": "Missing access token", "status": 401}``, the socket staying open with nothing
coming): that stops it too; an error message with another status is quarantined. Any other
failure (5xx, 429, a dropped connection) is retried with backoff (:func:`.sources.run_source`).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import orjson
import websockets
from httpx_sse import SSEError, aconnect_sse
from websockets.asyncio.client import connect

from ..errors import AccessRefusedError, ParameterError
from ..formats.items import Item, Quarantined, Skipped
from ..formats.mastodon import status_items
from .sources import Received, utc_now

__all__ = ["MastodonStream", "STREAMS", "TRANSPORTS", "ERRORS", "message_items"]

STREAMS = ("public", "public:local", "public:remote", "hashtag", "hashtag:local")
TRANSPORTS = ("sse", "websocket")
ERRORS: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    SSEError,
    websockets.exceptions.WebSocketException,
    OSError,
    TimeoutError,
)
"""What ends a Mastodon connection and calls for a reconnect."""
REFUSED = {401: "Unauthorized", 403: "Forbidden"}
"""The HTTP answers that stop a watch instead of a reconnect."""
_STATUS_EVENTS = ("update", "status.update")
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


class MastodonStream:
    """One streaming timeline of one instance.

    Parameters
    ----------
    url : str
        The instance (``https://mastodon.social``).
    stream : str
        ``public``, ``public:local``, ``public:remote``, or ``hashtag:NAME`` /
        ``hashtag:local:NAME``.
    transport : str
        ``sse`` (server-sent events) or ``websocket``.
    token : str, optional
        An access token (instances may require one for public timelines).
    token_env : str, optional
        The environment variable the token came from, named when the instance refuses it.

    Examples
    --------
    >>> MastodonStream("https://m.example", "hashtag:Paris").sse_url()
    'https://m.example/api/v1/streaming/hashtag?tag=Paris'
    >>> MastodonStream("https://m.example", "public:local", transport="websocket").websocket_url()
    'wss://m.example/api/v1/streaming?stream=public%3Alocal'
    """

    resumes = False
    finite = False

    def __init__(
        self,
        url: str,
        stream: str = "public",
        *,
        transport: str = "sse",
        token: str | None = None,
        token_env: str | None = None,
    ) -> None:
        self.url, self.transport, self.token = url.rstrip("/"), transport, token
        self.token_env = token_env
        self.channel, self.tag = _parse_stream(stream)
        if transport not in TRANSPORTS:
            raise ParameterError(f"transport must be one of {', '.join(TRANSPORTS)}")
        self.stream = stream
        self.name = f"mastodon {self.url} {stream}"
        self._numbers = itertools.count(1)

    def sse_url(self) -> str:
        path = "/api/v1/streaming/" + self.channel.replace(":", "/")
        return self.url + path + (f"?{urlencode({'tag': self.tag})}" if self.tag else "")

    def websocket_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = {"stream": self.channel} | ({"tag": self.tag} if self.tag else {})
        return urlunsplit((scheme, parts.netloc, "/api/v1/streaming", urlencode(query), ""))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def events(self, cursor: str | None) -> AsyncIterator[Received]:
        return self._sse() if self.transport == "sse" else self._websocket()

    async def _sse(self) -> AsyncIterator[Received]:
        timeout = httpx.Timeout(30.0, read=90.0)  # heartbeats come every 15 s
        async with (
            httpx.AsyncClient(timeout=timeout, headers=self._headers()) as client,
            aconnect_sse(client, "GET", self.sse_url()) as source,
        ):
            if source.response.status_code in REFUSED:
                await source.response.aread()
                raise self._refused(source.response.status_code, source.response.text)
            source.response.raise_for_status()
            async for event in source.aiter_sse():
                yield self._received(event.event, event.data)

    async def _websocket(self) -> AsyncIterator[Received]:
        try:
            websocket = await connect(
                self.websocket_url(), additional_headers=self._headers(), max_size=16 << 20
            )
        except websockets.exceptions.InvalidStatus as exc:
            answer = exc.response
            if answer.status_code in REFUSED:
                body = answer.body.decode("utf-8", "replace")
                raise self._refused(answer.status_code, body) from None
            raise
        async with websocket:
            async for message in websocket:
                yield self._message(message)

    def _refused(self, status: int, body: str) -> AccessRefusedError:
        """The error that stops the watch: who refused what, what it said, what to do."""
        said = _server_error(body)
        said = f' ("{said}")' if said else ""
        what = f"{self.url} refused the stream {self.stream} ({status} {REFUSED[status]})"
        return AccessRefusedError(f"{what}{said}: {self._what_to_do(status)}; the watch stopped")

    def _what_to_do(self, status: int) -> str:
        where = f"${self.token_env}" if self.token_env else "the token"
        if self.token is None:
            return (
                "this instance needs an access token for this stream: create one in its "
                "settings (Development, scope read:statuses), put it in an environment "
                "variable and give its name with --token-env"
            )
        if status == 401:
            return (
                f"the instance does not accept {where} (wrong, expired or revoked, or made "
                "on another instance): create a new token there with scope read:statuses"
            )
        return (
            f"{where} is not allowed to read this stream: give it the scope read:statuses "
            "(or read), or ask the instance's admins whether they block streaming clients"
        )

    def _message(self, message: str | bytes) -> Received:
        try:
            value = orjson.loads(message)
            if "error" in value and value.get("status") in REFUSED:  # the stream refused
                raise self._refused(value["status"], message)
            if "error" in value:
                raise ValueError(f"the server said: {value['error']}")
            return self._received(value["event"], value["payload"])
        except (orjson.JSONDecodeError, *_MALFORMED) as exc:
            raw = message if isinstance(message, str) else message.decode("utf-8", "replace")
            reason = f"malformed Mastodon streaming message ({type(exc).__name__}: {exc})"
            return Received(self.name, [Quarantined(next(self._numbers), raw, reason)])

    def _received(self, event: str, data: str) -> Received:
        # The cursor (the last status id) cannot resume a Mastodon stream; stored with its
        # time, it dates the gap a restart leaves.
        items, time_ = message_items(event, data, next(self._numbers))
        cursor = items[-1].post_id if time_ is not None else None
        return Received(self.name, items, time_, cursor)


def message_items(event: str, data: str, number: int) -> tuple[list[Item], datetime | None]:
    """The records of one streaming event and its time (a status's ``created_at``).

    >>> items, time = message_items("delete", "109", 1)
    >>> type(items[0]).__name__, time
    ('Skipped', None)
    """
    if event not in _STATUS_EVENTS:
        return [Skipped(number, f"Mastodon streaming {event} event")], None
    try:
        items: list[Item] = list(status_items(orjson.loads(data), observed_at=utc_now()))
    except (orjson.JSONDecodeError, *_MALFORMED) as exc:
        reason = f"malformed Mastodon status in a {event} event ({type(exc).__name__}: {exc})"
        return [Quarantined(number, data, reason)], None
    return items, items[-1].created_at


def _server_error(body: str) -> str:
    """The ``error`` a refusal's JSON body gives (Mastodon's form), cut to 200 characters."""
    try:
        said = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return said[:200] if isinstance(said, str) else ""


def _parse_stream(stream: str) -> tuple[str, str | None]:
    """``(channel, tag)`` of a stream name: ``hashtag:Paris`` -> ``("hashtag", "Paris")``."""
    for channel in ("hashtag:local", "hashtag"):
        if stream.startswith(channel + ":") and len(stream) > len(channel) + 1:
            return channel, stream[len(channel) + 1 :]
    if stream in STREAMS and not stream.startswith("hashtag"):
        return stream, None
    raise ParameterError(
        f"unknown Mastodon stream {stream!r}: use public, public:local, public:remote, "
        "hashtag:NAME or hashtag:local:NAME"
    )
