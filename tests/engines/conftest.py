"""The Spark session of the engine tests: one per test session, on local[2], small settings."""

from __future__ import annotations

import shutil

import pytest

from trendwatch.engines import export_lake


@pytest.fixture(scope="session")
def spark():
    """A local[2] Spark session (skips when PySpark or Java is absent)."""
    pytest.importorskip("pyspark", reason="the Spark tests need the spark extra")
    if shutil.which("java") is None:
        pytest.skip("the Spark tests need Java (17) on the PATH")
    from trendwatch.engines.spark import TEST_SPARK_CONF, spark_session

    session = spark_session("local[2]", conf=TEST_SPARK_CONF)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def lake_store(store, folder, spark):
    """Export ``store`` to a lake in ``folder`` and open it on ``spark``."""
    from trendwatch.engines import SparkStore

    export_lake(store, folder)
    return SparkStore(folder, session=spark)


@pytest.fixture(scope="session")
def hand_case(spark, tmp_path_factory):
    """``(DuckDB store read-only, its lake on Spark, folder)`` of the hand-made case
    (:mod:`tests.engines.cases`), exported once for every Spark test module."""
    from tests.engines import cases
    from trendwatch.store import Store

    folder = tmp_path_factory.mktemp("case")
    with Store(folder / "case.duckdb") as store:
        cases.fill(store)
    with Store(folder / "case.duckdb", read_only=True) as store:
        yield store, lake_store(store, folder / "lake", spark), folder


@pytest.fixture(scope="session")
def case_engines(hand_case):
    """The hand-made case's DuckDB store and its lake's SparkStore, for tests that only read
    them (nothing is recorded)."""
    store, lake, _folder = hand_case
    yield store, lake
