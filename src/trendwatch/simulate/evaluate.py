"""Score a grouping of accounts against a simulated archive's truth.

For each planted network (``truth.shapes``), the group holding most of its members is its
*best group*; precision and recall are those of that group, so a network cut in two, or merged
with strangers, loses points. ``groups`` counts the groups holding at least two of its members
("each planted network one group" means 1). Look-alikes and the organic crowd are counted
apart: how many of them landed in any group.

>>> import pandas as pd
>>> from types import SimpleNamespace
>>> truth = SimpleNamespace(shapes={"ring": ("a", "b", "c")}, lookalikes={"bots": ("x",)},
...                         organic_accounts=("o1", "o2", "x"))
>>> members = pd.DataFrame({"account_id": ["a", "b", "o1"], "group_id": [1, 1, 1]})
>>> shape_scores(truth, members)[["shape", "precision", "recall", "f1", "groups"]].values.tolist()
[['ring', 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 1]]
>>> false_positives(truth, members)
{'organic': 1, 'organic_share': 0.5, 'bots': 0}
"""

from __future__ import annotations

import pandas as pd

__all__ = ["shape_scores", "false_positives", "planted_share"]


def shape_scores(truth, members: pd.DataFrame) -> pd.DataFrame:
    """One row per planted network: ``shape, size, found, precision, recall, f1, groups``."""
    group_of = dict(zip(members["account_id"], members["group_id"], strict=True))
    rows = [_score(name, set(accounts), members, group_of)
            for name, accounts in truth.shapes.items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["shape", "size", "found", "precision", "recall", "f1",
                                       "groups"])  # fmt: skip


def _score(name: str, planted: set, members: pd.DataFrame, group_of: dict) -> list:
    found = pd.Series([group_of[a] for a in planted if a in group_of], dtype=object)
    if found.empty:
        return [name, len(planted), 0, 0.0, 0.0, 0.0, 0]
    counts = found.value_counts()
    best = set(members.loc[members["group_id"] == counts.index[0], "account_id"])
    hits = len(best & planted)
    precision, recall = hits / len(best), hits / len(planted)
    f1 = 2 * precision * recall / (precision + recall)
    return [name, len(planted), len(found), precision, recall, f1, int((counts >= 2).sum())]


def false_positives(truth, members: pd.DataFrame) -> dict:
    """Accounts in any group that are organic (look-alikes apart) or look-alikes, by kind."""
    grouped = set(members["account_id"])
    lookalikes = {name: set(accounts) for name, accounts in truth.lookalikes.items()}
    organic = set(truth.organic_accounts).difference(*lookalikes.values())
    out = {"organic": len(grouped & organic),
           "organic_share": len(grouped & organic) / max(len(organic), 1)}  # fmt: skip
    return out | {name: len(grouped & accounts) for name, accounts in lookalikes.items()}


def planted_share(store, truth, hashtag: str, since, until) -> float:
    """The share of ``hashtag``'s posts created in ``[since, until)`` that planted accounts
    (``truth.coordinated_accounts``) made; 0 when it has none. An alert on a hashtag whose
    posts were mostly made by organic accounts is a false alert.

    >>> from types import SimpleNamespace
    >>> from datetime import UTC, datetime
    >>> from trendwatch.store import Store
    >>> planted_share(Store(":memory:"), SimpleNamespace(coordinated_accounts=("a",)), "x",
    ...               datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    0.0
    """
    posts, planted = store.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE author_id IN (SELECT unnest(?::VARCHAR[]))) "
        "FROM posts WHERE list_contains(hashtags, ?) AND created_at >= ? AND created_at < ?",
        [list(truth.coordinated_accounts), hashtag, since, until],
    ).fetchone()
    return planted / posts if posts else 0.0
