"""The Spark engine gives the DuckDB engine's answers on the hand-made case (local[2]).

Every number here was first worked out on the DuckDB engine, whose own tests check it by hand;
these tests hold Spark to the same numbers, plus a few counts read off the case directly.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.engines.parity import same_coordination, same_frame
from trendwatch.analysis.accounts import account_signals
from trendwatch.analysis.campaign import campaign
from trendwatch.analysis.compare import compare
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.trends import onsets, trending
from trendwatch.cli import cli
from trendwatch.engines.lake_results import lake_runs, read_run

pytestmark = pytest.mark.spark

LINKED = [
    "co-retweet", "co-tweet", "co-link", "co-reply", "co-reply-account", "co-hashtag",
    "co-mention", "sync-post", "hashtag-sequence",
]  # fmt: skip
"""Every method but co-similar (its own module: test_spark_similar)."""


@pytest.fixture(scope="module")
def engines(hand_case):
    return hand_case


_LINKED: dict = {}


def linked(engines, method: str, **options):
    """Both engines' results for one run, computed once per module (Spark runs are slow to
    start: several tests read the same run)."""
    key = (method, tuple(sorted(options.items())))
    if key not in _LINKED:
        duck, spark, _ = engines
        _LINKED[key] = tuple(
            coordinate(store, method, record=False, **options) for store in (duck, spark)
        )
    return _LINKED[key]


@pytest.mark.parametrize("method", LINKED)
def test_every_method_links_the_same_pairs(engines, method):
    same_coordination(*linked(engines, method))


def test_the_ring_is_found_with_its_weights(engines):
    _, spark_result = linked(engines, "co-retweet")
    edges = spark_result.edges
    assert spark_result.params["window_s"] == 60  # co-retweet's own window
    # Five accounts, every pair 4 s apart per step: all 10 pairs within 16 s, 3 posts each.
    assert len(edges) == 10
    assert set(edges["weight"]) == {3}
    ring0 = edges[(edges.account_a == "ring0") & (edges.account_b == "ring4")].iloc[0]
    assert (ring0.median_gap_s, ring0.min_gap_s, ring0.symmetry) == (16.0, 16.0, 1.0)


@pytest.mark.parametrize(
    "options",
    [
        {"window": 60, "max_key_fanout": 2, "max_key_pairs": 3},
        {"window": 3600, "min_participation": 2, "weight_percentile": 50.0, "min_symmetry": 0.5},
        {"window": 600, "tfidf": True, "max_key_fanout": None},
    ],
    ids=["hot-key-bound", "filters", "tfidf-unbounded"],
)
def test_link_options(engines, options):
    same_coordination(*linked(engines, "co-retweet", **options))


def test_the_hot_key_bound_is_reported(engines):
    _, result = linked(engines, "co-retweet", window=60, max_key_fanout=2, max_key_pairs=3)
    # Each post's 5 reposts would give 10 pairs (4 + 3 + 2 + 1 followers): over the budget of
    # 3, each keeps max(1, 3 // 5) = 1 follower.
    assert result.bounded_keys.to_dict("records") == [
        {"key": f"orig{k}", "n_actions": 5, "fanout": 1} for k in range(3)
    ]


def test_scope_applies_on_spark(engines):
    duck, spark, _ = engines
    scope = dict(hashtags=["push"], since="2024-03-01T12:00", until="2024-03-01T12:30")
    same_coordination(
        coordinate(duck, "co-hashtag", record=False, **scope),
        coordinate(spark, "co-hashtag", record=False, **scope),
    )


def test_trending_lists_are_the_same(engines):
    duck, spark, _ = engines
    # Every scorer's column is computed whichever ranks the list: one run compares them all.
    left = trending(duck, at="2024-03-01T12:30", window="10min", top=None)
    right = trending(spark, at="2024-03-01T12:30", window="10min", top=None)
    assert (left.total, left.at) == (right.total, right.at)
    same_frame(left.table, right.table)
    # 12:20-12:30 holds the ring's second round only: 5 reposts by 5 accounts, all #push.
    assert right.table.iloc[0][["hashtag", "posts", "accounts"]].tolist() == ["push", 5, 5]


@pytest.mark.parametrize("method", ["poisson", "kleinberg"])
def test_onsets_are_the_same(engines, method):
    duck, spark, _ = engines
    left = onsets(duck, window="10min", method=method, min_posts=3)
    same_frame(left, onsets(spark, window="10min", method=method, min_posts=3))


def test_campaign_metrics_are_the_same(engines):
    duck, spark, _ = engines
    left, right = campaign(duck, ["push"]), campaign(spark, ["push"])
    assert left.to_dict() == right.to_dict()
    # 15 ring reposts + 8 copies + 6 chatter posts carry #push (d-0, d-5, ..., d-25).
    assert right.posts == 29
    # The ring's reposts are by accounts a week old: 15 of the 29 posts with a known author age
    # (copiers have no account row: not counted).
    assert right.new_account_share == pytest.approx(15 / 21)


def test_compare_and_account_signals_are_the_same(engines):
    duck, spark, _ = engines
    assert (
        compare(duck, ["push"], ["daily"]).to_dict()
        == compare(spark, ["push"], ["daily"]).to_dict()
    )
    left = account_signals(duck).sort_values("account_id")
    same_frame(left, account_signals(spark).sort_values("account_id"))


def test_results_are_written_back_to_the_lake(engines):
    _, spark, folder = engines
    result = coordinate(spark, "co-tweet", window=60)
    runs = lake_runs(folder / "lake")
    assert result.run_id in runs["run_id"].tolist()
    edges = read_run(folder / "lake", result.run_id, "coordination_edges").to_pandas()
    assert edges[["account_a", "account_b", "weight"]].values.tolist() == (
        result.edges[["account_a", "account_b", "weight"]].values.tolist()
    )
    evidence = read_run(folder / "lake", result.run_id, "coordination_evidence")
    assert evidence.num_rows == len(result.evidence)
    run = runs.set_index("run_id").loc[result.run_id]
    assert run["kind"] == "coordination:co-tweet"
    assert run["fingerprint"] == spark.fingerprint()


def test_cli_runs_on_spark(engines, monkeypatch):
    _, spark, folder = engines
    from trendwatch.engines import spark as spark_module

    # The CLI would start its own session: hand it the test's (same master, local[2]).
    monkeypatch.setattr(spark_module, "spark_session", lambda master=None: spark.session)
    runner = CliRunner()
    lake = ["--engine", "spark", "--lake", str(folder / "lake")]
    done = runner.invoke(cli, ["coordination", "-m", "co-retweet", "--no-test", *lake])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("co-retweet: 5 accounts, 10 pairs, 30 post pairs")
    runs = lake_runs(folder / "lake")
    assert f"(run {runs.iloc[0]['run_id']})" in done.output.splitlines()[0]


def test_a_hashtag_written_twice_in_a_post_counts_once(spark, tmp_path):
    # Post 1 carries #a twice (and #b); post 2 carries #a once; post 3 a day before is the
    # history. In the 12:00-13:00 window #a has 2 posts by 2 accounts, #b 1 post.
    from tests.conftest import T0, add_posts, at, make_post
    from tests.engines.conftest import lake_store
    from trendwatch.analysis.timeseries import Buckets, hashtag_series
    from trendwatch.store import Store

    posts = [
        make_post("1", "u1", at(5), hashtags=("a", "b", "a")),
        make_post("2", "u2", at(10), hashtags=("a",)),
        make_post("3", "u3", T0 - timedelta(days=1), hashtags=("c",)),
    ]
    with Store(tmp_path / "twice.duckdb") as store:
        add_posts(store, posts)
    with Store(tmp_path / "twice.duckdb", read_only=True) as duck:
        lake = lake_store(duck, tmp_path / "lake", spark)
        buckets = Buckets(timedelta(hours=1))
        for store in (duck, lake):
            series = hashtag_series(store, buckets).set_index("hashtag")
            assert series.loc[["a", "b", "c"], "posts"].tolist() == [2, 1, 1]
            listed = trending(store, at="2024-03-01T13:00", top=None).table.set_index("hashtag")
            assert listed.loc[["a", "b"], ["posts", "accounts", "originals"]].values.tolist() == [
                [2, 2, 2],
                [1, 1, 1],
            ]
