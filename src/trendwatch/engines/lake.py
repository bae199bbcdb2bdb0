"""The lake: a store's tables as a Parquet dataset that Spark (or any engine) reads.

Layout (Hive partitioning, one folder level per partition column)::

    DIR/_trendwatch_lake.json                      the manifest (see :class:`LakeManifest`)
    DIR/posts/platform=x/day=2016-12-01/*.parquet  every post, context posts included
    DIR/accounts/platform=x/day=2016-12-02/*.parquet   day: the observation's UTC day
    DIR/quarantine/day=2016-12-02/*.parquet        day: the ingest's UTC day
    DIR/results/...                                analysis results written back (engines.spark)

``day`` is the UTC calendar day (``YYYY-MM-DD``) of ``created_at`` for posts, of
``observed_at`` for accounts, of ``ingested_at`` for quarantine rows; a row without that time
is under ``day=unknown``. The partition columns are in the paths, not in the files (a table
without rows is one empty file, ``empty.parquet``, that has every column). The
files' columns are the store's (:data:`trendwatch.model.POST_SCHEMA` and the store's
``accounts`` and ``quarantine`` tables); times are UTC microseconds.

Posts carry their text key ``text_norm`` filled for every post an analysis reads it of
(:data:`trendwatch.store.TEXT_KEY_POSTS`), so no engine ever computes it again. A pipeline
that writes a lake itself may leave it null; the methods that read it (co-tweet, co-retweet of
reposts that name no post) then find nothing on those posts.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from ..errors import ParameterError, StoreError
from ..store import SCHEMA_VERSION, TEXT_KEY_POSTS, _keyed_view_sql

__all__ = [
    "LAKE_VERSION",
    "MANIFEST_NAME",
    "LAKE_TABLES",
    "LakeManifest",
    "export_lake",
    "read_manifest",
]

LAKE_VERSION = 1
"""The lake's own format version (the layout above); the manifest says which it follows."""
MANIFEST_NAME = "_trendwatch_lake.json"
"""The manifest's file name at the lake's root (a leading ``_``: Spark's readers skip it)."""
UNKNOWN_DAY = "unknown"
"""The ``day`` of a row without a time."""

LAKE_TABLES = {
    "posts": ("platform", "day"),
    "accounts": ("platform", "day"),
    "quarantine": ("day",),
}
"""Each table of the lake and its partition columns, in folder order."""

_DAY_OF = {"posts": "created_at", "accounts": "observed_at", "quarantine": "ingested_at"}
_ROWS_PER_FILE = 1_000_000
_MAX_PARTITIONS = 1_000_000
"""Folders one batch of rows may write into. pyarrow's default, 1,024, is too few for an
archive with a few posts a day over years (one of the IRA archive's batches spanned 1,107)."""


@dataclass(frozen=True)
class LakeManifest:
    """What a lake holds and where it came from (``DIR/_trendwatch_lake.json``).

    lake_version : the layout version (:data:`LAKE_VERSION`).
    schema_version : the store schema the tables follow (:data:`~trendwatch.store.SCHEMA_VERSION`).
    rows : rows per table (``posts`` counts context posts too).
    fingerprint : the source store's :meth:`~trendwatch.store.Store.fingerprint` (or any
        string a pipeline that writes the lake chooses): results written back name it.
    partitions : each table's partition columns.
    """

    lake_version: int
    schema_version: int
    rows: dict[str, int]
    fingerprint: str
    partitions: dict[str, list[str]] = field(
        default_factory=lambda: {t: list(c) for t, c in LAKE_TABLES.items()}
    )
    written_at: str = ""
    written_by: str = ""

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2)


