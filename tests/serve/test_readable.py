"""The campaign, groups and network pages read like the report: labels and units instead of
field names, handles instead of ids, the verdict first, and links to the evidence."""

from __future__ import annotations

import re

from trendwatch.serve.pages import render_page
from trendwatch.serve.readable import account_anchor
from trendwatch.serve.routes import route_for_path

HOSTILE_HANDLE = "<b>ann\u202e"


def campaign_view() -> dict:
    """A campaign of #x: account 1 (a hostile handle) first, account 2 with no known handle."""
    metrics = {
        "hashtags": ["x"],
        "posts": 5,
        "accounts": 2,
        "first": "2024-03-01T12:00:00+00:00",
        "last": "2024-03-01T12:30:00+00:00",
        "duration_min": 30.0,
        "busiest_minute_posts": 3,
        "minutes_to_100": None,
        "minutes_to_1000": None,
        "minutes_to_2000": None,
        "gini": 0.2,
        "hhi": 0.52,
        "top1pct_share": 0.6,
        "top50_share": 1.0,
        "repost_share": 0.4,
        "reply_share": 0.2,
        "quote_share": 0.0,
        "new_account_share": None,
        "first_movers_share": 1.0,
        "cohashtags": [{"hashtag": "y&z", "posts": 2}],
        "summary": "5 posts in 30 min from 2 accounts; the most active account made 60 % of them",
    }
    first = {"first_post": "2024-03-01T12:00:00+00:00"}
    return {
        "hashtags": ["x"], "metrics": metrics,
        "timeline": {"bucket": "1min", "times": [], "series": [], "annotations": []},
        "onsets": [{"hashtag": "x", "start": "2024-03-01T12:00:00+00:00",
                    "peak": "2024-03-01T12:00:00+00:00", "end": "2024-03-01T13:00:00+00:00",
                    "posts": 5, "peak_rate_per_min": 0.083, "baseline_per_min": 0.0}],
        "lorenz": {"points": [[0, 0], [1, 1]], "gini": 0.2},
        "first_movers": [{"author_id": "1", "handle": HOSTILE_HANDLE, **first,
                          "posts_first_hour": 3},
                         {"author_id": "2", "handle": None, **first, "posts_first_hour": 2}],
        "top_accounts": [{"author_id": "1", "handle": HOSTILE_HANDLE, "posts": 3, **first,
                          "last_post": "2024-03-01T12:30:00+00:00"}],
        "amplifiers": [{"account": "2", "handle": None, "reposts": 2}],
    }  # fmt: skip


def groups_view() -> dict:
    """One group of accounts 1, 2 and 3: links 1-2 (5 events) and 2-3 (2 events)."""
    nodes = [
        {"id": "1", "handle": HOSTILE_HANDLE, "group": 1, "posts": 3, "age_days": 3.0,
         "followers": 4},
        {"id": "2", "handle": None, "group": 1, "posts": 2, "age_days": None, "followers": None},
        {"id": "3", "handle": "cat", "group": 1, "posts": 1, "age_days": 900.4, "followers": 10},
    ]  # fmt: skip
    edges = [
        {"a": "1", "handle_a": HOSTILE_HANDLE, "b": "2", "handle_b": None, "weight": 5,
         "events": 5, "q_value": 1e-6, "methods": ["co-retweet"]},
        {"a": "2", "handle_a": None, "b": "3", "handle_b": "cat", "weight": 2, "events": 2,
         "q_value": 3e-5, "methods": ["co-retweet", "co-link"]},
    ]  # fmt: skip
    group = {
        "group_id": 1, "size": 3, "density": 0.67, "median_gap_s": 5.0, "posts": 6,
        "share_posts": 0.8, "share_first_2000": 0.8, "median_age_days": 3.0,
        "median_followers": 7.0, "share_flagged": 0.0, "top_keys": [], "top_hashtag": "x",
        "hashtag_share": 0.8, "reading": "push",
    }  # fmt: skip
    return {
        "verdict": {"text": "Coordinated core: 3 accounts made 80% of the 7 posts of #x."},
        "scope": {"hashtags": ["x"], "since": None, "until": None, "platform": None},
        "summary": {"methods": ["co-retweet", "co-link"], "groups": 1, "accounts_in_groups": 3,
                    "significant_edges": 2, "runs": {}},
        "groups": [group], "network_accounts": 3, "nodes": nodes, "edges": edges,
        "evidence": {}, "posts": {},
        "runs": {"co-retweet": "run-r", "co-link": None},
        "tests": {"co-retweet": {"window_s": 60.0, "pairs": 3, "significant": 2},
                  "co-link": {"window_s": 60.0, "pairs": 1, "significant": 1}},
        "params": {"q": 0.0001},
    }  # fmt: skip


