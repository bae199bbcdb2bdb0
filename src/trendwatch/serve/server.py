"""The HTTP server: the standard library's threading server around :class:`.app.Dashboard`.

No web framework: the dashboard is a handful of GET routes over library calls, and
``http.server.ThreadingHTTPServer`` (one thread per connection) meets the latency target on
the IRA archive (see ``benchmarks/bench_dashboard.py``).
"""

from __future__ import annotations

import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..errors import ParameterError
from ..store import open_store
from .app import Dashboard

__all__ = ["DashboardServer", "make_server", "serve", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# A token travels in a header, a query string and a cookie: keep it to characters safe in all.
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{8,200}$")

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    protocol_version = "HTTP/1.1"
    server_version = "trendwatch"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        response = self.server.dashboard.handle(self.command, self.path, self.headers)
        self.send_response(response.status)
        for name, value in response.all_headers().items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


class DashboardServer(ThreadingHTTPServer):
    """A threading HTTP server that answers with a :class:`Dashboard`."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dashboard: Dashboard):
        super().__init__(address, _Handler)
        self.dashboard = dashboard

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


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
    warm: bool = False,
    views=None,
) -> DashboardServer:
    """A dashboard server bound to ``host:port`` (port 0: any free port), not yet serving.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> server = make_server(Store(":memory:"), port=0)
    >>> server.url.startswith("http://127.0.0.1:")
    True
    >>> server.server_close()
    """
    dashboard = Dashboard(store, token=check_token(token), views=views)
    if warm:
        dashboard.warm()
    return DashboardServer((host, port), dashboard)


def serve(db=None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          token: str | None = None, ready=print) -> None:  # fmt: skip
    """Open the store read-only and serve the dashboard until interrupted.

    The pages every visit starts with (overview, trends, runs, quality) are computed before
    the server starts listening; other pages are computed on first request and then cached.
    """
    check_token(token)
    with open_store(db, read_only=True) as store:
        server = make_server(store, host=host, port=port, token=token, warm=True)
        ready(f"trendwatch dashboard on {server.url}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
