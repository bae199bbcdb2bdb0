"""The significance test, ``coordination`` (tested) and ``groups`` on Spark give the DuckDB
engine's answers: on the hand-made case and on a small simulated archive (local[2]).

The numbers below were first checked by hand on the DuckDB engine (tests/coordination); here
Spark is held to them, plus counts read off the case directly. Spark runs are slow to start,
so each module computes one groups run per engine and several tests read it.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.engines import cases
from tests.engines.conftest import lake_store
from tests.engines.parity import same_frame
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.groups import groups
from trendwatch.analysis.coordination.null_tables import DIALECTS, CellCounts
from trendwatch.analysis.coordination.significance import (
    tested_edges as with_tests,
)
from trendwatch.cli import cli
from trendwatch.engines.lake_results import lake_runs, read_groups, read_run
from trendwatch.report import build_report
from trendwatch.simulate import simulate
from trendwatch.store import Store

pytestmark = pytest.mark.spark

TESTED = ["account_a", "account_b", "events", "expected", "p_value"]
GROUP_METHODS = ["co-retweet", "co-tweet", "co-hashtag"]
"""The hand case's group (the four copiers) is linked by co-tweet and co-hashtag; co-retweet
links the ring, whose three rounds in one day are not significant. Three methods, not the six
defaults: each Spark method costs seconds of the suite's five minutes."""
CASE_Q = 0.05
"""The hand case is small: its copiers' two events clear q = 0.05, never the default 1e-4."""


@pytest.fixture(scope="module")
def case(hand_case):
    return hand_case


@pytest.fixture(scope="module")
def cli_on_spark(spark):
    """Run the CLI in the test's Spark session (the CLI would start its own)."""
    from trendwatch.engines import spark as spark_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spark_module, "spark_session", lambda master=None: spark)
        yield CliRunner()


def _tested(store, method: str) -> pd.DataFrame:
    run = coordinate(store, method, record=False)
    return with_tests(store, run).sort_values(["account_a", "account_b"])


@pytest.mark.parametrize("method", ["co-tweet", "co-hashtag"])
def test_the_null_gives_the_same_counts_and_p_values(case, method):
    duck, spark, _ = case
    left, right = _tested(duck, method), _tested(spark, method)
    same_frame(left[TESTED], right[TESTED])
    # The four copiers post one text twice, 30 minutes apart: two rounds, two events a pair.
    copiers = right[right["account_a"].str.startswith("copy")]
    assert len(copiers) == 6 and set(copiers["events"]) == {2}


def test_the_dialects_differ_only_in_three_spellings():
    spellings = {"epoch_us", "hash64", "semi_join"}
    assert DIALECTS["duckdb"].keys() == DIALECTS["spark"].keys() == spellings


def test_cell_counts_from_frames_by_hand():
    # Rows come in any order from an engine; the counts are put in one order. Pair a-b has
    # 3 events (its better binning), a-c 1 (untested: no expectation rows).
    events = pd.DataFrame({"account_a": ["a", "a"], "account_b": ["c", "b"], "events": [1, 3]})
    counts = pd.DataFrame({
        "o": [1, 0, 0], "account_a": ["a", "a", "a"], "account_b": ["b", "b", "b"],
        "s": [0, 1, 0], "n": [2, 1, 2], "lam": [0.4, 0.25, 0.5],
    })  # fmt: skip
    cells = CellCounts.from_frames(events, counts, 3)
    assert cells.events.values.tolist() == [["a", "b", 3], ["a", "c", 1]]
    assert cells.counts["lam"].tolist() == [0.5, 0.25, 0.4]
    assert cells.n_strata == 3
    assert CellCounts.from_frames(events, counts, 0).n_strata == 1


