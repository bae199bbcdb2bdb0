"""``evidence`` and ``runs`` on the runs the Spark engine wrote back to a lake: the same output
as on the DuckDB store's runs, handles and post URLs included (local[2])."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, at, make_post
from tests.engines.conftest import lake_store
from trendwatch.analysis.coordination import coordinate
from trendwatch.cli import cli
from trendwatch.engines.lake_evidence import lake_runs_store
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store

pytestmark = pytest.mark.spark


def reposts() -> list:
    """Three accounts repost post 9001 within 8 s; two of them post 9002 20 s apart an hour
    later. Account 11 has a profile (anna) and posts as anna_old; 22 has no profile and
    posted as bobby a day before, as bob since; 33 has no handle anywhere."""
    return [
        make_post("100", "22", T0 - timedelta(days=1), text="hello", author_handle="bobby"),
        make_post("101", "11", at(0, 0), "repost", ref_post_id="9001", author_handle="anna_old"),
        make_post("102", "22", at(0, 5), "repost", ref_post_id="9001", author_handle="bob"),
        make_post("103", "33", at(0, 8), "repost", ref_post_id="9001"),
        make_post("104", "11", at(60, 0), "repost", ref_post_id="9002", author_handle="anna_old"),
        make_post("105", "22", at(60, 20), "repost", ref_post_id="9002", author_handle="bob"),
    ]


@pytest.fixture(scope="module")
def recorded(spark, tmp_path_factory):
    """The case's co-retweet run recorded in a DuckDB store and written back to its lake."""
    folder = tmp_path_factory.mktemp("evidence")
    db = folder / "case.duckdb"
    with Store(db) as store:
        add_posts(store, reposts())
        store.write_batch(accounts=accounts_to_arrow([Account("x", "11", handle="anna")]))
        duck = coordinate(store, "co-retweet", window=60)
    with Store(db, read_only=True) as store:
        lake = lake_store(store, folder / "lake", spark)
    on_spark = coordinate(lake, "co-retweet", window=60)
    return db, folder / "lake", duck.run_id, on_spark.run_id


@pytest.fixture
def cli_on(recorded, spark, monkeypatch):
    """Run the CLI on the DuckDB store (``engine="duckdb"``) or the lake, on the test's session."""
    from trendwatch.engines import spark as spark_module

    monkeypatch.setattr(spark_module, "spark_session", lambda master=None: spark)
    db, lake, _, _ = recorded

    def run(engine: str, *args: str):
        where = ["--db", str(db)] if engine == "duckdb" else ["--engine", "spark", "--lake", lake]
        done = CliRunner().invoke(cli, [*args, *map(str, where)])
        return done

    return run


def test_evidence_from_the_lake_by_hand(cli_on, recorded):
    _, _, _, run_id = recorded
    done = cli_on("spark", "evidence", "22", "11", "--json")
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    # The profile's handle wins (anna); 22 has none: its latest post's (bob, not bobby).
    assert (found["account_a"], found["handle_a"]) == ("11", "anna")
    assert (found["account_b"], found["handle_b"]) == ("22", "bob")
    assert (found["rule"], found["run_id"]) == ("latest", run_id)
    rows = [
        (e["key"], e["post_a"], e["post_b"], e["gap_s"], e["text_a"], e["url_a"], e["url_b"])
        for e in found["evidence"]
    ]
    # Each post's URL takes the handle the post was made under.
    assert rows == [
        ("9001", "101", "102", 5.0, None,
         "https://x.com/anna_old/status/101", "https://x.com/bob/status/102"),
        ("9002", "104", "105", 20.0, None,
         "https://x.com/anna_old/status/104", "https://x.com/bob/status/105"),
    ]  # fmt: skip


def test_evidence_is_the_same_on_both_engines(cli_on, recorded):
    _, _, duck_run, spark_run = recorded
    for pair in (("11", "22"), ("33", "11"), ("22", "33")):
        duck = json.loads(cli_on("duckdb", "evidence", *pair, "--json").output)
        spark = json.loads(cli_on("spark", "evidence", *pair, "--json").output)
        assert duck.pop("run_id") == duck_run and spark.pop("run_id") == spark_run
        for found, run in ((duck, duck_run), (spark, spark_run)):
            assert found.pop("method_runs") == {"co-retweet": run}
            assert found.pop("source").endswith(f"co-retweet run {run}: no groups run links them")
            assert {row.pop("run_id") for row in found["evidence"]} == {run}
        assert duck == spark
        assert spark["evidence"], pair


def test_evidence_table_on_the_lake(cli_on):
    done = cli_on("spark", "evidence", "33", "22")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith("1 post pair from the latest co-retweet run coordination-")
    assert lines[1] == "between @bob (22) and 33"


def test_evidence_errors_on_the_lake(cli_on):
    unknown = cli_on("spark", "evidence", "11", "22", "--run", "nope")
    assert unknown.exit_code == 1
    assert unknown.output.startswith("Error: no run nope in this store")
    unlinked = cli_on("spark", "evidence", "11", "99")
    assert unlinked.exit_code == 1
    assert unlinked.output.startswith("Error: no stored coordination run links 11 and 99")
    other_method = cli_on("spark", "evidence", "11", "22", "-m", "co-link")
    assert other_method.output.startswith("Error: no co-link run in this store")


def test_evidence_of_the_run_asked_for(cli_on, recorded):
    _, _, _, run_id = recorded
    found = json.loads(cli_on("spark", "evidence", "11", "22", "--run", run_id, "--json").output)
    assert found["rule"] == "asked" and len(found["evidence"]) == 2


def test_runs_of_the_lake(cli_on, recorded):
    _, lake, _, run_id = recorded
    done = CliRunner().invoke(cli, ["runs", "--lake", str(lake), "--json"])
    assert done.exit_code == 0, done.output
    [run] = json.loads(done.output)
    assert (run["run_id"], run["kind"], run["method"]) == (run_id, "coordination", "co-retweet")
    assert run["params"]["engine"] == "spark" and run["summary"]["edges"] == 3
    listed = CliRunner().invoke(cli, ["runs", "list", "--lake", str(lake)])
    assert run_id in listed.output


def test_a_lake_without_runs(tmp_path):
    from trendwatch.engines import export_lake

    with Store(":memory:") as store:
        export_lake(store, tmp_path / "lake")
    assert lake_runs_store(tmp_path / "lake").con.execute("SELECT * FROM runs").fetchall() == []
    done = CliRunner().invoke(cli, ["runs", "--lake", str(tmp_path / "nolake")])
    assert done.exit_code == 1 and "no lake at" in done.output
