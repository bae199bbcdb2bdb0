"""The interaction network as an SVG drawn here, in Python: no script, works offline.

:func:`interactions_svg` turns :func:`~.views.interactions_view`'s data into one ``<svg>``:
arrows from source to target coloured by kind and as thick as their count, nodes coloured by
coordination group and sized by interactions, the busiest accounts labelled with their
handle. Hovering a node or an arrow shows its ``<title>`` (handle, id, counts, first and last
time). Every handle and id goes through :func:`~.render.escape`.

Stable DOM: ``svg.interactions`` with ``g.link[data-kind]`` (a ``line`` and a ``title``) and
``g.account[data-id][data-group]`` (a ``circle``, a ``title``, maybe a ``text`` label).
"""

from __future__ import annotations

import math

from .render import escape, fmt_int, fmt_time

__all__ = ["interactions_svg", "KIND_COLOURS", "GROUP_COLOURS"]

WIDTH, HEIGHT, MARGIN, LEGEND = 900, 580, 30, 30
MIN_RADIUS, MAX_RADIUS = 4.0, 16.0
LABELLED = 12
"""Accounts whose handle is written beside their node (the busiest); the others on hover."""
KIND_COLOURS = {"repost": "#1f77b4", "quote": "#9467bd", "reply": "#2ca02c", "mention": "#ff7f0e"}
GROUP_COLOURS = ("#9aa0a6", "#d62728", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")
"""Group 0 (in no group) is grey; groups 1, 2... take the next colours in turn."""
_PLURALS = {"reply": "replies"}


def _who(node: dict) -> str:
    handle = node.get("handle")
    if not handle:
        return str(node["id"])
    return f"@{handle}" if node["id"] == f"@{handle}" else f"@{handle} ({node['id']})"


def _times(count: int, kind: str) -> str:
    return f"{fmt_int(count)} {kind if count == 1 else _PLURALS.get(kind, kind + 's')}"


def _point(node: dict) -> tuple[float, float]:
    return (
        MARGIN + node["x"] * (WIDTH - 2 * MARGIN),
        MARGIN + node["y"] * (HEIGHT - 2 * MARGIN - LEGEND),
    )


def _radius(node: dict, busiest: int) -> float:
    """Area proportional to the node's interactions, the busiest node at :data:`MAX_RADIUS`."""
    share = (node["out_count"] + node["in_count"]) / max(busiest, 1)
    return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(share)


def _group_colour(group: int) -> str:
    return (
        GROUP_COLOURS[0] if not group else GROUP_COLOURS[1 + (group - 1) % (len(GROUP_COLOURS) - 1)]
    )


def _link(edge: dict, nodes: dict[str, dict], busiest: int) -> str:
    source, target = nodes[edge["source"]], nodes[edge["target"]]
    (x1, y1), (x2, y2) = _point(source), _point(target)
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    # stop the arrow at the target's rim, so its head shows
    cut = min(_radius(target, busiest) + 2, length / 2)
    x2, y2 = x2 - (x2 - x1) * cut / length, y2 - (y2 - y1) * cut / length
    kind, count = edge["kind"], edge["count"]
    title = (f"{_who(source)} → {_who(target)}: {_times(count, kind)}, "
             f"{fmt_time(edge['first'])} to {fmt_time(edge['last'])}")  # fmt: skip
    width = min(1 + math.log2(count), 6)
    return (
        f'<g class="link" data-kind="{escape(kind)}"><title>{escape(title)}</title>'
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{KIND_COLOURS.get(kind, "#555")}" stroke-width="{width:.1f}" '
        f'marker-end="url(#arrow-{escape(kind)})"/></g>'
    )


def _account(node: dict, busiest: int) -> str:
    x, y = _point(node)
    group = int(node.get("group") or 0)
    title = (f"{_who(node)}: {fmt_int(node['posts'])} posts in scope; made "
             f"{fmt_int(node['out_count'])} interactions, received {fmt_int(node['in_count'])}"
             + (f"; coordination group {group}" if group else ""))  # fmt: skip
    return (
        f'<g class="account" data-id="{escape(node["id"])}" data-group="{group}">'
        f"<title>{escape(title)}</title>"
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_radius(node, busiest):.1f}" '
        f'fill="{_group_colour(group)}"/></g>'
    )


def _label(node: dict, busiest: int) -> str:
    """The handle beside a node, in a layer above every node (never hidden by one)."""
    x, y = _point(node)
    anchor = "end" if x > WIDTH * 0.8 else "start"
    dx = -(_radius(node, busiest) + 3) if anchor == "end" else _radius(node, busiest) + 3
    return (
        f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">'
        f"{escape(_who_short(node))}</text>"
    )


def _who_short(node: dict) -> str:
    return f"@{node['handle']}" if node.get("handle") else str(node["id"])


def _markers() -> str:
    return "<defs>" + "".join(
        f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
        for kind, colour in KIND_COLOURS.items()
    ) + "</defs>"  # fmt: skip


def _legend() -> str:
    items = "".join(
        f'<g transform="translate({10 + 110 * i},{HEIGHT - 12})">'
        f'<line x1="0" y1="-4" x2="24" y2="-4" stroke="{colour}" stroke-width="3"/>'
        f'<text x="30" y="0">{escape(kind)}</text></g>'
        for i, (kind, colour) in enumerate(KIND_COLOURS.items())
    )
    return f'<g class="legend">{items}</g>'


def interactions_svg(view: dict) -> str:
    """The SVG of an interactions view (see the module docs); empty when it has no node.

    Examples
    --------
    >>> view = {"nodes": [
    ...     {"id": "1", "handle": "a<b", "group": 1, "posts": 2, "out_count": 1, "in_count": 0,
    ...      "x": 0.0, "y": 0.0},
    ...     {"id": "2", "handle": None, "group": 0, "posts": 0, "out_count": 0, "in_count": 1,
    ...      "x": 1.0, "y": 1.0}],
    ...     "edges": [{"source": "1", "target": "2", "kind": "reply", "count": 1,
    ...                "first": "2024-01-01T10:00:00+00:00", "last": "2024-01-01T10:00:00+00:00"}]}
    >>> svg = interactions_svg(view)
    >>> "@a&lt;b (1) → 2: 1 reply, 2024-01-01 10:00 UTC to 2024-01-01 10:00 UTC" in svg
    True
    """
    nodes = {n["id"]: n for n in view["nodes"]}
    if not nodes:
        return ""
    ranked = sorted(nodes.values(), key=lambda n: -(n["out_count"] + n["in_count"]))
    busiest = ranked[0]["out_count"] + ranked[0]["in_count"]
    links = "".join(_link(e, nodes, busiest) for e in reversed(view["edges"]))  # strongest on top
    accounts = "".join(_account(n, busiest) for n in view["nodes"])
    labels = "".join(_label(n, busiest) for n in ranked[:LABELLED])
    return (
        f'<svg class="interactions" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="who reposts, quotes, replies to and mentions whom">{_markers()}'
        f"<g class=links>{links}</g><g class=accounts>{accounts}</g>"
        f"<g class=labels>{labels}</g>{_legend()}</svg>"
    )
