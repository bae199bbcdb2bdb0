"""HTML pages of the dashboard: a layout, a filter form, and the view's data as tables.

Every value that comes from the store is hostile (harassment text, handles, URLs): it is
escaped, its bidi controls removed and wrapped in ``<bdi>`` (a right-to-left override cannot
flip the text around it), and never used as a link target (only our own paths, with
URL-encoded parameters, are links).
The view's data is also embedded as JSON for the charts, escaped so that ``</script>`` in a
post cannot close the data block. The escaping, the data block and the chart containers are
the report's (:mod:`trendwatch.report.render`), so both outputs follow the same rules.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlencode

import orjson

from ..report import render
from .params import Param
from .readable import READABLE
from .routes import FILTERS, ROUTES, Route

__all__ = ["render_page", "render_table", "render_mapping", "page_url", "MAX_ROWS"]

MAX_ROWS = 300
MAX_LIST = 30
_SCOPE_NAMES = {p.name for p in FILTERS}


def _text(value: object) -> str:
    return render.escape(_plain(value))


def _bdi(value: object) -> str:
    return render.text(_plain(value))


def _plain(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def page_url(path: str, params: Iterable[tuple[str, object]] = ()) -> str:
    """A link to one of our pages; parameter values are URL-encoded, then HTML-escaped.

    >>> page_url("/campaign", [("hashtag", "a&b")])
    '/campaign?hashtag=a%26b'
    """
    query = urlencode([(k, str(v)) for k, v in params if v is not None])
    return html.escape(f"{path}?{query}" if query else path, quote=True)


# -- cells and tables ----------------------------------------------------------------------


def _cell(column: str, row: dict) -> str:
    value = row.get(column)
    if column == "hashtag" and isinstance(value, str):
        href = page_url("/campaign", [("hashtag", value)])
        return f'<a class="campaign-link" href="{href}">{_bdi(value)}</a>'
    if isinstance(value, list | tuple):
        return _list_cell(value)
    if isinstance(value, dict):
        return f"<code>{_bdi(orjson.dumps(value, default=str).decode())}</code>"
    if isinstance(value, str) and column not in _DATA_TEXT and _shown_elsewhere(value):
        return render.escape(render.fmt_time(value, seconds=True))
    return f"{_bdi(value)}"


# Columns whose text a user's data chose: never read as a time, whatever it looks like.
_DATA_TEXT = frozenset({"text", "text_a", "text_b", "key", "raw", "reason", "description",
                        "name", "handle", "hashtag"})  # fmt: skip
_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def _shown_elsewhere(value: str) -> bool:
    """A UTC time of the views, while the dashboard shows times in another zone (--tz);
    in UTC the text is shown as it is, as it always was."""
    return render.shown_zone_name() != "UTC" and _UTC_ISO.fullmatch(value) is not None


# Columns naming the two accounts of a link: the evidence view's and the network edges'.
_PAIR_COLUMNS = (("account_a", "account_b"), ("a", "b"))


def _pair_columns(columns: list[str]) -> tuple[str, str] | None:
    return next((pair for pair in _PAIR_COLUMNS if set(pair) <= set(columns)), None)


def _list_cell(values: list | tuple) -> str:
    # Chart series (lists of points, long lists of numbers) are drawn, not printed.
    if any(isinstance(v, list | tuple | dict) for v in values) or len(values) > MAX_LIST:
        return f"{len(values)} values (in the JSON twin)"
    return ", ".join(_bdi(v) for v in values)


def _evidence_link(row: dict, pair: tuple[str, str], scope: list) -> str:
    params = [("a", row[pair[0]]), ("b", row[pair[1]]), ("run_id", row.get("run_id")), *scope]
    return f'<a class="evidence-link" href="{page_url("/evidence", params)}">evidence</a>'


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows[:MAX_ROWS]:
        seen.update(dict.fromkeys(row))
    return list(seen)


def render_table(rows: list[dict], caption: str, scope: list | tuple | None = ()) -> str:
    """Records as an HTML table (first :data:`MAX_ROWS`); account pairs link to evidence.

    ``scope`` (query pairs) is carried into the evidence links, so the evidence page can find
    the links of the groups computed for that scope; None: no evidence links.
    """
    columns = _columns(rows)
    pair = _pair_columns(columns) if scope is not None else None
    head = "".join(f"<th>{_text(c)}</th>" for c in columns) + ("<th></th>" if pair else "")
    body = []
    for row in rows[:MAX_ROWS]:
        cells = "".join(f"<td>{_cell(c, row)}</td>" for c in columns)
        link = f"<td>{_evidence_link(row, pair, list(scope))}</td>" if pair else ""
        body.append(f"<tr>{cells}{link}</tr>")
    more = len(rows) - MAX_ROWS
    note = f'<p class="note">{more} more rows in the JSON twin.</p>' if more > 0 else ""
    return (
        f'<table data-name="{_text(caption)}"><caption>{_text(caption)} ({len(rows)})</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


def _is_records(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def render_value(name: str, value: object, depth: int = 0, scope: list | tuple | None = ()) -> str:
    """One entry of a view: records become a table, a mapping a section, scalars a line."""
    if _is_records(value):
        return render_table(value, name, scope)
    if isinstance(value, dict):
        heading = min(depth + 2, 6)
        inner = render_mapping(value, depth + 1, scope)
        return f"<section><h{heading}>{_text(name)}</h{heading}>{inner}</section>"
    return f"<dl><dt>{_text(name)}</dt><dd>{_cell(name, {name: value})}</dd></dl>"


def render_mapping(data: dict, depth: int = 0, scope: list | tuple | None = ()) -> str:
    """A view's dict: scalar entries first as one list, then tables and sections in order."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_records(v)}
    rest = [render_value(str(k), v, depth, scope) for k, v in data.items() if k not in scalars]
    items = "".join(
        f"<dt>{_text(k)}</dt><dd>{_cell(str(k), {str(k): v})}</dd>" for k, v in scalars.items()
    )
    return (f'<dl class="facts">{items}</dl>' if items else "") + "".join(rest)


