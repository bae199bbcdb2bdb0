"""The DuckDB store: schema and version, idempotent batch writes, quarantine, run provenance.

Tables (see DESIGN.md): ``posts`` (primary key ``(platform, post_id)``), ``accounts`` (primary
key ``(platform, account_id)``, latest observation wins), ``quarantine`` (one row per record
quarantined: the same record again is recognised, see :meth:`Store.write_batch`), ``runs``,
``meta`` (schema version), and the watcher's ``watch_cursors`` and ``watch_gaps``
(:mod:`trendwatch.watch.state`).

Every batch is written in one transaction, so a process killed mid-ingest leaves a consistent
store, and because every write is an upsert keyed on the primary key, running the same ingest
again completes the job without adding anything twice.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import ibis
import numpy as np
import orjson
import pyarrow as pa

from .connections import configured, registered
from .errors import ParameterError, SchemaVersionError, StoreError
from .model import ACCOUNT_SCHEMA, POST_SCHEMA
from .storekeys import KEY_HASH_SQL, MAX_FINGERPRINTS, KeyFingerprints, SortedHashes
from .storelock import (
    LOCK_WAIT_ENV,
    connect_waiting,
    is_lock_conflict,
    lock_holder,
    lock_wait_seconds,
)
from .text import re2_class_body

__all__ = [
    "Store",
    "open_store",
    "default_db_path",
    "BatchCounts",
    "QUARANTINE_SCHEMA",
    "SCHEMA_VERSION",
    "TEXT_KEY_POSTS",
]

SCHEMA_VERSION = 3
"""2: ``quarantine`` has no primary key (it was ``(source, record_no)``, under which a second
input read from the same path or from stdin lost its quarantined rows). 3: ``posts`` has
``post_url``, the post's address where the platform gives it (Mastodon). An older store is
upgraded when it is opened for writing (its posts keep a NULL ``post_url``: the address was
not kept when they were ingested), and read as it is when opened read-only (``post_url``
then reads as NULL, :meth:`Store.upgrade_pending` says so)."""
_OLDER_VERSIONS = ("1", "2")
DEFAULT_DB = "trendwatch.duckdb"

TEXT_KEY_POSTS = {
    "originals": "kind <> 'repost'",
    "unresolved reposts": "kind = 'repost' AND ref_post_id IS NULL",
}
"""The posts whose text key a method may read, by name (SQL over ``posts``): co-tweet and
co-similar read those of the posts that are not reposts, co-retweet those of the reposts that
name no reposted post (the IRA files'). A repost that names its post never needs one."""

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS posts (
    platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL, author_id VARCHAR,
    created_at TIMESTAMPTZ, kind VARCHAR NOT NULL, text VARCHAR USING COMPRESSION zstd,
    lang VARCHAR,
    ref_post_id VARCHAR, ref_author_id VARCHAR, ref_author_handle VARCHAR,
    reply_to_post_id VARCHAR, reply_to_author_id VARCHAR, conversation_id VARCHAR,
    hashtags VARCHAR[], hashtags_raw VARCHAR[], mentions VARCHAR[], urls VARCHAR[],
    author_handle VARCHAR, collected BOOLEAN NOT NULL, source VARCHAR,
    text_norm VARCHAR USING COMPRESSION zstd, ingested_at TIMESTAMPTZ, post_url VARCHAR
    -- post_url last: where ALTER TABLE puts it when a version 2 store is upgraded
    -- key (platform, post_id): unique by construction, see Store._stage_special
    -- text_norm: the co-tweet key, NULL until an analysis needs it (Store.posts(text_keys=))
    -- zstd for the two long texts: DuckDB's default string compression (dict_fsst) made
    -- writing the IRA archive ~1.5x slower for a larger file (107 vs 132 MB per 500 k rows).
);
CREATE TABLE IF NOT EXISTS accounts (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, handle VARCHAR, name VARCHAR,
    created_at TIMESTAMPTZ, followers BIGINT, following BIGINT, posts_count BIGINT,
    listed BIGINT, verified BOOLEAN, declared_bot BOOLEAN, description VARCHAR,
    observed_at TIMESTAMPTZ,
    PRIMARY KEY (platform, account_id)
);
CREATE TABLE IF NOT EXISTS quarantine (
    source VARCHAR NOT NULL, record_no BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ
    -- one row per record: Store._write_quarantine skips a row already stored
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, params JSON, version VARCHAR,
    fingerprint VARCHAR, created_at TIMESTAMPTZ, summary JSON
);
CREATE TABLE IF NOT EXISTS run_changes (
    run_id VARCHAR NOT NULL, changed_at TIMESTAMPTZ, reason VARCHAR
    -- a run whose rows or input changed after it was computed (trendwatch.forget)
);
CREATE TABLE IF NOT EXISTS alerts (
    time TIMESTAMPTZ NOT NULL, kind VARCHAR NOT NULL, hashtag VARCHAR, target VARCHAR,
    posts BIGINT, accounts BIGINT, window_s BIGINT, groups_run VARCHAR, body JSON,
    raised_at TIMESTAMPTZ
    -- one row per alert the watcher raised (trendwatch.watch.alerts); time is stream time,
    -- body the whole alert line as JSON. groups_run is the line's run_id, named so that
    -- `runs prune` (which clears every table with a run_id column) keeps the alerts
);
CREATE TABLE IF NOT EXISTS watch_cursors (
    source VARCHAR PRIMARY KEY, cursor VARCHAR, updated_at TIMESTAMPTZ
    -- trendwatch.watch: where each live source resumes (Jetstream: an event's time_us)
);
CREATE TABLE IF NOT EXISTS watch_gaps (
    source VARCHAR, gap_from TIMESTAMPTZ, gap_to TIMESTAMPTZ, reason VARCHAR
    -- trendwatch.watch: each time a live source was not collecting, and why
);
"""

_POST_COLUMNS = ", ".join(POST_SCHEMA.names)
_ACCOUNT_FIELDS = [n for n in ACCOUNT_SCHEMA.names if n not in ("platform", "account_id")]
_ACCOUNT_UPDATES = ", ".join(
    f"{name} = COALESCE(EXCLUDED.{name}, accounts.{name})" for name in _ACCOUNT_FIELDS
)


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """What one batch did to the store: collected posts added, and collected duplicates;
    quarantine rows stored, and those already stored (the same record quarantined before)."""

    added: int
    duplicates: int
    quarantined: int = 0
    quarantine_duplicates: int = 0


QUARANTINE_SCHEMA = pa.schema(
    [("source", pa.string()), ("record_no", pa.int64()), ("raw", pa.string()),
     ("reason", pa.string())]
)  # fmt: skip
"""The quarantine rows a batch writes (``ingested_at`` is the time of the write)."""


def default_db_path() -> Path:
    """The store used when none is given: ``$TRENDWATCH_DB`` or ``./trendwatch.duckdb``."""
    return Path(os.environ.get("TRENDWATCH_DB") or DEFAULT_DB)


def open_store(
    db: str | os.PathLike | None = None, *, read_only: bool = False, lock_wait: float | None = None
) -> Store:
    """Open (creating if needed) the store at ``db``; see :class:`Store`."""
    return Store(db, read_only=read_only, lock_wait=lock_wait)


def _open_error(path: str, exc: duckdb.Error, wait: float) -> StoreError:
    # DuckDB's own message names its shell's -readonly flag, which means nothing to our users.
    if not is_lock_conflict(exc):
        return StoreError(f"cannot open store {path}: {exc}")
    holder = lock_holder(exc) or "another process"
    return StoreError(
        f"cannot open store {path}: {holder} holds it for writing or reading, and it was "
        f"still held after {wait:g} s. Only writers exclude each other and readers, each "
        f"for the time of its write; wait for that process or stop it, or set "
        f"${LOCK_WAIT_ENV} to wait longer"
    )


class Store:
    """A trendwatch store in one DuckDB file.

    Parameters
    ----------
    db : path, optional
        The DuckDB file; :func:`default_db_path` when omitted; ``":memory:"`` for tests.
    read_only : bool
        Open without write access (the dashboard does); the file must exist.
    lock_wait : float, optional
        Seconds to wait while another process holds the file (a writer excludes everyone,
        readers exclude writers); :func:`~trendwatch.storelock.lock_wait_seconds` by default.

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.posts().count().execute()
    0
    """

    _keys: KeyFingerprints | None = None  # of the stored keys, kept by the writing connection
    _began_a_batch = False  # whether this connection has begun writing a batch

    def __init__(
        self,
        db: str | os.PathLike | None = None,
        *,
        read_only: bool = False,
        lock_wait: float | None = None,
    ):
        self.path = str(db) if db is not None else str(default_db_path())
        self.read_only = read_only
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"no store at {self.path}: run `trendwatch ingest` first")
        wait = lock_wait_seconds() if lock_wait is None else lock_wait
        try:
            self.con = connect_waiting(self.path, read_only=read_only, wait=wait)
        except duckdb.Error as exc:
            raise _open_error(self.path, exc, wait) from exc
        if not read_only:
            self.con.execute(_DDL)
        self._check_version(read_only)
        self.ibis = ibis.duckdb.from_connection(self.con)

    # -- life cycle -----------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cursor(self) -> Store:
        """Another Store on the same database through its own connection (one per thread).

        A DuckDB connection must not be used by two threads at once; its cursors may each be
        used by one. The dashboard gives every request thread its own.
        """
        other = object.__new__(Store)
        other.path = self.path
        other.read_only = self.read_only
        other.con = configured(self.con.cursor())
        if self.read_only and self.schema_version() in _OLDER_VERSIONS:
            _shadow_missing_post_url(other.con)  # a temporary view belongs to one connection
        other.ibis = ibis.duckdb.from_connection(other.con)
        return other

    def _check_version(self, read_only: bool) -> None:
        found = self.schema_version()
        if found is None and not read_only:
            self.con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        elif found in _OLDER_VERSIONS and not read_only:
            self._upgrade(found)
        elif found in _OLDER_VERSIONS:  # read as it is; what it lacks reads as NULL
            _shadow_missing_post_url(self.con)
        elif found != str(SCHEMA_VERSION):
            raise SchemaVersionError(
                f"store {self.path} has schema version {found or 'none'}, this trendwatch "
                f"needs {SCHEMA_VERSION}: ingest your archives into a new store"
            )

    def schema_version(self) -> str | None:
        """The schema version the store's file holds (None: a new store not yet written)."""
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        return row[0][0] if row else None

    def upgrade_pending(self) -> str | None:
        """What the next writable open will upgrade, for an older store opened read-only;
        None when the store is up to date.

        Examples
        --------
        >>> Store(":memory:").upgrade_pending() is None
        True
        """
        found = self.schema_version()
        if found not in _OLDER_VERSIONS:
            return None
        return (
            f"store {self.path} has schema version {found}; the next command that writes to "
            f"it upgrades it to {SCHEMA_VERSION} (until then Mastodon posts show no address)"
        )

    def _upgrade(self, found: str) -> None:
        """From version ``found`` to :data:`SCHEMA_VERSION`, in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            if found == "1":  # the quarantine without its primary key (DuckDB cannot drop one)
                self.con.execute(
                    "CREATE TABLE _quarantine_2 AS SELECT * FROM quarantine; "
                    "DROP TABLE quarantine; ALTER TABLE _quarantine_2 RENAME TO quarantine"
                )
            self.con.execute("ALTER TABLE posts ADD COLUMN IF NOT EXISTS post_url VARCHAR")
            self.con.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)]
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # -- tables as Ibis expressions ----------------------------------------------------------
    def posts(self, *, include_context: bool = False, text_keys: str | None = None) -> ibis.Table:
        """The posts table; only collected posts unless ``include_context``.

        ``text_keys`` (a name from :data:`TEXT_KEY_POSTS`): those posts have their text key
        ``text_norm`` (:func:`trendwatch.text.normalize_text`). Ingest leaves it NULL, as most
        analyses never read it: the first call that asks for it computes the missing keys
        and stores them, so this costs once per store (a read-only store computes them in
        a temporary view, at every query).
        """
        name = self._with_text_keys(text_keys) if text_keys is not None else "posts"
        table = self.ibis.table(name)
        return table if include_context else table.filter(table.collected)

    def _with_text_keys(self, which: str) -> str:
        """The name of a table of all posts in which the ``which`` posts have their key."""
        if which not in TEXT_KEY_POSTS:
            raise ParameterError(
                f"text_keys must be one of {sorted(TEXT_KEY_POSTS)}, not {which!r}"
            )
        missing = f"text_norm IS NULL AND ({TEXT_KEY_POSTS[which]})"
        [(any_missing,)] = self.con.execute(
            f"SELECT EXISTS (SELECT 1 FROM posts WHERE {missing})"
        ).fetchall()
        if not any_missing:
            return "posts"
        if self.read_only:
            view = f"_posts_keyed_{which.replace(' ', '_')}"
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {_keyed_view_sql(missing)}")
            return view
        [(last,)] = self.con.execute("SELECT max(rowid) FROM posts").fetchall()
        for first in range(0, last + 1, TEXT_KEY_CHUNK_ROWS):
            rows = f"rowid BETWEEN {first} AND {first + TEXT_KEY_CHUNK_ROWS - 1}"
            self.con.execute(_fill_text_keys_sql(f"{missing} AND {rows}"))
        return "posts"

    def accounts(self) -> ibis.Table:
        return self.ibis.table("accounts")

    def quarantine(self) -> ibis.Table:
        return self.ibis.table("quarantine")

    def runs(self) -> ibis.Table:
        return self.ibis.table("runs")

    def post_texts(self, post_ids, chars: int) -> dict[str, str]:
        """Post id -> the first ``chars`` characters of its text ('' for a post without text).

        Context posts included (evidence may point at them); ids not stored are left out.
        """
        ids = sorted({str(p) for p in post_ids})
        found = self.con.execute(
            "SELECT post_id, coalesce(left(any_value(text), ?), '') FROM posts "
            "WHERE post_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY post_id",
            [chars, ids],
        ).fetchall()
        return dict(found)

    # -- writing ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def threads_at_most(self, threads: int) -> Iterator[None]:
        """Let DuckDB run at most ``threads`` threads for this store in the block.

        The setting belongs to the database: every connection to it (cursors too) runs with
        it until the block ends.
        """
        [(before,)] = self.con.execute("SELECT current_setting('threads')").fetchall()
        if threads < before:
            self.con.execute(f"SET threads = {int(threads)}")
        try:
            yield
        finally:
            if threads < before:
                self.con.execute(f"SET threads = {int(before)}")

    def write_batch(
        self,
        posts: pa.Table | None = None,
        accounts: pa.Table | None = None,
        quarantine: pa.Table | list[tuple[str, int, str | None, str]] | None = None,
    ) -> BatchCounts:
        """Write one batch in one transaction and say how many collected posts it added.

        ``posts`` follows :data:`~trendwatch.model.POST_SCHEMA`; its text keys are left for
        :meth:`posts` to compute when an analysis needs them. A collected post is *added*
        when its key is new or was only known as context (it then replaces the context row);
        otherwise it is a *duplicate*, including a repeat within the batch. Context posts never
        replace anything.

        ``quarantine`` rows are ``(source, record_no, raw, reason)`` (a table with
        :data:`QUARANTINE_SCHEMA`, or tuples). A row is a *duplicate* when a row with the same
        four values is stored (the same record of the same input, read again) or comes earlier
        in the batch; any other row is stored, so that two inputs read from the same path or
        from stdin keep every quarantined record.
        """
        self.con.execute("BEGIN TRANSACTION")
        try:
            counts = self._write_posts(posts) if posts is not None else BatchCounts(0, 0)
            if accounts is not None and accounts.num_rows:
                self._write_accounts(accounts)
            if quarantine is not None and len(quarantine):
                counts = self._write_quarantine(_quarantine_table(quarantine), counts)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return counts

    def _write_posts(self, posts: pa.Table) -> BatchCounts:
        if posts.num_rows == 0:
            return BatchCounts(0, 0)
        collected_rows = pa.compute.sum(posts["collected"]).as_py() or 0
        numbered = _numbered(posts)
        with registered(self.con, "_batch", numbered):
            hashes = self._batch_key_hashes()
            undecided, may_be_stored = self._undecided(hashes)
            skipped_collected, inserted = 0, "_batch"
            if undecided.size:
                keys = _keys_of(numbered, undecided)
                skipped_collected = self._stage_special(keys, may_be_stored)
                inserted = _INSERTED_ROWS_SQL
            self.con.execute(
                f"INSERT INTO posts ({_POST_COLUMNS}, text_norm, ingested_at) "
                f"SELECT {_POST_COLUMNS}, NULL, now() FROM {inserted}"
            )
            self._note_stored_keys(hashes)
            if undecided.size:
                self.con.execute("DROP TABLE _special")  # (a failed batch rolls it back)
        added = collected_rows - skipped_collected
        return BatchCounts(added=added, duplicates=collected_rows - added)

    def _undecided(self, hashes: SortedHashes) -> tuple[np.ndarray, bool]:
        """The batch rows (positions) whose key may repeat in the batch or be stored, by their
        key ``hashes``; and whether any of them may be stored."""
        stored = self._stored_keys()
        if stored is None:  # any key may be stored: every row is undecided
            return np.arange(hashes.size), bool(hashes.size)
        on_stored = stored.contains(hashes.values)
        return hashes.positions(hashes.repeated() | on_stored), bool(on_stored.any())

    def _stage_special(self, undecided: pa.Table, may_be_stored: bool) -> int:
        """Temp table ``_special``: the batch rows whose key repeats in the batch or is stored.

        Every other row is new and inserted as it is, without being copied first. Among the
        rows of one key the first collected one (else the first) is the batch's form of the
        post, ``_insert`` says whether it is written (new key, or collected over a context
        row, which ``_replaces``) and the other rows are not. Returns the number of collected
        rows not inserted: the duplicates. tests/test_store_dedup.py checks this against the
        former one-copy-per-key SQL on hand-made and random batches.

        Only the ``undecided`` rows (their keys, ``collected`` and ``_i``) are looked at: those
        whose key hash repeats in the batch or is the hash of a stored key
        (:mod:`trendwatch.storekeys`); the others cannot repeat a key. They are taken out of
        the batch in Arrow (selecting them in SQL read the keys of every row of the batch: the
        IRA archive's 11 batches took 0.23 s here, now 0.14 s). Keys are compared as strings,
        so a hash collision only costs a look. ``may_be_stored`` is false when no hash is a
        stored key's: the stored keys are then not read at all.

        Uniqueness of (platform, post_id) is kept here rather than by a PRIMARY KEY: DuckDB's
        index made inserts 14x slower (10.2 s vs 0.7 s for 2.46 M rows). The lookup builds its
        hash table on the undecided keys and streams only the key columns of ``posts``
        (DuckDB prunes row groups by their key range).
        """
        with registered(self.con, "_undecided", undecided):
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE _special AS "
                + (_SPECIAL_KNOWN_SQL if may_be_stored else _SPECIAL_FRESH_SQL)
            )
        [(replacing, skipped_collected)] = self.con.execute(
            "SELECT count(*) FILTER (_replaces), count(*) FILTER (collected AND NOT _insert) "
            "FROM _special"
        ).fetchall()
        if replacing:  # a collected post replaces the context row of the same key
            self.con.execute("""
                DELETE FROM posts USING _special
                WHERE posts.platform = _special.platform AND posts.post_id = _special.post_id
                  AND _special._replaces
            """)
        return skipped_collected

    def _stored_keys(self) -> KeyFingerprints | None:
        """The fingerprints of the stored keys (see :mod:`trendwatch.storekeys`), up to date.

        None (look every key up) when the store holds more than
        :data:`~.storekeys.MAX_FINGERPRINTS` posts, or when the posts are not yet read and
        this is the connection's first batch: reading them costs about three lookups of a
        batch (24 M posts: 3.0 against 1.15 CPU-s), which a one-batch ingest into a large store
        would never earn back.
        """
        [(rows,)] = self.con.execute("SELECT count(*) FROM posts").fetchall()
        if self._keys is not None and self._keys.rows == rows:
            return self._keys
        first_batch, self._began_a_batch = not self._began_a_batch, True
        self._keys = None
        if rows == 0 or (rows <= MAX_FINGERPRINTS and not first_batch):
            hashes = self.con.sql(f"SELECT {KEY_HASH_SQL} AS h FROM posts").to_arrow_table()
            self._keys = KeyFingerprints(rows, hashes["h"].to_numpy())
        return self._keys

    def _batch_key_hashes(self) -> SortedHashes:
        table = self.con.sql(f"SELECT {KEY_HASH_SQL} AS h FROM _batch").to_arrow_table()
        return SortedHashes(table["h"].to_numpy())

    def _note_stored_keys(self, hashes: SortedHashes) -> None:
        # After the batch's insert: its hashes join the fingerprints (those of its skipped
        # duplicates too, which only costs a lookup later). A rollback changes the number of
        # posts back, so the fingerprints are then read again.
        if self._keys is not None:
            [(rows,)] = self.con.execute("SELECT count(*) FROM posts").fetchall()
            self._keys.add(hashes.values, rows)

    def _write_accounts(self, accounts: pa.Table) -> None:
        """Merge the batch's account observations into ``accounts``, in row order.

        Each observation is applied in turn, as if it were alone in its batch: it is ignored
        when it is older than an observation already applied to the account (in this batch or
        an earlier one); otherwise each field it has replaces the stored one, and a field it
        lacks keeps its value. An observation without a time is always applied. The result
        is therefore the same however the observations are cut into batches (the serial and
        the worker readers cut them differently), and a later observation that lacks a field
        (a Bluesky identity event has only the handle) does not erase it.
        """
        with registered(self.con, "_accounts", _numbered(accounts)):
            self.con.execute(_MERGE_ACCOUNTS_SQL)

    def _write_quarantine(self, rows: pa.Table, counts: BatchCounts) -> BatchCounts:
        """Insert the rows that are not stored yet, in one statement; ``counts`` plus theirs.

        Only the stored rows of the batch's record numbers are compared (DuckDB skips the
        row groups outside that range), and only when there are any.
        """
        low, high = (v.as_py() for v in pa.compute.min_max(rows["record_no"]).values())
        with registered(self.con, "_quarantine", rows):
            [(stored,)] = self.con.execute(_QUARANTINE_STORED_SQL, [low, high]).fetchall()
            sql, params = (_QUARANTINE_NEW_SQL, [low, high]) if stored else (_FRESH_SQL, None)
            insert = f"INSERT INTO quarantine SELECT *, now() FROM ({sql})"
            [(inserted,)] = self.con.execute(insert, params).fetchall()
        repeated = rows.num_rows - inserted
        return replace(counts, quarantined=inserted, quarantine_duplicates=repeated)

    # -- provenance -------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """A short digest of the collected posts: changes whenever a post is added or replaced."""
        row = self.con.execute(
            "SELECT count(*), bit_xor(hash(platform, post_id, created_at, author_id)), "
            "max(ingested_at) FROM posts WHERE collected"
        ).fetchall()[0]  # fetchone() would leave the result open on the connection
        return hashlib.sha256(repr(row).encode()).hexdigest()[:16]

    def record_run(self, kind: str, params: dict, summary: dict | None = None) -> str:
        """Store one analysis run's provenance and return its id (runs never overwrite)."""
        from . import __version__

        run_id = f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, now(), ?)",
            [
                run_id,
                kind,
                orjson.dumps(params, default=str).decode(),
                __version__,
                self.fingerprint(),
                orjson.dumps(summary or {}, default=str).decode(),
            ],
        )
        return run_id


