"""Parity with the published tools on real data (skipped when ../shared/data is absent).

* CooRTweet's and the QUT toolkit's reference graph for co-retweet on russian_coord_tweets.
* ``coordination-network-toolkit`` 1.5.2 run here on the same input: our unordered account pairs
  equal its pairs (its edges are directed and include self-loops: compared as unordered pairs of
  distinct accounts), at windows 10, 60 and 600 s. Neither tool bounds hot keys, so these runs
  use ``max_key_fanout=None``.
"""

from __future__ import annotations

import csv
import sqlite3

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

from tests.conftest import shared_path
from trendwatch.analysis.coordination import coordinate
from trendwatch.model import POST_SCHEMA
from trendwatch.store import Store

WINDOWS = (10, 60, 600)
QUT_TABLES = {
    "co-retweet": ("compute_co_retweet_parallel", "co_retweet_network"),
    "co-tweet": ("compute_co_tweet_network", "co_tweet_network"),
    "co-link": ("compute_co_link_network", "co_link_network"),
    "co-reply": ("compute_co_reply_network", "co_reply_network"),
}
TWARC_FILES = ("brexit.jsonl", "kpop.jsonl", "2sets.jsonl", "cotweet.jsonl", "many_urls.jsonl")


def read_russian() -> pa.Table:
    path = shared_path("coortweet", "russian_coord_tweets.csv.gz")
    types = dict.fromkeys(("object_id", "account_id", "content_id"), pa.string())
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))


def russian_posts(table: pa.Table) -> pa.Table:
    """The CooRTweet table as reposts: content_id reposts object_id at timestamp_share."""
    n = table.num_rows
    micros = pc.cast(pc.multiply(table["timestamp_share"], 1_000_000), pa.int64())
    columns = {f.name: pa.nulls(n, f.type) for f in POST_SCHEMA}
    columns.update(
        platform=pa.array(["x"] * n),
        post_id=table["content_id"],
        author_id=table["account_id"],
        created_at=micros.cast(pa.timestamp("us", tz="UTC")),
        kind=pa.array(["repost"] * n),
        ref_post_id=table["object_id"],
        collected=pa.array([True] * n),
    )
    return pa.table([columns[f.name] for f in POST_SCHEMA], schema=POST_SCHEMA)


@pytest.fixture(scope="module")
def russian():
    table = read_russian()
    with Store(":memory:") as store:
        store.write_batch(russian_posts(table))
        yield store, table


def unordered(result) -> set[tuple[str, str]]:
    return set(zip(result.edges["account_a"], result.edges["account_b"], strict=True))


@pytest.mark.parametrize(("window", "accounts", "pairs"), [(10, 1525, 1092), (60, 3954, 6206)])
def test_co_retweet_reference_graph(russian, window, accounts, pairs):
    store, _ = russian
    result = coordinate(store, "co-retweet", window=window, max_key_fanout=None, record=False)
    assert (len(result.accounts), len(result.edges)) == (accounts, pairs)


def qut_pairs(db_path, method: str, window: float) -> set[tuple[str, str]]:
    """Run the QUT toolkit's network computation and return its unordered distinct pairs."""
    from coordination_network_toolkit import compute_networks

    function, table = QUT_TABLES[method]
    getattr(compute_networks, function)(str(db_path), time_window=window, n_threads=1)
    with sqlite3.connect(db_path) as db:
        rows = db.execute(f"SELECT user_1, user_2 FROM {table}").fetchall()
    return {tuple(sorted((str(a), str(b)))) for a, b in rows if a != b}


@pytest.fixture(scope="module")
def russian_qut_db(tmp_path_factory, russian):
    """The QUT-CSV form of russian_coord_tweets, preprocessed by the toolkit."""
    from coordination_network_toolkit.preprocess import preprocess_csv_files

    _, table = russian
    folder = tmp_path_factory.mktemp("qut")
    with open(folder / "messages.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "message_id",
                "user_id",
                "username",
                "repost_id",
                "reply_id",
                "message",
                "timestamp",
                "urls",
            ]
        )
        for row in table.to_pylist():
            out.writerow(
                [
                    row["content_id"],
                    row["account_id"],
                    row["account_id"],
                    row["object_id"],
                    "",
                    "",
                    row["timestamp_share"],
                    "",
                ]
            )
    db = folder / "qut.db"
    preprocess_csv_files(str(db), [str(folder / "messages.csv")])
    return db


@pytest.mark.slow
@pytest.mark.parametrize("window", WINDOWS)
def test_co_retweet_equals_qut_on_russian_coord_tweets(russian, russian_qut_db, window):
    store, _ = russian
    ours = coordinate(store, "co-retweet", window=window, max_key_fanout=None, record=False)
    assert unordered(ours) == qut_pairs(russian_qut_db, "co-retweet", window)


@pytest.fixture(scope="module")
def twarc(tmp_path_factory):
    """The twarc2 X v2 files, in our store and in a QUT database."""
    pytest.importorskip("trendwatch.formats.x_v2", reason="the X v2 reader is not written yet")
    from coordination_network_toolkit.preprocess import preprocess_twitter_json_files

    from trendwatch.ingest import ingest

    paths = [shared_path("twitter-v2-twarc", name) for name in TWARC_FILES]
    folder = tmp_path_factory.mktemp("twarc")
    preprocess_twitter_json_files(str(folder / "qut.db"), [str(p) for p in paths])
    ingest(paths, folder / "tw.duckdb")
    with Store(folder / "tw.duckdb") as store:
        yield store, folder / "qut.db"


# QUT's key for co-tweet is its own normalisation (URLs kept): our QUT-compatible text mode.
# Its times come from tweet ids (millisecond precision): our `snowflake` time source.
QUT_MODES = {"co-tweet": {"text_mode": "qut"}}


@pytest.mark.slow
@pytest.mark.parametrize("method", list(QUT_TABLES))
@pytest.mark.parametrize("window", WINDOWS)
def test_methods_equal_qut_on_twarc_v2_files(twarc, method, window):
    store, qut_db = twarc
    ours = coordinate(
        store,
        method,
        window=window,
        max_key_fanout=None,
        record=False,
        time_source="snowflake",
        **QUT_MODES.get(method, {}),
    )
    assert unordered(ours) == qut_pairs(qut_db, method, window)


def test_russian_rows_are_all_stored(russian):
    store, table = russian
    # 40 rows repeat a content_id: the store keeps one per post id, as QUT ("insert or ignore").
    distinct = len(set(table["content_id"].to_pylist()))
    assert store.posts().count().execute() == distinct
