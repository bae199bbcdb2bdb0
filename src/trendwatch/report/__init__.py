"""Self-contained HTML report: the views' data (:mod:`.views`) rendered as one offline page.

:func:`write_report` is what ``trendwatch report`` calls. :mod:`.views` holds the data behind
every section (the dashboard reuses it), :mod:`.render` the HTML primitives, the escaping rules
and the stable DOM, :mod:`.sections` the sections, ``static/`` the CSS and ``charts.js``.

On the Spark engine (a lake's :class:`~trendwatch.engines.SparkStore`) the trending list,
campaigns, groups, comparison and methods are computed on Spark; the summary, the
interaction network and data quality read the DuckDB store with SQL, and say so in place.

What the report scopes, and says it does: with no hashtag given it shows the two biggest trend
onsets' hashtags; coordination groups are computed only over the posts of the campaigns shown
(over a whole archive they would mostly find the topics everyone shares, and cost minutes).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from pathlib import Path

from ..analysis.variants import fold_variants as find_variants
from . import views
from .render import json_script, page, times_shown_in
from .sections import (
    campaign_card,
    campaigns_section,
    comparison_section,
    groups_section,
    interactions_section,
    methods_section,
    not_on_this_engine,
    quality_section,
    summary_section,
    trending_section,
)

__all__ = ["write_report", "build_report", "DEFAULT_CAMPAIGNS"]

DEFAULT_CAMPAIGNS = 2
"""Campaigns shown when the user names none: the hashtags of the biggest trend onsets."""


def _tags(hashtags) -> list[str]:
    if isinstance(hashtags, str):
        hashtags = [hashtags]
    return [str(h).lstrip("#") for h in hashtags or []]


def _choose(store, hashtags, compare, onset_table) -> tuple[list[str], tuple | None, list[str]]:
    """Campaigns and comparison to show, and notes saying how they were chosen."""
    notes, tags = [], _tags(hashtags)
    if not tags:
        tags = views.top_campaigns(store, DEFAULT_CAMPAIGNS, onset_table=onset_table)
        notes.append(
            "No hashtag was given: the campaigns shown are the hashtags of the "
            f"{len(tags)} biggest trend onsets (by posts)."
        )
    if compare is None and len(tags) >= 2:
        compare = (tags[0], tags[1])
    return tags, (tuple(_tags(compare)) if compare else None), notes


def _variants(store, tags: list[str], fold: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Each campaign's hashtags (itself, and with ``fold`` its accent variants), and notes
    saying what was folded."""
    if not fold:
        return {tag: [tag] for tag in tags}, []
    folded = {tag: find_variants(store, [tag]) for tag in tags}
    notes = [f.note() + "." for f in folded.values() if f.folded]
    return {tag: list(f.hashtags) for tag, f in folded.items()}, notes or [
        "Hashtag variants were folded: none differ from the campaigns shown only by accents."
    ]


