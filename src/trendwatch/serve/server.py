"""The HTTP server: the standard library's threading server around :class:`.app.Dashboard`.

No web framework: the dashboard is a handful of GET routes over library calls. Measured
against Starlette 1.10 under uvicorn 0.54 around the same :class:`~.app.Dashboard`
(``benchmarks/bench_dashboard.py``, 20 keep-alive clients, demo store), this server answers
cached pages with p95 9.7 ms (uvicorn: 16-22 ms) and, while half the clients ask new trend
queries, 29.5 ms (uvicorn: 104 ms: its event loop waits for the GIL behind the heavy
threads). Nor would uvicorn have spared the rules below: it sets no time limit on a request's
head and answers malformed requests itself, without the security headers. What this module
adds to ``http.server``:

- ``TCP_NODELAY`` and one buffered write per response (headers and body left in two small
  writes wait for the client's delayed ACK: 40 ms per keep-alive request);
- a deadline for each request's head (:data:`READ_TIMEOUT`, also the keep-alive idle time)
  and a cap on open connections (:data:`MAX_CONNECTIONS`, beyond which a 503 is sent), so
  half-open connections cannot hold hundreds of threads;
- its own error pages (400, 414, 431, 501...) with the security headers, and quiet handling
  of clients that disconnect mid-response;
- IPv6 addresses (``--host ::1``) and the exposure rules of :mod:`.security`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import sys
import threading
import time
from datetime import UTC, tzinfo
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..errors import ParameterError
from ..store import default_db_path
from .app import Dashboard, Response, error_response
from .live import StoreOpener
from .security import allowed_hosts, check_exposure

__all__ = [
    "DashboardServer",
    "make_server",
    "serve",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "READ_TIMEOUT",
    "WRITE_TIMEOUT",
    "MAX_CONNECTIONS",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
READ_TIMEOUT = 10.0
"""Seconds a client has to send a request's head (and to send the next one on keep-alive)."""
WRITE_TIMEOUT = 120.0
"""Seconds a client has to take a response (a big groups page over a slow link)."""
MAX_CONNECTIONS = 128
"""Open connections at once; one more gets a 503 and is closed."""
# A token travels in a header, a query string and a cookie: keep it to characters safe in all.
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{8,200}$")

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    protocol_version = "HTTP/1.1"
    server_version = "trendwatch"
    sys_version = ""
    disable_nagle_algorithm = True
    default_request_version = "HTTP/1.0"  # not 0.9: every answer, errors too, has its headers
    wbufsize = 64 * 1024  # headers and a small body leave in one write, at the flush

    def setup(self) -> None:
        self.timeout = self.server.read_timeout
        super().setup()

    def handle_one_request(self) -> None:
        self.server.deadlines.start(self.connection)
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError) as exc:  # the client went away
            log.debug("%s: connection closed: %s", self.client_address[0], exc)
            self.close_connection = True
        finally:
            self.server.deadlines.stop(self.connection)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        self.server.deadlines.stop(self.connection)  # the head is in: no deadline while computing
        response = self.server.dashboard.handle(self.command, self.path, self.headers)
        self._send(response, send_body)

    def _send(self, response: Response, send_body: bool) -> None:
        self.connection.settimeout(self.server.write_timeout)
        self.send_response(response.status)
        for name, value in response.all_headers().items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)
        self.wfile.flush()
        self.connection.settimeout(self.server.read_timeout)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """http.server's own errors (malformed request, 414, 431, 501) as ours: JSON, headers."""
        self.close_connection = True
        reason = message or HTTPStatus(code).phrase
        response = error_response(code, f"{reason}: {explain}" if explain else reason)
        response.headers["Connection"] = "close"
        self._send(response, send_body=self.command != "HEAD")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


