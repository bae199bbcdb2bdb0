"""Read a data package back into a store: checksums first, then posts, accounts and runs.

Every file the manifest lists is checked against its SHA-256 before anything is written: a
package with a changed, missing or cut file is refused whole. Posts and accounts are written
as any ingest writes them (a post already stored is a duplicate); each run is added with its
rows in every result table unless a run of that id is stored already (ingesting a package
twice adds nothing). The runs' parameters are those they were computed with, so running them
again on the package's posts (:func:`rerun_groups`) gives their edges and groups again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..analysis.coordination.group_runs import create_tables as create_group_tables
from ..analysis.coordination.group_runs import load_groups_run
from ..analysis.coordination.results import create_tables as create_result_tables
from ..errors import InputError
from ..formats.package import MANIFEST, PACKAGE_FORMAT
from ..model import ACCOUNT_SCHEMA, POST_SCHEMA
from ..runs import RUN_INPUTS, create_run_inputs, find_run, has_table, transaction
from .package import PACKAGE_VERSION, Package, sha256_of

__all__ = [
    "read_manifest", "verify_package", "import_package", "ImportCounts", "rerun_groups",
    "reproduce_groups", "Reproduction",
]  # fmt: skip

BATCH_ROWS = 130_000
"""Posts written per transaction, as :data:`trendwatch.ingest.BATCH_RECORDS`."""
_CORE = {"posts.parquet", "accounts.parquet", "runs.parquet"}


def read_manifest(folder: str | Path) -> dict:
    """The package's manifest; :class:`~trendwatch.errors.InputError` when it is not one
    this trendwatch reads."""
    path = Path(folder) / MANIFEST
    try:
        manifest = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable package manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise InputError(f"{path}: not a trendwatch package manifest")
    if manifest.get("package_version") != PACKAGE_VERSION:
        raise InputError(
            f"{path}: package version {manifest.get('package_version')!r}; this trendwatch "
            f"reads version {PACKAGE_VERSION}"
        )
    return manifest


def verify_package(folder: str | Path) -> Package:
    """Check every listed file's SHA-256; return the package, or raise
    :class:`~trendwatch.errors.InputError` naming each file that differs or is missing."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = []
    for name, entry in sorted(manifest.get("files", {}).items()):
        path = folder / name
        if Path(name).name != name:  # a manifest naming files outside its folder
            problems.append(f"{name!r} is not a file name")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_of(path) != entry.get("sha256"):
            problems.append(f"{name} does not match its checksum (changed or damaged)")
    if manifest.get("contents") == "tables" and not set(manifest.get("files", {})) >= _CORE:
        problems.append(f"the manifest lists none of {', '.join(sorted(_CORE))}")
    if problems:
        raise InputError(f"{folder}: package refused, nothing read: " + "; ".join(problems))
    return Package(folder, manifest)


class ImportCounts:
    """What an import added: posts (collected) read, added, duplicates; runs added, runs
    already stored."""

    def __init__(self) -> None:
        self.read = self.added = self.duplicates = 0
        self.runs_added = self.runs_known = 0


def import_package(store, folder: str | Path) -> ImportCounts:
    """Verify the package in ``folder`` and write its tables into ``store``.

    An ``--ids-only`` package holds no posts to read: it is refused with a message saying
    to rehydrate its ids first.

    Examples
    --------
    >>> import tempfile
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> from trendwatch.exports.package import write_package
    >>> source = Store(":memory:")
    >>> _ = source.write_batch(posts_to_arrow([Post("x", "1", "a")]))
    >>> package = write_package(source, Path(tempfile.mkdtemp()) / "pkg")
    >>> counts = import_package(Store(":memory:"), package.path)
    >>> counts.read, counts.added
    (1, 1)
    """
    package = verify_package(folder)
    if package.manifest.get("contents") != "tables":
        raise InputError(
            f"{package.path}: an --ids-only package holds post ids only; rehydrate them with "
            "the platform's tools and ingest what they return"
        )
    counts = ImportCounts()
    _import_posts(store, package.path / "posts.parquet", counts)
    accounts = pq.read_table(package.path / "accounts.parquet")
    store.write_batch(accounts=accounts.select(ACCOUNT_SCHEMA.names).cast(ACCOUNT_SCHEMA))
    _import_runs(store, package, counts)
    return counts


def _import_posts(store, path: Path, counts: ImportCounts) -> None:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        table = _with_post_schema(pa.Table.from_batches([batch]))
        written = store.write_batch(table)
        counts.read += pa.compute.sum(table["collected"]).as_py() or 0
        counts.added += written.added
        counts.duplicates += written.duplicates


