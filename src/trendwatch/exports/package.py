"""Data packages: a scope of the store in files another team can check and re-analyse.

``trendwatch export --package DIR`` writes into a new folder:

- one Parquet file per table (:mod:`.package_scope` says which rows): ``posts``,
  ``accounts``, ``runs``, ``run_inputs`` and the result tables (``coordination_edges``,
  ``coordination_evidence``, ``group_members``, ``group_edges``, ``group_scores``...);
- ``manifest.json``: the package format and version, the store's schema version, the
  trendwatch version, the scope, the input fingerprints (the store's, each run's), each
  file's SHA-256, size and rows, and, for a pseudonymised package, the key's fingerprint,
  the text mode and the time unit (:class:`~.package_privacy.Privacy`), never the key.

Parquet, because the tables have types CSV cannot hold (lists of hashtags, mentions and URLs,
times with their zone, booleans, nulls), because pandas, R (arrow), DuckDB and Spark read it
without a parser to write, and because it is compressed (zstd) column by column. The
``--ids-only`` form holds only ``post_ids_<platform>.txt`` (one id per line) and the manifest:
what platforms' terms let one share, to be rehydrated.

``trendwatch ingest DIR`` reads a package back (:mod:`.package_import`), after checking
every file against its checksum.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ParameterError
from ..formats.package import MANIFEST, PACKAGE_FORMAT
from ..store import SCHEMA_VERSION
from .files import replacing
from .package_privacy import Privacy, pseudonymise_tables
from .package_scope import PackageScope, select_tables

__all__ = ["Package", "PACKAGE_VERSION", "write_package", "sha256_of"]

PACKAGE_VERSION = 1
"""The package layout's version; :mod:`.package_import` reads this version."""
COMPRESSION = "zstd"

_PLATFORM_NAME = re.compile(r"[a-z0-9_-]{1,32}")
_NOT_INCLUDED = [
    "quarantine: raw input records are not shared (they hold everything the posts hid)",
    "profiles of accounts the posts only point at (reposted, quoted, replied to, mentioned)",
]


@dataclass(frozen=True)
class Package:
    """A package on disk: its folder and its manifest (as written or as read)."""

    path: Path
    manifest: dict = field(repr=False)

    @property
    def rows(self) -> dict[str, int]:
        """File name -> rows (lines for an ids file)."""
        return {name: entry["rows"] for name, entry in self.manifest["files"].items()}


def write_package(
    store,
    out,
    scope: PackageScope | None = None,
    *,
    privacy: Privacy | None = None,
    ids_only: bool = False,
    compression: str | None = COMPRESSION,
) -> Package:
    """Write the package of ``scope`` into the new (or empty) folder ``out``.

    Parameters
    ----------
    store : Store
    out : path
        A folder that does not exist or is empty.
    scope : PackageScope, optional
        Default: the whole store.
    privacy : Privacy, optional
        Pseudonymise (:mod:`.package_privacy`).
    ids_only : bool
        Write only the collected posts' ids per platform and the manifest.
    compression : str or None
        Parquet compression (``None`` writes the pages as they are).

    Examples
    --------
    >>> import tempfile
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow([Post("x", "1", "a")]))
    >>> package = write_package(store, Path(tempfile.mkdtemp()) / "pkg")
    >>> package.rows["posts.parquet"], package.manifest["schema_version"] == SCHEMA_VERSION
    (1, True)
    """
    from .. import __version__

    scope = scope or PackageScope()
    if ids_only and privacy is not None:
        raise ParameterError(
            "--ids-only writes the real post ids (to be rehydrated): it cannot be pseudonymised"
        )
    folder = _new_folder(out)
    tables = select_tables(store, scope)
    if ids_only:
        files, left_out = _write_ids(tables["posts"], folder), _unwritable_ids(tables["posts"])
    else:
        if privacy is not None:
            tables = pseudonymise_tables(tables, privacy)
        files, left_out = _write_tables(tables, folder, compression), 0
    manifest = {
        "format": PACKAGE_FORMAT,
        "package_version": PACKAGE_VERSION,
        "contents": "ids" if ids_only else "tables",
        "schema_version": SCHEMA_VERSION,
        "trendwatch_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "scope": scope.to_dict(),
        "input_fingerprints": _fingerprints(store, tables["runs"]),
        "pseudonymised": privacy.describe() if privacy is not None else None,
        "files": files,
        "not_included": _NOT_INCLUDED,
    }
    if ids_only:
        manifest["ids_left_out"] = left_out
    _write_manifest(manifest, folder)
    return Package(folder, manifest)


def _new_folder(out) -> Path:
    folder = Path(out)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ParameterError(f"{folder} exists and is not an empty folder: choose a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_tables(tables: dict[str, pa.Table], folder: Path, compression) -> dict:
    files = {}
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        with replacing(path) as part:
            pq.write_table(table, part, compression=compression or "none")
        files[path.name] = _entry(path, table.num_rows)
    return files


def _write_ids(posts: pa.Table, folder: Path) -> dict:
    """``post_ids_<platform>.txt`` per platform: the collected posts' ids, one per line."""
    collected = posts.filter(posts["collected"]).to_pandas()
    files = {}
    for platform, rows in collected.groupby("platform", sort=True):
        if not _PLATFORM_NAME.fullmatch(str(platform)):
            raise ParameterError(
                f"platform {platform!r} cannot name a file: ingest with a plain --platform name"
            )
        ids = sorted(i for i in rows["post_id"] if _one_line(i))
        path = folder / f"post_ids_{platform}.txt"
        with replacing(path) as part:
            part.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        files[path.name] = _entry(path, len(ids))
    return files


def _one_line(post_id: str) -> bool:
    return bool(post_id) and not any(c in post_id for c in "\r\n\x85\u2028\u2029")


def _unwritable_ids(posts: pa.Table) -> int:
    """Collected post ids that a line cannot hold (a line break in the id): left out."""
    ids = posts.filter(posts["collected"])["post_id"].to_pylist()
    return sum(not _one_line(i) for i in ids)


def _entry(path: Path, rows: int) -> dict:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size, "rows": rows}


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprints(store, runs: pa.Table) -> dict:
    by_run = dict(zip(runs["run_id"].to_pylist(), runs["fingerprint"].to_pylist(), strict=True))
    # On a cursor: Store.fingerprint leaves its result open (fetchone), which DuckDB 2.0
    # reports as an unfinished result at the connection's next Arrow query.
    cursor = store.cursor()
    try:
        return {"store": cursor.fingerprint(), "runs": by_run}
    finally:
        cursor.close()


def _write_manifest(manifest: dict, folder: Path) -> None:
    with replacing(folder / MANIFEST) as part:
        part.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2, default=str) + b"\n")