# The rows of ``_batch`` (the batch plus its row index ``_i``) whose key needs a decision: it
# repeats within the batch, or (KNOWN variant) it is already stored, with ``_was`` = the stored
# row's ``collected``. Only the ``_undecided`` rows (their keys) can (see Store._stage_special).
_SPECIAL_SQL = """
    WITH keys AS (
        SELECT platform, post_id, collected, _i FROM _undecided
    ),
    repeated AS (SELECT platform, post_id FROM keys GROUP BY ALL HAVING count(*) > 1),
    {known},
    special AS (
        SELECT * FROM keys SEMI JOIN (
            SELECT platform, post_id FROM repeated
            UNION SELECT platform, post_id FROM known) USING (platform, post_id)
    ),
    ranked AS (
        SELECT special.*, known._was, row_number() OVER (
            PARTITION BY platform, post_id ORDER BY collected DESC, _i) = 1 AS _first
        FROM special LEFT JOIN known USING (platform, post_id)
    )
    SELECT _i, platform, post_id, collected,
        _first AND (_was IS NULL OR (collected AND NOT _was)) AS _insert,
        _first AND collected AND _was = FALSE AS _replaces
    FROM ranked
"""
_SPECIAL_FRESH_SQL = _SPECIAL_SQL.format(
    known="known AS (SELECT NULL::VARCHAR AS platform, NULL::VARCHAR AS post_id, "
    "NULL::BOOLEAN AS _was WHERE FALSE)"
)
_SPECIAL_KNOWN_SQL = _SPECIAL_SQL.format(
    known="known AS (SELECT platform, post_id, collected AS _was "
    "FROM posts SEMI JOIN keys USING (platform, post_id))"
)
_INSERTED_ROWS_SQL = "_batch ANTI JOIN (SELECT _i FROM _special WHERE NOT _insert) USING (_i)"

