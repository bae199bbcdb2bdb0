"""HTML rendering of view data: hostile strings come out as text, links only to our pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from tests.serve.test_readable import campaign_view, groups_view
from trendwatch.report.render import json_script
from trendwatch.serve.pages import MAX_ROWS, page_url, render_page, render_table
from trendwatch.serve.routes import route_for_path

HOSTILE = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "&lt;b&gt; &amp; &#60;",
    "abc\u202etxt.exe",
    "</script><script>alert(2)</script>",
]


def page(name: str, data: dict, params: dict | None = None) -> str:
    return render_page(route_for_path(f"/{name}")[0], params or {}, data)


def test_hostile_text_is_escaped_everywhere():
    data = {"title": HOSTILE[0], "rows": [{"text": t, "hashtag": t} for t in HOSTILE]}
    html = page("trends", data)
    body = html.split('<script type="application/json"')[0]
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "onerror=alert(1)>" not in body.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # Entities are shown as typed, not decoded: the ampersands are escaped again.
    assert "&amp;lt;b&amp;gt; &amp;amp; &amp;#60;" in body
    # Only our own page links, never a javascript: target.
    assert not re.search(r'href="\s*javascript:', html, re.I)
    assert all(h.startswith(("/", "data:")) for h in re.findall(r'(?:href|src)="([^"]*)"', html))


def test_bidi_override_is_removed_and_text_isolated():
    html = page("trends", {"rows": [{"text": HOSTILE[4]}]})
    assert "\u202e" not in html
    assert "<bdi>abctxt.exe</bdi>" in html


def test_embedded_json_cannot_close_its_script_block():
    data = {"t": HOSTILE[5], "u": "a&b<!--"}
    block = json_script("tw-data", data)
    text = block.removeprefix('<script type="application/json" id="tw-data">')
    text = text.removesuffix("</script>")
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
    html = page("runs", data)
    assert html.count("</script>") == 3  # the data block and the two script files
    assert html.count("<script") == 3


def test_hashtags_link_to_their_campaign_and_pairs_to_evidence():
    html = render_table(
        [{"hashtag": "a&b", "account_a": "1", "account_b": "x\"'<", "run_id": "r1"}], "rows"
    )
    assert 'href="/campaign?hashtag=a%26b"' in html
    assert 'href="/evidence?a=1&amp;b=x%22%27%3C&amp;run_id=r1"' in html


def test_long_tables_are_cut_and_say_so():
    html = render_table([{"n": i} for i in range(MAX_ROWS + 5)], "many")
    assert html.count("<tr>") == MAX_ROWS + 1
    assert "5 more rows in the JSON twin" in html
    assert f"({MAX_ROWS + 5})" in html


def test_campaign_page_links_to_its_groups():
    html = page("campaign", campaign_view(), {"hashtag": ("x", "y")})
    assert 'id="to-groups" href="/groups?hashtag=x&amp;hashtag=y"' in html


def test_filter_form_shows_given_values_escaped():
    since = datetime(2016, 1, 2, 3, 4, tzinfo=UTC)
    html = page("groups", groups_view(), {"since": since, "hashtag": ('"><b>',)})
    assert 'value="2016-01-02T03:04:00+00:00"' in html
    assert 'value="&quot;&gt;&lt;b&gt;"' in html
    assert 'href="/api/groups?since=2016-01-02T03%3A04%3A00%2B00%3A00&amp;hashtag=' in html


def test_page_url_encodes_then_escapes():
    assert page_url("/evidence", [("a", "1 2"), ("b", "<"), ("run_id", None)]) == (
        "/evidence?a=1+2&amp;b=%3C"
    )
