"""The dashboard as a plain function of a request: ``Dashboard.handle(...) -> Response``.

No socket here (see :mod:`.server`), so every rule (host check, authentication, routing,
validation, errors, headers, caching) is testable directly. The store is shared read-only;
each request thread queries it through its own DuckDB cursor (:meth:`Store.cursor`).

Pages are served from a cache of serialised bodies (:mod:`.cache`). A page that is not there
is computed by at most ``compute_workers`` threads at a time: a burst of heavy queries (new
trend lists, groups of new scopes) queues among itself while cached pages, static files and
errors are answered at once by the other threads.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import orjson

from ..errors import NoDataError, ParameterError, TrendwatchError
from ..report.render import times_shown_in
from .cache import DEFAULT_CACHE_BYTES, ViewCache
from .live import StoreOpener
from .pages import render_page
from .params import BadParameter, parse_query
from .routes import ROUTES, Route, route_for_path
from .security import (
    host_allowed,
    security_headers,
    token_cookie,
    token_from_request,
    token_matches,
)

__all__ = ["Dashboard", "Response", "STATIC_FILES", "COMPUTE_WORKERS", "error_response"]

COMPUTE_WORKERS = 2
"""Pages computed at once (each query also uses DuckDB's threads); the rest wait their turn."""

log = logging.getLogger(__name__)

_REPORT_STATIC = Path(__file__).resolve().parent.parent / "report" / "static"
_OWN_STATIC = Path(__file__).resolve().parent / "static"
# Served files, by URL name: a fixed list, so no request path ever reaches the file system.
STATIC_FILES: dict[str, tuple[Path, str]] = {
    "charts.js": (_REPORT_STATIC / "charts.js", "text/javascript; charset=utf-8"),
    "report.css": (_REPORT_STATIC / "report.css", "text/css; charset=utf-8"),
    "dashboard.js": (_OWN_STATIC / "dashboard.js", "text/javascript; charset=utf-8"),
    "live.js": (_OWN_STATIC / "live.js", "text/javascript; charset=utf-8"),
    "dashboard.css": (_OWN_STATIC / "dashboard.css", "text/css; charset=utf-8"),
}
_JSON = "application/json"
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Response:
    """What the server sends: status, headers (security headers included) and body."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {
            "Content-Type": self.content_type,
            "Content-Length": str(len(self.body)),
            "Cache-Control": "no-store",
            **security_headers(),
            **self.headers,
        }


def json_response(status: int, data: object, headers: dict | None = None) -> Response:
    body = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(status, body, _JSON, headers or {})


def error_response(status: int, message: str, parameter: str | None = None) -> Response:
    data = {"error": message} | ({"parameter": parameter} if parameter else {})
    return json_response(status, data)


class Dashboard:
    """The dashboard over one (read-only) store.

    Parameters
    ----------
    store : Store
        Opened read-only by :func:`~.server.serve`; shared by all request threads.
    token : str, optional
        When set, every request must present it (see :mod:`.security`).
    views : module, optional
        Where the view functions live (default :mod:`trendwatch.report.views`).
    cache_bytes : int
        Memory budget of the page cache (see :mod:`.cache`).
    compute_workers : int
        How many pages may be computed at the same time.
    allowed_hosts : frozenset of str, optional
        The ``Host`` headers answered (see :func:`.security.allowed_hosts`); ``None`` checks
        nothing (a dashboard called directly, without a socket). :func:`.server.make_server`
        always sets them.
    tz : tzinfo
        The zone the pages show times in, with its name (``--tz``); UTC by default. The JSON
        twins stay in UTC ISO 8601 with the offset.
    """

    def __init__(self, store, *, token: str | None = None, views: ModuleType | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES, compute_workers: int = COMPUTE_WORKERS,
                 allowed_hosts: frozenset[str] | None = None, tz: tzinfo = UTC):  # fmt: skip
        self.store = store
        self.tz = tz
        self.token = token
        self._views = views
        self.cache = ViewCache(max_bytes=cache_bytes)
        self.allowed_hosts = allowed_hosts
        self._compute_slots = threading.BoundedSemaphore(compute_workers)
        self._local = threading.local()

    @property
    def views(self) -> ModuleType:
        # Imported on first use: the report package is only needed once a page is asked for.
        if self._views is None:
            self._views = importlib.import_module("trendwatch.report.views")
        return self._views

    # -- the store, one cursor per thread ----------------------------------------------------
    def thread_store(self):
        """This thread's cursor on the shared store (created on first use)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self.store.cursor()
        return store

    # -- data ---------------------------------------------------------------------------------
    def data(self, route: Route, params: dict) -> dict:
        """The view's result for these parameters, read back from its cached JSON twin.

        The cache holds bytes only (its budget is exact); the JSON twin is the page's data, and
        its HTML page renders the same from it.
        """
        return orjson.loads(self.body(route, params, as_json=True))

    def _related(self, name: str, params: dict) -> dict:
        return self.data(next(r for r in ROUTES if r.name == name), params)

    def body(self, route: Route, params: dict, as_json: bool) -> bytes:
        """The serialised page or JSON twin, computed once per parameter set and data version
        and cached (a live page at every request: the watcher keeps writing its data)."""
        if route.live:
            return self._computed_live(route, params, as_json)
        key = ("json" if as_json else "html", route.name, tuple(sorted(params.items())),
               self._data_version())  # fmt: skip
        return self.cache.get_or_compute(key, lambda: self._computed(route, params, as_json))

    def _computed(self, route: Route, params: dict, as_json: bool) -> bytes:
        if as_json:
            return self._in_slot(lambda: self._json(route, params))
        data = self.data(route, params)  # in a slot of its own when it must be computed
        return self._in_slot(lambda: self._page(route, params, data))

    def _computed_live(self, route: Route, params: dict, as_json: bool) -> bytes:
        body = self._in_slot(lambda: self._json(route, params))
        if as_json:
            return body
        return self._page(route, params, orjson.loads(body))

    def _page(self, route: Route, params: dict, data: dict) -> bytes:
        with times_shown_in(self.tz):
            return render_page(route, params, data).encode()

    def _json(self, route: Route, params: dict) -> bytes:
        with self._request_store() as store:
            data = route.call(self.views, store, params, self._related)
        return orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)

    # -- a store another process writes (trendwatch watch): see .live ------------------------
    def _request_store(self):
        if isinstance(self.store, StoreOpener):
            return self.store.opened()
        return contextlib.nullcontext(self.thread_store())

    def _data_version(self) -> tuple:
        return self.store.version() if isinstance(self.store, StoreOpener) else ()

    def _in_slot(self, work):
        """Run ``work`` in one of the compute slots (a page built on another keeps its slot)."""
        if getattr(self._local, "computing", False):
            return work()
        with self._compute_slots:
            self._local.computing = True
            try:
                return work()
            finally:
                self._local.computing = False

    def warm(self, names=("overview", "trends", "runs", "quality")) -> None:
        """Compute the pages every visit starts with, before the first request."""
        for route_name in names:
            route = next(r for r in ROUTES if r.name == route_name)
            self.body(route, {}, as_json=False)
            self.body(route, {}, as_json=True)

    # -- requests -----------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """Answer one request (``target`` is the path with its query string); never raises."""
        try:
            return self._answer(method, target, headers)
        except Exception:  # a bug: say so without leaking internals, keep serving
            log.exception("error serving %s", target[:200])
            return error_response(500, "internal error: see the server's log")

    def _answer(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        if self.allowed_hosts is not None and not host_allowed(headers.get("Host"),
                                                               self.allowed_hosts):  # fmt: skip
            return _wrong_host(headers.get("Host"))
        if method not in ("GET", "HEAD"):
            return error_response(405, f"method {method} not allowed: the dashboard is read-only")
        parts = urlsplit(target)
        try:
            refused, set_cookie = self._authenticate(parts.query, headers)
        except ParameterError as exc:
            return error_response(400, str(exc), "query")
        if refused is not None:
            return refused
        response = self._dispatch(parts.path, parts.query)
        if set_cookie:
            response.headers["Set-Cookie"] = token_cookie(self.token)
        return response

    def _authenticate(self, query: str, headers: Mapping[str, str]) -> tuple[Response | None, bool]:
        if self.token is None:
            return None, False
        given, from_query = token_from_request(query, headers)
        if not token_matches(self.token, given):
            response = error_response(
                401, "a valid token is required (see trendwatch serve --token)"
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="trendwatch"'
            return response, False
        return None, from_query

    def _dispatch(self, path: str, query: str) -> Response:
        if path.startswith("/static/"):
            return _static(path.removeprefix("/static/"))
        found = route_for_path(path)
        if found is None:
            return error_response(404, f"no page at {path}: see / for the pages")
        route, as_json = found
        try:
            params = parse_query(query, route.params)
            body = self.body(route, params, as_json)
        except BadParameter as exc:
            return error_response(400, str(exc), exc.name)
        except NoDataError as exc:
            return error_response(404, str(exc))
        except (ParameterError, TrendwatchError) as exc:
            return error_response(400, str(exc))
        return Response(200, body, _JSON if as_json else _HTML)


def _wrong_host(given: str | None) -> Response:
    return error_response(
        400,
        f"this dashboard does not answer to Host {given!r:.80}: open it by the address it "
        "printed, or start it with --allow-host NAME",
        "Host",
    )


def _static(name: str) -> Response:
    entry = STATIC_FILES.get(name)
    if entry is None or not entry[0].is_file():
        return error_response(404, f"no static file {name!r}")
    path, content_type = entry
    return Response(200, path.read_bytes(), content_type, {"Cache-Control": "max-age=3600"})