# Store._write_quarantine: whether any stored row may equal one of the batch's, and the batch's
# rows that no stored row equals (raw may be NULL: compared with IS NOT DISTINCT FROM).
_QUARANTINE_STORED_SQL = """
    SELECT EXISTS (SELECT 1 FROM quarantine WHERE record_no BETWEEN $1 AND $2
                   AND source IN (SELECT source FROM _quarantine))
"""
_FRESH_SQL = "SELECT DISTINCT * FROM _quarantine"
_QUARANTINE_NEW_SQL = """
    SELECT DISTINCT * FROM _quarantine AS q
    WHERE NOT EXISTS (
        SELECT 1 FROM quarantine AS s
        WHERE s.record_no BETWEEN $1 AND $2 AND s.source = q.source
          AND s.record_no = q.record_no AND s.reason = q.reason
          AND s.raw IS NOT DISTINCT FROM q.raw)
"""


def _shadow_missing_post_url(con) -> None:
    """On a read-only connection to a store older than version 3: a temporary view ``posts``
    over the file's table, with ``post_url`` NULL, so every query reads one shape of posts.

    The view is per connection (cursors need their own) and names the file's table by its
    catalog, as ``main.posts`` inside the view would name the view itself.
    """
    [(catalog,)] = con.execute("SELECT current_database()").fetchall()
    [(has_it,)] = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = ? "
        "AND table_name = 'posts' AND column_name = 'post_url'",
        [catalog],
    ).fetchall()
    if not has_it:
        quoted = '"' + catalog.replace('"', '""') + '"'
        con.execute(
            "CREATE OR REPLACE TEMP VIEW posts AS "
            f"SELECT *, NULL::VARCHAR AS post_url FROM {quoted}.main.posts"
        )


