"""The dashboard over HTTP on an ephemeral loopback port: pages, JSON twins, errors, security."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import quote

import duckdb
import pytest
from click.testing import CliRunner

from tests.serve.conftest import ATTACKERS, HOSTILE, HOSTILE_TAG, running
from trendwatch.cli import cli
from trendwatch.serve import Dashboard
from trendwatch.serve.security import CONTENT_SECURITY_POLICY

TAG = quote(HOSTILE_TAG)
PAIR = "&".join(f"{k}={quote(v)}" for k, v in zip("ab", sorted(ATTACKERS[:2]), strict=True))
PAGES = [
    "/",
    "/trends",
    "/campaign?hashtag=attack",
    f"/campaign?hashtag={TAG}",
    "/groups?hashtag=attack",
    f"/evidence?{PAIR}&hashtag=attack",
    f"/compare?a=attack&b={TAG}",
    "/network?hashtag=attack",
    "/runs",
    "/quality",
]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def api(path: str) -> str:
    return "/api/overview" if path == "/" else "/api" + path


class Markup(HTMLParser):
    """Every tag and attribute the browser would build from a page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_markup_is_ours(html: str) -> None:
    tags = Markup(html).tags
    assert {t for t, _ in tags} <= SAFE_TAGS, {t for t, _ in tags} - SAFE_TAGS
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on") or a in ("style", "srcdoc")], tag
        for name in ("href", "src", "action"):
            if attrs.get(name) is not None:
                assert attrs[name].startswith(("/", "data:,")), attrs[name]
    scripts = [a for t, a in tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "tw-data"},
                       {"src": "/static/charts.js"}, {"src": "/static/dashboard.js"}]  # fmt: skip


SAFE_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "span", "a", "main", "h1",
    "h2", "h3", "h4", "h5", "h6", "form", "label", "input", "button", "p", "div", "section",
    "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tr", "th", "td", "bdi", "code",
    "script", "article", "br",
    # the interaction network, drawn server-side (trendwatch.report.netsvg)
    "svg", "defs", "marker", "path", "g", "line", "circle", "text",
}  # fmt: skip


