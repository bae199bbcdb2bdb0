"""Groups runs in the store: recorded with their settings, inputs and tables, read back whole."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from tests.coordination.runs_cases import (
    edges_frame,
    hand_result,
    linked_posts,
    recorded_runs,
    rows_of,
)
from tests.coordination.test_groups import campaign_store
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.group_runs import (
    KIND,
    latest_groups_run_linking,
    load_groups_run,
    pair_methods,
    record_groups_run,
)
from trendwatch.analysis.coordination.groups import GroupsResult, groups
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.runs import find_run, run_inputs
from trendwatch.store import Store


def test_groups_records_its_run_with_settings_inputs_and_tables(store):
    campaign_store(store)
    result = groups(store, hashtags=["tag"])
    assert result.run_id and result.run_id.startswith("groups-")
    run = find_run(store, result.run_id)
    assert run.kind == KIND and run.method is None and not run.is_coordination
    assert run.params["hashtags"] == ["tag"] and run.params["seed"] == 0
    assert run.params["method_runs"] == result.runs
    assert run_inputs(store, result.run_id) == result.runs
    assert run.summary["groups"] == 1 and run.summary["accounts_in_groups"] == 3
    assert set(run.summary["tests"]) == set(result.runs)
    assert run.summary["verdict"]["finding"] == "coordinated core"
    assert rows_of(store, "group_members", result.run_id) == 3
    assert rows_of(store, "group_edges", result.run_id) == len(result.edges) == 3
    assert rows_of(store, "group_scores", result.run_id) == 1


def test_each_method_run_it_names_is_the_one_it_read(store):
    campaign_store(store)
    result = groups(store, hashtags=["tag"])
    for method, run_id in result.runs.items():
        run = find_run(store, run_id)
        assert (
            run.kind == f"coordination:{method}"
            and run.created_at < find_run(store, result.run_id).created_at
        )


def test_a_stored_run_reads_back_every_column_and_row(store):
    campaign_store(store)
    result = groups(store, hashtags=["tag"])
    stored = load_groups_run(store, result.run_id)
    pd.testing.assert_frame_equal(stored.members, result.members, check_dtype=False)
    pd.testing.assert_frame_equal(stored.edges, result.edges, check_dtype=False)
    assert list(stored.groups.columns) == list(result.groups.columns)
    assert stored.groups["top_keys"][0] == result.groups["top_keys"][0]
    assert stored.groups["share_posts"][0] == pytest.approx(result.groups["share_posts"][0])
    assert stored.runs == result.runs and stored.params["hashtags"] == ["tag"]


def test_record_false_records_no_groups_run(store):
    campaign_store(store)
    result = groups(store, hashtags=["tag"], record=False)
    assert result.run_id is None
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_read_only_store_gets_the_result_back_unchanged(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        campaign_store(s)
    with Store(db, read_only=True) as s:
        result = groups(s, hashtags=["tag"])
        assert result.run_id is None and not result.members.empty
        assert s.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_an_empty_groups_result_is_a_run_too(store):
    result = groups(store)
    assert result.run_id is not None
    stored = load_groups_run(store, result.run_id)
    assert stored.edges.empty and stored.members.empty and stored.runs == {}
    assert list(stored.edges.columns) == list(result.edges.columns)


def test_a_method_without_its_run_is_refused_and_nothing_is_recorded(store):
    edges = edges_frame([("a", "b", 1, "co-link", 1)])
    with pytest.raises(ParameterError, match="coordination runs of co-link"):
        record_groups_run(store, hand_result(edges, {"co-link": None}))
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_failed_recording_leaves_nothing_behind(store, monkeypatch):
    from trendwatch.analysis.coordination import group_runs

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(group_runs, "record_inputs", broken)
    edges = edges_frame([("a", "b", 1, "co-link", 1)])
    with pytest.raises(RuntimeError):
        record_groups_run(store, hand_result(edges, {"co-link": "r1"}))
    assert store.con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_columns_added_later_are_stored_and_read_back(store):
    edges = edges_frame([("a", "b", 2, "co-link", 1), ("b", "c", 1, "co-link", None)])
    edges["q_value"] = [0.01, float("nan")]
    edges["first_seen"] = pd.to_datetime(["2025-11-14T08:00:00Z", None], utc=True)
    edges["tags"] = [["x", "y"], []]
    result = record_groups_run(store, hand_result(edges, {"co-link": "r1"}))
    stored = load_groups_run(store, result.run_id).edges
    assert list(stored.columns) == list(edges.columns)
    assert stored["q_value"].tolist()[0] == 0.01 and pd.isna(stored["q_value"][1])
    assert stored["first_seen"][0] == "2025-11-14T08:00:00+00:00"
    assert pd.isna(stored["first_seen"][1])
    assert stored["tags"].tolist() == [["x", "y"], []]
    assert stored["group_id"].tolist()[0] == 1 and pd.isna(stored["group_id"][1])


def test_a_typed_copy_of_the_key_columns_is_kept_for_queries(store):
    edges = edges_frame([("a", "b", 2, "co-link,co-tweet", 1), ("b", "c", 1, "co-link", None)])
    result = record_groups_run(store, hand_result(edges, {"co-link": "r1", "co-tweet": "r2"}))
    found = store.con.execute(
        "SELECT account_a, account_b, methods, group_id, data->>'weight' FROM group_edges "
        "WHERE run_id = ? ORDER BY row_no",
        [result.run_id],
    ).fetchall()
    assert found == [("a", "b", "co-link,co-tweet", 1, "2"), ("b", "c", "co-link", None, "1")]


def test_a_missing_key_column_is_stored_as_null(store):
    edges = edges_frame([("a", "b", 2, "co-link", 1)]).drop(columns=["methods"])
    result = record_groups_run(store, hand_result(edges, {"co-link": "r1"}))
    assert store.con.execute(
        "SELECT methods FROM group_edges WHERE run_id = ?", [result.run_id]
    ).fetchall() == [(None,)]
    assert "methods" not in load_groups_run(store, result.run_id).edges


@dataclasses.dataclass(frozen=True)
class WithVerdict(GroupsResult):
    """A result with fields GroupsResult may gain later (and a verdict as a plain dict)."""

    verdict: dict = dataclasses.field(default_factory=dict)
    q_values: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


def test_result_fields_added_later_go_to_the_summary(store):
    edges = edges_frame([("a", "b", 2, "co-link", 1)])
    result = hand_result(edges, {"co-link": "r1"})
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
              if f.name != "verdict"}  # fmt: skip
    verdict = {"organic": False, "why": "one group wrote 97 % of the first posts"}
    recorded = record_groups_run(store, WithVerdict(**fields, verdict=verdict))
    summary = load_groups_run(store, recorded.run_id).summary
    assert summary["verdict"] == verdict
    assert summary["tests"] == {"co-link": {"pairs": 1, "significant": 1}}
    assert "q_values" not in summary and "members" not in summary
    assert isinstance(recorded, WithVerdict) and recorded.verdict == verdict


def test_loading_a_run_that_is_not_a_groups_run_is_refused(store):
    other = store.record_run("coordination:co-link", {})
    for run_id in (other, "no-such-run"):
        with pytest.raises(ParameterError, match="not a groups run"):
            load_groups_run(store, run_id)


def test_latest_groups_run_linking_a_pair_in_either_order(store):
    linked_posts(store)
    runs = recorded_runs(store)
    assert latest_groups_run_linking(store, ("a", "b")) == runs.groups
    assert latest_groups_run_linking(store, ("b", "a")) == runs.groups
    assert latest_groups_run_linking(store, ("a", "b"), "co-link") == runs.groups
    assert latest_groups_run_linking(store, ("a", "b"), "co-tweet") is None
    assert latest_groups_run_linking(store, ("c", "d")) is None
    newer = record_groups_run(
        store,
        hand_result(edges_frame([("b", "a", 1, "co-retweet", 1)]), {"co-retweet": "x"}),
    ).run_id
    assert latest_groups_run_linking(store, ("a", "b")) == newer
    assert latest_groups_run_linking(store, ("a", "b"), "co-link") == runs.groups


def test_pair_methods_follow_the_runs_order_and_skip_other_pairs(store):
    linked_posts(store)
    runs = recorded_runs(store)
    assert pair_methods(store, runs.groups, ("b", "a")) == ["co-retweet", "co-link"]
    assert pair_methods(store, runs.groups, ("c", "d")) == []
    assert pair_methods(store, "no-such-run", ("a", "b")) == []


def test_a_hostile_account_id_is_a_value_never_sql(store):
    evil = "x' OR '1'='1"
    edges = edges_frame([(evil, "b", 1, "co-link", 1)])
    result = record_groups_run(store, hand_result(edges, {"co-link": "r1"}))
    assert load_groups_run(store, result.run_id).edges["account_a"].tolist() == [evil]
    assert latest_groups_run_linking(store, (evil, "b")) == result.run_id
    assert latest_groups_run_linking(store, ("x", "b")) is None


def test_groups_command_prints_its_run_id(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        campaign_store(s)
    runner = CliRunner()
    res = runner.invoke(cli, ["groups", "--db", str(db), "--hashtag", "tag"])
    assert res.exit_code == 0, res.output
    summary = next(line for line in res.output.splitlines() if "significant link" in line)
    assert "(run groups-" in summary
    res = runner.invoke(cli, ["groups", "--db", str(db), "--hashtag", "tag", "--json"])
    run_id = json.loads(res.output)["run_id"]
    with Store(db, read_only=True) as s:
        assert find_run(s, run_id).kind == "groups"
        assert load_groups_run(s, run_id).members["account_id"].tolist() == ["a1", "a2", "a3"]


def test_groups_then_a_later_coordination_run_each_keep_their_rows(store):
    campaign_store(store)
    add_posts(store, [make_post("late", "a1", at(90), text="late")])
    result = groups(store, hashtags=["tag"])
    later = coordinate(store, "co-retweet", window=600)
    assert later.run_id not in result.runs.values()
    assert load_groups_run(store, result.run_id).runs == result.runs
