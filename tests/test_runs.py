"""Stored runs: find one, the runs a run read, the result tables, the list `trendwatch runs`
prints (library and command)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.coordination.runs_cases import linked_posts, recorded_runs
from trendwatch.cli import cli
from trendwatch.runs import (
    RUN_CHANGES,
    RUN_INPUTS,
    all_inputs,
    find_run,
    has_table,
    insert_rows,
    is_read_only,
    list_all_runs,
    record_inputs,
    result_tables,
    run_inputs,
    transaction,
)
from trendwatch.store import Store


def test_find_run_reads_kind_params_and_summary(store):
    run_id = store.record_run("coordination:co-tweet", {"window_s": 10}, {"edges": 3})
    run = find_run(store, run_id)
    assert (run.run_id, run.kind, run.method, run.is_coordination) == (
        run_id, "coordination:co-tweet", "co-tweet", True,
    )  # fmt: skip
    assert run.params == {"window_s": 10} and run.summary == {"edges": 3}
    assert run.created_at.tzinfo is not None
    other = find_run(store, store.record_run("groups", {}))
    assert (other.method, other.is_coordination) == (None, False)


def test_find_run_takes_the_id_as_a_value(store):
    store.record_run("groups", {})
    assert find_run(store, "x' OR '1'='1") is None


def test_result_tables_are_found_from_the_schema(store):
    assert result_tables(store) == [RUN_CHANGES]
    linked_posts(store)
    recorded_runs(store)
    assert result_tables(store) == [
        "coordination_edges", "coordination_evidence", "group_edges", "group_members",
        "group_scores", RUN_CHANGES, RUN_INPUTS,
    ]  # fmt: skip
    store.con.execute("CREATE TABLE later_results (run_id VARCHAR, x INT)")
    store.con.execute("CREATE TABLE unrelated (x INT)")
    assert "later_results" in result_tables(store) and "unrelated" not in result_tables(store)


def test_has_table(store):
    assert has_table(store, "posts") and not has_table(store, "group_edges")
    assert not has_table(store, "posts' OR '1'='1")


def test_inputs_are_recorded_in_order_and_read_back(store):
    record_inputs(store, "g1", {"co-tweet": "t1", "co-link": "l1"})
    record_inputs(store, "g2", {"co-link": "l2"})
    assert run_inputs(store, "g1") == {"co-tweet": "t1", "co-link": "l1"}
    assert list(run_inputs(store, "g1")) == ["co-tweet", "co-link"]
    assert run_inputs(store, "nope") == {}
    assert all_inputs(store).values.tolist() == [
        ["g1", "t1", "co-tweet"], ["g1", "l1", "co-link"], ["g2", "l2", "co-link"],
    ]  # fmt: skip


def test_inputs_of_a_store_without_any(store):
    assert run_inputs(store, "g1") == {}
    assert list(all_inputs(store).columns) == ["run_id", "input_run_id", "role"]
    record_inputs(store, "g0", {})
    assert all_inputs(store).empty


def test_insert_rows_fills_columns_by_name(store):
    store.con.execute("CREATE TABLE t (run_id VARCHAR, a INT, b VARCHAR)")
    insert_rows(store, "t", pd.DataFrame({"b": ["x"], "run_id": ["r"]}))
    assert store.con.execute("SELECT * FROM t").fetchall() == [("r", None, "x")]


def test_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError), transaction(store):
        store.record_run("groups", {})
        raise RuntimeError("stop")
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    with transaction(store):
        store.record_run("groups", {})
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_is_read_only(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        assert not is_read_only(s)
    with Store(db, read_only=True) as s:
        assert is_read_only(s) and is_read_only(s.cursor())


def test_list_all_runs_has_kinds_methods_and_inputs(store):
    linked_posts(store)
    runs = recorded_runs(store)
    listed = list_all_runs(store).set_index("run_id")
    assert list(listed.index) == [
        runs.retweet, runs.link, runs.tweet, runs.groups, runs.later_retweet,
    ]  # fmt: skip
    assert listed.loc[runs.groups, "kind"] == "groups"
    assert listed.loc[runs.groups, "method"] == "co-retweet,co-tweet,co-link"
    assert listed.loc[runs.groups, "inputs"] == {
        "co-retweet": runs.retweet, "co-tweet": runs.tweet, "co-link": runs.link,
    }  # fmt: skip
    assert listed.loc[runs.link, ["kind", "method", "inputs"]].tolist() == [
        "coordination", "co-link", {},
    ]  # fmt: skip


def test_list_all_runs_of_an_empty_store(store):
    listed = list_all_runs(store)
    assert listed.empty and list(listed.columns)[:3] == ["run_id", "kind", "method"]


def test_other_kinds_are_listed_as_they_are(store):
    store.record_run("trends", {"window": "1h"})
    assert list_all_runs(store)[["kind", "method"]].values.tolist() == [["trends", ""]]


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        linked_posts(s)
        recorded = recorded_runs(s)
    return path, recorded


def test_runs_lists_every_kind_with_a_kind_column(db):
    path, runs = db
    res = CliRunner().invoke(cli, ["runs", "--db", str(path)])
    assert res.exit_code == 0, res.output
    header, _, *rows = res.output.splitlines()
    assert header.split()[:4] == ["run_id", "kind", "method", "created_at"]
    assert len(rows) == 5 and rows[3].startswith(runs.groups)
    assert rows[3].split()[1:3] == ["groups", "co-retweet,co-tweet,co-link"]
    assert rows[0].split()[1:3] == ["coordination", "co-retweet"]


def test_runs_list_is_the_same_as_runs(db):
    path, _ = db
    runner = CliRunner()
    plain = runner.invoke(cli, ["runs", "--db", str(path)])
    listed = runner.invoke(cli, ["runs", "list", "--db", str(path)])
    inherited = runner.invoke(cli, ["runs", "--db", str(path), "list"])
    assert plain.output == listed.output == inherited.output


def test_runs_json_names_a_groups_runs_inputs(db):
    path, runs = db
    res = CliRunner().invoke(cli, ["runs", "--db", str(path), "--json"])
    listed = {row["run_id"]: row for row in json.loads(res.output)}
    assert listed[runs.groups]["kind"] == "groups"
    assert listed[runs.groups]["inputs"]["co-link"] == runs.link
    assert listed[runs.retweet]["method"] == "co-retweet"
    # params and summary are JSON objects, not JSON text in a string
    assert listed[runs.groups]["params"]["method_runs"]["co-tweet"] == runs.tweet
    assert isinstance(listed[runs.groups]["summary"], dict)
    assert "T" in listed[runs.groups]["created_at"]


def test_runs_help_names_both_commands():
    res = CliRunner().invoke(cli, ["runs", "--help"])
    assert res.exit_code == 0 and "list" in res.output and "prune" in res.output


def test_runs_on_a_missing_store_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(cli, ["runs", "--db", str(tmp_path / "missing.duckdb")])
    assert res.exit_code == 1 and "trendwatch ingest" in res.output
