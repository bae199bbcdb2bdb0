"""Dashboard pages that read like the report: the verdict first, labelled numbers with units,
handles, and a link from every account and run to its evidence.

The campaign, groups and network pages render their view's data here (the other pages keep
the generic tables of :mod:`.pages`); the report's sections (:mod:`trendwatch.report.sections`)
do most of the work, so both outputs say the same things the same way. The data stays whole
in the JSON twin. Every value from the store is escaped by :mod:`trendwatch.report.render`;
links go only to our own pages, with URL-encoded parameters (:func:`.pages.page_url`).

Account links: a campaign's accounts link to the groups page of the campaign, at the
account's row (``#acct-<id, URL-encoded>``); a member's row there links to the evidence of
its strongest link, and each method's run to the evidence of that method's strongest link.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from ..report import render, sections
from ..report.render import escape, fmt_int, fmt_num, fmt_share, fmt_time, handle, table
from ..wording import plural

__all__ = ["READABLE", "account_anchor"]


def account_anchor(account_id) -> str:
    """The fragment naming an account's row on the groups page (ASCII, attribute-safe).

    >>> account_anchor("12 <x>")
    'acct-12%20%3Cx%3E'
    """
    return "acct-" + quote(str(account_id), safe="")


def _href(path: str, params, fragment: str = "") -> str:
    query = urlencode([(k, str(v)) for k, v in params if v is not None])
    return escape(f"{path}?{query}" + (f"#{fragment}" if fragment else ""))


def _tags(data: dict) -> list[tuple[str, str]]:
    return [("hashtag", t) for t in data.get("hashtags") or data.get("scope", {}).get("hashtags")
            or ()]  # fmt: skip


# -- campaign ------------------------------------------------------------------------------------


def _account_link(account_id, name, tags) -> str:
    href = _href("/groups", tags, account_anchor(account_id))
    return (f'<a class="account-link" href="{href}" title="{escape(account_id)}: its '
            f'coordination links in this campaign">{handle(name, account_id)}</a>')  # fmt: skip


def _more_facts(m: dict) -> str:
    return render.facts(
        [
            ("time span", f"{fmt_num(m.get('duration_min'), 0)} min"),
            ("first post", fmt_time(m["first"])),
            ("minutes to 100 posts", fmt_num(m.get("minutes_to_100"), 1)),
            ("minutes to 1,000 posts", fmt_num(m.get("minutes_to_1000"), 1)),
            ("top 1 % of accounts' share", fmt_share(m.get("top1pct_share"))),
            ("concentration (HHI, 0-1)", fmt_num(m.get("hhi"), 3)),
            ("replies", fmt_share(m.get("reply_share"))),
            ("quotes", fmt_share(m.get("quote_share"))),
            ("first movers' share of the first hour", fmt_share(m.get("first_movers_share"))),
        ]
    )


def _top_accounts(rows: list[dict], tags) -> str:
    columns = ["account", "posts", "first post", "last post"]
    body = [[_account_link(r["author_id"], r.get("handle"), tags), fmt_int(r["posts"]),
             escape(fmt_time(r["first_post"])), escape(fmt_time(r["last_post"]))]
            for r in rows]  # fmt: skip
    return table(columns, body, css="top-accounts", numeric=["posts"])


def _onsets(rows: list[dict]) -> str:
    columns = ["start", "peak", "end", "posts", "peak posts/min", "baseline posts/min"]
    body = [[escape(fmt_time(o["start"])), escape(fmt_time(o["peak"])), escape(fmt_time(o["end"])),
             fmt_int(o["posts"]), fmt_num(o["peak_rate_per_min"]),
             fmt_num(o.get("baseline_per_min"))] for o in rows]  # fmt: skip
    return table(columns, body, css="onsets", numeric=columns[3:])


def _cohashtags(rows: list[dict]) -> str:
    body = [[f'<a class="campaign-link" href="{_href("/campaign", [("hashtag", r["hashtag"])])}">'
             f"{render.text('#' + str(r['hashtag']))}</a>", fmt_int(r["posts"])]
            for r in rows]  # fmt: skip
    return table(["hashtag", "posts"], body, css="cohashtags", numeric=["posts"])


def campaign_body(data: dict, scope: list) -> str:
    """A campaign as the report shows it, with its accounts linked to their evidence."""
    tags = [("hashtag", t) for t in data["hashtags"]]
    link = lambda account_id, name: _account_link(account_id, name, tags)  # noqa: E731
    card = sections.campaign_card(data, "tw-data", account=link, groups_href=_href("/groups", tags))
    m = data["metrics"]
    return (
        card
        + "<h3>More numbers</h3>" + _more_facts(m)
        + "<h3>Most active accounts</h3>" + _top_accounts(data.get("top_accounts", []), tags)
        + "<h3>Trend onsets of this hashtag</h3>"
        + sections.note("Bursts flagged by the Poisson scorer on 1-hour buckets.")
        + _onsets(data["onsets"])
        + "<h3>Hashtags posted with it</h3>" + _cohashtags(m.get("cohashtags", []))
        + f'<p class="next"><a id="to-network" href="{_href("/network", tags)}">Who reposts, '
        "quotes, replies to and mentions whom in this campaign</a></p>"
    )  # fmt: skip


# -- groups ----------------------------------------------------------------------------------


def _evidence_href(a, b, scope, run_id=None) -> str:
    return _href("/evidence", [("a", a), ("b", b), ("run_id", run_id), *scope])


def _strongest(edges: list[dict]) -> dict[str, dict]:
    """Account id -> its strongest link (edges come strongest first)."""
    found: dict[str, dict] = {}
    for edge in edges:
        found.setdefault(edge["a"], edge)
        found.setdefault(edge["b"], edge)
    return found


def _members(data: dict, scope) -> str:
    strongest = _strongest(data["edges"])
    columns = ["account", "id", "group", "posts in scope", "account age (days)", "followers",
               "evidence"]  # fmt: skip
    rows, attrs = [], []
    for n in sorted(data["nodes"], key=lambda n: (n["group"], -n["posts"], n["id"])):
        edge = strongest.get(n["id"])
        other = None if edge is None else (edge["b"] if edge["a"] == n["id"] else edge["a"])
        evidence = "" if edge is None else (
            f'<a class="evidence-link" href="{_evidence_href(n["id"], other, scope)}">'
            f"strongest link ({fmt_int(edge['weight'])} shared events)</a>"
        )  # fmt: skip
        rows.append([handle(n.get("handle"), n["id"]), f"<code>{escape(n['id'])}</code>",
                     fmt_int(n["group"]), fmt_int(n["posts"]), fmt_num(n.get("age_days"), 0),
                     fmt_int(n.get("followers")), evidence])  # fmt: skip
        attrs.append(f'id="{account_anchor(n["id"])}"')
    return table(columns, rows, css="members", numeric=columns[2:6], row_attrs=attrs)


MAX_LINKS = 50


def _links(data: dict, scope) -> str:
    columns = ["account", "account", "methods", "shared events", "q-value", "evidence"]
    rows = [[handle(e.get("handle_a"), e["a"]), handle(e.get("handle_b"), e["b"]),
             escape(", ".join(e["methods"])), fmt_int(e["weight"]),
             escape("–" if e.get("q_value") is None else f"{e['q_value']:.2g}"),
             f'<a class="evidence-link" href="{_evidence_href(e["a"], e["b"], scope)}">posts</a>']
            for e in data["edges"][:MAX_LINKS]]  # fmt: skip
    more = len(data["edges"]) - MAX_LINKS
    note = sections.note(
        f"The {fmt_int(MAX_LINKS)} strongest of {fmt_int(len(data['edges']))} links; the JSON "
        "twin has them all, and each member's row above links to its strongest."
    ) if more > 0 else ""  # fmt: skip
    return table(columns, rows, css="links", numeric=["shared events", "q-value"]) + note


def _runs(data: dict, scope) -> str:
    """Each method's test and run, linked to the evidence of its strongest link."""
    columns = ["method", "window (s)", "pairs tested", "significant links", "run", "evidence"]
    rows = []
    for method, test in data.get("tests", {}).items():
        run_id = data.get("runs", {}).get(method)
        edge = next((e for e in data["edges"] if method in e["methods"]), None)
        evidence = "" if edge is None else (
            f'<a class="evidence-link" href="{_evidence_href(edge["a"], edge["b"], scope, run_id)}"'
            ">strongest link</a>"
        )  # fmt: skip
        shown_run = f"<code>{escape(run_id)}</code>" if run_id else "not recorded (read-only)"
        rows.append([escape(method), fmt_num(test.get("window_s"), 0), fmt_int(test["pairs"]),
                     fmt_int(test["significant"]), shown_run, evidence])  # fmt: skip
    return table(columns, rows, css="runs", numeric=columns[1:4])