# -- page furniture ------------------------------------------------------------------------


def _nav(current: Route) -> str:
    links = [
        f'<a href="{route.path}"{" aria-current=page" if route is current else ""}>'
        f"{_text(route.title)}</a>"
        for route in ROUTES
        if route.in_nav or route is current
    ]
    return f'<nav><span class="brand">trendwatch</span>{"".join(links)}</nav>'


def _input(param: Param, value: object) -> str:
    shown = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
    kind = "hashtag" if param.kind == "hashtag" else "text"
    return (
        f'<label>{_text(param.name)}<input name="{_text(param.name)}" type="text" '
        f'data-kind="{kind}" value="{render.escape(shown)}" '
        f'title="{_text(param.help)}"{" required" if param.required else ""}></label>'
    )


def _inputs(param: Param, params: dict) -> str:
    if not param.multiple:
        return _input(param, params.get(param.name))
    # One box per value given, plus an empty one to add another.
    return "".join(_input(param, v) for v in (*params.get(param.name, ()), None))


def _filter_form(route: Route, params: dict) -> str:
    if not route.params:
        return ""
    fields = "".join(_inputs(p, params) for p in route.params)
    return (
        f'<form class="filters" method="get" action="{route.path}">{fields}'
        f'<button type="submit">Apply</button></form>'
    )


def _query_pairs(params: dict) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for name, value in params.items():
        values = value if isinstance(value, tuple) else (value,)
        pairs.extend((name, v.isoformat() if hasattr(v, "isoformat") else v) for v in values)
    return pairs


def _follow_links(route: Route, params: dict) -> str:
    tags = params.get("hashtag") or ()
    if route.name != "campaign" or not tags:
        return ""
    href = page_url("/groups", [("hashtag", t) for t in tags])
    link = f'<a id="to-groups" href="{href}">Coordination groups in this campaign</a>'
    return f'<p class="next">{link}</p>'


# Which charts each page draws (charts.js reads them from the data block "tw-data"): kind,
# member of the data, CSS class (the report's layout classes).
_CHARTS = {
    "campaign": [("timeline", "timeline", "timeline-box"), ("lorenz", "lorenz", "lorenz-box")],
    "compare": [("timeline", "timeline", "timeline-box")],
    "groups": [("network", None, "network-box")],
}


def _charts(route: Route) -> str:
    charts = _CHARTS.get(route.name)
    if not charts:
        return ""
    drawn = "".join(
        render.chart(
            kind,
            "tw-data",
            key,
            css=css,
            **({"id": "network", "data_evidence": "evidence"} if kind == "network" else {}),
        )
        for kind, key, css in charts
    )
    panel = '<div id="evidence" class="evidence"></div>' if route.name == "groups" else ""
    return f'<div class="charts" id="tw-charts">{drawn}</div>{panel}'


def render_page(route: Route, params: dict, data: dict) -> str:
    """The whole HTML page for ``route`` with the validated ``params`` and the view's ``data``."""
    api = page_url(route.api_path, _query_pairs(params))
    scope = _query_pairs({k: v for k, v in params.items() if k in _SCOPE_NAMES})
    scope = None if route.name == "evidence" else scope  # no link from a pair to itself
    shown = {k: v for k, v in data.items() if k not in route.html_skip}
    if route.name in READABLE:
        content = READABLE[route.name](data, scope or [])
    else:
        content = _charts(route) + _live_data(route, shown, scope, api)
    return f"""<!doctype html>
<html lang="en" data-tz="{_text(render.shown_zone_name())}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_text(route.title)} · trendwatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/report.css">
<link rel="stylesheet" href="/static/dashboard.css">
</head><body data-page="{_text(route.name)}">
<header>{_nav(route)}</header>
<main>
<h1>{_text(route.title)}</h1>
{_filter_form(route, params)}
<p class="api">Data as JSON: <a href="{api}">{api}</a></p>
{_follow_links(route, params)}
{content}
</main>
{render.json_script("tw-data", data)}
<script src="/static/charts.js"></script>
<script src="/static/dashboard.js"></script>
{'<script src="/static/live.js"></script>' if route.live else ""}
</body></html>
"""


def _live_data(route: Route, shown: dict, scope, api: str) -> str:
    """The view's data; on a live page, in the block its script redraws from ``api``."""
    inner = render_mapping(shown, 0, scope)
    if not route.live:
        return inner
    return f'<div id="live" data-api="{api}" aria-live="polite">{inner}</div>'
