"""Validity: every planted shape is found as one group over several simulator seeds, its
look-alikes and the organic crowd are not; real archives give the answers they should."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from trendwatch.analysis.coordination.groups import groups
from trendwatch.ingest import ingest
from trendwatch.simulate import simulate
from trendwatch.simulate.evaluate import false_positives, shape_scores
from trendwatch.simulate.lookalikes import DEBATE_TAG
from trendwatch.store import Store
from trendwatch.text import normalize_hashtag

SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module", params=SEEDS)
def seeded(request, tmp_path_factory):
    """(store, truth, groups over the whole archive) for one simulator seed."""
    out = tmp_path_factory.mktemp(f"valid{request.param}")
    truth = simulate(out / "archive", seed=request.param)
    ingest(sorted((out / "archive").glob("*.jsonl")), out / "sim.duckdb")
    with Store(out / "sim.duckdb", read_only=True) as store:
        yield store, truth, groups(store, record=False)


def test_every_planted_shape_is_one_group(seeded):
    _, truth, result = seeded
    scores = shape_scores(truth, result.members)
    print(f"\nseed {truth.seed}\n{scores.to_string()}")
    assert (scores["f1"] >= 0.95).all()
    assert (scores["groups"] == 1).all()


def test_no_more_than_one_percent_of_organic_accounts_in_any_group(seeded):
    _, truth, result = seeded
    wrong = false_positives(truth, result.members)
    print(f"\nseed {truth.seed}: {wrong}")
    assert wrong["organic_share"] <= 0.01
    # The look-alikes are organic too: together, still at most 1 %.
    lookalikes = sum(v for k, v in wrong.items() if k not in ("organic", "organic_share"))
    assert wrong["organic"] + lookalikes <= 0.01 * len(truth.organic_accounts)
    assert wrong["live debate"] <= 0.01 * len(truth.lookalikes["live debate"])


def test_the_attack_reads_as_a_push_and_the_counter_campaign_does_not(seeded):
    store, truth, _ = seeded
    attack = groups(store, hashtags=[truth.attack_hashtag], record=False)
    assert attack.verdict.finding == "coordinated core" and attack.verdict.reading == "push"
    assert set(attack.members["account_id"]) <= set(truth.attack_accounts)
    assert attack.verdict.core_accounts >= 0.95 * len(truth.attack_accounts)
    assert attack.verdict.share >= 0.9
    counter = groups(store, hashtags=[truth.counter_hashtag], record=False)
    assert counter.verdict.reading in (None, "organised core in a crowd")
    assert "volume" not in counter.verdict.text
    assert set(counter.members["account_id"]) <= set(truth.lookalikes["activist core"])
    assert counter.verdict.share <= 0.2


def test_a_live_debate_has_no_coordinated_core(seeded):
    store, _, _ = seeded
    debate = groups(store, hashtags=[normalize_hashtag(DEBATE_TAG)], record=False)
    print(f"\n{debate.verdict.text}")
    assert debate.verdict.finding == "no coordinated core"
    assert debate.verdict.heavy_share < 0.05 and "volume" not in debate.verdict.text


# --- real archives -----------------------------------------------------------------------------

# The IRA's pushes (Linvill & Warren's categories in authors.csv): each scope's core must be
# found, and mostly made of the accounts the archive says ran it.
IRA_PUSHES = {
    "kochfarms": ("Fearmonger", 20),
    "merkelmussbleiben": ("NonEnglish", 4),
    "demndebate": ("RightTroll", 2),
    "todolistbeforechristmas": ("HashtagGamer", 10),
}


def _categories() -> pd.DataFrame:
    authors = pd.read_csv(shared_path("ira-troll-tweets", "authors.csv"),
                          usecols=["author", "account_category"])  # fmt: skip
    return authors.assign(handle=authors["author"].str.lower())


def _member_categories(store, result) -> pd.Series:
    handles = store.con.sql("SELECT account_id, lower(handle) AS handle FROM accounts").df()
    members = result.members.merge(handles, on="account_id", how="left")
    return members.merge(_categories(), on="handle", how="left")["account_category"]


@pytest.mark.slow
@pytest.mark.parametrize("hashtag", sorted(IRA_PUSHES))
def test_ira_pushes_have_a_coordinated_core(ira_store, hashtag):
    result = groups(ira_store, hashtags=[hashtag], record=False)
    categories = _member_categories(ira_store, result)
    print(f"\n#{hashtag}: {result.verdict.text}\n{categories.value_counts().to_string()}")
    category, least = IRA_PUSHES[hashtag]
    assert result.verdict.finding == "coordinated core"
    assert (categories == category).sum() >= least


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "#IslamKills (22 March 2016): 130 accounts made all 4,053 posts in 80 minutes, and those "
    "accounts are nearly the whole archive's activity that day; a null per day then finds "
    "their co-occurrence ordinary. Nothing outside the operation gives a baseline here."
))  # fmt: skip
def test_ira_islamkills_flood_has_a_coordinated_core(ira_store):
    result = groups(ira_store, hashtags=["islamkills"], record=False)
    assert result.verdict.finding == "coordinated core"


@pytest.mark.slow
def test_ira_islamkills_verdict_says_a_few_accounts_made_it_by_volume(ira_store):
    verdict = groups(ira_store, hashtags=["islamkills"], record=False).verdict
    print(f"\n{verdict.text}")
    assert verdict.heavy_accounts >= 120 and verdict.heavy_share >= 0.95
    assert "a push by volume" in verdict.text


def test_x_v2_and_mastodon_samples_give_no_group(tmp_path):
    files = sorted(shared_path("twitter-v2-twarc").glob("*.jsonl"))
    files += sorted(shared_path("mastodon-rtoot", "responses").glob("*.json"))
    ingest(files, tmp_path / "samples.duckdb")
    with Store(tmp_path / "samples.duckdb", read_only=True) as store:
        result = groups(store, record=False)
    print(f"\n{result.verdict.text}")
    assert result.groups.empty and result.verdict.finding == "no coordinated core"


def purity(labels, group_ids) -> float:
    """Share of grouped accounts whose label is their group's most common label."""
    frame = pd.DataFrame({"label": labels, "group": group_ids})
    majority = frame.groupby("group")["label"].agg(lambda c: c.value_counts().iloc[0])
    return majority.sum() / len(frame)


def test_purity_by_hand():
    assert purity(["a", "a", "b", "b", "b", "c"], [1, 1, 1, 2, 2, 2]) == pytest.approx(4 / 6)


@pytest.mark.slow
def test_ira_groups_over_a_month_are_purer_than_random_groupings(ira_store):
    result = groups(ira_store, since="2016-10-01", until="2016-11-01", record=False)
    labels = _member_categories(ira_store, result).fillna("unknown").to_numpy()
    assert len(labels) >= 10, "too few grouped accounts to judge purity"
    observed = purity(labels, result.members["group_id"])
    rng = np.random.default_rng(0)
    shuffled = [purity(rng.permutation(labels), result.members["group_id"]) for _ in range(200)]
    print(f"\n{len(result.groups)} groups, {len(labels)} accounts, purity {observed:.3f} vs "
          f"{np.mean(shuffled):.3f} for random groupings")  # fmt: skip
    assert observed > np.mean(shuffled)
