"""Hand-made stores and groups results where we know which run links which pair.

The posts (:func:`linked_posts`):

- ``a`` and ``b`` repost ``X`` 5 s apart (co-retweet) and share ``ex.org/u`` 2 s apart
  (co-link);
- ``c`` and ``d`` post the same words 1 s apart (co-tweet);
- ``e`` and ``f`` repost ``Y`` 30 s apart: co-retweet links them only with a window of 30 s
  or more.

:func:`recorded_runs` records, in this order: co-retweet (window 10: a-b), co-link (a-b),
co-tweet (c-d), a groups run built by hand from those three whose fused edges hold a-b only
(by co-retweet and co-link; c-d left out, as if not significant), then an unrelated later
co-retweet run (window 60: a-b and e-f).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.group_runs import record_groups_run
from trendwatch.analysis.coordination.groups import GroupsResult

HOSTILE = "RT @x: \x1b]0;owned\x07 vote\u202eeton"


def linked_posts(store, text_a: str = "RT @x: vote") -> None:
    add_posts(store, [
        make_post(1, "a", at(0, 0), "repost", ref_post_id="X", text=text_a),
        make_post(2, "b", at(0, 5), "repost", ref_post_id="X", text="RT @x: vote"),
        make_post(3, "a", at(1, 0), urls=("https://ex.org/u",), text="see https://ex.org/u"),
        make_post(4, "b", at(1, 2), urls=("https://ex.org/u",), text="look https://ex.org/u"),
        make_post(5, "c", at(2, 0), text="same words here"),
        make_post(6, "d", at(2, 1), text="same words here"),
        make_post(7, "e", at(3, 0), "repost", ref_post_id="Y", text="RT @y: other"),
        make_post(8, "f", at(3, 30), "repost", ref_post_id="Y", text="RT @y: other"),
    ])  # fmt: skip


def edges_frame(rows) -> pd.DataFrame:
    """Fused edges from ``(account_a, account_b, weight, methods, group_id)`` tuples."""
    frame = pd.DataFrame(rows, columns=["account_a", "account_b", "weight", "methods", "group_id"])
    frame.insert(3, "n_methods", frame["methods"].str.count(",") + 1)
    frame.insert(5, "min_gap_s", 1.0)
    return frame.astype({"group_id": "Int64"})


def hand_result(edges: pd.DataFrame, runs: dict, **fields) -> GroupsResult:
    """A GroupsResult of one group holding every account of ``edges``."""
    accounts = sorted({*edges["account_a"], *edges["account_b"]})
    members = pd.DataFrame({"account_id": accounts, "group_id": 1, "degree": 1})
    scores = pd.DataFrame({
        "group_id": [1], "size": [len(accounts)], "density": [1.0],
        "top_keys": [[{"method": "co-retweet", "key": "X", "accounts": 2}]],
    })  # fmt: skip
    values = dict(
        members=members, groups=scores, edges=edges, evidence=pd.DataFrame(), runs=runs,
        tests={m: {"pairs": 1, "significant": 1} for m in runs},
        params={"methods": list(runs), "window": 10},
    )  # fmt: skip
    return GroupsResult(**(values | fields))


@dataclass(frozen=True)
class Recorded:
    """The run ids :func:`recorded_runs` made."""

    retweet: str
    link: str
    tweet: str
    groups: str
    later_retweet: str


def recorded_runs(store) -> Recorded:
    """Record the runs of the module docs on a store holding :func:`linked_posts`."""
    retweet = coordinate(store, "co-retweet", window=10).run_id
    link = coordinate(store, "co-link", window=10).run_id
    tweet = coordinate(store, "co-tweet", window=10).run_id
    edges = edges_frame([("a", "b", 3, "co-link,co-retweet", 1)])
    runs = {"co-retweet": retweet, "co-tweet": tweet, "co-link": link}
    groups_run = record_groups_run(store, hand_result(edges, runs)).run_id
    later = coordinate(store, "co-retweet", window=60).run_id
    return Recorded(retweet, link, tweet, groups_run, later)


def rows_of(store, table: str, run_id: str) -> int:
    [(count,)] = store.con.execute(
        f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]
    ).fetchall()
    return count
