"""The Spark engine: a store object over a lake, so the Ibis analyses run on Spark unchanged.

:class:`SparkStore` has the read side of :class:`~trendwatch.store.Store` that the analyses
use (``posts()``, ``accounts()``, ``quarantine()``, ``fingerprint()``), each an Ibis table
over Ibis's PySpark backend. Trends, campaign and compare are Ibis expressions: they run on
it as they are. The coordination engine's link, which DuckDB runs as a NumPy walk over coded
actions, runs here as the same relational steps in Spark SQL (:mod:`.spark_link`).

The session is local (``master``, default ``local[*]``) or Spark Connect when ``SPARK_REMOTE``
is set (``sc://host:15002``). PySpark is an optional extra: ``pip install trendwatch[spark]``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ibis

from ..errors import ParameterError, StoreError
from .lake import LakeManifest, read_manifest

__all__ = [
    "ENGINES",
    "SparkStore",
    "spark_session",
    "local_defaults",
    "open_engine_store",
    "TEST_SPARK_CONF",
]

ENGINES = ("duckdb", "spark")
"""The engines ``--engine`` takes; the first is the default."""

DEFAULT_MASTER = "local[*]"

TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""The settings of the tests' and the benchmark's local sessions: few partitions, no UI."""

_BASE_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Partition values are strings ("2016-12-01", "x"): never guessed into dates or numbers.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def _pyspark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError(
            "the Spark engine needs PySpark: pip install 'trendwatch[spark]'"
        ) from None
    return SparkSession


