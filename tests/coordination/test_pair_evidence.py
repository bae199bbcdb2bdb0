"""Which run `evidence A B` reads: the groups run behind the verdict, by default; errors for the
rest. The stores are those of :mod:`tests.coordination.runs_cases`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.coordination.runs_cases import (
    HOSTILE,
    edges_frame,
    hand_result,
    linked_posts,
    recorded_runs,
)
from tests.coordination.test_groups import campaign_store
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.group_runs import record_groups_run
from trendwatch.analysis.coordination.groups import groups
from trendwatch.analysis.coordination.pair_evidence import RULES, PairEvidence, pair_evidence
from trendwatch.cli import cli
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store


@pytest.fixture
def runs(store):
    linked_posts(store)
    return recorded_runs(store)


def test_the_default_is_the_groups_run_even_after_a_later_coordination_run(store, runs):
    found = pair_evidence(store, "b", "a")
    assert (found.rule, found.run_id) == ("groups", runs.groups)
    assert found.method_runs == {"co-retweet": runs.retweet, "co-link": runs.link}
    assert runs.later_retweet not in set(found.rows["run_id"])
    assert found.rows[["method", "run_id", "post_a", "post_b"]].values.tolist() == [
        ["co-retweet", runs.retweet, "1", "2"],
        ["co-link", runs.link, "3", "4"],
    ]
    assert (found.account_a, found.account_b) == ("a", "b")


def test_the_header_names_the_groups_run_and_each_method_run(store, runs):
    assert pair_evidence(store, "a", "b").source() == (
        f"from groups run {runs.groups} (co-retweet run {runs.retweet}, co-link run {runs.link})"
    )


def test_without_a_groups_run_the_latest_linking_coordination_run_is_read(store, runs):
    found = pair_evidence(store, "e", "f")
    assert (found.rule, found.run_id) == ("latest", runs.later_retweet)
    assert found.method_runs == {"co-retweet": runs.later_retweet}
    assert found.source() == (
        f"from the latest co-retweet run {runs.later_retweet}: no groups run links them"
    )
    tweet = pair_evidence(store, "d", "c")
    assert (tweet.rule, tweet.run_id) == ("latest", runs.tweet)
    assert tweet.rows["method"].tolist() == ["co-tweet"]


def test_method_narrows_the_groups_run_to_that_method(store, runs):
    found = pair_evidence(store, "a", "b", method="co-link")
    assert (found.rule, found.run_id) == ("groups", runs.groups)
    assert found.method_runs == {"co-link": runs.link}
    assert found.rows["method"].tolist() == ["co-link"]


def test_method_falls_back_to_its_latest_run_and_says_so(store, runs):
    # a groups run whose edge holds e-f by co-link only: a co-retweet question skips it.
    record_groups_run(
        store, hand_result(edges_frame([("e", "f", 1, "co-link", 1)]), {"co-link": runs.link})
    )
    found = pair_evidence(store, "e", "f", method="co-retweet")
    assert (found.rule, found.run_id) == ("latest", runs.later_retweet)
    assert found.source().endswith("no groups run links them by co-retweet")


def test_a_later_groups_run_that_links_the_pair_wins(store, runs):
    newer = record_groups_run(
        store,
        hand_result(edges_frame([("a", "b", 1, "co-retweet", 1)]),
                    {"co-retweet": runs.later_retweet}),
    ).run_id  # fmt: skip
    found = pair_evidence(store, "a", "b")
    assert (found.run_id, found.method_runs) == (newer, {"co-retweet": runs.later_retweet})


def test_no_run_linking_the_pair_is_an_error_naming_them(store, runs):
    with pytest.raises(NoDataError, match="no stored coordination run links a and c"):
        pair_evidence(store, "a", "c")
    with pytest.raises(NoDataError, match="no stored co-tweet run links a and b"):
        pair_evidence(store, "a", "b", method="co-tweet")


def test_an_empty_store_says_to_run_an_analysis(store):
    with pytest.raises(NoDataError, match="no coordination run in this store"):
        pair_evidence(store, "a", "b")
    store.record_run("coordination:co-link", {})
    with pytest.raises(NoDataError, match="no co-tweet run in this store"):
        pair_evidence(store, "a", "b", method="co-tweet")


def test_asking_for_a_groups_run_reads_its_method_runs(store, runs):
    found = pair_evidence(store, "a", "b", run_id=runs.groups)
    assert (found.rule, found.run_id) == ("asked", runs.groups)
    assert found.method_runs == {"co-retweet": runs.retweet, "co-link": runs.link}
    assert found.source() == (
        f"from groups run {runs.groups} (co-retweet run {runs.retweet}, "
        f"co-link run {runs.link}), as asked"
    )
    only = pair_evidence(store, "a", "b", run_id=runs.groups, method="co-retweet")
    assert only.method_runs == {"co-retweet": runs.retweet}


def test_asking_for_a_coordination_run_reads_it_alone(store, runs):
    found = pair_evidence(store, "b", "a", run_id=runs.later_retweet, texts=True)
    assert (found.rule, found.method_runs) == ("asked", {"co-retweet": runs.later_retweet})
    assert found.source() == f"from co-retweet run {runs.later_retweet}, as asked"
    assert found.rows[["text_a", "text_b"]].values.tolist() == [["RT @x: vote", "RT @x: vote"]]


def test_an_unknown_run_is_an_error_pointing_at_runs(store, runs):
    with pytest.raises(NoDataError, match=r"no run groups-nope in this store: `trendwatch runs`"):
        pair_evidence(store, "a", "b", run_id="groups-nope")


def test_a_known_run_that_does_not_link_the_pair_says_so(store, runs):
    with pytest.raises(NoDataError, match=f"groups run {runs.groups} does not link c and d"):
        pair_evidence(store, "c", "d", run_id=runs.groups)
    with pytest.raises(NoDataError, match=f"co-retweet run {runs.retweet} does not link e and f"):
        pair_evidence(store, "f", "e", run_id=runs.retweet)
    with pytest.raises(NoDataError, match="links a and b by co-retweet, co-link, not by co-tweet"):
        pair_evidence(store, "a", "b", run_id=runs.groups, method="co-tweet")


def test_a_run_of_another_kind_or_method_is_a_parameter_error(store, runs):
    other = store.record_run("trends", {})
    with pytest.raises(ParameterError, match=f"run {other} is a trends run"):
        pair_evidence(store, "a", "b", run_id=other)
    with pytest.raises(ParameterError, match="is a co-retweet run, not a co-link run"):
        pair_evidence(store, "a", "b", run_id=runs.retweet, method="co-link")


def test_rows_without_texts_and_the_rules_named(store, runs):
    found = pair_evidence(store, "a", "b")
    assert list(found.rows.columns) == [
        "method", "run_id", "key", "post_a", "post_b", "time_a", "time_b", "gap_s",
    ]  # fmt: skip
    assert isinstance(found, PairEvidence) and found.rule in RULES


def test_a_groups_run_whose_method_run_has_no_rows_shows_none(store, runs):
    store.con.execute("DELETE FROM coordination_evidence WHERE run_id = ?", [runs.link])
    found = pair_evidence(store, "a", "b", texts=True)
    assert found.rows["method"].tolist() == ["co-retweet"]
    assert "text_a" in found.rows


def test_groups_end_to_end_evidence_follows_the_groups_run(store):
    campaign_store(store)
    result = groups(store, hashtags=["tag"])
    later = coordinate(store, "co-retweet", window=3600)  # also links a1 and a2
    found = pair_evidence(store, "a2", "a1")
    assert found.run_id == result.run_id
    assert found.method_runs == {"co-retweet": result.runs["co-retweet"]}
    assert later.run_id not in set(found.rows["run_id"]) and len(found.rows) == 6


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        linked_posts(s, text_a=HOSTILE)
        recorded = recorded_runs(s)
        s.write_batch(accounts=accounts_to_arrow([Account("x", "a", handle="Ann")]))
    return path, recorded


def evidence(db_path, *args):
    return CliRunner().invoke(cli, ["evidence", *args, "--db", str(db_path)])


def test_command_header_says_which_runs_and_rows_carry_their_method(db):
    path, runs = db
    res = evidence(path, "b", "a")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == (
        f"2 post pairs from groups run {runs.groups} (co-retweet run {runs.retweet}, "
        f"co-link run {runs.link})"
    )
    assert lines[1] == "between @Ann (a) and b"  # b's handle is unknown
    assert lines[2].split()[:3] == ["method", "time_a", "gap_s"]
    assert lines[4].startswith("co-retweet") and lines[5].startswith("co-link")
    assert runs.later_retweet not in res.output


def test_command_keeps_hostile_texts_off_the_terminal(db):
    path, _ = db
    res = evidence(path, "a", "b")
    assert "\x1b" not in res.output and "\u202e" not in res.output
    assert "\ufffd]0;owned\ufffd vote\ufffdeton" in res.output


def test_command_json_carries_the_runs_and_the_method_of_every_row(db):
    path, runs = db
    res = evidence(path, "a", "b", "--json")
    data = json.loads(res.output)
    assert (data["rule"], data["run_id"]) == ("groups", runs.groups)
    assert data["method_runs"] == {"co-retweet": runs.retweet, "co-link": runs.link}
    assert data["source"].startswith(f"from groups run {runs.groups}")
    assert [(r["method"], r["run_id"]) for r in data["evidence"]] == [
        ("co-retweet", runs.retweet),
        ("co-link", runs.link),
    ]
    assert (data["handle_a"], data["handle_b"]) == ("Ann", None)
    # a's posts link with its handle, b's (handle unknown) with X's handle-free form
    assert [(r["post_a"], r["url_a"], r["url_b"]) for r in data["evidence"]] == [
        ("1", "https://x.com/Ann/status/1", "https://x.com/i/web/status/2"),
        ("3", "https://x.com/Ann/status/3", "https://x.com/i/web/status/4"),
    ]
    # the full text, its controls as \u escapes (no raw bidi override reaches the terminal)
    assert data["evidence"][0]["text_a"] == HOSTILE and "\u202e" not in res.output


def test_command_fallback_header(db):
    path, runs = db
    res = evidence(path, "e", "f")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == (
        f"1 post pair from the latest co-retweet run {runs.later_retweet}: no groups run links them"
    )


def test_command_run_and_method_options(db):
    path, runs = db
    res = evidence(path, "a", "b", "--run", runs.later_retweet)
    assert (
        res.exit_code == 0 and f"from co-retweet run {runs.later_retweet}, as asked" in res.output
    )
    res = evidence(path, "a", "b", "-m", "co-link")
    assert res.exit_code == 0 and res.output.startswith("1 post pair from groups run")
    assert f"co-link run {runs.link})" in res.output and "co-retweet run" not in res.output


def test_command_unknown_run_is_a_clean_error(db):
    path, _ = db
    res = evidence(path, "a", "b", "--run", "coordination:co-link-nope")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "Error: no run coordination:co-link-nope in this store" in res.output
    assert "`trendwatch runs`" in res.output


def test_command_run_that_does_not_link_the_pair(db):
    path, runs = db
    res = evidence(path, "c", "d", "--run", runs.groups)
    assert res.exit_code == 1 and f"groups run {runs.groups} does not link c and d" in res.output
