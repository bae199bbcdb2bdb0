"""Where the relational steps run: DuckDB (the store, the default) or Spark over a lake.

:func:`export_lake` writes a store as a Parquet lake (:mod:`.lake`); :class:`SparkStore`
reads one through Spark, and the analyses take it where they take a
:class:`~trendwatch.store.Store` (:mod:`.spark`). PySpark is imported only when a Spark
session is made.
"""

from __future__ import annotations

from .lake import LAKE_VERSION, LakeManifest, export_lake, read_manifest
from .spark import ENGINES, SparkStore, open_engine_store, spark_session

__all__ = [
    "ENGINES",
    "LAKE_VERSION",
    "LakeManifest",
    "export_lake",
    "read_manifest",
    "SparkStore",
    "open_engine_store",
    "spark_session",
]