def spark_session(master: str | None = None, *, conf: dict | None = None):
    """A Spark session: Spark Connect at ``$SPARK_REMOTE`` when set, else ``master``.

    Parameters
    ----------
    master : str, optional
        ``local[*]`` (default), ``local[2]``, ``spark://host:7077``, ``yarn``...
    conf : dict, optional
        More Spark settings (e.g. :data:`TEST_SPARK_CONF`); they win over the defaults.
    """
    builder = _pyspark().builder.appName("trendwatch")
    remote = os.environ.get("SPARK_REMOTE")
    master = master or DEFAULT_MASTER
    builder = builder.remote(remote) if remote else builder.master(master)
    defaults = {} if remote else local_defaults(master)
    for key, value in {**_BASE_CONF, **defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def local_defaults(master: str) -> dict[str, str]:
    """Partition counts for a ``local[N]`` master: two per core, not Spark's 200.

    Spark's default of 200 shuffle partitions suits a cluster; on one machine every stage
    becomes 200 tiny tasks. Measured: co-retweet over 1 M reposts on ``local[2]`` took 296
    CPU-seconds of the JVM with 200 partitions, 99 with 8. Other masters keep Spark's
    defaults (a cluster's are set with ``spark-submit --conf``).

    >>> local_defaults("local[4]")["spark.sql.shuffle.partitions"]
    '8'
    >>> local_defaults("local")["spark.default.parallelism"]
    '2'
    >>> local_defaults("yarn")
    {}
    """
    cores = _local_cores(master)
    if cores is None:
        return {}
    partitions = str(2 * cores)
    return {"spark.sql.shuffle.partitions": partitions, "spark.default.parallelism": partitions}


def _local_cores(master: str) -> int | None:
    # "local" is one core, "local[N]" or "local[N, retries]" N, "local[*]" every core.
    match = re.fullmatch(r"local(?:\[(\*|\d+)(?:\s*,\s*\d+)?\])?", master.strip())
    if match is None:
        return None
    cores = match.group(1)
    if cores is None:
        return 1
    if cores == "*":
        return os.cpu_count() or 1
    return max(1, int(cores))


class SparkStore:
    """The lake at ``lake`` read through Spark, as the analyses read a :class:`Store`.

    Parameters
    ----------
    lake : path
        A lake (:func:`~trendwatch.engines.lake.export_lake`).
    session : SparkSession, optional
        The session to run on (default: :func:`spark_session` with ``master``).
    master : str, optional
        Used when no session is given.

    Results are written back under ``lake/results`` (:meth:`save_result`), never into a
    DuckDB store.
    """

    engine = "spark"
    read_only = True

    def __init__(self, lake, *, session=None, master: str | None = None):
        self.lake = Path(lake)
        self.manifest: LakeManifest = read_manifest(self.lake)
        self.session = session if session is not None else spark_session(master)
        self.ibis = ibis.pyspark.connect(self.session)
        self._tables: dict[str, ibis.Table] = {}

    def _table(self, name: str) -> ibis.Table:
        # Read on first use: a lake without quarantine rows has no files to read there.
        if name not in self._tables:
            self._tables[name] = self._read(name)
        return self._tables[name]

    def _read(self, name: str) -> ibis.Table:
        folder = self.lake / name
        if not any(folder.rglob("*.parquet")):
            raise StoreError(f"the lake at {self.lake} has no Parquet files under {name}/")
        view = f"tw_{name}_{abs(hash((str(self.lake.resolve()), name))):x}"
        frame = self.session.read.parquet(str(folder))
        frame.createOrReplaceTempView(view)
        return _utc_times(self.ibis.table(view))

    def close(self) -> None:
        """Nothing to release: the session belongs to its creator."""

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def posts(self, *, include_context: bool = False, text_keys: str | None = None) -> ibis.Table:
        """The posts (collected only unless ``include_context``); text keys come with the lake."""
        table = self._table("posts").drop("day")
        return table if include_context else table.filter(table.collected)

    def accounts(self) -> ibis.Table:
        return self._table("accounts").drop("day")

    def quarantine(self) -> ibis.Table:
        return self._table("quarantine").drop("day")

    def fingerprint(self) -> str:
        """The source's fingerprint, as the manifest gives it."""
        return self.manifest.fingerprint

    def post_texts(self, post_ids, chars: int) -> dict[str, str]:
        """Post id -> the first ``chars`` characters of its text, as
        :meth:`trendwatch.store.Store.post_texts` gives them (context posts included)."""
        ids = sorted({str(p) for p in post_ids})
        if not ids:
            return {}
        posts = self._table("posts")
        found = posts.filter(posts.post_id.isin(ids)).select("post_id", "text").to_pandas()
        found = found.sort_values(["post_id", "text"], na_position="last")
        found = found.drop_duplicates("post_id")
        return {p: (t or "")[:chars] for p, t in zip(found["post_id"], found["text"], strict=True)}

    def sql_rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """The rows of one Spark SQL query (``?`` markers take ``params``), as tuples."""
        return [tuple(row) for row in self.session.sql(sql, args=params or None).collect()]

    def compile(self, table: ibis.Table) -> str:
        """An Ibis expression over this store as Spark SQL text (to nest in a statement)."""
        return self.ibis.compile(table)

    def dataframe(self, table: ibis.Table):
        """The Spark DataFrame of an Ibis expression over this store."""
        return self.ibis.raw_sql(self.ibis.compile(table))

    def save_result(self, result):
        """Write a coordination result under ``lake/results`` and return it with its run id."""
        from .lake_results import save_coordination

        return save_coordination(self, result)


def _utc_times(table: ibis.Table) -> ibis.Table:
    # Spark's timestamps are UTC instants shown in the session's zone (UTC); typed as such,
    # they reach pandas as aware UTC times, as they do from the DuckDB store.
    naive = [
        name for name, kind in table.schema().items() if kind.is_timestamp() and not kind.timezone
    ]
    return table.mutate(**{name: table[name].cast("timestamp('UTC')") for name in naive})


def open_engine_store(engine: str, *, db=None, lake=None, master: str | None = None):
    """The store an analysis command reads: the DuckDB store, or a :class:`SparkStore`.

    >>> open_engine_store("sqlite")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ParameterError: unknown engine 'sqlite': choose duckdb or spark
    """
    if engine not in ENGINES:
        raise ParameterError(f"unknown engine {engine!r}: choose {' or '.join(ENGINES)}")
    if engine == "duckdb":
        if lake is not None:
            raise ParameterError("--lake is read by the Spark engine: add --engine spark")
        from ..store import open_store

        return open_store(db, read_only=True)
    if lake is None:
        raise ParameterError(
            "--engine spark reads a lake: add --lake DIR (see `trendwatch export --lake`)"
        )
    return SparkStore(lake, master=master)
