"""HTML primitives: escaping, safe links, JSON blocks that cannot break out, the page."""

from __future__ import annotations

import base64
import hashlib
import re

import orjson
import pytest

from trendwatch.report import render


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("\"'><img src=x onerror=alert(1)>", "&quot;&#x27;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("&lt;", "&amp;lt;"),
        ("a\u202eb\u2066c\u2069d\u200fe", "abcde"),
        (None, ""),
        (12, "12"),
    ],
)
def test_escape(raw, shown):
    assert render.escape(raw) == shown


def test_text_and_handle_isolate_direction():
    assert render.text("x") == "<bdi>x</bdi>"
    assert render.handle("\u202eadmin") == "<bdi>@admin</bdi>"
    assert render.handle(None, "123") == "<bdi>@123</bdi>"
    assert render.handle("", None) == "<bdi></bdi>"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>", "java\nscript:x",
     "https://", "//evil.example/x", "ftp://example.org", None, 42, "http://exa mple.org"],
)  # fmt: skip
def test_safe_href_refuses_anything_but_http_urls(url):
    assert render.safe_href(url) is None


def test_links():
    assert render.safe_href("HTTPS://example.org/a?b=1&c=2") == "HTTPS://example.org/a?b=1&c=2"
    assert render.link('https://example.org/?a=1&b="2"') == (
        '<a href="https://example.org/?a=1&amp;b=&quot;2&quot;" '
        'rel="noopener noreferrer nofollow"><bdi>https://example.org/?a=1&amp;b=&quot;2&quot;'
        "</bdi></a>"
    )
    assert render.link("javascript:alert(1)") == "<bdi>javascript:alert(1)</bdi>"


def test_json_script_cannot_close_the_block_and_round_trips():
    data = {"t": "</script><script>alert(1)</script> & \u2028\u2029 \u202eevil", "n": [1, None]}
    block = render.json_script("tw-x", data)
    inner = re.fullmatch(r'<script type="application/json" id="tw-x">(.*)</script>', block)[1]
    for raw in ("<", ">", "&", "\u2028", "\u2029", "\u202e"):
        assert raw not in inner
    assert orjson.loads(inner) == data  # the \\u escapes decode back to the same text


def test_table_marks_numeric_columns_and_row_attributes():
    html = render.table(["name", "n"], [["<bdi>a</bdi>", "1"]], css="t", numeric=["n"],
                        row_attrs=['data-group="1"'])  # fmt: skip
    assert '<table class="t">' in html and "<th class=num>n</th>" in html
    assert '<tr data-group="1"><td><bdi>a</bdi></td><td class=num>1</td></tr>' in html


def test_chart_container_attributes_are_escaped():
    html = render.chart("timeline", "tw-1", "timeline", css="box", id="x", data_evidence='"e"')
    assert html == (
        '<div class="chart box" data-chart="timeline" data-source="tw-1" data-key="timeline" '
        'id="x" data-evidence="&quot;e&quot;"></div>'
    )


def test_numbers_for_people():
    assert render.fmt_int(1234567) == "1,234,567" and render.fmt_int(None) == "–"
    assert render.fmt_num(2.0, 0) == "2" and render.fmt_share(0.25) == "25.0 %"
    assert render.fmt_time(None) == "–"


def test_page_inlines_css_and_js_and_allows_only_that_script():
    html = render.page("<title>", "<p>body</p>")
    assert "<title>&lt;title&gt;</title>" in html
    js = render.static_text("charts.js")
    assert f"<script>{js}</script>" in html
    assert render.static_text("report.css") in html
    digest = base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
    assert f"script-src &#x27;sha256-{digest}&#x27;" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert "https://" not in html


def test_charts_js_never_writes_html():
    js = re.sub(r"/\*.*?\*/", "", render.static_text("charts.js"), flags=re.S)  # code only
    assert "innerHTML" not in js and "outerHTML" not in js
    assert "insertAdjacentHTML" not in js and "document.write" not in js
    assert "eval(" not in js and "new Function" not in js
