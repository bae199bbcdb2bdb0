"""Hostile post text, handles, names, hashtags and URLs show as text in the report; nothing runs.

The report is parsed with the standard library's HTML parser: every element must be one the
report itself makes, no attribute may be an event handler, every ``href`` must be a local
anchor or http(s), and the only scripts are JSON data blocks and ``charts.js``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import orjson
import pytest

from tests.conftest import add_posts, at, make_post
from tests.report.conftest import (
    HOSTILE_HANDLE,
    HOSTILE_TEXTS,
    HOSTILE_URL,
    trio_accounts,
    trio_posts,
)
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.report import build_report
from trendwatch.report.render import static_text
from trendwatch.store import Store

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "nav", "section", "article",
    "h1", "h2", "h3", "h4", "p", "ul", "li", "a", "div", "span", "table", "thead", "tbody", "tr",
    "th", "td", "bdi", "code", "script",
    # the interaction network, drawn server-side (trendwatch.report.netsvg)
    "svg", "defs", "marker", "path", "g", "line", "circle", "text",
}  # fmt: skip
HOSTILE_TAG = '"><svg onload=alert(3)>'


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.scripts, self._in_script, self.text = [], [], [], None, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append([dict(attrs), ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts[-1][1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def hostile_report():
    """The report of the trio store with hostile texts, handles, names, hashtags, URLs, files."""
    with Store(":memory:") as store:
        return _hostile_report(store)


def _hostile_report(store) -> str:
    add_posts(store, trio_posts())
    store.write_batch(accounts=accounts_to_arrow(trio_accounts()))
    add_posts(store, [make_post("h1", "a1", at(31), hashtags=("tag", HOSTILE_TAG),
                                text=HOSTILE_TEXTS[1], urls=(HOSTILE_URL,)),
                      # a reply to and a mention of a1, whose handle is hostile: the network
                      make_post("h2", "a2", at(32), "reply", hashtags=("tag",),
                                reply_to_author_id="a1", mentions=("<b>‮admin",))])  # fmt: skip
    store.write_batch(
        accounts=accounts_to_arrow([Account("x", "a2", handle="two", name=HOSTILE_TEXTS[0])]),
        quarantine=[("<b>file</b>.jsonl", 1, HOSTILE_TEXTS[4], HOSTILE_TEXTS[0])],
    )
    return build_report(store, hashtags=["tag"])


def test_the_network_names_the_hostile_handle_as_text(hostile_report):
    network = hostile_report.split('<section id="network">')[1].split("</section>")[0]
    assert "<svg" in network and "&lt;b&gt;admin" in network and "<b>" not in network
    assert "‮" not in network
    assert "<title>@two (a2) → @&lt;b&gt;admin (a1): 1 reply," in network


def test_report_markup_is_only_ours(hostile_report):
    parser = _Elements()
    parser.feed(hostile_report)
    assert set(parser.tags) <= ALLOWED_TAGS
    assert not [name for name, _ in parser.attrs if name.lower().startswith("on")]
    hrefs = [value for name, value in parser.attrs if name == "href"]
    assert hrefs and all(h.startswith("#") or re.match(r"https?://", h) for h in hrefs)
    assert "javascript:" not in " ".join(value or "" for _, value in parser.attrs)


def test_only_json_blocks_and_charts_js_are_scripts(hostile_report):
    parser = _Elements()
    parser.feed(hostile_report)
    code = [body for attrs, body in parser.scripts if attrs.get("type") != "application/json"]
    assert code == [static_text("charts.js")]
    data = [orjson.loads(body) for attrs, body in parser.scripts if "type" in attrs]
    groups = next(d for d in data if "nodes" in d)
    assert groups["posts"]["a1-0"] == HOSTILE_TEXTS[0]  # the data is intact, only escaped
    assert groups["nodes"][0]["handle"] == HOSTILE_HANDLE


def test_hostile_text_shows_as_text(hostile_report):
    html = hostile_report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a group's example text
    assert "&amp;lt;b&amp;gt; stays literal" in html  # an entity shows literally
    assert "&lt;b&gt;file&lt;/b&gt;.jsonl" in html  # the quarantine's file name
    assert "<script>alert" not in html and "<img" not in html and "<svg onload" not in html
    assert "</script><script>alert(2)" not in html
    assert "\u202e" not in html and "\u202c" not in html  # bidi overrides are gone


def test_entities_survive_in_the_displayed_text(hostile_report):
    parser = _Elements()
    parser.feed(hostile_report)
    shown = "".join(parser.text)
    assert "&lt;b&gt; stays literal" in shown  # what the reader sees, character for character
    assert "<script>alert(1)</script>" in shown  # as text, not as an element
