"""`runs prune`: exactly the chosen runs and their rows go, a run a kept run reads stays, and
the file shrinks (library and command). The stores are those of
:mod:`tests.coordination.runs_cases`."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.coordination.runs_cases import linked_posts, recorded_runs
from trendwatch.analysis.coordination.pair_evidence import pair_evidence
from trendwatch.cli import cli
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.prune import _spare_inputs, kind_matches, prune_runs, select_runs
from trendwatch.runs import find_run, list_all_runs, mark_changed, result_tables, run_changes
from trendwatch.store import Store


@pytest.fixture
def runs(store):
    linked_posts(store)
    return recorded_runs(store)


def rows_by_run(store) -> dict[tuple[str, str], int]:
    """(table, run_id) -> rows, over every result table and ``runs``."""
    found = {}
    for table in [*result_tables(store), "runs"]:
        for run_id, count in store.con.execute(
            f'SELECT run_id, count(*) FROM "{table}" GROUP BY run_id'
        ).fetchall():
            found[(table, run_id)] = count
    return found


def created(store, run_id: str):
    return find_run(store, run_id).created_at


def test_before_removes_exactly_the_older_runs_and_all_their_rows(store, runs):
    before = rows_by_run(store)
    cutoff = created(store, runs.later_retweet)
    pruned = prune_runs(store, before=cutoff)
    gone = {runs.retweet, runs.link, runs.tweet, runs.groups}
    assert set(pruned.removed["run_id"]) == gone and pruned.kept_in_use.empty
    after = rows_by_run(store)
    assert after == {key: n for key, n in before.items() if key[1] not in gone}
    assert after[("runs", runs.later_retweet)] == 1
    assert after[("coordination_evidence", runs.later_retweet)] == 2
    expected = {table: sum(n for (t, r), n in before.items() if t == table and r in gone)
                for table in [*result_tables(store), "runs"]}  # fmt: skip
    assert pruned.rows == expected and pruned.rows["group_members"] == 2


def test_a_coordination_run_a_kept_groups_run_reads_stays(store, runs):
    pruned = prune_runs(store, before="2999-01-01", kinds=("coordination",))
    assert pruned.removed["run_id"].tolist() == [runs.later_retweet]
    assert pruned.kept_in_use["run_id"].tolist() == [runs.retweet, runs.link, runs.tweet]
    assert list(pruned.kept_in_use.columns) == ["run_id", "kind", "created_at"]
    found = pair_evidence(store, "a", "b")  # the groups run still reads its evidence
    assert found.run_id == runs.groups and len(found.rows) == 2


def test_pruning_the_groups_run_too_frees_its_method_runs(store, runs):
    pruned = prune_runs(store, before="2999-01-01")
    assert len(pruned.removed) == 5 and pruned.kept_in_use.empty
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    for table in result_tables(store):
        assert store.con.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), table
    with pytest.raises(NoDataError, match="no coordination run in this store"):
        pair_evidence(store, "a", "b")


def test_keep_latest_keeps_the_latest_of_each_kind_and_what_they_read(store, runs):
    pruned = prune_runs(store, keep_latest=1)
    # co-retweet's latest is the later run; the older one stays because the groups run reads it.
    assert pruned.removed.empty
    assert pruned.kept_in_use["run_id"].tolist() == [runs.retweet]
    assert len(list_all_runs(store)) == 5


def test_keep_latest_zero_of_groups_removes_the_groups_run_only(store, runs):
    pruned = prune_runs(store, keep_latest=0, kinds=("groups",))
    assert pruned.removed["run_id"].tolist() == [runs.groups]
    assert pruned.rows["run_inputs"] == 3 and pruned.rows["group_edges"] == 1
    found = pair_evidence(store, "a", "b")
    assert (found.rule, found.run_id) == ("latest", runs.later_retweet)


def test_before_and_keep_latest_together(store, runs):
    cutoff = created(store, runs.later_retweet) + timedelta(seconds=1)
    chosen, in_use, _ = select_runs(store, before=cutoff, keep_latest=1, kinds=("coordination",))
    assert chosen.empty and in_use["run_id"].tolist() == [runs.retweet]
    chosen, in_use, _ = select_runs(store, before=created(store, runs.tweet), keep_latest=0)
    assert chosen.empty and in_use["run_id"].tolist() == [runs.retweet, runs.link]


def test_a_kind_of_one_method(store, runs):
    pruned = prune_runs(store, before="2999-01-01", kinds=("coordination:co-retweet", "groups"))
    assert set(pruned.removed["run_id"]) == {runs.retweet, runs.groups, runs.later_retweet}
    assert {r for (_, r) in rows_by_run(store)} == {runs.link, runs.tweet}


def test_a_dry_run_removes_nothing(store, runs):
    before = rows_by_run(store)
    pruned = prune_runs(store, before="2999-01-01", dry_run=True)
    assert pruned.dry_run and len(pruned.removed) == 5 and pruned.rows == {}
    assert rows_by_run(store) == before


def test_nothing_chosen_removes_nothing(store, runs):
    before = rows_by_run(store)
    pruned = prune_runs(store, before="2000-01-01")
    assert pruned.removed.empty and pruned.rows == {}
    assert rows_by_run(store) == before


def test_a_store_without_result_tables_prunes_its_runs(store):
    store.record_run("trends", {})
    assert prune_runs(store, keep_latest=0).rows == {"run_changes": 0, "runs": 1}


def test_a_pruned_run_takes_its_change_notes_along(store):
    older, latest = store.record_run("trends", {}), store.record_run("trends", {})
    mark_changed(store, [older, latest], "an account was forgotten")
    assert prune_runs(store, keep_latest=1).rows == {"run_changes": 1, "runs": 1}
    assert run_changes(store)["run_id"].tolist() == [latest]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "--before DATE and/or --keep-latest N"),
        ({"before": "last week"}, "ISO 8601 date or time"),
        ({"before": "2025"}, "ISO 8601 date or time"),
        ({"keep_latest": -1}, "0 or more"),
        ({"keep_latest": True}, "0 or more"),
    ],
)
def test_settings_are_checked(store, settings, message):
    with pytest.raises(ParameterError, match=message):
        prune_runs(store, **settings)


def test_before_takes_dates_times_and_zones(store):
    run_id = store.record_run("groups", {})
    at = created(store, run_id)
    for before in (at, at.isoformat(), at.isoformat().replace("+00:00", "Z")):
        assert select_runs(store, before=before)[0].empty
    later = (at + timedelta(seconds=1)).astimezone(pd.Timestamp(0, tz="Europe/Paris").tzinfo)
    assert select_runs(store, before=later.isoformat())[0]["run_id"].tolist() == [run_id]
    assert len(select_runs(store, before=(at + timedelta(days=1)).date().isoformat())[0]) == 1


def test_kind_matches():
    assert kind_matches("groups", "groups") and kind_matches("coordination:co-link", "coordination")
    assert kind_matches("coordination:co-link", "coordination:co-link")
    assert not kind_matches("coordination:co-link", "coordination:co")
    assert not kind_matches("groups", "group")


def test_inputs_are_spared_through_chains():
    inputs = pd.DataFrame(
        {"run_id": ["A", "B", "D"], "input_run_id": ["B", "C", "E"], "role": ["x", "y", "z"]}
    )
    selected, in_use = _spare_inputs({"B", "C", "D", "E"}, inputs)
    assert (selected, in_use) == ({"D", "E"}, {"B", "C"})


def test_a_hostile_kind_is_a_value_never_sql(store, runs):
    pruned = prune_runs(store, before="2999-01-01", kinds=("groups' OR '1'='1",))
    assert pruned.removed.empty and len(list_all_runs(store)) == 5


# -- the file shrinks ------------------------------------------------------------------------


def bulky_store(path, runs: int = 12, rows: int = 40_000) -> None:
    """A store with ``runs`` coordination runs of ``rows`` evidence rows each (random ids)."""
    with Store(path) as s:
        linked_posts(s)
        recorded_runs(s)
        for _ in range(runs):
            run_id = s.record_run("coordination:co-retweet", {"window_s": 60})
            s.con.execute(
                "INSERT INTO coordination_evidence "
                "SELECT ?, md5(i::VARCHAR || ?), md5(i::VARCHAR), md5(random()::VARCHAR), "
                "md5(random()::VARCHAR), md5(random()::VARCHAR), now(), now(), random() "
                "FROM range(?) t(i)",
                [run_id, run_id, rows],
            )


def evidence_rows(path) -> list[tuple]:
    with Store(path, read_only=True) as s:
        return s.con.execute(
            "SELECT run_id, count(*), min(account_a), max(post_b) FROM coordination_evidence "
            "GROUP BY run_id ORDER BY run_id"
        ).fetchall()


def test_prune_command_shrinks_the_file_and_keeps_the_rest(tmp_path):
    db = tmp_path / "s.duckdb"
    bulky_store(db)
    size = db.stat().st_size
    kept_rows = [row for row in evidence_rows(db) if not row[0].startswith("coordination:co-r")]
    res = CliRunner().invoke(
        cli, ["runs", "prune", "--db", str(db), "--kind", "coordination:co-retweet",
              "--keep-latest", "0", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (
        len(data["removed"]) == 13 and data["kept_in_use"][0]["kind"] == "coordination:co-retweet"
    )
    assert data["bytes"]["before"] == size and data["bytes"]["compacted"] == db.stat().st_size
    assert db.stat().st_size < size / 3
    remaining = evidence_rows(db)
    assert [r for r in remaining if not r[0].startswith("coordination:co-r")] == kept_rows
    assert [r[1] for r in remaining if r[0].startswith("coordination:co-r")] == [1]


def test_without_compaction_the_file_keeps_most_of_its_size(tmp_path):
    db, copy = tmp_path / "s.duckdb", tmp_path / "copy.duckdb"
    bulky_store(db)
    copy.write_bytes(db.read_bytes())
    runner = CliRunner()
    args = ["runs", "prune", "--keep-latest", "0", "--kind", "coordination:co-retweet"]
    plain = runner.invoke(cli, [*args, "--db", str(db), "--no-compact"])
    assert plain.exit_code == 0 and "(not compacted)" in plain.output
    compacted = runner.invoke(cli, [*args, "--db", str(copy)])
    assert "(compacted; " in compacted.output and "after DELETE and CHECKPOINT" in compacted.output
    assert copy.stat().st_size < db.stat().st_size
    assert evidence_rows(db) == evidence_rows(copy)


# -- the command's words ---------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        linked_posts(s)
        recorded = recorded_runs(s)
    return path, recorded


def prune(path, *args):
    return CliRunner().invoke(cli, ["runs", "prune", "--db", str(path), *args])


def test_prune_command_says_what_it_removed(db):
    path, runs = db
    res = prune(path, "--before", "2999-01-01")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("removed 5 runs and ") and lines[0].endswith(" rows")
    assert lines[1].startswith(f"{path}: ") and "MB -> " in lines[1]
    assert lines[2].split() == ["run_id", "kind", "created_at", "action"]
    assert lines[4].startswith(runs.retweet) and lines[4].endswith("removed")
    with Store(path, read_only=True) as s:
        assert list_all_runs(s).empty


def test_prune_command_dry_run(db):
    path, runs = db
    res = prune(path, "--before", "2999-01-01", "--dry-run")
    assert res.exit_code == 0 and res.output.startswith("would remove 5 runs\n")
    assert "MB" not in res.output and res.output.count("would remove") == 6
    with Store(path, read_only=True) as s:
        assert len(list_all_runs(s)) == 5


def test_prune_command_shows_the_runs_it_kept(db):
    path, runs = db
    res = prune(path, "--before", "2999-01-01", "--kind", "coordination")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("removed 1 run and ")
    assert "; kept 3 runs read by a groups run that stays" in res.output.splitlines()[0]
    kept = [
        line
        for line in res.output.splitlines()
        if line.endswith("kept: read by a groups run that stays")
    ]
    assert [line.split()[0] for line in kept] == [runs.retweet, runs.link, runs.tweet]


def test_prune_command_with_nothing_to_remove(db):
    path, _ = db
    res = prune(path, "--before", "2000-01-01")
    assert res.exit_code == 0 and res.output == "removed 0 runs\n"


def test_prune_command_errors_are_clean(db):
    path, _ = db
    res = prune(path)
    assert res.exit_code == 1 and "--before DATE and/or --keep-latest N" in res.output
    res = prune(path, "--before", "yesterday")
    assert res.exit_code == 1 and "ISO 8601" in res.output and "Traceback" not in res.output
    res = prune(path, "--keep-latest", "-1")
    assert res.exit_code == 2


def test_prune_command_on_a_missing_store_creates_nothing(tmp_path):
    missing = tmp_path / "missing.duckdb"
    res = prune(missing, "--keep-latest", "0")
    assert res.exit_code == 1 and f"no store at {missing}" in res.output
    assert not missing.exists()


def test_prune_command_takes_the_db_given_to_runs(db):
    path, _ = db
    res = CliRunner().invoke(cli, ["runs", "--db", str(path), "prune", "--keep-latest", "0"])
    assert res.exit_code == 0 and res.output.startswith("removed 5 runs")


def test_prune_help_says_how_the_file_shrinks():
    res = CliRunner().invoke(cli, ["runs", "prune", "--help"])
    flat = " ".join(res.output.split())
    assert "COPY FROM DATABASE" in flat and "CHECKPOINT" in flat and "--no-compact" in flat