def _quarantine_table(rows: pa.Table | list[tuple]) -> pa.Table:
    """Quarantine rows as a table with :data:`QUARANTINE_SCHEMA`."""
    if isinstance(rows, pa.Table):
        return rows.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA)
    columns = zip(*rows, strict=True)
    arrays = [pa.array(c, f.type) for c, f in zip(columns, QUARANTINE_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=QUARANTINE_SCHEMA)


# Store.write_batch's account merge, set-wise: an observation is applied when it has no time,
# or when no earlier one (stored, or before it in the batch) has a time, or when it is at
# least as late as all of those. Of the applied ones, the last row holding a field gives it.
_MERGE_ACCOUNTS_SQL = f"""
    INSERT INTO accounts
    WITH observed AS (
        SELECT *, max(observed_at) OVER (
            PARTITION BY platform, account_id ORDER BY _i
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _before
        FROM _accounts
    ),
    stored AS (
        SELECT platform, account_id, observed_at AS _stored FROM accounts
        SEMI JOIN _accounts USING (platform, account_id)
    ),
    compared AS (
        SELECT observed.*, greatest(_before, _stored) AS _latest
        FROM observed LEFT JOIN stored USING (platform, account_id)
    )
    SELECT platform, account_id,
        {", ".join(f"arg_max({f}, _i) FILTER (WHERE {f} IS NOT NULL)" for f in _ACCOUNT_FIELDS)}
    FROM compared
    WHERE observed_at IS NULL OR _latest IS NULL OR observed_at >= _latest
    GROUP BY platform, account_id
    ON CONFLICT DO UPDATE SET {_ACCOUNT_UPDATES}
"""


def _keys_of(numbered: pa.Table, rows: np.ndarray) -> pa.Table:
    """The keys, ``collected`` and ``_i`` of the rows at positions ``rows`` of a numbered batch."""
    return numbered.select(["platform", "post_id", "collected", "_i"]).take(rows)


def _numbered(table: pa.Table) -> pa.Table:
    """``table`` plus its row index ``_i`` (0, 1, ...): the batch's order, for SQL to rank by."""
    return table.append_column("_i", pa.array(np.arange(table.num_rows, dtype=np.int64)))


TEXT_KEY_CHUNK_ROWS = 1_000_000
"""Text keys are filled this many rows (by rowid) at a time, so memory does not grow with the
store: over the 2.46 M posts of the IRA archive, one statement peaked at 817 MB, chunks of
1 M rows at 589 MB in about the same time (4.4 against 4.7 s)."""


def _fill_text_keys_sql(missing: str) -> str:
    """SQL: compute and store the keys of the posts where ``missing`` holds, in one statement.

    The rows are found again by rowid, stable within the statement's transaction.
    """
    keyed = _text_norm_select(f"(SELECT rowid AS _row, text FROM posts WHERE {missing})")
    return (
        f"UPDATE posts SET text_norm = keyed.text_norm FROM ({keyed}) AS keyed "
        "WHERE posts.rowid = keyed._row"
    )


def _keyed_view_sql(missing: str) -> str:
    """SQL: every post, with the key computed for the rows where ``missing`` holds."""
    source = (
        f"(SELECT * EXCLUDE (text_norm), text_norm AS _stored, {missing} AS _missing FROM posts)"
    )
    keyed = _text_norm_select(source, text="CASE WHEN _missing THEN text END")
    return (
        "SELECT * EXCLUDE (_stored, _missing, text_norm), "
        f"CASE WHEN _missing THEN text_norm ELSE _stored END AS text_norm FROM ({keyed})"
    )


def _text_norm_select(source: str, text: str = "text") -> str:
    """``SELECT *, text_norm FROM <source>``: the co-tweet key of ``text``, vectorised.

    :func:`trendwatch.text.normalize_text` is the reference (a test checks both agree). Each
    step is a nested SELECT so its result is computed once, and each costly regular expression
    runs only on the texts that can match it (most texts have no mention, URL or tab).
    """
    ws = r"[\t\n\f\r]"
    steps = [
        f"lower(CASE WHEN strlen(t0) = length(t0) THEN t0 "  # ASCII: NFC cannot change it
        f"WHEN regexp_matches(t0, '{_nfc_unstable_class()}') THEN nfc_normalize(t0) "
        f"ELSE t0 END)",
        r"CASE WHEN starts_with(t1, 'rt @') "
        r"THEN regexp_replace(t1, '^rt @\w+:[\t\n\f\r ]*', '') ELSE t1 END",
        r"""CASE WHEN contains(t2, 'http') THEN regexp_replace(t2, """
        r"""'https?://[^\t\n\f\r <>"''\x{2026}]+', ' ', 'g') ELSE t2 END""",
        r"CASE WHEN contains(t3, '@') "
        r"THEN regexp_replace(t3, '(^|[^\w@])@\w+(@[\w.-]+)?', '\1 ', 'g') ELSE t3 END",
        f"CASE WHEN contains(t4, '  ') OR {_any_control_space('t4')} "
        f"THEN regexp_replace(t4, '[\\t\\n\\f\\r ]{{2,}}|{ws}', ' ', 'g') ELSE t4 END",
        # Runs are single spaces by now: one character off each end that has one (4x
        # cheaper than trim(t5, ' '), which decodes every character).
        "CASE WHEN ends_with(t5, ' ') THEN (CASE WHEN starts_with(t5, ' ') "
        "THEN right(left(t5, -1), -1) ELSE left(t5, -1) END) "
        "WHEN starts_with(t5, ' ') THEN right(t5, -1) ELSE t5 END",
    ]
    sql = f"SELECT *, coalesce({text}, '') AS t0 FROM {source}"
    for i, step in enumerate(steps, start=1):
        sql = f"SELECT *, {step} AS t{i} FROM ({sql})"
    return f"SELECT * EXCLUDE (t0, t1, t2, t3, t4, t5, t6), t6 AS text_norm FROM ({sql})"


def _any_control_space(column: str) -> str:
    """SQL: the text holds a tab, newline, form feed or carriage return (substring tests are
    3x cheaper than the equivalent regular expression)."""
    return "(" + " OR ".join(f"contains({column}, chr({c}))" for c in (9, 10, 12, 13)) + ")"


@functools.cache
def _nfc_unstable_class() -> str:
    """An RE2 character class of the characters that NFC may change in some context.

    A text without any of them is already in NFC: they are the characters with a non-zero
    combining class, the second characters of canonical pairs (which compose with what
    precedes them, Hangul vowel and trailing jamo included), and the characters whose NFC
    differs or whose decomposition starts with one of those. Planes above 2 hold none.
    """
    maybe = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    decomposable = []
    for code in range(0x30000):
        char = chr(code)
        if unicodedata.combining(char):
            maybe.add(code)
        decomposition = unicodedata.decomposition(char)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                maybe.add(int(parts[1], 16))
            decomposable.append(char)
    unstable = set(maybe)
    for char in decomposable:
        nfd = unicodedata.normalize("NFD", char)
        if unicodedata.normalize("NFC", char) != char or ord(nfd[0]) in maybe:
            unstable.add(ord(char))
    return "[" + re2_class_body(unstable) + "]"