def build_report(
    store,
    *,
    hashtags=None,
    compare=None,
    group_params=None,
    fold_variants: bool = False,
    progress=None,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    step = progress or _quiet
    step("trend onsets")
    onset_table = views.archive_onsets(store)
    tags, pair, notes = _choose(store, hashtags, compare, onset_table)
    spellings, folded_notes = _variants(store, sorted({*tags, *(pair or ())}), fold_variants)
    notes += folded_notes
    blocks, parts = [], []

    def add(block_id: str, data) -> str:
        blocks.append(json_script(block_id, data))
        return block_id

    if _on_spark(store):
        parts.append(not_on_this_engine("summary", "Summary", _DUCKDB_ONLY["summary"], notes))
    else:
        summary = views.summary_view(store, onset_table=onset_table)
        parts.append(summary_section(summary, notes))
        add("tw-summary", summary)
    parts.append(trending_section(views.trending_view(store, onset_table=onset_table)))
    step("campaigns")
    cards = [
        campaign_card(view, add(f"tw-campaign-{i}", view))
        for i, view in enumerate(
            views.campaign_view(store, spellings[t], onset_table=onset_table) for t in tags
        )
    ]
    parts.append(campaigns_section(cards))
    scoped = sorted({variant for found in spellings.values() for variant in found})
    step("coordination groups")
    group_html, used = _groups(store, scoped, group_params or {}, add)
    parts.append(group_html)
    step("who interacts with whom")
    parts.append(_interactions(store, [v for t in tags for v in spellings[t]], used, add))
    step("comparison")
    parts.append(_comparison(store, pair and [spellings[t] for t in pair], add))
    step("methods and data quality")
    run_ids = [r for r in (used or {}).get("runs", {}).values() if r] or None
    methods = views.methods_view(store, run_ids)
    parts.append(methods_section(methods, used and used["params"], recorded=bool(run_ids)))
    parts.append(
        not_on_this_engine("quality", "Data quality", _DUCKDB_ONLY["quality"])
        if _on_spark(store)
        else quality_section(views.quality_view(store))
    )
    title = "trendwatch report" + (f": #{' #'.join(tags)}" if tags else "")
    return page(title, _header(title) + "".join(parts) + "".join(blocks))


def _quiet(_step: str) -> None:
    pass


_DUCKDB_ONLY = {
    "summary": "the archive's overview (posts, authors, span, platforms, quarantine) is read "
    "with DuckDB SQL over the store; `trendwatch info` on the DuckDB store gives it.",
    "network": "the interaction network is read with DuckDB SQL over the store; "
    "`trendwatch report` on the DuckDB store draws it.",
    "quality": "quarantine and client counts are read with DuckDB SQL over the store; "
    "`trendwatch quarantine` on the DuckDB store gives them.",
}
"""The report's sections that need the DuckDB store, and what to run instead."""


def _on_spark(store) -> bool:
    return getattr(store, "engine", "duckdb") == "spark"


_NAV = ("summary", "trending", "campaigns", "groups", "network", "comparison", "methods",
        "quality")  # fmt: skip


def _header(title: str) -> str:
    from .render import escape

    links = "".join(f'<a href="#{name}">{name}</a>' for name in _NAV)
    return (
        f'<header class="report-header"><h1>{escape(title)}</h1>'
        f'<nav class="toc">{links}</nav></header>'
    )


def _groups(store, tags: list[str], params: dict, add) -> tuple[str, dict | None]:
    """The groups section, scoped to the campaigns shown; and its view (runs, parameters)."""
    if not tags:
        return groups_section(_NO_GROUPS, add("tw-groups", _NO_GROUPS), "No campaign shown."), None
    view = views.groups_view(store, tags, **params)
    scope = (
        "Scope: coordination was computed over the posts carrying "
        + " or ".join(f"#{t}" for t in tags)
        + " only (the campaigns shown), not over the whole archive."
    )
    return groups_section(view, add("tw-groups", view), scope), view


_NO_GROUPS = {
    "summary": {"methods": [], "groups": 0, "accounts_in_groups": 0, "significant_edges": 0},
    "groups": [], "nodes": [], "edges": [], "evidence": {}, "posts": {},
}  # fmt: skip


def _interactions(store, tags: list[str], groups_view: dict | None, add) -> str:
    """The interaction network of the campaigns shown, nodes coloured by their groups."""
    if _on_spark(store):
        return not_on_this_engine("network", "Who interacts with whom", _DUCKDB_ONLY["network"])
    if not tags:
        return interactions_section(None, "No campaign shown.")
    groups = {n["id"]: n["group"] for n in (groups_view or {}).get("nodes", [])}
    view = views.interactions_view(store, tags, groups=groups)
    scope = "Scope: the posts carrying " + " or ".join(f"#{t}" for t in tags) + "."
    add("tw-network", view)
    return interactions_section(view, scope)


def _comparison(store, pair, add) -> str:
    if not pair or len(pair) != 2:
        return comparison_section(None, "", "Give two hashtags (--compare A B) to compare them.")
    view = views.comparison_view(store, pair[0], pair[1])
    a, b = (" ".join(f"#{t}" for t in side) for side in pair)
    note = f"{a} (a) against {b} (b), posts per bucket on one time axis."
    return comparison_section(view, add("tw-comparison", view), note)


def write_report(
    store,
    path,
    *,
    hashtags=None,
    compare=None,
    fold_variants: bool = False,
    progress=None,
    tz: tzinfo = UTC,
) -> Path:
    """Write the self-contained HTML report of ``store`` to ``path`` and return the path.

    Parameters
    ----------
    store : Store
        The store to report on (a writable store also records the coordination runs).
    path : str or Path
        The HTML file to write (parent folders are created).
    hashtags : list of str, optional
        Campaigns to show, one card each; default: the biggest trend onsets' hashtags.
    compare : (str, str), optional
        Two hashtags to compare; default: the first two campaigns shown.
    fold_variants : bool
        Count with each hashtag its stored variants that differ only by accents
        (:func:`~trendwatch.analysis.variants.fold_variants`); the summary says which.
    progress : callable, optional
        Called with the name of each step as it starts (the CLI shows it on a terminal).
    tz : tzinfo
        The zone the report shows times in, with its name (cards, tables, evidence, the
        timelines' axes); UTC by default. Its JSON data blocks stay in UTC ISO 8601.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> import tempfile, os
    >>> out = write_report(Store(":memory:"), os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> out.read_text().startswith("<!DOCTYPE html>")
    True
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with times_shown_in(tz):
        html = build_report(
            store,
            hashtags=hashtags,
            compare=compare,
            fold_variants=fold_variants,
            progress=progress,
        )
    out.write_text(html, encoding="utf-8")
    return out