def test_coordination_on_spark_is_tested_by_default(case, cli_on_spark):
    _, _, folder = case
    lake = ["--engine", "spark", "--lake", str(folder / "lake")]
    args = ["coordination", "-m", "co-hashtag", "--q", str(CASE_Q)]
    done = cli_on_spark.invoke(cli, [*args, *lake])
    assert done.exit_code == 0, done.output
    on_duckdb = cli_on_spark.invoke(cli, [*args, "--db", str(folder / "copy.duckdb")])
    assert _without_run_ids(done.output) == _without_run_ids(on_duckdb.output)
    run_id = lake_runs(folder / "lake").iloc[0]["run_id"]
    edges = read_run(folder / "lake", run_id, "coordination_edges").to_pandas()
    assert {"events", "expected", "p_value", "q_value", "significant"} <= set(edges.columns)
    # The copiers' six pairs (two events each) are the significant ones at q = 0.05.
    kept = edges[edges["significant"]]
    assert sorted(set(kept["account_a"]) | set(kept["account_b"])) == cases.COPIERS


def _without_run_ids(output: str) -> list[str]:
    return [line.split(" (run ")[0] for line in output.splitlines()]


@pytest.fixture(scope="module")
def grouped(case, cli_on_spark):
    """Both engines' ``groups --json`` on the hand case (one Spark run for the module)."""
    _, _, folder = case
    args = ["groups", "--json", "--q", str(CASE_Q), *_methods()]
    on_duckdb = cli_on_spark.invoke(cli, [*args, "--db", str(folder / "copy.duckdb")])
    on_spark = cli_on_spark.invoke(
        cli, [*args, "--engine", "spark", "--lake", str(folder / "lake")]
    )
    assert on_duckdb.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    return json.loads(on_duckdb.output), json.loads(on_spark.output)


@pytest.fixture(scope="module", autouse=True)
def _writable_copy(case):
    # groups records its runs: the DuckDB side runs on a writable copy of the case's store.
    _, _, folder = case
    with Store(folder / "copy.duckdb") as store:
        cases.fill(store)


def _methods() -> list[str]:
    return [arg for method in GROUP_METHODS for arg in ("-m", method)]


def test_groups_are_the_same_on_both_engines(grouped):
    left, right = grouped
    for part in ("members", "links", "scores", "verdict", "tests", "methods", "groups"):
        assert left[part] == right[part], part
    # The four copiers are the one group: co-tweet and co-hashtag link each pair.
    assert [m["account_id"] for m in right["members"]] == cases.COPIERS
    assert {m["methods"] for m in right["members"]} == {"co-hashtag,co-tweet"}
    # 8 copies and copy0's and copy1's sequence posts: 10 of the 58 posts, 17 %.
    assert right["verdict"]["text"].startswith(
        "1 coordinated group (4 accounts, co-tweet, co-hashtag) made 17% of the 58 posts"
    )


def test_groups_run_is_written_back_to_the_lake(case, grouped):
    _, spark, folder = case
    _, right = grouped
    runs = lake_runs(folder / "lake").set_index("run_id")
    run = runs.loc[right["run_id"]]
    assert run["kind"] == "groups" and run["fingerprint"] == spark.fingerprint()
    params = json.loads(run["params"])
    assert params["engine"] == "spark" and set(params["method_runs"]) == set(GROUP_METHODS)
    for method, run_id in params["method_runs"].items():
        assert runs.loc[run_id, "kind"] == f"coordination:{method}"
    back = read_groups(folder / "lake", right["run_id"])
    assert back["members"]["account_id"].tolist() == cases.COPIERS
    assert len(back["edges"]) == len(right["links"]) == 6
    assert back["groups"]["size"].tolist() == [4]