def groups_body(data: dict, scope: list) -> str:
    """The verdict, the groups as the report shows them, then every member and link."""
    where = " or ".join(f"#{t}" for t in data["scope"]["hashtags"]) or "every collected post"
    note = f"Scope: {where}."
    return (
        sections.groups_section(data, "tw-data", note)
        + "<h3>Methods and runs</h3>" + _runs(data, scope)
        + "<h3>Accounts in groups</h3>" + _members(data, scope)
        + "<h3>Strongest links</h3>" + _links(data, scope)
        + f'<p class="next"><a id="to-network" href="{_href("/network", _tags(data))}">Who '
        "reposts, quotes, replies to and mentions whom in this scope</a></p>"
    )  # fmt: skip


# -- evidence --------------------------------------------------------------------------------


def _post_cell(post_id, url, text_value) -> str:
    """A post: its text, then a link to it on its platform (an ``http(s)`` address only,
    :func:`~trendwatch.report.render.link`), else its id."""
    where = render.link(url) if render.safe_href(url) else escape(post_id)
    return f"{render.text(text_value or '')}<br><code>{where}</code>"


def _key_cell(key, url) -> str:
    """The shared key; a link to the post it names (reposted, replied to) when known."""
    if render.safe_href(url):
        return f"<code>{render.link(url, key)}</code>"
    return f"<code>{escape(key)}</code>"


