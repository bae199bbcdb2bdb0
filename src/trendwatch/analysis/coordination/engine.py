"""The coordination engine: posts -> actions -> linked account pairs with their evidence.

A *method* (see :mod:`.methods`) maps posts to **actions** ``(account_id, key, time,
post_id)``. Two distinct accounts are **linked** when they act on the same key within
``window_s`` seconds of each other (``|Δt| <= window_s``, both ends inclusive, as in the QUT
toolkit and CooRTweet). Every linked *post pair* is one row of **evidence**; an edge summarises
the evidence of one unordered account pair:

``weight``
    the number of distinct evidence rows, i.e. post pairs ``(post_a, post_b)`` of the two
    accounts acting on the same key within the window (CooRTweet's count of coordinated
    shares). A post acting on several keys (co-link, co-hashtag) counts once per key.
``n_keys``
    distinct keys the pair shares within the window.
``a_posts`` / ``b_posts``
    distinct posts of each account in the evidence (``a_posts`` is the QUT toolkit's directed
    weight from ``account_a`` to ``account_b``).
``symmetry``
    ``min(a_posts, b_posts) / max(a_posts, b_posts)``: CooRTweet's edge-symmetry score; 1
    when both accounts contribute equally, near 0 when one account's many posts meet a few.
``median_gap_s`` / ``min_gap_s``
    the time gaps of the evidence rows.
``tfidf``
    (when ``tfidf=True``) the cosine similarity of the two accounts' TF-IDF vectors over the
    account × key matrix (Pacheco et al. 2021): rare keys count more than hot ones.

Hot keys
--------
A key acted on by very many accounts in a short time (a post reposted by 200,000 accounts
within an hour) would yield billions of pairs. The join is sort-based: per key, actions are
ordered by time and each action is paired with **at most ``max_key_fanout`` following actions
within the window** (so with at most ``2 * max_key_fanout`` neighbours in all). The output is
therefore at most ``max_key_fanout`` rows per action, linear in the input. Keys where the bound
cut pairs are listed in :attr:`CoordinationResult.bounded_keys` with their number of actions,
and the bound is part of the result's ``params``. ``max_key_fanout=None`` removes the bound
(the published tools have none; parity tests use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import ibis
import igraph
import pandas as pd
import pyarrow as pa

__all__ = [
    "Scope",
    "CoordinationResult",
    "actions",
    "link",
    "coordinate",
    "DEFAULT_MAX_KEY_FANOUT",
    "EDGE_COLUMNS",
    "EVIDENCE_COLUMNS",
    "ACTION_COLUMNS",
]

DEFAULT_MAX_KEY_FANOUT = 1000
"""Each action pairs with at most this many following actions on its key within the window."""

ACTION_COLUMNS = ("account_id", "key", "time", "post_id")
EDGE_COLUMNS = (
    "account_a",
    "account_b",
    "weight",
    "n_keys",
    "a_posts",
    "b_posts",
    "symmetry",
    "median_gap_s",
    "min_gap_s",
)
EVIDENCE_COLUMNS = ("account_a", "account_b", "key", "post_a", "post_b", "time_a", "time_b", "gap_s")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which posts a method looks at: all collected posts, or a hashtag / time / platform slice.

    ``hashtags`` are matched normalised (a post is in scope when it carries any of them);
    ``since`` is inclusive and ``until`` exclusive.
    """

    hashtags: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    platform: str | None = None


@dataclass(frozen=True)
class CoordinationResult:
    """Edges (one row per unordered account pair, ``account_a < account_b``) and their evidence."""

    method: str
    params: dict
    edges: pd.DataFrame
    evidence: pd.DataFrame
    bounded_keys: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"key": [], "n_actions": []})
    )
    run_id: str | None = None

    @property
    def accounts(self) -> list[str]:
        """The accounts with at least one edge, sorted."""
        return sorted(set(self.edges["account_a"]) | set(self.edges["account_b"]))

    def graph(self) -> igraph.Graph:
        """The edges as an undirected igraph Graph (vertex ``name`` = account id)."""
        raise NotImplementedError


def actions(store, method: str, scope: Scope | None = None, params: dict | None = None) -> ibis.Table:
    """The actions ``(account_id, key, time, post_id)`` of ``method`` over the scoped posts."""
    raise NotImplementedError


def link(
    actions: ibis.Table | pa.Table,
    *,
    window_s: float,
    min_weight: int = 1,
    max_key_fanout: int | None = DEFAULT_MAX_KEY_FANOUT,
    min_participation: int = 1,
    min_symmetry: float = 0.0,
    weight_percentile: float | None = None,
    tfidf: bool = False,
    method: str = "custom",
    params: dict | None = None,
) -> CoordinationResult:
    """Link accounts acting on the same key within ``window_s`` seconds."""
    raise NotImplementedError


def coordinate(
    store,
    method: str,
    *,
    window: float | str = 60,
    min_weight: int = 1,
    hashtags=None,
    since=None,
    until=None,
    platform: str | None = None,
    record: bool = True,
    **method_params,
) -> CoordinationResult:
    """Run one method over the store: :func:`actions` then :func:`link` (+ run provenance)."""
    raise NotImplementedError
