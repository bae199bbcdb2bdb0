"""The Spark session's settings: local masters get partitions scaled to their cores."""

from __future__ import annotations

import pytest

from trendwatch.engines import spark as spark_module
from trendwatch.engines.spark import local_defaults


@pytest.mark.parametrize(
    ("master", "partitions"),
    [
        ("local", "2"),
        ("local[1]", "2"),
        ("local[2]", "4"),
        ("local[16]", "32"),
        ("local[3, 4]", "6"),
    ],
)
def test_local_masters_get_two_partitions_per_core(master, partitions):
    assert local_defaults(master) == {
        "spark.sql.shuffle.partitions": partitions,
        "spark.default.parallelism": partitions,
    }


def test_local_star_counts_this_machines_cores(monkeypatch):
    monkeypatch.setattr(spark_module.os, "cpu_count", lambda: 6)
    assert local_defaults("local[*]")["spark.sql.shuffle.partitions"] == "12"


@pytest.mark.parametrize("master", ["yarn", "spark://host:7077", "k8s://https://h:443", "local[x]"])
def test_cluster_masters_keep_sparks_defaults(master):
    assert local_defaults(master) == {}


class _Builder:
    """Records what spark_session asks of PySpark's builder, without a JVM."""

    def __init__(self):
        self.settings, self.master_url, self.remote_url = {}, None, None

    @property
    def builder(self):
        return self

    def appName(self, name):  # noqa: N802 (PySpark's spelling)
        return self

    def master(self, value):
        self.master_url = value
        return self

    def remote(self, value):
        self.remote_url = value
        return self

    def config(self, key, value):
        self.settings[key] = value
        return self

    def getOrCreate(self):  # noqa: N802
        return self


@pytest.fixture
def builder(monkeypatch):
    fake = _Builder()
    monkeypatch.setattr(spark_module, "_pyspark", lambda: fake)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    return fake


def test_session_on_local_master_sets_the_scaled_partitions(builder):
    spark_module.spark_session("local[2]")
    assert builder.master_url == "local[2]"
    assert builder.settings["spark.sql.shuffle.partitions"] == "4"
    assert builder.settings["spark.sql.session.timeZone"] == "UTC"


def test_callers_settings_win_over_the_local_defaults(builder):
    spark_module.spark_session("local[2]", conf={"spark.sql.shuffle.partitions": "64"})
    assert builder.settings["spark.sql.shuffle.partitions"] == "64"


def test_spark_connect_session_sets_no_partition_count(builder, monkeypatch):
    monkeypatch.setenv("SPARK_REMOTE", "sc://127.0.0.1:15002")
    spark_module.spark_session("local[2]")
    assert builder.remote_url == "sc://127.0.0.1:15002"
    assert "spark.sql.shuffle.partitions" not in builder.settings