def test_evidence_on_the_lake_answers_from_the_groups_run(case, grouped, cli_on_spark):
    # As on the store: the latest groups run linking the pair answers, with the evidence of
    # the methods that link the pair in it (here co-tweet), not the latest lone run.
    _, _, folder = case
    left, right = grouped
    pair = ["copy0", "copy1", "--json"]
    on_duckdb = cli_on_spark.invoke(cli, ["evidence", *pair, "--db", str(folder / "copy.duckdb")])
    on_spark = cli_on_spark.invoke(
        cli, ["evidence", *pair, "--engine", "spark", "--lake", str(folder / "lake")]
    )
    assert on_duckdb.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    duck, spark = json.loads(on_duckdb.output), json.loads(on_spark.output)
    assert spark["rule"] == duck["rule"] == "groups"
    assert spark["run_id"] == right["run_id"] and duck["run_id"] == left["run_id"]
    assert list(spark["method_runs"]) == list(duck["method_runs"]) == ["co-tweet"]
    assert _evidence_rows(spark) == _evidence_rows(duck)
    # copy0 and copy1 posted the text 10 s apart in each of the two rounds: two pairs.
    assert [(r["method"], r["post_a"], r["post_b"], r["gap_s"]) for r in spark["evidence"]] == [
        ("co-tweet", "cp-0-0", "cp-0-1", 10.0),
        ("co-tweet", "cp-1-0", "cp-1-1", 10.0),
    ]


def _evidence_rows(found: dict) -> list[dict]:
    return sorted(
        ({k: v for k, v in row.items() if k != "run_id"} for row in found["evidence"]),
        key=lambda row: json.dumps(row, sort_keys=True),
    )


SIMULATED_SCALE = 0.05
"""About 1,500 posts (the simulator's floors keep every planted network): seconds a method."""


@pytest.fixture(scope="module")
def simulated(spark, tmp_path_factory):
    from trendwatch.ingest import ingest

    folder = tmp_path_factory.mktemp("simulated")
    truth = simulate(folder / "archive", seed=3, scale=SIMULATED_SCALE)
    ingest(sorted((folder / "archive").glob("*.jsonl")), folder / "sim.duckdb")
    with Store(folder / "sim.duckdb", read_only=True) as store:
        yield store, lake_store(store, folder / "lake", spark), truth


def test_simulated_groups_are_the_same(simulated):
    duck, spark, _truth = simulated
    left = groups(duck, ["co-retweet", "co-tweet"], record=False)
    right = groups(spark, ["co-retweet", "co-tweet"], record=False)
    assert len(left.members), "the planted networks must be found to mean anything"
    same_frame(left.members, right.members)
    same_frame(left.edges, right.edges)
    assert left.tests == right.tests
    assert left.verdict.to_dict() == right.verdict.to_dict()
    same_frame(left.groups.drop(columns="top_keys"), right.groups.drop(columns="top_keys"))


def _block(html: str, block_id: str):
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html)
    return None if found is None else json.loads(found[1])


@pytest.fixture(scope="module")
def spark_report(case, cli_on_spark):
    """``report --engine spark`` on #daily (the chatter: co-tweet and co-hashtag apply)."""
    _, _, folder = case
    out = folder / "spark.html"
    lake = ["--engine", "spark", "--lake", str(folder / "lake")]
    done = cli_on_spark.invoke(cli, ["report", "--hashtag", "daily", "-o", str(out), *lake])
    assert done.exit_code == 0, done.output
    return out.read_text()


def test_report_on_spark_shows_what_duckdb_shows(case, spark_report):
    duck, _, _ = case
    html = build_report(duck, hashtags=["daily"])
    for block in ("tw-campaign-0", "tw-groups"):
        left, right = _block(html, block), _block(spark_report, block)
        for side in (left, right):  # run ids: none on the read-only store, the lake's on Spark
            side.pop("runs", None), side.get("summary", {}).pop("runs", None)
        assert left == right, block
    assert _block(spark_report, "tw-campaign-0")["metrics"]["posts"] == 30  # #daily: d-0..d-29


def test_report_on_spark_says_which_sections_it_did_not_compute(spark_report):
    for section in ("summary", "network", "quality"):
        found = re.search(rf'<section id="{section}">(.*?)</section>', spark_report, re.S)
        assert "Not computed on the Spark engine yet" in found[1], section
    assert _block(spark_report, "tw-summary") is None
    # The groups run was written back to the lake and the methods section lists it.
    methods = re.search(r'<section id="methods">(.*?)</section>', spark_report, re.S)[1]
    assert "coordination:co-hashtag" in methods
