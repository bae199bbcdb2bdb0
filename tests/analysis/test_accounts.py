"""Account signals on a hand-worked case, and on the simulator's archive against its truth."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from trendwatch.analysis.accounts import account_signals
from trendwatch.analysis.coordination.engine import Scope
from trendwatch.cli import cli
from trendwatch.errors import NoDataError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


def signals_store(store):
    """n: 10 days old at its first post, 2,000 posts in 20 days of life (100 a day), six
    reposts of six, a generated handle: 4 signals. m: 400 days old, 28,800 posts in 400 days
    (72 a day, the threshold), four reposts of four (too few to call it an amplifier),
    declared bot: 2 signals. o: created a day after its post (a bad date is not "new"), no
    post count: 0. u: no profile at all: 0. z: posts outside the scope only."""
    posts = [
        make_post(f"n{i}", "n", at(i), "repost", ref_post_id=f"x{i}", hashtags=("tag",))
        for i in range(6)
    ]
    posts += [
        make_post(f"m{i}", "m", at(10 + i), "repost", ref_post_id=f"x{i}", hashtags=("tag",))
        for i in range(4)
    ]
    posts += [
        make_post("o1", "o", at(0), hashtags=("tag",)),
        make_post("u1", "u", at(30), hashtags=("tag",)),
        make_post("z1", "z", at(5), text="no hashtag"),
    ]
    add_posts(store, posts)
    accounts = [
        Account(platform="x", account_id="n", handle="Nadia1234567", followers=3,
                created_at=T0 - timedelta(days=10), observed_at=T0 + timedelta(days=10),
                posts_count=2000),
        Account(platform="x", account_id="m", handle="marie_dupont", followers=900,
                created_at=T0 - timedelta(days=400), observed_at=T0, posts_count=28_800,
                declared_bot=True),
        Account(platform="x", account_id="o", handle="Agent007",
                created_at=T0 + timedelta(days=1), observed_at=T0 + timedelta(days=2)),
        Account(platform="x", account_id="z", handle="Zed12345678",
                created_at=T0 - timedelta(days=1), observed_at=T0),
    ]  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow(accounts))


def test_signals_by_hand(store):
    signals_store(store)
    frame = account_signals(store, scope=Scope(hashtags=("tag",))).set_index("account_id")
    assert list(frame.index) == ["n", "m", "o", "u"]
    n, m, o, u = (frame.loc[a] for a in "nmou")
    assert (n["posts"], n["repost_share"], n["age_days"], n["posts_per_day"]) == (6, 1, 10, 100)
    assert [n[s] for s in ("new", "hyperactive", "amplifier", "generated_handle")] == [True] * 4
    assert not n["declared_bot"] and n["signals"] == 4
    assert m["posts_per_day"] == 72 and m["hyperactive"] and m["declared_bot"]
    assert m["age_days"] == pytest.approx(400 + 10 / 1440)  # first post at minute 10
    assert not m["amplifier"] and not m["new"] and m["signals"] == 2
    assert o["age_days"] == pytest.approx(-1) and not o["new"] and o["signals"] == 0
    assert not o["generated_handle"]  # Agent007: only three digits
    assert u["handle"] is None and u["signals"] == 0 and u["repost_share"] == 0


def test_signals_for_given_accounts_and_an_empty_scope(store):
    signals_store(store)
    assert list(account_signals(store, ["z", "n"])["account_id"]) == ["n", "z"]
    # a scope with no post is refused, as by every command (test_cli_scopes.py)
    with pytest.raises(NoDataError, match="no collected post in the scope"):
        account_signals(store, scope=Scope(hashtags=("absent",)))


def test_simulated_attackers_carry_signals_organic_accounts_almost_never(simulation):
    store, truth = simulation
    frame = account_signals(store, scope=Scope(hashtags=(truth.attack_hashtag,)))
    attackers = frame["account_id"].isin(set(map(str, truth.coordinated_accounts)))
    flagged = frame["signals"] >= 2
    print(
        f"\nflagged (>= 2 signals): attackers {flagged[attackers].mean():.3f}, "
        f"others posting the attack hashtag {flagged[~attackers].mean():.3f}"
    )
    # Measured at seed 7: 35 of 40 attackers (0.875), none of the 35 other accounts.
    assert flagged[attackers].mean() >= 0.8 and flagged[~attackers].mean() <= 0.05


def test_accounts_command_lists_flagged_accounts_first(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        signals_store(store)
    runner = CliRunner()
    run = runner.invoke(cli, ["accounts", "--db", str(db), "--hashtag", "tag", "--out",
                              str(tmp_path / "a.csv")])  # fmt: skip
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0] == "2 accounts with at least 1 signal(s)"
    assert lines[3].split()[:3] == ["n", "Nadia1234567", "4"] and lines[4].startswith("m ")
    assert len(pd.read_csv(tmp_path / "a.csv")) == 2
    every = runner.invoke(cli, ["accounts", "--db", str(db), "--min-signals", "0"]).output
    u_row = next(line.split() for line in every.splitlines() if line.startswith("u "))
    assert u_row == ["u", "-", "0", "1", "0.0", "-", "-"]  # no profile: handle, age, rate unknown
    as_json = runner.invoke(cli, ["accounts", "--db", str(db), "--min-signals", "0", "--json"])
    # Unscoped, z counts: a day old, generated handle: 2 signals, one post (after m's four).
    assert [row["account_id"] for row in orjson.loads(as_json.output)] == ["n", "m", "z", "o", "u"]


def test_accounts_command_top_shows_all_with_0_and_says_when_it_cuts(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        signals_store(store)
    runner = CliRunner()
    args = ["accounts", "--db", str(db), "--min-signals", "0"]
    every = runner.invoke(cli, [*args, "--top", "0"]).output.splitlines()
    assert [line.split()[0] for line in every[3:]] == ["n", "m", "z", "o", "u"]  # real rows
    assert not any(line.startswith("showing") for line in every)
    cut = runner.invoke(cli, [*args, "--top", "2"]).output.splitlines()
    assert [line.split()[0] for line in cut[3:5]] == ["n", "m"]
    assert cut[-1] == "showing 2 of 5; --top N or --top 0 for all" and len(cut) == 6
    as_json = runner.invoke(cli, [*args, "--top", "2", "--json"])
    assert [row["account_id"] for row in orjson.loads(as_json.stdout)] == ["n", "m"]
    assert as_json.stderr == "showing 2 of 5; --top N or --top 0 for all\n"


@pytest.mark.parametrize("top", ["-1", "-20", "two"])
def test_accounts_command_refuses_a_bad_top(tmp_path, top):
    bad = CliRunner().invoke(cli, ["accounts", "--db", str(tmp_path / "t.duckdb"), "--top", top])
    assert bad.exit_code == 2 and "Invalid value for '--top'" in bad.output
