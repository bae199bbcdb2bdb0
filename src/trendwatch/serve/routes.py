"""The dashboard's pages, declared once as data: path, parameters, and the view behind each.

Each page ``/name`` has a JSON twin ``/api/name`` (the overview ``/`` has ``/api/overview``).
A page's data is exactly what :mod:`trendwatch.report.views` returns for the validated
parameters: the dashboard and the HTML report show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from ..watch.live import live_status
from .params import Param

__all__ = ["Route", "ROUTES", "route_for_path", "FILTERS"]

# The filters named in the issue, declared once and reused by the pages that accept them.
SINCE = Param("since", "time", help="Only posts at or after this time (ISO 8601, UTC).")
UNTIL = Param("until", "time", help="Only posts before this time (ISO 8601, UTC).")
PLATFORM = Param("platform", "platform", help="x, mastodon or bluesky.")
HASHTAGS = Param("hashtag", "hashtag", multiple=True, help="Repeat for several hashtags.")
FILTERS = (SINCE, UNTIL, PLATFORM, HASHTAGS)

# call(views, store, params, related) -> dict; related(page_name, params) is another page's
# (cached) data, so a page can build on one already computed.
ViewCall = Callable[[ModuleType, object, dict, Callable[[str, dict], dict]], dict]


@dataclass(frozen=True)
class Route:
    """One dashboard page and its JSON twin.

    Attributes
    ----------
    name : the page name; the HTML page is at ``path`` and its data at ``/api/<name>``.
    path : the HTML page's path.
    title : shown in the navigation and the page heading.
    params : the query parameters the page accepts (anything else is a 400).
    call : ``call(views, store, params, related) -> dict``: which view, with which arguments.
    in_nav : listed in the navigation bar (pages that need an argument are reached by links).
    live : computed at every request (never cached) and redrawn by the page itself from its
        JSON twin every few seconds (the live page, while a watcher writes the store).
    html_skip : entries of the data left out of the HTML tables (drawn by the charts, or only
        useful as JSON).
    """

    name: str
    path: str
    title: str
    params: tuple[Param, ...]
    call: ViewCall
    in_nav: bool = True
    html_skip: tuple[str, ...] = ()
    live: bool = False

    @property
    def api_path(self) -> str:
        return f"/api/{self.name}"


def _hashtags(params: dict) -> list[str] | None:
    tags = params.get("hashtag")
    return list(tags) if tags else None


def _scope(params: dict) -> dict:
    return {k: params[k] for k in ("since", "until", "platform") if k in params}


def _trends(views, store, params: dict, related) -> dict:
    return views.trending_view(
        store, at=params.get("until"), window=params.get("window", "1h"), top=params.get("top", 20)
    )


def _groups(views, store, params: dict, related) -> dict:
    return views.groups_view(store, _hashtags(params), **_scope(params))


def _network(views, store, params: dict, related) -> dict:
    """The interaction network of the scope, coloured by the groups of the same scope."""
    groups = related("groups", params)
    return views.interactions_view(
        store, _hashtags(params), **_scope(params),
        groups={n["id"]: n["group"] for n in groups["nodes"]},
    )  # fmt: skip


def _evidence(views, store, params: dict, related) -> dict:
    """Evidence from stored runs; else, with a scope, from the groups computed for that scope.

    The dashboard opens the store read-only, so the groups it computes are not recorded as
    runs; their evidence (the first pairs of each shown link) comes from the groups page data.
    """
    found = views.evidence_view(store, params["a"], params["b"], run_id=params.get("run_id"))
    scope = {k: v for k, v in params.items() if k in _SCOPE_NAMES}
    if found["pairs"] or "run_id" in params or not scope:
        return found | {"source": "stored runs"}
    groups = related("groups", scope)
    pairs = groups["evidence"].get(f"{found['account_a']}|{found['account_b']}", [])
    texts = groups["posts"]
    found["pairs"] = [
        p | {"text_a": texts.get(p["post_a"]), "text_b": texts.get(p["post_b"])} for p in pairs
    ]
    return found | {"source": "groups of this scope (first pairs of each link)"}


_SCOPE_NAMES = {p.name for p in FILTERS}


ROUTES: tuple[Route, ...] = (
    Route("overview", "/", "Overview", (), lambda v, s, p, r: v.summary_view(s)),
    Route(
        "trends", "/trends", "Trends",
        (UNTIL, Param("window", "window", help="Window length: 30s, 5min, 1h, 1d."),
         Param("top", "top", help="How many hashtags (1-500).")),
        _trends,
    ),
    Route(
        "campaign", "/campaign", "Campaign",
        (Param("hashtag", "hashtag", multiple=True, required=True, help=HASHTAGS.help),),
        lambda v, s, p, r: v.campaign_view(s, list(p["hashtag"])),
        in_nav=False, html_skip=("timeline",),
    ),
    Route("groups", "/groups", "Groups", FILTERS, _groups, html_skip=("evidence", "posts")),
    Route("network", "/network", "Network", FILTERS, _network, in_nav=False),
    Route(
        "evidence", "/evidence", "Evidence",
        (Param("a", "id", required=True, help="One account id of the pair."),
         Param("b", "id", required=True, help="The other account id."),
         Param("run_id", "id", help="The run whose evidence to show."), *FILTERS),
        _evidence,
        in_nav=False,
    ),
    Route(
        "compare", "/compare", "Compare",
        (Param("a", "hashtag", required=True, help="First campaign's hashtag."),
         Param("b", "hashtag", required=True, help="Second campaign's hashtag.")),
        lambda v, s, p, r: v.comparison_view(s, p["a"], p["b"]),
        in_nav=False, html_skip=("timeline",),
    ),
    Route("live", "/live", "Live", (), lambda v, s, p, r: live_status(s), live=True),
    Route("runs", "/runs", "Runs & methods", (), lambda v, s, p, r: v.methods_view(s)),
    Route("quality", "/quality", "Data quality", (), lambda v, s, p, r: v.quality_view(s)),
)  # fmt: skip

_BY_PATH = {route.path: (route, False) for route in ROUTES} | {
    route.api_path: (route, True) for route in ROUTES
}


def route_for_path(path: str) -> tuple[Route, bool] | None:
    """The route serving ``path`` and whether it is the JSON twin; None for unknown paths.

    >>> route_for_path("/api/trends")[0].title, route_for_path("/api/trends")[1]
    ('Trends', True)
    >>> route_for_path("/nope") is None
    True
    """
    return _BY_PATH.get(path.rstrip("/") or "/")
