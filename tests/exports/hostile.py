"""The hostile cells of ``tests/fixtures/hostile/export_cells.json``, and a store built of them."""

from __future__ import annotations

import itertools
import json
from functools import cache

from tests.conftest import FIXTURES, add_posts, at, background_reposts, make_post
from trendwatch.model import Account, accounts_to_arrow

CORPUS = FIXTURES / "hostile" / "export_cells.json"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""OWASP's formula triggers: no text cell of an export may start with one."""


@cache
def cells() -> dict[str, list[str]]:
    """Each kind of hostile cell (formula, splitting, xml_forbidden, terminal, lookalikes)."""
    corpus = json.loads(CORPUS.read_text(encoding="ascii"))
    return {kind: values for kind, values in corpus.items() if kind != "about"}


def every_cell() -> list[str]:
    return [value for values in cells().values() for value in values]


RING = [
    *cells()["formula"][:6],
    "a\rb",
    "a\nb",
    "a,b",
    *cells()["xml_forbidden"][:4],
    *cells()["terminal"][:2],
    "x\u0001y",
    "x\u0002y",
]
"""Account ids of a retweet ring: every one a hostile string (two differ only by a control)."""


def ring_store(store) -> None:
    """The ring retweets six posts together within 2 s, every post with #tag; forty accounts
    retweet other posts alone (the context the test needs). Each ring member's handle is a
    formula, so ``accounts --out`` writes hostile handles too."""
    posts = [
        make_post(f"p{k}-{i}", account, at(5 * i, k % 3), "repost", ref_post_id=f"o{i}",
                  hashtags=("tag",), text=f"RT original {i}")
        for i, (k, account) in itertools.product(range(6), enumerate(RING))
    ]  # fmt: skip
    add_posts(store, posts + background_reposts())
    formulas = itertools.cycle(cells()["formula"])
    accounts = [
        Account(platform="x", account_id=account, handle=next(formulas), name=account)
        for account in RING
    ]
    store.write_batch(accounts=accounts_to_arrow(accounts))
