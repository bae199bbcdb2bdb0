"""Bluesky Jetstream: the ``/subscribe`` websocket, its filters, cursor and zstd frames.

The protocol (bluesky-social/jetstream, ``internal/subscribe``): the client connects to
``wss://HOST/subscribe`` with query parameters ``wantedCollections`` (repeated; identity and
account events come whatever they say), ``wantedDids`` (repeated), ``cursor`` (a Unix time in
microseconds: the server replays from the first event at or after it, clamped to what it
keeps) and ``compress=true``, and receives one JSON event per frame. With ``compress=true``
each frame is binary, one zstd frame made with Jetstream's dictionary
(``data/jetstream_zstd_dictionary``); the server refuses a client that also offers
permessage-deflate, so none is offered then.

Events become records through :func:`trendwatch.formats.bluesky.jetstream_items`, as a
Jetstream capture does in ``ingest``. An event's ``time_us`` is its time on the stream's clock
and its cursor; its record number (for the quarantine) too, so a malformed frame replayed
after a restart is recognised. On reconnecting the watcher asks for the last stored cursor
minus :data:`REWIND_SECONDS`: nothing between is missed, and what is read twice is a
duplicate.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
import websockets
import zstandard
from websockets.asyncio.client import connect

from ..formats.bluesky import POST_NSID, REPOST_NSID, jetstream_items
from ..formats.items import Quarantined
from ..times import from_epoch
from .sources import Received

__all__ = [
    "Jetstream",
    "COLLECTIONS",
    "DEFAULT_COLLECTIONS",
    "REWIND_SECONDS",
    "jetstream_dictionary",
    "ERRORS",
]

COLLECTIONS = {
    "posts": POST_NSID,
    "reposts": REPOST_NSID,
    "likes": "app.bsky.feed.like",
    "follows": "app.bsky.graph.follow",
}
"""Collections by the names the CLI takes. Likes and follows are received and counted as
skipped records (the store keeps posts and reposts)."""
DEFAULT_COLLECTIONS = ("posts", "reposts")
REWIND_SECONDS = 5.0
"""How far before the stored cursor a reconnect asks to start. Jetstream's ``time_us`` is the
time the server saw the event, not a sequence: events of the same microsecond, or a server
restored from another replica, can sit just before the cursor."""
MAX_FRAME_BYTES = 16 << 20
"""The largest frame accepted (ingest's record cap); a bigger one drops the connection."""
RECEIVE_QUEUE_FRAMES = 4096
"""Frames the websocket may hold before it stops reading the socket. The library's default
(16) made the watcher stop and start the stream thousands of times a second at replay
speed."""
ERRORS: tuple[type[BaseException], ...] = (
    websockets.exceptions.WebSocketException,
    OSError,
    TimeoutError,
    zstandard.ZstdError,
)
"""What ends a Jetstream connection and calls for a reconnect."""


@functools.cache
def jetstream_dictionary() -> zstandard.ZstdCompressionDict:
    """Jetstream's zstd dictionary (id 1612007021; see ``data/SOURCE.md``).

    >>> jetstream_dictionary().dict_id()
    1612007021
    """
    data = resources.files(__package__).joinpath("data/jetstream_zstd_dictionary").read_bytes()
    return zstandard.ZstdCompressionDict(data)


class Jetstream:
    """One Jetstream subscription.

    Parameters
    ----------
    url : str
        The ``/subscribe`` endpoint (``wss://jetstream2.us-east.bsky.network/subscribe``).
    collections : sequence of str
        Names from :data:`COLLECTIONS`; posts and reposts by default.
    dids : sequence of str
        Only these accounts (``wantedDids``); all when empty.
    compress : bool
        Ask for zstd frames (about a third of the bytes, for some CPU).

    Examples
    --------
    >>> source = Jetstream("wss://js.example/subscribe", dids=["did:plc:a"])
    >>> source.subscribe_url("1725911162329308")
    'wss://js.example/subscribe?wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost&wantedDids=did%3Aplc%3Aa&cursor=1725911157329308'
    """

    resumes = True
    finite = False

    def __init__(
        self,
        url: str,
        *,
        collections: Sequence[str] = DEFAULT_COLLECTIONS,
        dids: Sequence[str] = (),
        compress: bool = False,
    ) -> None:
        unknown = sorted(set(collections) - set(COLLECTIONS))
        if unknown:
            from ..errors import ParameterError

            raise ParameterError(
                f"unknown Jetstream collection(s) {', '.join(unknown)}: choose among "
                f"{', '.join(COLLECTIONS)}"
            )
        self.url, self.compress = url, compress
        self.collections = [COLLECTIONS[c] for c in dict.fromkeys(collections)]
        self.dids = list(dict.fromkeys(dids))
        self.name = f"jetstream {url}"

    def subscribe_url(self, cursor: str | None) -> str:
        """The URL to connect to, resuming :data:`REWIND_SECONDS` before ``cursor``."""
        query = [("wantedCollections", c) for c in self.collections]
        query += [("wantedDids", d) for d in self.dids]
        if cursor is not None:
            query.append(("cursor", str(max(0, int(cursor) - int(REWIND_SECONDS * 1e6)))))
        if self.compress:
            query.append(("compress", "true"))
        parts = urlsplit(self.url)
        extra = urlencode(query)
        return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))

    async def events(self, cursor: str | None) -> AsyncIterator[Received]:
        decode = _Decoder(self.name, self.compress)
        async with connect(
            self.subscribe_url(cursor),
            compression=None if self.compress else "deflate",
            max_size=MAX_FRAME_BYTES,
            max_queue=RECEIVE_QUEUE_FRAMES,
            open_timeout=30,
        ) as websocket:
            async for frame in websocket:
                yield decode(frame)


class _Decoder:
    """Frames of one connection into :class:`Received` events."""

    def __init__(self, source: str, compressed: bool) -> None:
        self.source = source
        self.last_time_us = 0
        self.unzstd = (
            zstandard.ZstdDecompressor(dict_data=jetstream_dictionary()) if compressed else None
        )

    def __call__(self, frame: bytes | str) -> Received:
        number = self.last_time_us  # a frame without a time: numbered after the last one
        try:
            raw = self._decompressed(frame)
            event = orjson.loads(raw)
            time_us = event["time_us"] if isinstance(event, dict) else None  # every event has one
            number = time_us if _is_int(time_us) else number
            items = jetstream_items(event, number)
        except (zstandard.ZstdError, orjson.JSONDecodeError) as exc:
            return self._quarantined(frame, number, f"unreadable Jetstream frame ({exc})")
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            return self._quarantined(raw, number, f"malformed Jetstream event ({_explain(exc)})")
        if not _is_int(time_us):
            return Received(self.source, items)
        self.last_time_us = time_us
        return Received(self.source, items, from_epoch(time_us / 1e6), str(time_us))

    def _decompressed(self, frame: bytes | str) -> bytes | str:
        if self.unzstd is None:
            return frame
        return self.unzstd.decompress(frame, max_output_size=MAX_FRAME_BYTES)

    def _quarantined(self, frame: bytes | str, number: int, reason: str) -> Received:
        raw = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        return Received(self.source, [Quarantined(number, raw, reason)])


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _explain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"
