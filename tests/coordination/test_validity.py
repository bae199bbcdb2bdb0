"""Validity: the simulator's attack is found, its organic trap is not; IRA groups are purer
than chance against the published account categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from trendwatch.analysis.coordination.groups import groups


@pytest.fixture(scope="module")
def sim_groups(simulation):
    store, truth = simulation
    return groups(store, record=False), truth


def test_simulated_attack_group_is_recovered(sim_groups):
    result, truth = sim_groups
    attackers = set(map(str, truth.coordinated_accounts))
    members = result.members
    best = members.groupby("group_id")["account_id"].apply(lambda a: len(set(a) & attackers))
    found = set(members.loc[members["group_id"] == best.idxmax(), "account_id"])
    precision = len(found & attackers) / len(found)
    recall = len(found & attackers) / len(attackers)
    print(f"\nattack group: {len(found)} accounts, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9 and recall >= 0.9


def test_organic_cascades_and_counter_campaign_are_not_flagged(sim_groups):
    result, truth = sim_groups
    organic = set(map(str, truth.organic_accounts))
    counter = set(map(str, truth.counter_accounts))
    grouped = set(result.members["account_id"])
    print(
        f"\norganic accounts in a group: {len(grouped & organic)} of {len(organic)}; "
        f"counter-campaign: {len(grouped & counter)} of {len(counter)}"
    )
    # The criterion: <= 5 % of organic accounts (counter-campaign included) in any
    # group. Measured at seed 7: 37 of 3,445 organic (1.1 %); counter: 22 of 652 (3.4 %).
    assert len(grouped & organic) <= 0.05 * len(organic)


def purity(labels, group_ids) -> float:
    """Share of grouped accounts whose label is their group's most common label."""
    frame = pd.DataFrame({"label": labels, "group": group_ids})
    majority = frame.groupby("group")["label"].agg(lambda c: c.value_counts().iloc[0])
    return majority.sum() / len(frame)


def test_purity_by_hand():
    assert purity(["a", "a", "b", "b", "b", "c"], [1, 1, 1, 2, 2, 2]) == pytest.approx(4 / 6)


# Slices of the archive keep each run under ~35 s (after the session's ingest): co-tweet over
# 2016 with a five-minute window; co-retweet (reposts keyed by their original's content: the
# IRA files give no retweeted post id) and sync-post (30-minute bins) over October 2016. The
# co-tweet
# window stays well under the null's one-hour permutation block: with a one-hour window the
# shuffles keep almost every pair within the window, so only 7 accounts were significant
# (36 at 300 s, all in single-category groups). Over the second half of 2016 alone, only
# NonEnglish accounts are grouped, so purity cannot beat chance.
IRA_RUNS = {
    "co-retweet": {"since": "2016-10-01", "until": "2016-11-01"},
    "co-tweet": {"window": 300, "since": "2016-01-01", "until": "2017-01-01"},
    "sync-post": {"since": "2016-10-01", "until": "2016-11-01"},
}


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(IRA_RUNS))
def test_ira_groups_are_purer_than_random_groupings(ira_store, method):
    authors = pd.read_csv(
        shared_path("ira-troll-tweets", "authors.csv"), usecols=["author_id", "account_category"]
    )
    result = groups(ira_store, [method], min_size=2, record=False, **IRA_RUNS[method])
    members = result.members.merge(authors, left_on="account_id", right_on="author_id", how="left")
    labels = members["account_category"].fillna("unknown").to_numpy()
    assert len(members) >= 4, "too few grouped accounts to judge purity"
    observed = purity(labels, members["group_id"])
    rng = np.random.default_rng(0)
    shuffled = [purity(rng.permutation(labels), members["group_id"]) for _ in range(200)]
    table = members.groupby("group_id")["account_category"].agg(lambda c: dict(c.value_counts()))
    print(
        f"\n{method}: {len(result.groups)} groups, {len(members)} accounts, purity "
        f"{observed:.3f} vs {np.mean(shuffled):.3f} for random groupings\n{table.to_string()}"
    )
    assert observed > np.mean(shuffled)
