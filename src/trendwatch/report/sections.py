"""The report's sections: each turns one view's data (:mod:`.views`) into safe HTML.

Every function takes the view's dict (and the id of the JSON block holding it, when a chart
reads it) and returns a ``<section>`` string built with :mod:`.render`, which escapes every
value. The DOM they produce is listed in :mod:`.render`'s docstring.
"""

from __future__ import annotations

import orjson

from ..wording import plural
from .netsvg import interactions_svg
from .render import (
    chart,
    escape,
    facts,
    fmt_int,
    fmt_num,
    fmt_share,
    fmt_time,
    handle,
    table,
    text,
)

__all__ = [
    "summary_section",
    "trending_section",
    "campaigns_section",
    "campaign_card",
    "groups_section",
    "interactions_section",
    "comparison_section",
    "methods_section",
    "quality_section",
    "note",
]


PEAK_RATE_NOTE = (
    "Peak rate: the mean posts per minute over an onset's busiest bucket; a campaign's "
    "card gives instead the posts of its busiest single minute, a higher number."
)
"""Says which of the two peak numbers a reader sees (the CLI uses the same two names)."""


def _section(section_id: str, title: str, inner: str) -> str:
    return f'<section id="{escape(section_id)}"><h2>{escape(title)}</h2>{inner}</section>'


def note(message: str) -> str:
    """A note paragraph (escaped)."""
    return f'<p class="note">{escape(message)}</p>'


_note = note


def not_on_this_engine(section_id: str, title: str, reason: str, notes=()) -> str:
    """A section the report cannot compute on this engine: it says so (and why), in place."""
    inner = _note(f"Not computed on the Spark engine yet: {reason}") + "".join(
        _note(n) for n in notes
    )
    return _section(section_id, title, inner)


def _tag(tag) -> str:
    return text(f"#{tag}")


# -- summary and trending ---------------------------------------------------------------------


def summary_section(summary: dict, notes: list[str]) -> str:
    """Headline numbers, the sharpest onsets, and how the report chose what it shows."""
    numbers = facts(
        [
            ("posts", fmt_int(summary["posts"])),
            ("posting accounts", fmt_int(summary["authors"])),
            ("from", fmt_time(summary["first"])),
            ("to", fmt_time(summary["last"])),
            ("span", summary["span"] or "–"),
            ("quarantined records", fmt_int(summary["quarantined"])),
        ]
    )
    platforms = ", ".join(f"{p}: {fmt_int(n)}" for p, n in summary["platforms"].items())
    findings = "".join(
        f"<li>{_tag(f['hashtag'])}: {fmt_int(f['posts'])} posts from "
        f"{escape(fmt_time(f['start']))}, "
        f"peak rate {fmt_num(f['peak_rate_per_min'])} posts/min</li>"
        for f in summary["top_findings"]
    )
    shown = _shown_of(len(summary["top_findings"]), summary.get("onsets_total"), "onsets")
    inner = (
        numbers
        + f"<p>Platforms: {escape(platforms or 'none')}.</p>"
        + (f"<h3>Sharpest trend onsets</h3><ul class=findings>{findings}</ul>"
           + _note(f"{PEAK_RATE_NOTE} {shown}") if findings else "")
        + "".join(_note(n) for n in notes)
    )  # fmt: skip
    return _section("summary", "Summary", inner)


def _shown_of(shown: int, total: int | None, what: str) -> str:
    """'The first 20 of 153 onsets.' (or 'All 12 onsets.'), for a list that may be cut."""
    total = shown if total is None else total
    if shown >= total:
        return f"All {fmt_int(total)} {what}."
    return f"The first {fmt_int(shown)} of {fmt_int(total)} {what}."


_TREND_COLUMNS = ("hashtag", "posts", "accounts", "reposts", "expected", "poisson", "surge",
                  "ratio", "kleinberg", "zscore")  # fmt: skip


def _trend_row(r: dict) -> list[str]:
    return [_tag(r["hashtag"]), fmt_int(r["posts"]), fmt_int(r["accounts"]),
            fmt_int(r["reposts"]), fmt_num(r["expected"]), fmt_num(r["poisson"]),
            fmt_num(r["surge"]), fmt_num(r["ratio"]), fmt_int(r["kleinberg"]),
            fmt_num(r["zscore"])]  # fmt: skip