class _Deadlines:
    """When each connection's current request head must be in; expired ones are shut down."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._due: dict[socket.socket, float] = {}
        self._lock = threading.Lock()

    def start(self, connection: socket.socket) -> None:
        with self._lock:
            self._due[connection] = time.monotonic() + self.seconds

    def stop(self, connection: socket.socket) -> None:
        with self._lock:
            self._due.pop(connection, None)

    def expire(self) -> None:
        """Shut down the connections past their deadline (their thread then ends)."""
        now = time.monotonic()
        with self._lock:  # a head that arrives meanwhile (stop) is not cut off
            for connection in [c for c, due in self._due.items() if due < now]:
                del self._due[connection]
                _shutdown(connection)


def _shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


_BUSY = error_response(503, "too many open connections: try again in a moment")


class DashboardServer(ThreadingHTTPServer):
    """A threading HTTP server that answers with a :class:`Dashboard`.

    Parameters
    ----------
    address : (host, port)
        IPv4 or IPv6 address (or name) and port (0: any free port).
    dashboard : Dashboard
        What answers the requests.
    read_timeout, write_timeout : float
        See :data:`READ_TIMEOUT` and :data:`WRITE_TIMEOUT`.
    max_connections : int
        See :data:`MAX_CONNECTIONS`.
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dashboard: Dashboard, *,
                 read_timeout: float = READ_TIMEOUT, write_timeout: float = WRITE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS):  # fmt: skip
        self.address_family = _family(*address)
        super().__init__(address, _Handler)
        self.dashboard = dashboard
        self.read_timeout, self.write_timeout = read_timeout, write_timeout
        self.deadlines = _Deadlines(read_timeout)
        self._slots = threading.BoundedSemaphore(max_connections)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def service_actions(self) -> None:
        """Called by ``serve_forever`` twice a second: end the requests past their deadline."""
        self.deadlines.expire()

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse(request, _BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("%s: %s", client_address[0], error)
            return
        log.exception("error on the connection from %s", client_address[0])


def _refuse(request: socket.socket, response: Response) -> None:
    head = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
    head += [f"{k}: {v}" for k, v in response.all_headers().items()] + ["Connection: close"]
    with contextlib.suppress(OSError):
        request.settimeout(1.0)
        request.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + response.body)


def _family(host: str, port: int) -> socket.AddressFamily:
    """The address family to bind ``host`` with (IPv6 for ``::1``, ``::``, IPv6-only names)."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
    except (socket.gaierror, UnicodeError) as exc:
        raise ParameterError(f"--host {host!r} is not an address of this machine: {exc}") from None
    return found[0][0]


def check_token(token: str | None) -> str | None:
    """Refuse tokens that are too short or hold characters unsafe in a header or cookie."""
    if token is not None and not _TOKEN.match(token):
        raise ParameterError("--token must be 8 to 200 characters from letters, digits and . _ ~ -")
    return token


def make_server(
    store,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    allow_hosts: tuple[str, ...] = (),
    allow_no_token: bool = False,
    warm: bool = False,
    views=None,
    tz: tzinfo = UTC,
    **server_options,
) -> DashboardServer:
    """A dashboard server bound to ``host:port`` (port 0: any free port), not yet serving.

    Raises :class:`~trendwatch.errors.ParameterError` for a weak token, a non-loopback ``host``
    without a token (unless ``allow_no_token``), or an address it cannot listen on.
    ``allow_hosts`` adds ``Host`` names it answers to (:func:`.security.allowed_hosts`);
    ``server_options`` go to :class:`DashboardServer`. ``tz``: the zone the pages show
    times in (their JSON twins stay in UTC).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> server = make_server(Store(":memory:"), port=0)
    >>> server.url.startswith("http://127.0.0.1:")
    True
    >>> server.server_close()
    """
    check_exposure(host, check_token(token), allow_no_token)
    dashboard = Dashboard(store, token=token, views=views, tz=tz)
    if warm:
        dashboard.warm()
    try:
        server = DashboardServer((host, port), dashboard, **server_options)
    except OSError as exc:
        raise ParameterError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    dashboard.allowed_hosts = allowed_hosts(host, server.server_address[1], allow_hosts)
    return server


def serve(db=None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          token: str | None = None, allow_hosts: tuple[str, ...] = (),
          allow_no_token: bool = False, ready=print, tz: tzinfo = UTC) -> None:  # fmt: skip
    """Serve the dashboard over the store, read-only, until interrupted; its pages show
    times in ``tz`` (the JSON twins in UTC).

    The store is opened for each page computed and closed after (:class:`.live.StoreOpener`),
    so that ``trendwatch watch`` can write it meanwhile; a page is recomputed once the store
    has changed.

    The pages every visit starts with (overview, trends, runs, quality) are computed before
    the server starts listening; other pages are computed on first request and then cached.
    """
    check_exposure(host, check_token(token), allow_no_token)
    store = StoreOpener(db if db is not None else default_db_path())
    server = make_server(store, host=host, port=port, token=token, allow_hosts=allow_hosts,
                         allow_no_token=allow_no_token, warm=True, tz=tz)  # fmt: skip
    ready(f"trendwatch dashboard on {server.url}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
