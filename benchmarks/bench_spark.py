"""Time the Spark engine beside DuckDB on the same workloads, and project a cluster's size.

Workloads (data in ../shared/data):

* ``coretweet``: russian_coord_tweets replicated to ~10 M reposts (as bench_coordination.py
  builds it); co-retweet at 60 s, no hot-key bound.
* ``ira``: the IRA archive (2.46 M posts): co-tweet at 60 s, the hourly trending list, and
  (``--jobs groups``) ``groups``: every default method linked, tested and grouped.

For each workload the store is written, exported as a lake (timed), then each engine runs
the same job in its own child process (its peak memory is its own): DuckDB, then Spark on
``local[2]`` and ``local[1]`` (two executor cores, one). In local mode the executor is the
driver's JVM: ``spark.driver.memory`` (``--executor-memory``, default 4g) caps it, so a run
that finishes under 4g shows no executor needed more. Every Spark run checks its edges against
DuckDB's. Last, the projection: Spark's measured rows per second per core on ``local[1]``,
and the cores that would link one billion posts in ten minutes at that rate (linear scaling
assumed; the 1-to-2-core ratio printed beside it says how far that holds here).

Usage::

    python benchmarks/bench_spark.py coretweet [--copies 285]
    python benchmarks/bench_spark.py ira [--jobs link trending groups] [--cores 2 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

BILLION = 1_000_000_000
TEN_MINUTES_S = 600


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- child processes: one engine, one job ----------------------------------------------------


def run_job(store, spec: dict):
    from trendwatch.analysis.coordination import coordinate
    from trendwatch.analysis.trends import trending

    if spec["job"] == "trending":
        return trending(store, at=spec["at"], window="1h", top=None).table
    if spec["job"] == "groups":
        from trendwatch.analysis.coordination.groups import groups

        members = groups(store, record=False).members[["account_id", "group_id"]]
        # A group is named by its first member: engines may number groups differently.
        first = members.groupby("group_id")["account_id"].transform("min")
        members = members.assign(group=first).drop(columns="group_id")
        return members.sort_values("account_id").reset_index(drop=True)
    return coordinate(store, spec["method"], window=spec["window"], max_key_fanout=None,
                      record=False).edges  # fmt: skip


def child(spec: dict) -> dict:
    from trendwatch.engines import SparkStore, spark_session
    from trendwatch.engines.spark import TEST_SPARK_CONF
    from trendwatch.store import Store

    if spec["engine"] == "duckdb":
        store = Store(spec["db"], read_only=True)
        jvm_peak = None
    else:
        conf = {**TEST_SPARK_CONF, "spark.driver.memory": spec["memory"],
                "spark.sql.shuffle.partitions": str(spec["partitions"])}  # fmt: skip
        session = spark_session(f"local[{spec['cores']}]", conf=conf)
        session.sparkContext.setLogLevel("ERROR")
        store = SparkStore(spec["lake"], session=session)
    cpu_before, driver_before = _cpu_seconds(store), time.process_time()
    start = time.perf_counter()
    result = run_job(store, spec)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds(store) - cpu_before
    # The Python driver's own work (Spark's case: collecting, fusing, components, verdict).
    driver_cpu = time.process_time() - driver_before
    if spec["engine"] == "spark":
        jvm_peak = _jvm_peak_mb(session)
        session.stop()
    result.to_parquet(spec["out"])
    return {"seconds": seconds, "cpu_seconds": cpu, "driver_cpu_seconds": driver_cpu,
            "python_peak_mb": peak_mb(),
            "jvm_peak_mb": jvm_peak, "rows_out": len(result)}  # fmt: skip


def _cpu_seconds(store) -> float:
    # CPU time of the process doing the work (this one for DuckDB, the JVM for Spark): on a
    # shared machine the wall time depends on the neighbours, the CPU time much less, so the
    # projection uses it.
    pid = "self"
    if getattr(store, "engine", "duckdb") == "spark":
        pid = str(store.session.sparkContext._gateway.proc.pid)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _jvm_peak_mb(session) -> float:
    # The JVM heap's peak use over the run (its pools' peaks, summed).
    jvm = session.sparkContext._jvm
    pools = jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans()
    used = sum(p.getPeakUsage().getUsed() for p in pools if str(p.getType()) == "Heap memory")
    return used / 2**20


def in_child(spec: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- workloads ---------------------------------------------------------------------------------


def coretweet_store(db: Path, copies: int) -> int:
    import bench_coordination as bc

    from trendwatch.store import Store

    bc.COPIES = copies
    table = bc.replicated_russian()
    with Store(db) as store:
        store.write_batch(
            bc.as_posts(table["account_id"], table["object_id"], table["content_id"],
                        table["timestamp_share"])
        )  # fmt: skip
    return table.num_rows


def busiest_hour_end(db: Path) -> str:
    """The end of the hour with the most hashtag posts: the trending list's moment (after the
    archive's last post the list is empty, and two empty lists prove nothing)."""
    from trendwatch.store import Store

    with Store(db, read_only=True) as store:
        [(hour,)] = store.con.execute(
            "SELECT date_trunc('hour', created_at) + INTERVAL 1 HOUR AS h FROM posts "
            "WHERE collected AND len(hashtags) > 0 GROUP BY h ORDER BY count(*) DESC, h LIMIT 1"
        ).fetchall()
    return hour.isoformat()


def ira_store(db: Path) -> int:
    from trendwatch.ingest import ingest

    ingest([DATA / "ira-troll-tweets" / "ira_tweets.parquet"], db)
    from trendwatch.store import Store

    with Store(db) as store:
        store.posts(text_keys="originals").count().execute()  # the keys, once, as DuckDB does
        return store.posts().count().execute()


