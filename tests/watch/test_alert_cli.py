"""``trendwatch alerts replay`` and ``alerts list`` on a small simulated archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from trendwatch.cli import cli
from trendwatch.prune import prune_runs
from trendwatch.simulate import simulate
from trendwatch.store import Store


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A tenth-size simulated archive (seed 3): its push has 321 posts, 07:36-09:05 day two."""
    out = tmp_path_factory.mktemp("small")
    return out / "tweets.jsonl", simulate(out, seed=3, scale=0.1)


def _replay(tmp_path, archive, *extra):
    db = tmp_path / "watch.duckdb"
    return _replay_into(db, archive, *extra), db


def _replay_into(db, archive, *extra):
    args = ["alerts", "replay", str(archive), "--db", str(db), "--check-every", "1800",
            "--since", "2025-11-14T07:00:00Z", "--until", "2025-11-14T10:00:00Z",
            *extra]  # fmt: skip
    return CliRunner().invoke(cli, args)


@pytest.fixture(scope="module")
def replayed(small, tmp_path_factory):
    """(result, store path, alerts file) of one replay of the small archive."""
    folder = tmp_path_factory.mktemp("replayed")
    alerts_file = folder / "alerts.jsonl"
    db = folder / "watch.duckdb"
    return _replay_into(db, small[0], "--alerts", str(alerts_file)), db, alerts_file


def test_replay_prints_each_alert_as_a_json_line_and_stores_it(small, replayed):
    _, truth = small
    result, db, alerts_file = replayed
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines, "the push raised no alert"
    assert {a["hashtag"] for a in lines} == {truth.attack_hashtag}
    assert lines[0]["kind"] in ("trend", "coordination") and lines[0]["window_s"] == 3600
    for line in lines:
        assert line["time"].endswith(":00:00Z") or line["time"].endswith(":30:00Z")
        assert {"posts", "accounts", "run_id", "escalation", "poisson"} <= set(line)
    assert [json.loads(x) for x in alerts_file.read_text().splitlines()] == lines
    assert "replayed" in result.stderr and "6 checks" in result.stderr  # 07:30 ... 10:00
    listed = CliRunner().invoke(cli, ["alerts", "list", "--db", str(db), "--json"])
    assert [json.loads(x) for x in listed.stdout.splitlines()] == lines
    table = CliRunner().invoke(cli, ["alerts", "list", "--db", str(db)])
    assert truth.attack_hashtag in table.stdout and "groups_run" in table.stdout


def test_replay_refuses_a_store_that_already_holds_posts(small, replayed):
    again = _replay_into(replayed[1], small[0])
    assert again.exit_code == 1 and "replay into a new store" in again.stderr


def test_the_alerts_outlive_a_prune_of_their_runs(replayed):  # last: it prunes the runs
    with Store(replayed[1]) as store:
        before = store.con.execute("SELECT count(*) FROM alerts").fetchall()
        named = store.con.execute("SELECT DISTINCT groups_run FROM alerts").fetchall()
        kept = prune_runs(store, keep_latest=0).kept_for_alerts
        assert sorted(kept["run_id"]) == sorted(r for (r,) in named)  # their runs stay
        prune_runs(store, keep_latest=0, with_alert_runs=True)
        assert store.con.execute("SELECT count(*) FROM alerts").fetchall() == before
        [(unmarked,)] = store.con.execute(
            "SELECT count(*) FROM alerts WHERE body->>'run_pruned_at' IS NULL"
        ).fetchall()
        assert unmarked == 0


def test_replay_without_history_writes_nothing_before_since(small, tmp_path):
    result, db = _replay(tmp_path, small[0], "--no-history")
    assert result.exit_code == 0, result.output
    with Store(db, read_only=True) as store:
        [(n, first)] = store.con.execute("SELECT count(*), min(created_at) FROM posts").fetchall()
    assert first >= datetime(2025, 11, 14, 7, tzinfo=UTC)
    assert f"replayed {n:,} posts" in result.stderr


def test_replay_reports_a_bad_webhook_and_window_cleanly(small, tmp_path):
    archive, _ = small
    result, _ = _replay(tmp_path, archive, "--webhook", "ftp://x")
    assert result.exit_code == 1 and result.stderr.startswith("Error: --webhook")
    result, _ = _replay(tmp_path, archive, "--window", "2d")
    assert result.exit_code == 1 and "window" in result.stderr