def _onset_row(o: dict) -> list[str]:
    return [_tag(o["hashtag"]), escape(fmt_time(o["start"])), escape(fmt_time(o["peak"])),
            escape(fmt_time(o["end"])), fmt_int(o["posts"]), fmt_num(o["peak_rate_per_min"]),
            fmt_num(o.get("baseline_per_min"))]  # fmt: skip


def trending_section(trending: dict) -> str:
    """The trending list at the end of the archive (every scorer) and the sharpest onsets."""
    columns = list(_TREND_COLUMNS)
    onset_cols = ["hashtag", "start", "peak", "end", "posts", "peak rate (posts/min)",
                  "baseline posts/min"]  # fmt: skip
    window = fmt_int((trending["window_s"] or 0) // 60)
    listed = _shown_of(len(trending["trends"]), trending.get("total"), "hashtags of the window")
    onsets = _shown_of(len(trending["onsets"]), trending.get("onsets_total"), "onsets")
    inner = (
        _note(f"Trending list as it looked at {fmt_time(trending['at'])} over a {window}-minute "
              f"window, ranked by {trending['method']}: the log of how much better a rise "
              "explains the window's posts than the hashtag's rate over the last 24 hours "
              f"(expected); every scorer is shown. {listed}")
        + table(columns, [_trend_row(r) for r in trending["trends"]], css="trending",
                numeric=columns[1:])
        + "<h3>Trend onsets over the whole archive</h3>"
        + _note(f"Bursts flagged by {trending['onset_method']} on {trending['onset_window']} "
                "buckets, sharpest first: by how far the peak rate rose above the baseline "
                f"rate. {PEAK_RATE_NOTE} {onsets}")
        + table(onset_cols, [_onset_row(o) for o in trending["onsets"]], css="onsets",
                numeric=onset_cols[4:])
    )  # fmt: skip
    return _section("trending", "Trending", inner)


# -- campaigns --------------------------------------------------------------------------------


def _campaign_facts(m: dict) -> str:
    return facts(
        [
            ("posts", fmt_int(m["posts"])),
            ("accounts", fmt_int(m["accounts"])),
            ("posts in the busiest minute", fmt_int(m["busiest_minute_posts"])),
            ("minutes to 2,000 posts", fmt_num(m.get("minutes_to_2000"), 0)),
            ("Gini", fmt_num(m["gini"])),
            ("top 50 accounts' share", fmt_share(m["top50_share"])),
            ("reposts", fmt_share(m["repost_share"])),
            ("new accounts' share", fmt_share(m["new_account_share"])),
        ]
    )


def _movers_table(rows: list[dict], account) -> str:
    columns = ["account", "first post", "posts in first hour"]
    body = [
        [account(r["author_id"], r.get("handle")), escape(fmt_time(r["first_post"])),
         fmt_int(r["posts_first_hour"])]
        for r in rows
    ]  # fmt: skip
    return table(columns, body, css="first-movers", numeric=columns[2:])


def _amplifiers_table(rows: list[dict], account) -> str:
    columns = ["account", "reposts of it in the campaign"]
    body = [[account(r["account"], r.get("handle")), fmt_int(r["reposts"])] for r in rows]
    empty = "" if rows else _note("No repost in this campaign names the reposted account.")
    return table(columns, body, css="amplifiers", numeric=columns[1:]) + empty


def _plain_account(account_id, name) -> str:
    return handle(name, account_id)


def campaign_card(
    view: dict, block_id: str, *, account=_plain_account, groups_href: str = "#groups"
) -> str:
    """One campaign: facts, timeline, Lorenz curve, first movers, amplifiers.

    ``account(id, handle)`` renders an account cell (default: ``@handle``, else the id);
    ``groups_href`` (safe HTML) is where "Coordinated groups" links to.
    """
    m = view["metrics"]
    tag = view["hashtags"][0]
    label = " ".join(f"#{t}" for t in view["hashtags"])
    return (
        f'<article class="campaign-card" data-hashtag="{escape(tag)}">'
        f"<h3>{text(label)}</h3><p class=headline>{escape(m['summary'])}</p>"
        + _campaign_facts(m)
        + '<div class="charts">'
        + chart("timeline", block_id, "timeline", css="timeline-box")
        + chart("lorenz", block_id, "lorenz", css="lorenz-box")
        + "</div>"
        + _note("Dashed lines: onset (start of the biggest Poisson burst, 1-hour buckets), busiest "
                "minute, 2,000th post. "
                "Lorenz curve: accounts from least to most active against their share of posts.")
        + "<h4>First movers</h4>" + _movers_table(view["first_movers"], account)
        + "<h4>Amplifiers (most reposted accounts)</h4>"
        + _amplifiers_table(view["amplifiers"], account)
        + f'<p><a href="{groups_href}">Coordinated groups in these campaigns</a></p></article>'
    )  # fmt: skip


def campaigns_section(cards: list[str]) -> str:
    inner = "".join(cards) or _note("No campaign to show: the store has no hashtag onsets.")
    return _section("campaigns", "Campaigns", inner)


# -- groups ---------------------------------------------------------------------------------


def _group_rows(groups: list[dict]) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for g in groups:
        keys = "; ".join(
            f"{k['method']}: {k.get('example_text') or k['key']}" for k in g["top_keys"]
        )
        tag = g.get("top_hashtag")
        pushed = f"{fmt_share(g['hashtag_share'])} of #{tag}" if tag else ""
        rows.append(
            [fmt_int(g["group_id"]), fmt_int(g["size"]), fmt_num(g["density"]),
             fmt_num(g["median_gap_s"], 0), fmt_int(g["posts"]), fmt_share(g["share_posts"]),
             fmt_share(g["share_first_2000"]), fmt_num(g["median_age_days"], 0),
             fmt_num(g["median_followers"], 0), fmt_share(g.get("share_flagged")),
             text(pushed), text(g.get("reading") or ""), text(keys)]
        )  # fmt: skip
        attrs.append(f'data-group="{escape(g["group_id"])}"')
    return rows, attrs


def _verdict(verdict: dict | None) -> str:
    """The verdict's sentence, first thing in the section (it names hashtags: escaped)."""
    if not verdict:
        return ""
    return f'<p class="verdict">{text(verdict["text"])}</p>'


def groups_section(view: dict, block_id: str, scope_note: str) -> str:
    """Group scores, the interactive network and the evidence panel."""
    columns = [
        "group", "accounts", "density", "median gap (s)", "posts", "share of posts",
        "share of first 2,000", "median age (days)", "median followers",
        "flagged accounts", "hashtag pushed", "reading", "top shared keys",
    ]  # fmt: skip
    rows, attrs = _group_rows(view["groups"])
    summary = view["summary"]
    drawn = view.get("network_accounts", summary["accounts_in_groups"])
    if drawn < summary["accounts_in_groups"]:
        scope_note += f" The network draws the largest groups: {fmt_int(drawn)} accounts."
    inner = (
        _verdict(view.get("verdict"))
        + _note(scope_note)
        + _note(f"Methods: {', '.join(summary['methods']) or 'none applicable'}; "
                f"{fmt_int(summary['significant_edges'])} significant links (q-value at most "
                f"{view.get('params', {}).get('q', '')}, each against a configuration null: every "
                "account's activity per day, every key's burst); "
                f"{fmt_int(summary['accounts_in_groups'])} accounts in "
                f"{fmt_int(summary['groups'])} groups.")
        + table(columns, rows, css="groups", numeric=columns[:10], row_attrs=attrs)
        + _note("Flagged accounts: members with at least two account signals (created within "
                "30 days of posting, 72+ posts a day, 90 %+ reposts, a generated handle, a "
                "declared bot); hints to check, not proof.")
        + _note("Network: colour = group, size = posts in scope. Hover a node for the account; "
                "click a link, or a node or a group's row above and then one of the links it "
                "lists, to see the evidence. The report "
                "embeds the earliest post pairs of each link; `trendwatch evidence A B` lists "
                "them all.")
        + chart("network", block_id, None, css="network-box", id="network",
                data_evidence="evidence")
        + '<div id="evidence" class="evidence"><p class="note">Click a link in the network to '
        "see the posts behind it.</p></div>"
    )  # fmt: skip
    return _section("groups", "Coordinated groups", inner)


# -- interactions ---------------------------------------------------------------------------

_KIND_PLURALS = {"reply": "replies"}


def _kind_counts(by_kind: dict) -> str:
    return ", ".join(
        f"{fmt_int(n)} {k if n == 1 else _KIND_PLURALS.get(k, k + 's')}" for k, n in by_kind.items()
    )


def _interaction_rows(view: dict, n: int) -> list[list[str]]:
    names = {node["id"]: node for node in view["nodes"]}
    return [
        [handle(names[e["source"]].get("handle"), e["source"]),
         handle(names[e["target"]].get("handle"), e["target"]), escape(e["kind"]),
         fmt_int(e["count"]), escape(fmt_time(e["first"])), escape(fmt_time(e["last"]))]
        for e in view["edges"][:n]
    ]  # fmt: skip


def interactions_section(view: dict | None, scope_note: str, *, top_links: int = 15) -> str:
    """Who reposts, quotes, replies to and mentions whom: a drawn network and its top links."""
    if not view or not view["nodes"]:
        return _section("network", "Who interacts with whom",
                        _note(scope_note + " No repost, quote, reply or mention links two "
                              "accounts here."))  # fmt: skip
    s = view["summary"]
    columns = ["from", "to", "kind", "times", "first", "last"]
    inner = (
        f"<p class=headline>{plural(s['accounts'], 'account')}, {plural(s['links'], 'link')}, "
        f"{plural(s['interactions'], 'interaction')} ({escape(_kind_counts(s['by_kind']))}).</p>"
        + _note(scope_note + f" Drawn: the {fmt_int(view['shown_accounts'])} accounts with the "
                "most interactions (made and received) and their "
                f"{fmt_int(view['shown_links'])} strongest links. Arrow: from the account that "
                "reposts, quotes, replies or mentions to the one it names; colour = kind, "
                "width = times. Node colour = coordination group (grey: none), size = "
                "interactions. Hover a node or an arrow for the account, counts and times.")
        + f'<div class="interactions-box">{interactions_svg(view)}</div>'
        + "<h3>Strongest links</h3>"
        + table(columns, _interaction_rows(view, top_links), css="interaction-links",
                numeric=["times"])
        + _note("For Gephi: trendwatch network --hashtag TAG --out network.gexf (or .graphml, "
                ".csv) writes the whole network with these attributes.")
    )  # fmt: skip
    return _section("network", "Who interacts with whom", inner)


# -- comparison, methods, quality ----------------------------------------------------------------


def comparison_section(view: dict | None, block_id: str, note: str) -> str:
    if view is None:
        return _section("comparison", "Comparison", _note(note))
    a, b, o = view["a"], view["b"], view["overlap"]
    side = ["", " ".join(f"#{t}" for t in a["hashtags"]), " ".join(f"#{t}" for t in b["hashtags"])]
    rows = [
        [escape(label), escape(fa(a[key])), escape(fa(b[key]))]
        for label, key, fa in (
            ("posts", "posts", fmt_int), ("accounts", "accounts", fmt_int),
            ("Gini", "gini", fmt_num), ("top 50 share", "top50_share", fmt_share),
            ("new accounts' share", "new_account_share", fmt_share),
            ("posts in the busiest minute", "busiest_minute_posts", fmt_int),
        )
    ]  # fmt: skip
    more = {"a": side[1], "b": side[2]}.get(o["more_concentrated"] or "", "neither")
    inner = (
        _note(note)
        + chart("timeline", block_id, "timeline", css="timeline-box")
        + table(side, rows, css="comparison")
        + f"<p>Accounts in both: {fmt_int(o['accounts_in_both'])} "
        f"(Jaccard {fmt_num(o['jaccard'], 3)}); accounts bridging both hashtags in one post: "
        f"{fmt_int(o['bridging_accounts'])}. More concentrated: {text(more)}"
        f" (Gini higher by {fmt_num(o['gini_difference'])}).</p>"
    )
    return _section("comparison", "Comparison", inner)


def methods_section(view: dict, groups_params: dict | None, *, recorded: bool = False) -> str:
    """Trend scorer settings, the groups' parameters, and the runs (those of this report when
    they were recorded, else every run stored)."""
    p = view["trend_params"]
    trend = (
        f"<p>Trend scorers: {escape(', '.join(view['trend_methods']))}. Poisson history "
        f"{fmt_num(p['history_s'] / 3600, 1)} h; surge threshold "
        f"{p['surge_threshold']} accounts, half-life {fmt_num(p['half_life_s'] / 3600, 1)} h; "
        f"Kleinberg s={p['kleinberg_s']}, γ={p['kleinberg_gamma']}, {p['kleinberg_states']} "
        f"states; robust z over {p['zscore_baseline_buckets']} trailing buckets. Onsets: "
        f"{escape(view['onsets']['method'])} on {escape(view['onsets']['window'])} buckets.</p>"
    )
    params = ""
    if groups_params:
        shown = ", ".join(f"{k}={v}" for k, v in groups_params.items() if v not in (None, [], ""))
        params = f"<p>Coordination groups: <code>{escape(shown)}</code></p>"
    columns = ["run", "kind", "created", "version", "fingerprint", "parameters"]
    rows = [
        [f"<code>{escape(r['run_id'])}</code>", escape(r["kind"]),
         escape(fmt_time(r["created_at"])), escape(r["version"]),
         f"<code>{escape(r['fingerprint'])}</code>",
         f"<code>{escape(orjson.dumps(r['params']).decode())}</code>"]
        for r in view["runs"]
    ]  # fmt: skip
    runs = table(columns, rows, css="runs") if rows else _note("No analysis run is stored.")
    title = "<h3>Runs of this report</h3>" if recorded else (
        "<h3>Runs stored</h3>" + _note("This report's coordination runs were not recorded "
                                      "(read-only store); these are the store's earlier runs.")
    )  # fmt: skip
    return _section("methods", "Methods and parameters", trend + params + title + runs)


def _gaps(gaps: list[dict]) -> str:
    """The latest gaps of watched streams: times nothing was collected from a source."""
    if not gaps:
        return ""
    rows = [[text(g["source"]), escape(fmt_time(g["gap_from"], seconds=True)),
             escape(fmt_time(g["gap_to"], seconds=True)), fmt_int(round(g["seconds"])),
             text(g["reason"])] for g in gaps]  # fmt: skip
    return (
        "<h3>Gaps in watched streams</h3>"
        + _note(
            "Times a live source was not collecting (latest first): a quiet stretch "
            "there is missing data, not a quiet hashtag."
        )  # fmt: skip
        + table(
            ["source", "from", "to", "seconds", "reason"],
            rows,
            css="watch-gaps",
            numeric=["seconds"],
        )  # fmt: skip
    )


def quality_section(view: dict) -> str:
    numbers = facts(
        [
            ("collected posts", fmt_int(view["posts"])),
            ("context posts", fmt_int(view["context_posts"])),
            ("quarantined records", fmt_int(view["quarantined"])),
        ]
    )
    reasons = table(
        ["reason", "records"],
        [[text(r["reason"]), fmt_int(r["records"])] for r in view["top_reasons"]],
        css="quarantine-reasons", numeric=["records"],
    )  # fmt: skip
    files = table(
        ["file", "quarantined"],
        [[text(r["file"]), fmt_int(r["quarantined"])] for r in view["quarantine_by_file"]],
        css="quarantine-files", numeric=["quarantined"],
    )  # fmt: skip
    clients = table(
        ["client", "posts"],
        [[text(r["client"]), fmt_int(r["posts"])] for r in view["posts_by_client"]],
        css="clients", numeric=["posts"],
    )  # fmt: skip
    inner = (
        numbers
        + "<h3>Quarantine reasons</h3>" + reasons
        + "<h3>Quarantine by file</h3>" + files
        + "<h3>Posts by client</h3>" + clients
        + _gaps(view.get("watch_gaps") or [])
    )  # fmt: skip
    return _section("quality", "Data quality", inner)