def outside_data_block(html: str) -> str:
    return re.sub(
        r'<script type="application/json" id="tw-data">.*?</script>', "", html, flags=re.S
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_hostile_text_as_text(hostile_server, path):
    status, headers, body = fetch(hostile_server.url + path)
    assert status == 200, body[:300]
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    html = body.decode()
    assert "<script>alert" not in html and "<img" not in html
    assert_markup_is_ours(html)


def test_hostile_strings_are_visible_escaped(hostile_server):
    html = fetch(hostile_server.url + "/groups?hashtag=attack")[2].decode()
    page = outside_data_block(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;lt;b&amp;gt;" in page  # entities shown as typed
    assert "\u202e" not in page and "abctxt.exe" in page  # the override is removed


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_json_twin(hostile_server, path):
    status, headers, body = fetch(hostile_server.url + api(path))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    json.loads(body)


def test_json_twin_holds_the_raw_text(hostile_server):
    data = json.loads(fetch(hostile_server.url + f"/api/evidence?{PAIR}&hashtag=attack")[2])
    assert data["pairs"], "the attackers' link has evidence"
    texts = {p["text_a"] for p in data["pairs"]} | {p["text_b"] for p in data["pairs"]}
    assert any(HOSTILE[0] in t for t in texts)
    assert data["handle_a"] in HOSTILE


def test_groups_find_the_attackers_and_link_to_their_evidence(hostile_server):
    data = json.loads(fetch(hostile_server.url + "/api/groups?hashtag=attack")[2])
    members = {n["id"] for n in data["nodes"]}
    assert members == set(ATTACKERS)
    assert data["verdict"]["finding"] == "coordinated core"
    assert data["verdict"]["core_accounts"] == len(ATTACKERS)
    assert all(edge["q_value"] <= 1e-4 for edge in data["edges"])
    html = fetch(hostile_server.url + "/groups?hashtag=attack")[2].decode()
    assert "Coordinated core: 6 accounts made" in html  # the verdict is on the page
    links = re.findall(r'class="evidence-link" href="([^"]+)"', html)
    assert len(data["edges"]) == 15
    # one per link, one per member (its strongest link), one per method with a link
    pairs = {tuple(sorted(re.findall(r"[ab]=([^&]+)", link.replace("&amp;", "&"))))
             for link in links}  # fmt: skip
    assert {tuple(sorted(quote(v, safe="") for v in (e["a"], e["b"])))
            for e in data["edges"]} <= {tuple(sorted(p)) for p in pairs}  # fmt: skip
    status, _, body = fetch(hostile_server.url + "/api" + links[0].replace("&amp;", "&"))
    assert status == 200 and json.loads(body)["pairs"]


@pytest.mark.parametrize(
    "path, status, parameter",
    [
        ("/trends?top=0", 400, "top"),
        ("/api/trends?bogus=1", 400, "bogus"),
        ("/api/groups?since=soon", 400, "since"),
        ("/api/groups?platform=myspace", 400, "platform"),
        ("/api/campaign", 400, "hashtag"),
        ("/api/evidence?a=1", 400, "b"),
        ("/api/trends?window=1h&window=2h", 400, "window"),
        ("/api/campaign?hashtag=nosuchtag", 404, None),
        ("/nope", 404, None),
        ("/api/nope", 404, None),
        ("/static/../pyproject.toml", 404, None),
        ("/static/nope.js", 404, None),
    ],
)
def test_errors_are_json_and_name_the_parameter(hostile_server, path, status, parameter):
    got, headers, body = fetch(hostile_server.url + path)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    error = json.loads(body)
    assert error["error"]
    assert error.get("parameter") == parameter
    if parameter:
        assert repr(parameter) in error["error"]


def test_only_get_and_head(hostile_server):
    request = urllib.request.Request(hostile_server.url + "/", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 405


def test_static_files(hostile_server):
    status, headers, body = fetch(hostile_server.url + "/static/dashboard.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"tw-data" in body


def test_token_required_on_every_request(hostile_store):
    with running(hostile_store, token="s3cret-token") as server:
        assert fetch(server.url + "/")[0] == 401
        assert fetch(server.url + "/static/dashboard.css")[0] == 401
        assert fetch(server.url + "/?token=wrong-token")[0] == 401
        bad = fetch(server.url + "/", {"Authorization": "Bearer wrong-token"})
        assert bad[0] == 401 and "token" in json.loads(bad[2])["error"]
        assert fetch(server.url + "/runs", {"Authorization": "Bearer s3cret-token"})[0] == 200
        status, headers, _ = fetch(server.url + "/runs?token=s3cret-token")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        assert "HttpOnly" in headers["Set-Cookie"]
        assert fetch(server.url + "/quality", {"Cookie": cookie})[0] == 200


def test_concurrent_requests_compute_an_expensive_view_once(hostile_store):
    dashboard = Dashboard(hostile_store)
    calls = []
    views = dashboard.views

    class Counting:  # the real views, counting the expensive one
        def __getattr__(self, name):
            return getattr(views, name)

        def groups_view(self, *args, **kwargs):
            calls.append(1)
            return views.groups_view(*args, **kwargs)

    dashboard._views = Counting()
    results = []

    def ask():
        results.append(dashboard.handle("GET", "/api/groups?hashtag=attack", {}).body)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 20 and len(set(results)) == 1


def test_each_thread_reads_through_its_own_read_only_cursor(hostile_store):
    dashboard = Dashboard(hostile_store)
    mine = dashboard.thread_store()
    assert dashboard.thread_store() is mine
    other = []
    threading.Thread(target=lambda: other.append(dashboard.thread_store())).start()
    while not other:
        pass
    assert other[0] is not mine and other[0].con is not mine.con
    with pytest.raises(duckdb.Error):
        mine.con.execute("CREATE TABLE evil (x INT)")


def test_cli_refuses_a_weak_token(hostile_db):
    result = CliRunner().invoke(cli, ["serve", "--db", str(hostile_db), "--token", "short"])
    assert result.exit_code == 1
    assert "--token" in result.output


def test_cli_refuses_a_missing_store(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "no store" in result.output
