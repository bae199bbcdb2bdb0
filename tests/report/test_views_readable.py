"""Handles, post URLs and the interaction network in the views the report and dashboard share."""

from __future__ import annotations

import pytest

from trendwatch.errors import NoDataError
from trendwatch.report import build_report, views


def test_campaign_view_lists_top_accounts_with_handles(alpha_store):
    view = views.campaign_view(alpha_store, ["alpha"])
    assert [(r["author_id"], r["handle"], r["posts"]) for r in view["top_accounts"]] == [
        ("a", "alice", 3), ("b", None, 1),
    ]  # fmt: skip
    assert [(r["account"], r["handle"], r["reposts"]) for r in view["amplifiers"]] == [
        ("a", "alice", 1)
    ]
    assert view["first_movers"][0]["handle"] == "alice"


def test_interactions_view_by_hand(alpha_store):
    """#alpha: b reposts a once; a ("alice") and b each have one interaction."""
    view = views.interactions_view(alpha_store, ["alpha"], groups={"b": 4})
    assert view["summary"] == {
        "accounts": 2, "links": 1, "interactions": 1,
        "by_kind": {"repost": 1, "quote": 0, "reply": 0, "mention": 0},
    }  # fmt: skip
    fields = ("id", "handle", "group", "posts", "out_count", "in_count")
    assert [tuple(n[f] for f in fields) for n in view["nodes"]] == [
        ("a", "alice", 0, 3, 0, 1), ("b", None, 4, 1, 1, 0),
    ]  # fmt: skip
    assert view["edges"] == [{"source": "b", "target": "a", "kind": "repost", "count": 1,
                              "first": "2024-03-01T12:02:00+00:00",
                              "last": "2024-03-01T12:02:00+00:00"}]  # fmt: skip
    points = [(n["x"], n["y"]) for n in view["nodes"]]
    assert all(0 <= c <= 1 for p in points for c in p) and points[0] != points[1]
    assert (view["shown_accounts"], view["shown_links"]) == (2, 1)


def test_interactions_view_keeps_the_top_accounts_and_is_deterministic(alpha_store):
    one = views.interactions_view(alpha_store, ["alpha"], top=1)
    assert [n["id"] for n in one["nodes"]] == ["a"] and one["edges"] == []
    assert one["summary"]["accounts"] == 2  # the whole network's counts
    assert views.interactions_view(alpha_store) == views.interactions_view(alpha_store)
    with pytest.raises(NoDataError):
        views.interactions_view(alpha_store, ["nothing"])


def test_layout_spreads_a_triangle_over_the_unit_square():
    import pandas as pd

    edges = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "a"]})
    points = views.layout(["a", "b", "c"], edges)
    xs, ys = zip(*points, strict=True)
    assert min(xs) == 0 and max(xs) == 1 and min(ys) == 0 and max(ys) == 1
    assert len(set(points)) == 3


def test_groups_view_edges_carry_handles(trio_store):
    view = views.groups_view(trio_store, ["tag"], record=False)
    handles = {(e["a"], e["handle_a"]) for e in view["edges"]} | {
        (e["b"], e["handle_b"]) for e in view["edges"]
    }
    assert handles == {("a1", "<b>\u202eadmin"), ("a2", "two"), ("a3", "three")}
    pairs = [p for rows in view["evidence"].values() for p in rows]
    assert pairs and all("url_a" in p and "url_b" in p for p in pairs)


def test_report_has_the_network_section(alpha_store):
    html = build_report(alpha_store, hashtags=["alpha"])
    section = html.split('<section id="network">')[1].split("</section>")[0]
    assert '<a href="#network">network</a>' in html
    assert "2 accounts, 1 link, 1 interaction (1 repost, 0 quotes, 0 replies, 0 mentions)." in (
        section
    )
    assert section.count('<g class="account"') == 2 and section.count('<g class="link"') == 1
    assert "<title>@alice (a): 3 posts in scope; made 0 interactions, received 1</title>" in section
