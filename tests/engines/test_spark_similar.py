"""co-similar on Spark (local[2]): DuckDB's band keys, pairs, weights and evidence.

Band keys are checked against the Python oracle of the family (tests/coordination/
test_minhash_family.py); the link against the DuckDB engine on the hand-made case, whose
copiers post one text (Jaccard 1) and whose replies, sequences and chatter differ by one word
of two ("reply 0", "reply 1": Jaccard 1/3).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.coordination.test_minhash_family import TRICKY, band_keys, shingle_ids
from tests.engines.parity import EVIDENCE_ORDER, same_coordination, same_frame
from trendwatch.analysis.coordination import coordinate
from trendwatch.analysis.coordination.minhash_family import bands_sql, shingles_sql
from trendwatch.cli import cli
from trendwatch.engines.lake_results import lake_runs, read_run

pytestmark = pytest.mark.spark


def test_spark_band_keys_are_the_families(spark):
    # Shingles of three words (one word: the link tests below); one Spark query, as each
    # takes seconds to plan. The text id differs (xxhash64): texts are matched by string.
    spark.createDataFrame([(t,) for t in TRICKY], "key string").createOrReplaceTempView("tw_t")
    spark.sql(shingles_sql("spark", "tw_t", 3)).createOrReplaceTempView("tw_s")
    rows = spark.sql(f"""
        SELECT t.key, b.* FROM ({bands_sql("tw_s", 64, 16, 1)}) b
        JOIN (SELECT DISTINCT xxhash64(key) AS tid, key FROM tw_t) t ON t.tid = b.tid
    """).collect()
    found = {row[0]: list(row[2:]) for row in rows}
    assert found == {t: band_keys(shingle_ids(t, 3)) for t in TRICKY if t != "one"}


@pytest.fixture(scope="module")
def near_duplicates(hand_case):
    """Both engines' co-similar over an hour at Jaccard 1/3, with a tight hot-key bound and
    TF-IDF (one Spark run: each takes tens of seconds on local[2])."""
    duck, spark, _ = hand_case
    options = dict(window=3600, threshold=0.3, max_key_fanout=1, max_key_pairs=2, tfidf=True)
    return tuple(
        coordinate(store, "co-similar", record=False, **options) for store in (duck, spark)
    )


def test_near_duplicates_link_the_same_pairs(near_duplicates):
    same_coordination(*near_duplicates)


def test_near_duplicates_carry_their_jaccard_and_bounded_keys(near_duplicates):
    _, result = near_duplicates
    # Identical copies (1) and texts of two words sharing one ("day 3", "day 15": 1/3).
    assert sorted(set(result.evidence["jaccard"].round(6))) == [0.333333, 1.0]
    copies = result.evidence[result.evidence["jaccard"] == 1.0]
    assert set(copies["key"]) == {"vote for z now! #push"}
    # The copiers' text: 8 posts, each with at least one follower within the hour; the
    # budget of 2 pairs cuts every follower after the first (8 // 2 ... lowered to 1).
    bounded = result.bounded_keys
    assert "text:vote for z now! #push" in set(bounded["key"])
    assert bounded["key"].str.match(r"^(text:|band:\d+$)").all()
    assert set(bounded["fanout"]) == {1}
    assert "tfidf" in result.edges.columns


def test_cli_co_similar_on_spark_matches_duckdb(hand_case, monkeypatch):
    duck, spark, folder = hand_case
    from trendwatch.engines import spark as spark_module

    monkeypatch.setattr(spark_module, "spark_session", lambda master=None: spark.session)
    lake = ["--engine", "spark", "--lake", str(folder / "lake")]
    done = CliRunner().invoke(cli, ["coordination", "-m", "co-similar", "--no-test", *lake])
    assert done.exit_code == 0, done.output
    # The four copiers post one text twice, 10 s apart: six pairs; each copier's two posts
    # meet the other's within the 60 s window (first round, second round): 12 post pairs.
    assert done.output.startswith("co-similar: 4 accounts, 6 pairs, 12 post pairs")
    run_id = lake_runs(folder / "lake").iloc[0]["run_id"]
    expected = coordinate(duck, "co-similar", record=False)
    edges = read_run(folder / "lake", run_id, "coordination_edges").to_pandas()
    same_frame(edges[expected.edges.columns], expected.edges)
    evidence = read_run(folder / "lake", run_id, "coordination_evidence").to_pandas()
    # The lake keeps every method's evidence columns (jaccard is the result's own).
    columns = [c for c in expected.evidence.columns if c in evidence.columns]
    assert "post_b" in columns and "jaccard" not in columns
    same_frame(
        evidence[columns].sort_values(EVIDENCE_ORDER),
        expected.evidence[columns].sort_values(EVIDENCE_ORDER),
    )
