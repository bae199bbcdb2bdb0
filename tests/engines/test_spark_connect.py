"""Spark Connect: with ``SPARK_REMOTE=sc://host:port`` the CLI is a Spark Connect client, and
its answers are the DuckDB engine's.

The test starts a Spark Connect server from the PySpark package (``spark-submit --class
...SparkConnectServer``, on ``local[1]``, its own JVM, nothing downloaded) and runs the CLI in
a child process: a Python process that already holds a classic Spark session (the other
engine tests') cannot become a Connect client, and a child process is what a user runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.engines import cases
from trendwatch.cli import cli
from trendwatch.engines import export_lake
from trendwatch.store import Store

pytestmark = pytest.mark.spark

_START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_url(spark, tmp_path_factory):
    """A local Spark Connect server for this module; its URL (``sc://127.0.0.1:PORT``)."""
    pytest.importorskip("grpc", reason="the Spark Connect client needs grpcio (spark extra)")
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    command = [
        str(submit), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", "local[1]", "--driver-memory", "512m",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2",
    ]  # fmt: skip
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(server, port, log)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_for(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _listening(port):
        if server.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            pytest.fail(f"the Spark Connect server did not start:\n{tail}")
        time.sleep(1)


@pytest.fixture(scope="module")
def case_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("connect_case")
    with Store(folder / "case.duckdb") as store:
        cases.fill(store)
        export_lake(store, folder / "lake")
    return folder


def _through_connect(url: str, lake: Path, *args: str) -> dict:
    env = {**os.environ, "SPARK_REMOTE": url, "TRENDWATCH_TZ": ""}
    done = subprocess.run(
        [sys.executable, "-m", "trendwatch", *args, "--engine", "spark", "--lake", str(lake)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_a_campaign_through_spark_connect(connect_url, case_db):
    args = ["campaign", "push", "--json"]
    on_duck = CliRunner(env={"TRENDWATCH_TZ": ""}).invoke(
        cli, [*args, "--db", str(case_db / "case.duckdb")]
    )
    through_connect = _through_connect(connect_url, case_db / "lake", *args)
    assert through_connect == json.loads(on_duck.stdout)
    # By hand: 15 ring reposts + 8 copies + 6 chatter posts carry #push.
    assert through_connect["posts"] == 29
