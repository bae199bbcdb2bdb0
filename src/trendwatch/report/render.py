"""HTML building blocks for the report and the dashboard: escaping, data blocks, the page.

Everything a user gave us (post text, handles, names, URLs, hashtags) is hostile. The rules:

* **Text** goes through :func:`escape` (``& < > " '`` become entities; bidi control
  characters U+200E/F, U+061C, U+202A–U+202E and U+2066–U+2069 are removed, so a handle cannot
  reorder the text after it); :func:`text` also wraps it in ``<bdi>`` to isolate its direction.
* **URLs** become ``href`` only when their scheme is http or https (:func:`safe_href`);
  anything else (``javascript:``, ``data:``...) is shown as text.
* **Data for the JavaScript** goes in ``<script type="application/json" id="...">`` blocks
  (:func:`json_script`): JSON in which ``<``, ``>``, ``&``, U+2028, U+2029 and the bidi
  controls are written as ``\\uXXXX`` escapes, so no post text can close the block
  (``</script>``) or start markup. ``charts.js`` reads a block with
  ``JSON.parse(element.textContent)`` and writes only with ``textContent`` /
  ``createElementNS``.
* **Scripts**: the page's Content-Security-Policy allows only the inline scripts whose SHA-256
  :func:`page` lists (``charts.js``); no other script can run, even if markup slipped through.

How the dashboard reuses this: call :func:`page` with its body (``scripts`` defaults to
``charts.js``), put each view's JSON in a :func:`json_script` block, and mark chart containers
with :func:`chart` (``data-chart`` = ``timeline`` | ``lorenz`` | ``network``,
``data-source`` = the block id, ``data-key`` = the member to draw). ``charts.js`` draws them on
page load; ``TW.renderAll(element)`` draws containers added later.

Stable DOM for browser tests (report): ``section#summary``, ``section#trending``
(``table.trending``, ``table.onsets``), ``section#campaigns`` with one
``.campaign-card[data-hashtag]`` per campaign (``svg.timeline``, ``svg.lorenz``,
``table.first-movers``, ``table.amplifiers``), ``section#groups`` (``table.groups`` with
``tr[data-group]``: a click dims the other groups and lists the group's links in the panel),
``#network svg.network`` with ``circle.node[data-id][data-group]`` and
``g.edge[data-a][data-b]``, ``#evidence.evidence`` (a click on a link fills it with
``table.evidence-table``; a click on a node or a group row fills it with ``.link-button``
buttons, one per link). In a dense group the links lie under the nodes: click a node (the
last one is on top) or a group row, then a ``.link-button``. ``section#comparison``
(``svg.timeline``), ``section#methods``, ``section#quality``.

Times: the data (views, JSON blocks, JSON twins) stays in UTC ISO 8601 with its offset; only
what is shown moves to the zone of :func:`times_shown_in` (the CLI's ``--tz``): :func:`fmt_time`
in Python, and in ``charts.js`` through the page's ``<html data-tz="...">`` (:func:`page`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

import orjson

from ..times import to_zone

__all__ = [
    "escape",
    "text",
    "handle",
    "safe_href",
    "link",
    "json_script",
    "chart",
    "table",
    "facts",
    "page",
    "static_text",
    "fmt_int",
    "fmt_num",
    "fmt_share",
    "fmt_time",
    "times_shown_in",
    "shown_zone_name",
]

BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def escape(value) -> str:
    """Escape any value for HTML text or a quoted attribute; None is empty.

    >>> escape('<b title="x">\u202eevil</b>')
    '&lt;b title=&quot;x&quot;&gt;evil&lt;/b&gt;'
    """
    if value is None:
        return ""
    return html.escape(BIDI_CONTROLS.sub("", str(value)), quote=True)


def text(value) -> str:
    """User-given text, escaped and direction-isolated.

    >>> text("&lt;")
    '<bdi>&amp;lt;</bdi>'
    """
    return f"<bdi>{escape(value)}</bdi>"


def handle(value, fallback=None) -> str:
    """An account for display: ``@handle`` (else the fallback id), escaped and isolated."""
    shown = value if value not in (None, "") else fallback
    return text("" if shown is None else f"@{shown}")


def safe_href(url) -> str | None:
    """``url`` when it is an http(s) URL with a host, else None (never a ``javascript:`` link).

    >>> safe_href("javascript:alert(1)") is None, safe_href("https://example.org/a")
    (True, 'https://example.org/a')
    """
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if any(ord(ch) < 32 or ch.isspace() for ch in candidate):
        return None
    parts = urlsplit(candidate)
    return candidate if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def link(url, label=None) -> str:
    """A link for an http(s) URL; any other URL is shown as text."""
    href = safe_href(url)
    shown = text(label if label is not None else url)
    if href is None:
        return shown
    return f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">{shown}</a>'


def json_script(block_id: str, data) -> str:
    """A ``<script type="application/json">`` block whose content cannot break out (see top)."""
    raw = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    safe = _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES.get(m[0], f"\\u{ord(m[0]):04x}"), raw)
    return f'<script type="application/json" id="{escape(block_id)}">{safe}</script>'


def chart(kind: str, source: str, key: str | None = None, *, css: str = "", **attrs) -> str:
    """A container ``charts.js`` draws into: ``kind`` from the block ``source`` (member ``key``)."""
    extra = "".join(f' {escape(k.replace("_", "-"))}="{escape(v)}"' for k, v in attrs.items())
    keyed = f' data-key="{escape(key)}"' if key else ""
    return (
        f'<div class="chart {escape(css)}" data-chart="{escape(kind)}" '
        f'data-source="{escape(source)}"{keyed}{extra}></div>'
    )


def table(columns, rows, *, css: str = "", numeric=(), row_attrs=None) -> str:
    """An HTML table. ``rows`` hold cells already rendered (strings of safe HTML).

    ``columns`` are our own labels (escaped anyway); ``numeric`` names right-aligned columns;
    ``row_attrs`` is an optional list of attribute strings (safe HTML), one per row.
    """
    head = "".join(f"<th{' class=num' if c in numeric else ''}>{escape(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        attrs = f" {row_attrs[i]}" if row_attrs else ""
        cells = "".join(
            f"<td{' class=num' if c in numeric else ''}>{cell}</td>"
            for c, cell in zip(columns, row, strict=True)
        )
        body.append(f"<tr{attrs}>{cells}</tr>")
    return (
        f'<div class="table-wrap"><table class="{escape(css)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def facts(pairs) -> str:
    """A grid of (label, value) facts; values are escaped here."""
    cells = "".join(
        f'<div class="fact"><span class="value">{escape(v)}</span>'
        f'<span class="label">{escape(label)}</span></div>'
        for label, v in pairs
    )
    return f'<div class="facts">{cells}</div>'


# -- numbers for people ----------------------------------------------------------------------


def fmt_int(value) -> str:
    """``12,345``; a dash when unknown.

    >>> fmt_int(12345), fmt_int(None)
    ('12,345', '–')
    """
    return "–" if value is None else f"{int(value):,}"


def fmt_num(value, digits: int = 2) -> str:
    """A float rounded for reading; a dash when unknown.

    >>> fmt_num(3.14159)
    '3.14'
    """
    return "–" if value is None else f"{float(value):,.{digits}f}"


def fmt_share(value) -> str:
    """A fraction as a percentage with one decimal.

    >>> fmt_share(0.4888)
    '48.9 %'
    """
    return "–" if value is None else f"{100 * float(value):.1f} %"


_SHOWN_ZONE: ContextVar[tzinfo] = ContextVar("trendwatch_shown_zone", default=UTC)


@contextmanager
def times_shown_in(tz: tzinfo) -> Iterator[None]:
    """Within the block, :func:`fmt_time` and :func:`page` show times in ``tz``.

    >>> from trendwatch.times import zone
    >>> with times_shown_in(zone("Europe/Paris")):
    ...     fmt_time("2025-11-14T23:30:00+00:00")
    '2025-11-15 00:30 CET'
    """
    token = _SHOWN_ZONE.set(tz)
    try:
        yield
    finally:
        _SHOWN_ZONE.reset(token)


def shown_zone_name() -> str:
    """The IANA name of the zone times are shown in (``UTC`` by default)."""
    return getattr(_SHOWN_ZONE.get(), "key", "UTC")


def fmt_time(iso, seconds: bool = False) -> str:
    """An ISO 8601 time as ``2016-12-01 10:00 UTC``, in the zone of :func:`times_shown_in`
    with its abbreviation (``CET``, ``CEST``); a time without an offset is UTC.

    >>> fmt_time("2016-12-01T10:00:30+00:00"), fmt_time("2016-12-01T10:00:30Z", seconds=True)
    ('2016-12-01 10:00 UTC', '2016-12-01 10:00:30 UTC')
    """
    if not iso:
        return "–"
    tz = _SHOWN_ZONE.get()
    if tz is UTC:  # the text as it is: no parsing
        return f"{str(iso)[: 19 if seconds else 16].replace('T', ' ')} UTC"
    local = to_zone(datetime.fromisoformat(str(iso).replace("Z", "+00:00")), tz)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


# -- the page ---------------------------------------------------------------------------------


@cache
def static_text(name: str) -> str:
    """A file of ``trendwatch/report/static`` (``charts.js``, ``report.css``)."""
    return resources.files("trendwatch.report").joinpath("static", name).read_text("utf-8")


def _sha256(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def page(title: str, body: str, *, scripts=("charts.js",), head: str = "") -> str:
    """A complete self-contained HTML page: CSS and the ``scripts`` inlined, strict CSP.

    ``body`` is safe HTML built with this module; ``title`` is escaped here; ``head`` is extra
    safe HTML for ``<head>``.
    """
    sources = [static_text(name) for name in scripts]
    hashes = " ".join(f"'sha256-{_sha256(s)}'" for s in sources) or "'none'"
    csp = (
        f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {hashes}; "
        "base-uri 'none'; form-action 'none'"
    )
    inline = "".join(f"<script>{s}</script>" for s in sources)
    return (
        f'<!DOCTYPE html>\n<html lang="en" data-tz="{escape(shown_zone_name())}"><head>'
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{static_text('report.css')}</style>{head}"
        f"</head><body><main>{body}</main>{inline}</body></html>\n"
    )
