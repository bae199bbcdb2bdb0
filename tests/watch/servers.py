"""Local servers that speak the live protocols, for the watch tests (never the network).

:class:`JetstreamServer` serves Jetstream's ``/subscribe``: ``wantedCollections`` and
``wantedDids`` filters (identity and account events always pass), ``cursor`` replay (events
at or after the cursor's ``time_us``), ``compress=true`` zstd frames with Jetstream's
dictionary, a pause between events (the replay speed), and disconnects after a number of
events. :class:`MastodonServer` serves Mastodon's streaming API over server-sent events
(``/api/v1/streaming/public`` ...) and websocket (``/api/v1/streaming?stream=``), and keeps
the requests it got (paths and Authorization headers); with ``answer`` it refuses every
connection with that HTTP status and a Mastodon error body instead.

Each runs its own event loop in a thread; use them as context managers.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import threading
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import zstandard
from websockets.asyncio.server import serve

from trendwatch.watch.jetstream import jetstream_dictionary

BASE_US = 1_732_096_800_000_000  # 2024-11-20T10:00:00Z


def post_event(n: int, *, did: str = "did:plc:alice", text: str = "hello #tag",
               time_us: int | None = None) -> dict:  # fmt: skip
    """A Jetstream commit event creating post ``n`` (exactly the wire shape)."""
    time_us = BASE_US + n * 1_000_000 if time_us is None else time_us
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": f"3l3qo2vutsw2{n:x}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": f"3l3qo2vuowo{n:x}",
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": "2024-11-20T10:00:00.000Z",
                "langs": ["en"],
                "text": text,
            },
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
        },
    }


def like_event(n: int, *, did: str = "did:plc:bob") -> dict:
    return {
        "did": did,
        "time_us": BASE_US + n * 1_000_000,
        "kind": "commit",
        "commit": {
            "rev": f"3l3qo2vutsw3{n:x}",
            "operation": "create",
            "collection": "app.bsky.feed.like",
            "rkey": f"3l3qo2vuowp{n:x}",
            "record": {
                "$type": "app.bsky.feed.like",
                "createdAt": "2024-11-20T10:00:00.000Z",
                "subject": {"cid": "bafy", "uri": "at://did:plc:alice/app.bsky.feed.post/1"},
            },
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqj",
        },
    }


class _ThreadLoop:
    """An event loop in a thread running one server; ``port`` once started."""

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(10)
        return self

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        started.set()
        self.loop.run_forever()

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class JetstreamServer(_ThreadLoop):
    """Jetstream's ``/subscribe`` over ``events`` (dicts, or str/bytes sent as they are)."""

    def __init__(self, events: Sequence, *, pause: float = 0.0,
                 disconnect_after: Sequence[int] = ()) -> None:  # fmt: skip
        self.events = list(events)
        self.pause = pause
        self.disconnect_after = list(disconnect_after)  # per connection, in order
        self.requests: list[str] = []
        self.sent = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    async def _start(self) -> None:
        self.server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self.server.close()
        with contextlib.suppress(Exception):
            await self.server.wait_closed()

    async def _handle(self, websocket) -> None:
        path = websocket.request.path
        self.requests.append(path)
        query = parse_qs(urlsplit(path).query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        collections = set(query.get("wantedCollections", []))
        dids = set(query.get("wantedDids", []))
        compressor = None
        if query.get("compress") == ["true"]:
            compressor = zstandard.ZstdCompressor(dict_data=jetstream_dictionary())
        limit = self.disconnect_after.pop(0) if self.disconnect_after else None
        sent = 0
        for event in self.events:
            if isinstance(event, dict) and not _wanted(event, cursor, collections, dids):
                continue
            if limit is not None and sent >= limit:
                return  # drop the connection (a closing handshake, as a server restart does)
            data = json.dumps(event) if isinstance(event, dict) else event
            if compressor is not None:
                data = compressor.compress(data.encode() if isinstance(data, str) else data)
            await websocket.send(data)
            sent += 1
            self.sent += 1
            if self.pause:
                await asyncio.sleep(self.pause)
        await websocket.wait_closed()  # caught up: stay connected, as a live tail does


def _wanted(event: dict, cursor, collections: set, dids: set) -> bool:
    if cursor is not None and event.get("time_us", 0) < cursor:
        return False
    if dids and event.get("did") not in dids:
        return False
    if event.get("kind") != "commit" or not collections:
        return True
    return event["commit"].get("collection") in collections


def status(n: int, *, acct: str = "ann", tags: Sequence[str] = ("tag",),
           created_at: str | None = None) -> dict:  # fmt: skip
    """A Mastodon Status entity (the fields the streaming API sends that we read)."""
    return {
        "id": str(109_000_000_000 + n),
        "created_at": created_at or f"2024-11-20T10:{n // 60:02d}:{n % 60:02d}.000Z",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "fr",
        "uri": f"https://m.example/users/{acct}/statuses/{n}",
        "url": f"https://m.example/@{acct}/{n}",
        "content": "<p>post " + " ".join(f"#{t}" for t in tags) + "</p>",
        "reblog": None,
        "account": {
            "id": str(1000 + n % 7),
            "username": acct,
            "acct": acct,
            "display_name": acct.title(),
            "bot": False,
            "created_at": "2022-11-01T00:00:00.000Z",
            "followers_count": 3,
            "following_count": 4,
            "statuses_count": 5,
        },  # fmt: skip
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": t, "url": f"https://m.example/tags/{t}"} for t in tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


class MastodonServer(_ThreadLoop):
    """Mastodon's streaming API: server-sent events and websocket over ``events``, a list of
    ``(event, payload)`` (payload a dict, sent as JSON, or a str sent as it is). Every
    connection gets all events, then the server ends it (SSE) or closes it (websocket)
    unless ``stay`` is set. ``answer`` (an HTTP status other than 200) refuses every
    connection with it, as an instance refusing a token does."""

    def __init__(self, events: Sequence[tuple[str, object]], *, stay: bool = False,
                 answer: int = 200) -> None:  # fmt: skip
        self.events = list(events)
        self.stay = stay
        self.answer = answer
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self.server = await serve(self._websocket, "127.0.0.1", 0, compression=None,
                                  process_request=self._maybe_sse)  # fmt: skip
        self.port = self.server.sockets[0].getsockname()[1]
        self.sse = await asyncio.start_server(self._sse, "127.0.0.1", 0)
        self.sse_port = self.sse.sockets[0].getsockname()[1]

    @property
    def sse_url(self) -> str:
        return f"http://127.0.0.1:{self.sse_port}"

    async def _stop(self) -> None:
        self.server.close()
        self.sse.close()

    def _refusal(self) -> str:
        return json.dumps({"error": f"refused ({self.answer})"})

    def _maybe_sse(self, connection, request):
        if self.answer == 200:
            return None  # websocket upgrades only on this port
        self.requests.append((request.path, request.headers.get("Authorization")))
        return connection.respond(http.HTTPStatus(self.answer), self._refusal())

    async def _websocket(self, websocket) -> None:
        self.requests.append(
            (websocket.request.path, websocket.request.headers.get("Authorization"))
        )
        query = parse_qs(urlsplit(websocket.request.path).query)
        stream = query.get("stream", ["?"])
        for event, payload in self.events:
            data = json.dumps(payload) if isinstance(payload, dict) else payload
            if event == "raw":
                await websocket.send(data)
                continue
            await websocket.send(json.dumps({"stream": stream, "event": event, "payload": data}))
        if self.stay:
            await websocket.wait_closed()

    async def _sse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        path = head.split(" ", 2)[1]
        auth = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                     if line.lower().startswith("authorization:")), None)  # fmt: skip
        self.requests.append((path, auth))
        if self.answer != 200:
            body = self._refusal().encode()
            writer.write(f"HTTP/1.1 {self.answer} {http.HTTPStatus(self.answer).phrase}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)  # fmt: skip
            await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Cache-Control: no-store\r\nConnection: close\r\n\r\n:)\n")  # fmt: skip
        for event, payload in self.events:
            data = json.dumps(payload) if isinstance(payload, dict) else payload
            writer.write(f":thump\nevent: {event}\ndata: {data}\n\n".encode())
            await writer.drain()
        if self.stay:
            with contextlib.suppress(Exception):
                await reader.read()  # until the client goes
        writer.close()