def evidence_body(data: dict, scope: list) -> str:
    """The post pairs behind one link, each post with its text and its address."""
    a = handle(data.get("handle_a"), data["account_a"])
    b = handle(data.get("handle_b"), data["account_b"])
    pairs = data["pairs"]
    columns = ["method", "time of the first post", "gap (s)", "shared key", "first post",
               "second post"]  # fmt: skip
    rows = [[escape(p.get("method") or ""), escape(fmt_time(p.get("time_a"))),
             fmt_num(p.get("gap_s"), 0), _key_cell(p.get("key"), p.get("key_url")),
             _post_cell(p.get("post_a"), p.get("url_a"), p.get("text_a")),
             _post_cell(p.get("post_b"), p.get("url_b"), p.get("text_b"))]
            for p in pairs]  # fmt: skip
    source = data.get("source") or ""
    return (
        f"<p class=headline>{plural(len(pairs), 'post pair')} behind the link of {a} "
        f"(<code>{escape(data['account_a'])}</code>) and {b} "
        f"(<code>{escape(data['account_b'])}</code>).</p>"
        + sections.note(f"From {source}. The first post of each pair is {_first(data)}'s.")
        + table(columns, rows, css="pairs evidence-pairs", numeric=["gap (s)"])
    )  # fmt: skip


def _first(data: dict) -> str:
    return "@" + data["handle_a"] if data.get("handle_a") else str(data["account_a"])


def network_body(data: dict, scope: list) -> str:
    """The interaction network as the report draws it."""
    return sections.interactions_section(data, "")


READABLE: dict[str, Callable[[dict, list], str]] = {
    "campaign": campaign_body,
    "groups": groups_body,
    "network": network_body,
    "evidence": evidence_body,
}
"""Route name -> the function that renders its page body."""