def export(db: Path, lake: Path) -> float:
    from trendwatch.engines import export_lake
    from trendwatch.store import Store

    start = time.perf_counter()
    with Store(db, read_only=True) as store:
        export_lake(store, lake)
    return time.perf_counter() - start


def compare_edges(a: Path, b: Path) -> bool:
    import pandas as pd

    left, right = pd.read_parquet(a), pd.read_parquet(b)
    if len(left) != len(right):
        return False
    keys = [c for c in ("account_a", "account_b", "hashtag", "account_id") if c in left]
    left = left.sort_values(keys).reset_index(drop=True)
    right = right.sort_values(keys).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False)
    except AssertionError:
        return False
    return True


def bench(name: str, rows: int, tmp: Path, job: dict, args) -> list[dict]:
    label = job.get("method", job["job"])
    db, lake = tmp / f"{name}.duckdb", tmp / f"{name}-lake"
    print(f"{name} {label}: {rows:,} posts")
    runs = []
    duck = {**job, "engine": "duckdb", "db": str(db), "out": str(tmp / "duckdb.parquet")}
    runs.append({"engine": "duckdb", **in_child(duck)})
    if not runs[0]["rows_out"]:
        raise SystemExit(f"{label}: DuckDB's result is empty, so no comparison would mean a thing")
    for cores in args.cores:
        spec = {**job, "engine": "spark", "lake": str(lake), "cores": cores,
                "memory": args.executor_memory, "partitions": args.partitions,
                "out": str(tmp / f"spark{cores}.parquet")}  # fmt: skip
        result = in_child(spec)
        result["same_as_duckdb"] = compare_edges(Path(duck["out"]), Path(spec["out"]))
        runs.append({"engine": f"spark local[{cores}]", **result})
    for run in runs:
        jvm = "" if run["jvm_peak_mb"] is None else f", JVM heap peak {run['jvm_peak_mb']:.0f} MB"
        same = "" if "same_as_duckdb" not in run else f", same as DuckDB: {run['same_as_duckdb']}"
        driver = ""
        if run["engine"] != "duckdb":  # DuckDB's CPU is the Python process's: already counted
            driver = f" + Python driver {run['driver_cpu_seconds']:.1f} s"
        print(f"  {run['engine']:<16} {run['seconds']:8.1f} s, "
              f"CPU {run['cpu_seconds']:7.1f} s{driver}  "
              f"({run['rows_out']:,} rows out; "
              f"driver Python peak {run['python_peak_mb']:.0f} MB{jvm}{same})")  # fmt: skip
    project(rows, runs, label)
    return runs


def project(rows: int, runs: list[dict], label: str) -> None:
    spark = {r["engine"]: r for r in runs if r["engine"].startswith("spark")}
    if "spark local[1]" not in spark:
        return
    one = spark["spark local[1]"]
    per_core = rows / one["seconds"]
    per_cpu_s = rows / one["cpu_seconds"]
    print(
        f"  Spark: {per_core:,.0f} rows/s on one core (wall), {per_cpu_s:,.0f} rows per "
        f"JVM CPU-second",
        end="",
    )
    if "spark local[2]" in spark:
        print(f"; 2 cores {one['seconds'] / spark['spark local[2]']['seconds']:.2f}x one", end="")
    print(f"; load average {os.getloadavg()[0]:.1f}")
    for basis, rate in (("wall", per_core), ("CPU", per_cpu_s)):
        cores = BILLION / (rate * TEN_MINUTES_S)
        print(f"  projection ({basis}): {cores:,.0f} cores run {label} over 10^9 posts in 10 min "
              "at that rate")  # fmt: skip
    if "driver_cpu_seconds" in one:
        # The driver's part (collecting the edges, fusing, components, verdict) runs on one
        # machine whatever the cluster: its time, scaled by the posts, must fit the 10 minutes.
        scaled = one["driver_cpu_seconds"] * BILLION / rows
        print(f"  the Python driver: {one['driver_cpu_seconds']:.1f} CPU-s here, "
              f"{scaled:,.0f} s at 10^9 posts if it grew with the posts")  # fmt: skip


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["coretweet", "ira"])
    parser.add_argument(
        "--jobs",
        nargs="+",
        default=["link", "trending"],
        choices=["link", "trending", "groups"],
        help="ira: which jobs (groups: every default method, tested, grouped)",
    )
    parser.add_argument("--copies", type=int, default=285, help="coretweet: copies (285: 10 M)")
    parser.add_argument("--cores", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--executor-memory", default="4g")
    parser.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT.parent) as folder:
        tmp = Path(folder)
        start = time.perf_counter()
        if args.workload == "coretweet":
            rows = coretweet_store(tmp / "coretweet.duckdb", args.copies)
            job = {"job": "coordinate", "method": "co-retweet", "window": 60}
        else:
            rows = ira_store(tmp / "ira.duckdb")
            job = {"job": "coordinate", "method": "co-tweet", "window": 60}
        print(f"store written in {time.perf_counter() - start:.1f} s")
        lake_s = export(tmp / f"{args.workload}.duckdb", tmp / f"{args.workload}-lake")
        print(f"lake export {lake_s:.1f} s")
        if args.workload == "coretweet" or "link" in args.jobs:
            bench(args.workload, rows, tmp, job, args)
        if args.workload == "ira":
            for name in ("trending", "groups"):
                if name in args.jobs:
                    job = {"job": name}
                    if name == "trending":
                        job["at"] = busiest_hour_end(tmp / "ira.duckdb")
                        print(f"trending list at {job['at']} (the busiest hour's end)")
                    bench("ira", rows, tmp, job, args)


if __name__ == "__main__":
    main()