def _with_post_schema(table: pa.Table) -> pa.Table:
    """``table`` in :data:`POST_SCHEMA`; a column a package of an older schema lacks
    (``post_url`` before version 3) is null."""
    for field in POST_SCHEMA:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return table.select(POST_SCHEMA.names).cast(POST_SCHEMA)


def _import_runs(store, package: Package, counts: ImportCounts) -> None:
    runs = pq.read_table(package.path / "runs.parquet")
    new = [r for r in runs["run_id"].to_pylist() if find_run(store, r) is None]
    counts.runs_known, counts.runs_added = runs.num_rows - len(new), len(new)
    if not new:
        return
    tables = [name.removesuffix(".parquet") for name in package.manifest["files"]]
    with transaction(store):
        for table in ["runs", *sorted(t for t in tables if t not in ("posts", "accounts", "runs"))]:
            _create(store, table, package.path / f"{table}.parquet")
            _insert_new(store, table, package.path / f"{table}.parquet", new)


def _create(store, table: str, path: Path) -> None:
    """The table in the store: its own DDL when trendwatch knows it, else the file's columns."""
    if table.startswith("coordination_"):
        create_result_tables(store)
    elif table.startswith("group_"):
        create_group_tables(store)
    elif table == RUN_INPUTS:
        create_run_inputs(store)
    if not has_table(store, table):
        store.con.execute(
            f'CREATE TABLE "{_identifier(table)}" AS SELECT * FROM read_parquet(?) LIMIT 0',
            [str(path)],
        )


def _insert_new(store, table: str, path: Path, run_ids: list[str]) -> None:
    store.con.execute(
        f'INSERT INTO "{_identifier(table)}" BY NAME SELECT * FROM read_parquet(?) '
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
        [str(path), run_ids],
    )


def _identifier(name: str) -> str:
    """A table name from a manifest, checked: letters, digits and underscores only."""
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise InputError(f"package file {name!r}.parquet does not name a table")
    return name


def rerun_groups(store, run_id: str, *, record: bool = False):
    """The groups run ``run_id`` computed again on ``store`` with its stored parameters.

    For a package read back: its posts are the scope's, so the groups are the run's own
    (a test checks this on the demo campaign, pseudonymised or not).
    """
    from ..analysis.coordination.groups import groups

    run = find_run(store, run_id)
    if run is None or run.kind != "groups":
        raise InputError(f"{run_id} is not a groups run of this store: `trendwatch runs`")
    keys = ("hashtags", "since", "until", "platform", "window", "q", "min_events",
            "algorithm", "min_size", "resolution", "seed")  # fmt: skip
    params = {k: run.params[k] for k in keys if k in run.params}
    return groups(store, run.params.get("methods"), record=record, **params)


@dataclass(frozen=True)
class Reproduction:
    """A groups run computed again and compared with what the store holds for it.

    ``stored_sizes`` and ``rerun_sizes``: group sizes, largest first; ``same_members``: the
    same sets of accounts form the groups (group numbers aside); ``same_edges``: the same
    fused links with the same weights.
    """

    run_id: str
    stored_sizes: list
    rerun_sizes: list
    same_members: bool
    same_edges: bool

    @property
    def reproduced(self) -> bool:
        return self.same_members and self.same_edges


def reproduce_groups(store, run_id: str) -> Reproduction:
    """Compute the groups run ``run_id`` again (:func:`rerun_groups`, nothing recorded) and
    compare its groups and links with the stored ones.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.analysis.coordination.groups import groups
    >>> store = Store(":memory:")
    >>> reproduce_groups(store, groups(store).run_id).reproduced
    True
    """
    stored = load_groups_run(store, run_id)
    again = rerun_groups(store, run_id)
    return Reproduction(
        run_id,
        _sizes(stored.members),
        _sizes(again.members),
        _member_sets(stored.members) == _member_sets(again.members),
        _links(stored.edges) == _links(again.edges),
    )


def _sizes(members) -> list[int]:
    return sorted(members.groupby("group_id").size().tolist(), reverse=True) if len(members) else []


def _member_sets(members) -> list[frozenset]:
    if members.empty:
        return []
    return sorted(frozenset(map(str, g["account_id"])) for _, g in members.groupby("group_id"))


def _links(edges) -> list[tuple]:
    if edges.empty:
        return []
    return sorted(
        (str(a), str(b), int(w)) for a, b, w in edges[["account_a", "account_b", "weight"]].values
    )