def page(name: str, data: dict, params: dict) -> str:
    return render_page(route_for_path(f"/{name}")[0], params, data)


def body_of(html: str) -> str:
    """The page without its JSON data block (which keeps every field name, as the twin)."""
    return re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)


def test_campaign_page_has_labels_and_units_not_field_names():
    body = body_of(page("campaign", campaign_view(), {"hashtag": ("x",)}))
    for field in ("minutes_to_100", "hhi", "top1pct_share", "first_movers_share", "duration_min",
                  "values (in the JSON twin)"):  # fmt: skip
        assert field not in body, field
    facts = dict(re.findall(r'<span class="value">([^<]*)</span><span class="label">([^<]*)<',
                            body))  # fmt: skip
    assert facts["5"] == "posts" and facts["3"] == "posts in the busiest minute"
    assert facts["30 min"] == "time span"
    assert facts["0.520"] == "concentration (HHI, 0-1)"
    assert facts["60.0 %"] == "top 1 % of accounts&#x27; share"
    assert "5 posts in 30 min from 2 accounts" in body


def test_campaign_accounts_show_handles_and_link_to_their_groups_row():
    body = body_of(page("campaign", campaign_view(), {"hashtag": ("x",)}))
    first = re.findall(r'<a class="account-link" href="([^"]+)"[^>]*>(.*?)</a>', body)
    assert first[0] == ("/groups?hashtag=x#acct-1", "<bdi>@&lt;b&gt;ann</bdi>")
    assert first[1] == ("/groups?hashtag=x#acct-2", "<bdi>@2</bdi>")  # no handle: the id
    assert "\u202e" not in body
    assert 'href="/network?hashtag=x"' in body and 'href="/campaign?hashtag=y%26z"' in body


def test_groups_page_puts_the_verdict_first():
    body = body_of(page("groups", groups_view(), {"hashtag": ("x",)}))
    main = body.split("<main>")[1]
    verdict = main.index("Coordinated core: 3 accounts")
    assert verdict < main.index("<table") and verdict < main.index('data-chart="network"')
    assert "network_accounts" not in main and "accounts_in_groups" not in main


def test_groups_members_link_to_the_evidence_of_their_strongest_link():
    body = body_of(page("groups", groups_view(), {"hashtag": ("x",)}))
    rows = re.findall(r'<tr id="(acct-[^"]+)">(.*?)</tr>', body)
    assert [r[0] for r in rows] == ["acct-1", "acct-2", "acct-3"]
    links = {r[0]: re.search(r'class="evidence-link" href="([^"]+)">([^<]+)<', r[1]).groups()
             for r in rows}  # fmt: skip
    assert links["acct-1"] == ("/evidence?a=1&amp;b=2&amp;hashtag=x",
                               "strongest link (5 shared events)")  # fmt: skip
    assert links["acct-2"][0] == "/evidence?a=2&amp;b=1&amp;hashtag=x"
    assert links["acct-3"] == ("/evidence?a=3&amp;b=2&amp;hashtag=x",
                               "strongest link (2 shared events)")  # fmt: skip
    assert "<bdi>@&lt;b&gt;ann</bdi>" in rows[0][1] and "<bdi>@2</bdi>" in rows[1][1]


