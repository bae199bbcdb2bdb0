"""`runs prune` keeps the runs that stored alerts name (and what they read), unless told;
then the alerts say their run was pruned. The store is :mod:`tests.coordination.runs_cases`'s
with alerts added by hand: two naming its groups run, one naming no run."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import T0
from tests.coordination.runs_cases import linked_posts, recorded_runs
from trendwatch.analysis.coordination.pair_evidence import pair_evidence
from trendwatch.cli import cli
from trendwatch.errors import NoDataError
from trendwatch.prune import alert_runs, prune_runs, pruned_for_alert
from trendwatch.store import Store
from trendwatch.watch.alerts import Alert, _store_alert, stored_alerts


def _alert(minute: int, run_id: str | None) -> Alert:
    return Alert(T0 + timedelta(minutes=minute), "coordination", "push", 120, 40, 3600, run_id,
                 "new", {"core_accounts": 2})  # fmt: skip


def _with_alerts(store):
    linked_posts(store)
    runs = recorded_runs(store)
    for minute, run_id in ((0, runs.groups), (5, runs.groups), (9, None)):
        _store_alert(store, _alert(minute, run_id))
    return runs


@pytest.fixture
def runs(store):
    return _with_alerts(store)


def _bodies(store) -> list[dict]:
    return [json.loads(body) for body in stored_alerts(store)["body"]]


def test_alert_runs_are_the_groups_runs_the_alerts_name(store, runs):
    assert alert_runs(store) == {runs.groups}


def test_a_prune_keeps_an_alerts_run_and_the_runs_it_reads(store, runs):
    pruned = prune_runs(store, before="2999-01-01")
    assert pruned.removed["run_id"].tolist() == [runs.later_retweet]
    assert pruned.kept_for_alerts["run_id"].tolist() == [runs.groups]
    assert pruned.kept_in_use["run_id"].tolist() == [runs.retweet, runs.link, runs.tweet]
    assert pruned.alerts_marked == 0
    found = pair_evidence(store, "a", "b", run_id=runs.groups)  # the alert's evidence works
    assert found.run_id == runs.groups and len(found.rows) == 2
    assert all("run_pruned_at" not in body for body in _bodies(store))


def test_with_alert_runs_removes_them_and_marks_their_alerts(store, runs):
    pruned = prune_runs(store, before="2999-01-01", with_alert_runs=True)
    assert len(pruned.removed) == 5 and pruned.kept_for_alerts.empty
    assert pruned.alerts_marked == 2
    bodies = _bodies(store)
    assert len(bodies) == 3  # the alerts stay
    assert [("run_pruned_at" in b, b["run_id"]) for b in bodies] == [
        (True, runs.groups), (True, runs.groups), (False, None)
    ]  # fmt: skip
    assert bodies[0]["run_pruned_at"].endswith("Z") and bodies[0]["core_accounts"] == 2
    with pytest.raises(NoDataError, match="removed by `trendwatch runs prune --with-alert-runs`"):
        pair_evidence(store, "a", "b", run_id=runs.groups)
    assert "coordination alert on push at 2024-03-01T12:00:00Z" in pruned_for_alert(
        store, runs.groups
    )


def test_a_dry_run_counts_the_alerts_it_would_mark_and_changes_nothing(store, runs):
    pruned = prune_runs(store, before="2999-01-01", with_alert_runs=True, dry_run=True)
    assert len(pruned.removed) == 5 and pruned.alerts_marked == 2 and pruned.rows == {}
    assert all("run_pruned_at" not in body for body in _bodies(store))
    assert pruned_for_alert(store, runs.groups) is None


def test_an_unknown_run_not_named_by_an_alert_keeps_the_plain_error(store, runs):
    with pytest.raises(NoDataError, match="no run groups-none in this store"):
        pair_evidence(store, "a", "b", run_id="groups-none")


def test_a_store_without_alerts_prunes_as_before(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        linked_posts(s)
        recorded_runs(s)
        s.con.execute("DROP TABLE alerts")
        assert alert_runs(s) == set()
        assert len(prune_runs(s, before="2999-01-01").removed) == 5


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        _with_alerts(s)
    return path


def _prune(db, *options):
    args = ["runs", "prune", "--db", str(db), "--keep-latest", "0", "--no-compact", *options]
    return CliRunner().invoke(cli, args)


def test_the_command_says_how_many_runs_it_kept_for_alerts_and_why(db):
    res = _prune(db)
    assert res.exit_code == 0, res.output
    assert "kept 1 groups run that stored alerts name (--with-alert-runs removes them)" in (
        res.output
    )
    assert "kept 3 runs read by a groups run that stays" in res.output
    assert "kept: a stored alert names it" in res.output
    data = json.loads(_prune(db, "--json").output)
    assert [r["kind"] for r in data["kept_for_alerts"]] == ["groups"]
    assert data["alerts_marked"] == 0 and data["removed"] == []


def test_the_command_with_alert_runs_removes_them_and_evidence_says_so(db):
    res = _prune(db, "--with-alert-runs")
    assert res.exit_code == 0, res.output
    assert "removed 5 runs" in res.output
    assert "2 stored alerts named a removed run (marked run_pruned_at)" in res.output
    with Store(db, read_only=True) as s:
        run_id = _bodies(s)[0]["run_id"]
    shown = CliRunner().invoke(cli, ["evidence", "a", "b", "--run", run_id, "--db", str(db)])
    assert shown.exit_code == 1
    assert shown.stderr.startswith(f"Error: run {run_id} was removed by `trendwatch runs prune")


def test_stored_alerts_show_when_their_run_was_pruned(store, runs):
    assert stored_alerts(store)["run_pruned_at"].isna().all()
    prune_runs(store, before="2999-01-01", with_alert_runs=True)
    pruned = stored_alerts(store)["run_pruned_at"]
    assert pruned.notna().tolist() == [True, True, False]  # the third names no run


def test_alerts_list_adds_the_pruned_column_only_once_a_run_is_pruned(tmp_path):
    db = tmp_path / "alerts.duckdb"
    with Store(db) as store:
        _with_alerts(store)
    header = _alerts_table(db)[0]
    assert "groups_run" in header and "run_pruned_at" not in header
    with Store(db) as store:
        prune_runs(store, before="2999-01-01", with_alert_runs=True)
    lines = _alerts_table(db)
    assert "run_pruned_at" in lines[0]
    stamped = [line for line in lines[2:] if line.rstrip().endswith("Z")]
    assert len(stamped) == 2  # the two alerts that named the pruned groups run


def _alerts_table(db) -> list[str]:
    done = CliRunner().invoke(cli, ["alerts", "list", "--db", str(db)])
    assert done.exit_code == 0, done.output
    return done.stdout.splitlines()