def export_lake(store, directory: str | os.PathLike) -> LakeManifest:
    """Write the store's posts, accounts and quarantine as a lake at ``directory``.

    The lake is written beside ``directory`` under a hidden temporary name and renamed into
    place when whole: an interrupted export leaves nothing behind. ``directory`` must not
    exist yet, or be empty.

    Parameters
    ----------
    store : Store
        The source (read-only is enough: text keys are computed on the way, not stored).
    directory : path
        Where the lake goes.

    Returns
    -------
    LakeManifest
        Also written to ``directory/_trendwatch_lake.json``.

    Examples
    --------
    >>> import tempfile
    >>> from trendwatch.store import Store
    >>> lake = Path(tempfile.mkdtemp()) / "lake"
    >>> export_lake(Store(":memory:"), lake).rows
    {'posts': 0, 'accounts': 0, 'quarantine': 0}
    """
    target = _empty_target(Path(directory))
    part = target.with_name(f".{target.name[:64]}.{secrets.token_hex(6)}.part")
    try:
        rows = {name: _write_table(store, name, part / name) for name in LAKE_TABLES}
        manifest = _manifest(store, rows)
        (part / MANIFEST_NAME).write_bytes(manifest.to_json())
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(part, target)
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return manifest


def _empty_target(target: Path) -> Path:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ParameterError(
            f"cannot write a lake at {target}: it exists and is not an empty folder "
            "(choose a new folder, or remove the old lake first)"
        )
    if not target.parent.is_dir():
        raise ParameterError(f"cannot write a lake at {target}: {target.parent} is not a folder")
    return target


def _table_sql(store, name: str) -> str:
    """SQL over the store (our own names only): the table's rows and their partition values."""
    source = name
    if name == "posts":
        needed = " OR ".join(f"({condition})" for condition in TEXT_KEY_POSTS.values())
        source = f"({_keyed_view_sql(f'text_norm IS NULL AND ({needed})')})"
    day = f"coalesce(strftime(timezone('UTC', {_DAY_OF[name]}), '%Y-%m-%d'), '{UNKNOWN_DAY}')"
    # In partition order: each batch then touches a few folders, each folder gets whole files
    # (not a small file per batch), and files are in time order (Parquet's min/max per row
    # group then let a time-scoped query skip most of them).
    order = ", ".join([*LAKE_TABLES[name], _DAY_OF[name]])
    return f"SELECT *, {day} AS day FROM {source} ORDER BY {order}"


def _write_table(store, name: str, folder: Path) -> int:
    """Stream one table into Hive-partitioned Parquet files; returns its number of rows."""
    cursor = store.cursor().con  # (a store's cursor: an older store's posts read as version 3)
    try:
        reader = cursor.sql(_table_sql(store, name)).to_arrow_reader(100_000)
        partitioning = pds.partitioning(
            reader.schema.empty_table().select(list(LAKE_TABLES[name])).schema, flavor="hive"
        )
        pds.write_dataset(
            reader,
            folder,
            format="parquet",
            partitioning=partitioning,
            max_rows_per_file=_ROWS_PER_FILE,
            max_rows_per_group=100_000,
            max_partitions=_MAX_PARTITIONS,
            existing_data_behavior="error",
        )
        rows = _count(store, name)
        if not rows:  # one empty file keeps the table's columns readable (Spark needs them)
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(reader.schema.empty_table(), folder / "empty.parquet")
    finally:
        cursor.close()
    return rows


def _count(store, name: str) -> int:
    [(rows,)] = store.con.execute(f"SELECT count(*) FROM {name}").fetchall()
    return int(rows)


def _manifest(store, rows: dict[str, int]) -> LakeManifest:
    from .. import __version__

    return LakeManifest(
        lake_version=LAKE_VERSION,
        schema_version=SCHEMA_VERSION,
        rows=rows,
        fingerprint=store.fingerprint(),
        written_at=datetime.now(UTC).isoformat(timespec="seconds"),
        written_by=f"trendwatch {__version__}",
    )


def read_manifest(directory: str | os.PathLike) -> LakeManifest:
    """The manifest of the lake at ``directory``; a precise error when it is not a lake.

    Examples
    --------
    >>> read_manifest("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    StoreError: no lake at /nonexistent: ...
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise StoreError(
            f"no lake at {directory}: {MANIFEST_NAME} is missing "
            "(write one with `trendwatch export --lake DIR`)"
        )
    try:
        data = orjson.loads(path.read_bytes())
        manifest = LakeManifest(**data)
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise StoreError(f"{path} is not a trendwatch lake manifest: {exc}") from None
    if manifest.lake_version != LAKE_VERSION:
        raise StoreError(
            f"the lake at {directory} has lake version {manifest.lake_version}, this "
            f"trendwatch reads version {LAKE_VERSION}: export it again"
        )
    return manifest