def test_groups_runs_link_to_their_evidence():
    body = body_of(page("groups", groups_view(), {"hashtag": ("x",)}))
    runs = body.split('class="runs"')[1].split("</table>")[0]
    assert "<code>run-r</code>" in runs and "not recorded (read-only)" in runs
    assert 'href="/evidence?a=1&amp;b=2&amp;run_id=run-r&amp;hashtag=x"' in runs
    assert 'href="/evidence?a=2&amp;b=3&amp;hashtag=x"' in runs  # co-link: its strongest link


def test_account_anchor_is_ascii_and_attribute_safe():
    assert account_anchor('"><x y=1>') == "acct-%22%3E%3Cx%20y%3D1%3E"


def test_network_page_draws_the_svg_with_escaped_titles():
    view = {
        "summary": {"accounts": 2, "links": 1, "interactions": 3,
                    "by_kind": {"repost": 3, "quote": 0, "reply": 0, "mention": 0}},
        "shown_accounts": 2, "shown_links": 1,
        "nodes": [{"id": "1", "handle": HOSTILE_HANDLE, "group": 1, "posts": 3, "out_count": 3,
                   "in_count": 0, "x": 0.0, "y": 0.0},
                  {"id": "2", "handle": None, "group": 0, "posts": 0, "out_count": 0,
                   "in_count": 3, "x": 1.0, "y": 1.0}],
        "edges": [{"source": "1", "target": "2", "kind": "repost", "count": 3,
                   "first": "2024-03-01T12:00:00+00:00", "last": "2024-03-01T12:09:00+00:00"}],
    }  # fmt: skip
    body = body_of(page("network", view, {"hashtag": ("x",)}))
    assert "2 accounts, 1 link, 3 interactions (3 reposts, 0 quotes, 0 replies, 0 mentions)" in (
        body
    )
    assert ("<title>@&lt;b&gt;ann (1) → 2: 3 reposts, 2024-03-01 12:00 UTC to "
            "2024-03-01 12:09 UTC</title>") in body  # fmt: skip
    assert '<g class="account" data-id="1" data-group="1">' in body
    assert "<b>" not in body.split("<main>")[1]


def test_evidence_page_names_both_accounts_and_shows_each_posts_address():
    view = {
        "account_a": "1", "account_b": "2", "handle_a": HOSTILE_HANDLE, "handle_b": None,
        "source": "stored runs",
        "pairs": [{"method": "co-retweet", "run_id": "r", "key": "99", "post_a": "10",
                   "url_a": "https://x.com/i/web/status/10", "time_a": "2024-03-01T12:00:00+00:00",
                   "text_a": "RT <script>", "post_b": "11", "url_b": "javascript:alert(1)",
                   "time_b": "2024-03-01T12:00:05+00:00", "text_b": "RT again",
                   "gap_s": 5.0}],
    }  # fmt: skip
    body = body_of(page("evidence", view, {"a": "1", "b": "2"}))
    assert ("1 post pair behind the link of <bdi>@&lt;b&gt;ann</bdi> (<code>1</code>) and "
            "<bdi>@2</bdi> (<code>2</code>).") in body  # fmt: skip
    row = body.split('class="pairs evidence-pairs"')[1].split("</tbody>")[0]
    link = ('<a href="https://x.com/i/web/status/10" rel="noopener noreferrer nofollow">'
            "<bdi>https://x.com/i/web/status/10</bdi></a>")  # fmt: skip
    assert f"<bdi>RT &lt;script&gt;</bdi><br><code>{link}</code>" in row
    assert "<bdi>RT again</bdi><br><code>11</code>" in row  # no http(s) address: the post id
    assert "2024-03-01 12:00 UTC" in row and ">5<" in row
    assert "javascript" not in body
