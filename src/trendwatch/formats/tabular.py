"""CSV and Parquet tables: detection from the header, vectorised reading into Arrow batches.

The table layouts (twarc-csv, rtweet, the IRA troll tweets, QUT's toolkit, CooRTweet, and any
other table through ``--map``) are described in :mod:`.tabular_variants`. Both formats accept
all of them.

Reading is vectorised, in an in-memory DuckDB connection (not the store) that turns the rows
into :class:`~.items.PostTable` items with :data:`~trendwatch.model.POST_SCHEMA` and
:class:`~.items.AccountTable` items with one observation per author (the latest in the batch).
A CSV comes in Arrow batches (``pyarrow.csv`` streaming reader), each read by one query; a
Parquet file is read by DuckDB itself, in one query whose result streams out in batches.
Python runs per row only for rows that are quarantined, and per *distinct* value for hashtag
normalisation of non-ASCII tags and URL normalisation (``ural``) of URLs other than plain
``t.co`` links.

A row is quarantined (raw row as CSV text, its row number counted from 1 after the header,
a reason naming the field) when its id, author or time is missing, when its time cannot be
parsed, when a mapped ``kind`` is not one of post/repost/reply/quote, or, in a CSV, when it has
the wrong number of cells.

What counts as a duplicate: a row whose ``(platform, post_id)`` is already in the store or
earlier in the file. For id-less tables (the IRA files) the id is derived, see
:func:`~.tabular_variants.derived_post_id_sql`.
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..connections import configured, connect, registered
from ..errors import InputError, MappingError, UnreadableFileError
from ..model import ACCOUNT_SCHEMA, POST_SCHEMA, Kind
from ..text import normalize_hashtag, normalize_url
from .items import AccountTable, Item, NaiveTimes, PostTable, Quarantined, ReadOptions
from .stream import InputFile
from .tabular_variants import (
    LANGUAGE_CODES,
    Columns,
    Variant,
    find_variant,
    mapped_variant,
    stripped_tags,
)

__all__ = ["FORMATS", "TableFormat", "read_header", "sniff_delimited", "BATCH_ROWS"]

BATCH_ROWS = 122_880
"""Rows per Arrow batch: large enough for DuckDB to be efficient, small enough for memory.

One DuckDB row group: a store batch that ends on a row-group boundary is written compressed
at once, whereas 250,000-row batches left a small row group behind that the next batch
filled in memory, so that closing the IRA store re-compressed those rows (4.2 s of CPU, and
a 473 MB file instead of 307 MB). One row group rather than two: the store still writes two
at a time (``ingest.BATCH_RECORDS``), but the reader, which waits with at most two tables
ready, is then one store batch ahead instead of two, so less is left to write once the file
is read: the IRA ingest took 0.0-0.5 s less (eleven alternating pairs)."""
PARQUET_MAGIC = b"PAR1"
_DELIMITERS = (",", "\t", ";")
_CSV_BLOCK = 16 << 20


# -- detection ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a delimited text: its delimiter and column names."""

    delimiter: str
    names: list[str]


def read_header(head: bytes) -> Header | None:
    """The header of a delimited text (comma, tab or semicolon; most columns wins), or None.

    >>> read_header(b"a;b;c\\n1;2;3\\n")
    Header(delimiter=';', names=['a', 'b', 'c'])
    """
    text = head.decode("utf-8", "ignore").lstrip("\ufeff")
    first = text.split("\n", 1)[0].split("\r", 1)[0]  # a lone CR ends a line too (Arrow's CSV)
    if not first or first[0] in "{[<":
        return None
    delimiter = max(_DELIMITERS, key=first.count)
    if first.count(delimiter) == 0:
        return None
    try:
        names = next(csv.reader([first], delimiter=delimiter))
    except csv.Error:  # not a header line after all (e.g. a stray NUL)
        return None
    return Header(delimiter, [n.strip() for n in names])


def sniff_delimited(head: bytes) -> bool:
    """True for any delimited header (what ``--map`` needs), known layout or not."""
    return read_header(head) is not None


def _sniff_csv(head: bytes) -> bool:
    header = read_header(head)
    return header is not None and find_variant(header.names) is not None


def _sniff_parquet(head: bytes) -> bool:
    return head[:4] == PARQUET_MAGIC


# -- batches of rows ------------------------------------------------------------------------


@dataclass
class _RowBatches:
    """Arrow batches of a CSV table plus the rows its parser rejected, as they come.

    The parser does not say where a rejected row was: they are numbered -1, -2, ... in file
    order (never reused within the file, as the quarantine of the file needs).
    """

    names: list[str]
    batches: Iterator[pa.RecordBatch]
    rejected: list[Quarantined]
    block_bytes: int
    rejected_count: int = 0

    def reject(self, row) -> str:
        self.rejected_count += 1
        number = row.number if row.number is not None else -self.rejected_count
        reason = f"row has {row.actual_columns} cells, the header has {row.expected_columns}"
        self.rejected.append(Quarantined(number, row.text, reason))
        return "skip"


def _quiet_rejects() -> None:
    """Keep Python from printing "Exception ignored" when pyarrow cannot call our handler.

    pyarrow decodes a rejected row's text before it calls :meth:`_RowBatches.reject`; for a
    row that also holds bytes that are not UTF-8 that fails, Python prints the error as
    unraisable, and pyarrow then gives up on the file with a parse error, which ingest
    reports. Only those reports are silenced; every other goes to the previous hook.
    """
    previous = sys.unraisablehook
    if getattr(previous, "_trendwatch_rejects", False):
        return

    def hook(unraisable) -> None:
        if not isinstance(getattr(unraisable.object, "__self__", None), _RowBatches):
            previous(unraisable)

    hook._trendwatch_rejects = True
    sys.unraisablehook = hook


def _csv_batches(source: InputFile, options: ReadOptions) -> _RowBatches:
    """The batches of a CSV, every column as bytes (:func:`_as_text` checks their UTF-8)."""
    _quiet_rejects()
    header = read_header(source.head)
    if header is None:
        raise UnreadableFileError(f"{source.name}: no delimited header line")
    rows = _RowBatches(header.names, iter(()), [], max(_CSV_BLOCK, options.max_record_bytes))
    parse = pacsv.ParseOptions(
        delimiter=header.delimiter, newlines_in_values=True, invalid_row_handler=rows.reject
    )
    convert = pacsv.ConvertOptions(
        column_types={n: pa.binary() for n in header.names},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    read = pacsv.ReadOptions(block_size=rows.block_bytes, encoding="utf-8")
    try:  # the first block is parsed here
        rows.batches = iter(pacsv.open_csv(source.stream, read, parse, convert))
    except (pa.ArrowInvalid, UnreadableFileError) as exc:
        raise _table_error(source, rows, 0, exc) from exc
    return rows


def _table_error(source: InputFile, rows: _RowBatches, read: int, exc: Exception) -> InputError:
    """The error of a CSV whose parser gave up after ``read`` data rows."""
    where = f"after {read:,} data rows"
    if isinstance(exc, UnreadableFileError):  # the input itself: say which rows are lost
        return UnreadableFileError(f"{exc}; the table's rows {where} are not read")
    if "straddl" in str(exc):  # Arrow's word for a row longer than its block
        return UnreadableFileError(
            f"{source.name}: a row {where} is longer than {rows.block_bytes:,} bytes, the "
            "record size cap (--max-record-bytes raises it)"
        )
    return UnreadableFileError(f"{source.name}: cannot parse the table {where} ({exc})")


_INVALID_UTF8 = "invalid UTF-8 (the raw row has U+FFFD in place of the bytes that are not)"


def _as_text(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, np.ndarray | None]:
    """The batch with its columns as text, and which rows hold bytes that are not UTF-8
    (None when none do: one vectorised check, the usual case); those are decoded with
    U+FFFD in place of the bad bytes."""
    schema = pa.schema([pa.field(name, pa.string()) for name in batch.schema.names])
    try:
        return batch.cast(schema), None
    except pa.ArrowInvalid:
        pass
    invalid = np.zeros(batch.num_rows, dtype=bool)
    columns = []
    for column in batch.columns:
        values = column.to_pylist()
        invalid |= np.array([v is not None and not _is_utf8(v) for v in values], dtype=bool)
        text = [None if v is None else v.decode("utf-8", "replace") for v in values]
        columns.append(pa.array(text, pa.string()))
    return pa.RecordBatch.from_arrays(columns, schema=schema), invalid


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _open_parquet(source: InputFile) -> pq.ParquetFile:
    if source.path is None or source.compressed:
        raise InputError(
            f"{source.name}: Parquet must be read from an uncompressed file (it needs to "
            "seek); save it to a file and give its path"
        )
    try:
        return pq.ParquetFile(source.path)
    except (OSError, pa.ArrowException) as exc:
        raise UnreadableFileError(f"{source.name}: not a readable Parquet file ({exc})") from exc


# -- the DuckDB engine ----------------------------------------------------------------------

# A Unix time, or a time of day followed by an offset (Z, +01, +0100, +01:00) or a zone name.
_OFFSET_OR_EPOCH = (
    r"(?i)^ *-?\d+(\.\d+)? *$|\d:\d\d(:\d\d(\.\d+)?)? *(z|[+-]\d\d(:?\d\d)?|[a-z][a-z_/+-]*) *$"
)
_SETUP_SQL = r"""
CREATE MACRO tw_epoch(v) AS to_timestamp(CASE WHEN abs(v) > 1e11 THEN v / 1000 ELSE v END);
-- DuckDB casts the words 'infinity' ('inf', signed too) and 'epoch' to times: in an archive
-- they are no post's time (a bad record, to quarantine), so they never reach a cast.
CREATE MACRO tw_not_a_time(s) AS regexp_full_match(s, '(?i)\s*[+-]?(inf|infinity|epoch)\s*');
CREATE MACRO tw_time_any(s) AS CASE
    WHEN tw_not_a_time(s) THEN NULL
    WHEN regexp_full_match(s, '-?\d+(\.\d+)?') THEN tw_epoch(TRY_CAST(s AS DOUBLE))
    ELSE coalesce(
        TRY_CAST(s AS TIMESTAMPTZ),
        CAST(try_strptime(s, ['%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S']) AS TIMESTAMPTZ),
        try_strptime(s, '%a %b %d %H:%M:%S %z %Y'))
    END;
-- A time that names no offset ("2017-09-07 19:52:00", the IRA archive's "9/14/2017 21:39", a
-- Parquet TIMESTAMP), as a TIMESTAMP; NULL for any other text. The two usual forms are read
-- without the expression that looks for an offset (or a zone name, or a Unix time).
CREATE MACRO tw_wall_time(s) AS CASE
    WHEN tw_not_a_time(s) THEN NULL
    WHEN s LIKE '____-__-__ __:__:__' OR s LIKE '____-__-__T__:__:__' THEN TRY_CAST(s AS TIMESTAMP)
    ELSE coalesce(
        try_strptime(s, ['%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S']),
        CASE WHEN NOT regexp_matches(s, '{_OFFSET_OR_EPOCH}') THEN TRY_CAST(s AS TIMESTAMP) END)
    END;
-- The time read as UTC when it names no offset. Such a time read as a TIMESTAMP has the same
-- instant, without the time-zone machinery of a TIMESTAMPTZ cast (the IRA archive's times:
-- 0.18 against 0.47 CPU-s). Anything else goes the general way.
CREATE MACRO tw_time(wall, s) AS coalesce(make_timestamptz(epoch_us(wall)), tw_time_any(s));
CREATE MACRO tw_url_raw(u) AS rtrim(u, '.,;:!?)]}»”’');
""".replace("{_OFFSET_OR_EPOCH}", _OFFSET_OR_EPOCH)

# Plain t.co links are nearly all the URLs of X archives; ural turns them into 't.co/<code>',
# which SQL does here (a test checks it against ural) instead of Python once per distinct URL.
# One expression reads the code of a URL that is a t.co link once trimmed of spaces and of
# trailing punctuation (tw_url_raw): trimming every URL first cost 4x more than this.
_TCO = r"(?i)^ *https?://t\.co/([A-Za-z0-9]+)[.,;:!?)\]}»”’]* *$"
# The usual forms, "https://t.co/<code>" or "http://t.co/<code>" and nothing else, are read
# without the expression: on the IRA archive's 2.41 M URLs (all but 1,321 t.co links, 269 k
# of them http://) the https form took the map from 1.10 to 0.48 CPU-s, the http form took
# 0.17 CPU-s more off the posts query.
_CODE = "[A-Za-z0-9]+"
# Tags whose matching key is their lower case (see _READ_SQL): ASCII word characters and the
# basic Cyrillic letters, which neither NFKC nor case folding changes otherwise.
_LOWER_IS_KEY = r"[0-9A-Za-z_\x{0401}\x{0410}-\x{044F}\x{0451}]+"

_FIELDS = [
    "post_id", "author_id", "kind", "text", "lang", "ref_post_id", "ref_author_id",
    "ref_author_handle", "reply_to_post_id", "reply_to_author_id", "conversation_id",
    "author_handle",
]  # fmt: skip
_ACCOUNT_FIELDS = [
    "handle", "name", "created_at", "followers", "following", "posts_count", "listed",
    "verified", "description",
]  # fmt: skip
_KINDS = tuple(k.value for k in Kind)


# DuckDB calls these once per value, not per distinct value: a cache makes the Python cost
# per distinct tag (an archive repeats its few thousand non-ASCII tags millions of times).
_cached_hashtag = functools.lru_cache(maxsize=1 << 16)(normalize_hashtag)


def _py_hashtag(values: pa.Array) -> pa.Array:
    return pa.array([_cached_hashtag(v) for v in values.to_pylist()], pa.string())


def _py_url(values: pa.Array) -> pa.Array:
    return pa.array([normalize_url(v) for v in values.to_pylist()], pa.string())


def _engine() -> duckdb.DuckDBPyConnection:
    con = connect()  # no progress bar: a Parquet file is read in one query, seconds long
    con.execute(_SETUP_SQL)
    con.create_function("tw_hashtag", _py_hashtag, ["VARCHAR"], "VARCHAR", type="arrow")
    con.create_function("tw_url", _py_url, ["VARCHAR"], "VARCHAR", type="arrow")
    con.execute(
        "SET VARIABLE tw_language_codes = MAP(?::VARCHAR[], ?::VARCHAR[])",
        [list(LANGUAGE_CODES), list(LANGUAGE_CODES.values())],
    )
    return con


def _read_sql(variant: Variant, cols: Columns, rows: str, zoned: bool = False) -> str:
    """One row per input row: the post, the account fields, ``_row`` and ``reason`` (NULL
    unless the row must be quarantined).

    ``rows`` is SQL for the input rows: their columns named ``c0``, ``c1``... and ``_row``,
    their number. Named parameters: ``$platform`` and ``$time_column``, the name of the time
    column (names from files never enter SQL), those of ``rows``, and ``$assume_tz`` (the zone
    of times without an offset) unless ``zoned`` is False (they are then read as UTC).
    """
    return _READ_SQL.replace("{staged}", _stage_sql(variant, cols, rows, zoned))


def _stage_sql(variant: Variant, cols: Columns, rows: str, zoned: bool) -> str:
    """Every field of each input row as the variant reads it, ``naive`` (its time named no
    offset) and ``reason``. Derived post ids use the time read as UTC (``_read_utc``), so
    that ``--assume-tz`` does not change them."""
    exprs = variant.build(cols)
    fields = [f"{exprs.get(f, 'NULL')} AS {f}" for f in _FIELDS]
    lists = [
        f"{exprs.get(f, '[]::VARCHAR[]')} AS {f}" for f in ("hashtags_raw", "mentions", "urls")
    ]
    accounts = [f"{exprs.get('account_' + f, 'NULL')} AS account_{f}" for f in _ACCOUNT_FIELDS]
    time = exprs["_time"]  # the time column as text, computed once
    created = "_read_utc" if not zoned else _ZONED_SQL
    return f"""
        WITH texted AS (SELECT *, {time} AS _time FROM {rows}),
        walled AS (SELECT *, tw_wall_time(_time) AS _wall FROM texted),
        timed AS (SELECT *, tw_time(_wall, _time) AS _read_utc FROM walled),
        staged AS (
            SELECT _row, _time, {created} AS created_at, _wall IS NOT NULL AS naive,
                   {", ".join(fields + lists + accounts)}
            FROM timed)
        SELECT *, {_REASON_SQL} AS reason FROM staged
    """


# DuckDB reads a wall-clock time that occurs twice as the second occurrence, and one that
# does not exist with the offset before the change: trendwatch.times.local_to_utc does too.
_ZONED_SQL = "CASE WHEN _wall IS NULL THEN _read_utc ELSE timezone($assume_tz, _wall) END"


_REASON_SQL = f"""CASE
    WHEN post_id IS NULL THEN 'post_id: missing'
    WHEN author_id IS NULL THEN 'author_id: missing'
    WHEN _time IS NULL THEN $time_column || ': missing time'
    WHEN created_at IS NULL THEN $time_column || ': cannot parse time ' || left(_time, 40)
    WHEN kind NOT IN {_KINDS} THEN 'kind: ' || left(kind, 40)
         || ' is not one of post, repost, reply, quote'
    END"""


# The posts columns of the staged rows, plus what the accounts and the quarantine need: one
# query from the input rows to the Arrow table, rather than a staging table that the posts
# query reads again (the IRA archive: 0.3-0.8 CPU-s less and 100-150 MB less at the peak).
# An ASCII tag only needs lower(); strlen (bytes) equals length (characters) only for ASCII.
# So does a tag of basic Cyrillic letters (NFKC leaves them, and their case folding is their
# lower case): 149,000 of the IRA archive's 163,000 non-ASCII tags, which Python would hash.
_READ_SQL = rf"""
    SELECT _row, reason, naive, {", ".join("account_" + f for f in _ACCOUNT_FIELDS)},
        $platform AS platform, post_id, author_id, created_at, kind, text, lang, ref_post_id,
        ref_author_id, ref_author_handle, reply_to_post_id, reply_to_author_id, conversation_id,
        list_transform(tags, lambda x: CASE WHEN strlen(x) = length(x)
                                                 OR regexp_full_match(x, '{_LOWER_IS_KEY}')
                                            THEN lower(x) ELSE tw_hashtag(x) END) AS hashtags,
        tags AS hashtags_raw,
        list_filter(list_transform(mentions, lambda x: lower(ltrim(x, '@'))),
                    lambda x: x <> '') AS mentions,
        list_transform(urls, lambda x: CASE WHEN starts_with(x, 'https://t.co/')
                                                 AND regexp_full_match(substr(x, 14), '{_CODE}')
                                            THEN 't.co/' || substr(x, 14)
                                            WHEN starts_with(x, 'http://t.co/')
                                                 AND regexp_full_match(substr(x, 13), '{_CODE}')
                                            THEN 't.co/' || substr(x, 13)
                                            WHEN regexp_matches(x, '{_TCO}')
                                            THEN 't.co/' || regexp_extract(x, '{_TCO}', 1)
                                            ELSE tw_url(tw_url_raw(trim(x))) END) AS urls,
        author_handle, TRUE AS collected, NULL AS source, NULL AS post_url
    FROM (SELECT *, {stripped_tags("hashtags_raw")} AS tags
          FROM ({{staged}}))
"""

# One observation per author: the fields of its latest row (by time, then row number), NULLs
# included. One aggregate, not a window that sorts every row by author and time (the IRA
# archive's accounts: 0.24 against 0.64 CPU-s).
_ACCOUNT_COLUMNS = {
    "platform": "?",
    "account_id": "author_id",
    "declared_bot": "NULL",
    "observed_at": "max(created_at)",
} | {f: f"arg_max_null(account_{f}, _latest)" for f in _ACCOUNT_FIELDS}
_ACCOUNTS_SQL = f"""
    SELECT {", ".join(f"{_ACCOUNT_COLUMNS[f.name]} AS {f.name}" for f in ACCOUNT_SCHEMA)}
    FROM (SELECT *, (created_at, _row) AS _latest FROM _read)
    GROUP BY author_id
"""


class _TableReader:
    """Turns the rows of one table into PostTable, AccountTable and Quarantined items."""

    def __init__(self, variant: Variant, names: list[str], options: ReadOptions):
        self.cols = Columns(names)
        self.variant = variant
        self.params = {"platform": options.platform, "time_column": variant.time_column(self.cols)}
        self.zoned = options.assumed_zone is not UTC
        if self.zoned:
            self.params["assume_tz"] = options.assume_tz
        self.has_accounts = any(k.startswith("account_") for k in variant.build(self.cols))
        self.columns = len(names)
        self.batch_sql = _read_sql(variant, self.cols, "_rows", self.zoned)
        self.con = _engine()
        self.beside = configured(self.con.cursor())  # the accounts while a Parquet file streams
        self.rows_seen = 0

    def read_batch(self, batch: pa.RecordBatch) -> Iterator[Item]:
        """The items of the next Arrow batch of the table (columns as text or bytes: a row
        holding bytes that are not UTF-8 is quarantined)."""
        first = self.rows_seen + 1
        self.rows_seen += batch.num_rows
        batch, invalid = _as_text(batch)
        with registered(self.con, "_rows", _positional(batch, first)):
            rows = self.con.sql(self.batch_sql, params=self.params).to_arrow_table()
        if invalid is not None:
            position = pa.compute.subtract(rows["_row"], first)
            flagged = pa.array(invalid).take(position)
            reasons = pa.compute.if_else(flagged, _INVALID_UTF8, rows["reason"])
            rows = rows.set_column(rows.schema.get_field_index("reason"), "reason", reasons)
        yield from self._items(rows, lambda numbers: _taken(batch, [n - first for n in numbers]))

    def read_parquet(self, parquet: pq.ParquetFile, path: str) -> Iterator[Item]:
        """The items of a whole Parquet file, which DuckDB reads and normalises in one query.

        Against Arrow batches read by pyarrow, each registered in DuckDB, the IRA archive took
        10.0-12.0 against 11.8-13.7 CPU-s, its peak 525-546 against 727-764 MB (three
        alternating runs of the reader alone).
        """
        sql = _read_sql(self.variant, self.cols, _parquet_rows_sql(self.columns), self.zoned)
        stream = self.con.sql(sql, params=self.params | {"path": path})
        for rows in _rebatched(stream.to_arrow_reader(BATCH_ROWS), BATCH_ROWS):
            yield from self._items(rows, lambda numbers: _parquet_rows(parquet, numbers))

    def _items(self, rows: pa.Table, raw: Callable[[list[int]], list[tuple]]) -> Iterator[Item]:
        """Quarantined, NaiveTimes, PostTable and AccountTable items of ``rows`` (the read
        query's); ``raw`` gives the input values of rows by their numbers (for the
        quarantine)."""
        reasons = rows["reason"]
        if reasons.null_count < rows.num_rows:
            bad = rows.filter(reasons.is_valid()).select(["_row", "reason"]).sort_by("_row")
            numbers = bad["_row"].to_pylist()
            for number, reason, values in zip(
                numbers, bad["reason"].to_pylist(), raw(numbers), strict=True
            ):
                yield Quarantined(number, _as_csv(values), reason)
            rows = rows.filter(reasons.is_null())
        if naive := pa.compute.sum(rows["naive"]).as_py():
            yield NaiveTimes(naive)
        yield PostTable(rows.select(POST_SCHEMA.names).cast(POST_SCHEMA))
        if self.has_accounts:
            yield AccountTable(self._accounts(rows))

    def _accounts(self, rows: pa.Table) -> pa.Table:
        with registered(self.beside, "_read", rows):
            table = self.beside.sql(_ACCOUNTS_SQL, params=[self.params["platform"]])
            return table.to_arrow_table().cast(ACCOUNT_SCHEMA)

    def close(self) -> None:
        self.beside.close()
        self.con.close()


def _positional(batch: pa.RecordBatch, first: int) -> pa.Table:
    """The batch with columns renamed c0, c1, ... and a 1-based row number ``_row``."""
    names = [f"c{i}" for i in range(batch.num_columns)]
    table = pa.Table.from_batches([batch]).rename_columns(names)
    numbers = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))
    return table.append_column("_row", numbers)


def _parquet_rows_sql(columns: int) -> str:
    """The rows of the Parquet file ``$path``, columns renamed by position, numbered from 1."""
    names = ", ".join(f"c{i}" for i in range(columns))
    return (
        "(SELECT *, _file_row + 1 AS _row FROM read_parquet($path, file_row_number = true) "
        f"AS _file({names}, _file_row))"
    )


def _rebatched(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """The batches as tables of ``rows`` rows each (the last may have fewer).

    DuckDB hands a Parquet file's rows over in batches that end with each of the file's row
    groups (asked for 245,760 rows, the IRA archive's 250,000-row groups came as 245,760 and
    4,240); a store batch that is not a whole number of DuckDB row groups costs more to write
    (see :data:`BATCH_ROWS`).
    """
    waiting: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        waiting.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(waiting)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            waiting, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(waiting)


def _taken(table: pa.RecordBatch | pa.Table, positions: list[int]) -> list[tuple]:
    """The values of the rows at ``positions`` (0-based), column by column in file order."""
    picked = table.take(pa.array(positions, pa.int64()))
    return list(zip(*(column.to_pylist() for column in picked.columns), strict=True))


def _parquet_rows(parquet: pq.ParquetFile, numbers: list[int]) -> list[tuple]:
    """The values of the rows ``numbers`` (1-based, ascending) of a Parquet file, read from
    the row groups that hold them (only those of quarantined rows are read twice)."""
    sizes = [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)]
    starts = np.cumsum([0, *sizes])
    wanted = np.asarray(numbers, np.int64) - 1
    groups = np.searchsorted(starts, wanted, side="right") - 1
    values: list[tuple] = []
    for group in np.unique(groups):
        positions = wanted[groups == group] - starts[group]
        values += _taken(parquet.read_row_group(int(group)), positions.tolist())
    return values


def _as_csv(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if v is None else v for v in values])
    return out.getvalue()


# -- the two formats ------------------------------------------------------------------------


def _choose_variant(names: list[str], options: ReadOptions, source: InputFile) -> Variant:
    if options.mapping:
        return mapped_variant(options.mapping, names)
    variant = find_variant(names)
    if variant is None:
        raise MappingError(
            f"{source.name}: unknown table layout (columns: {', '.join(names[:20])}); "
            "use --map COLUMN=FIELD to say which column is which post field"
        )
    return variant


def _read_csv(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    rows = _csv_batches(source, options)
    reader = _TableReader(_choose_variant(rows.names, options, source), rows.names, options)
    try:
        for batch in _parsed(rows, source, reader):
            yield from reader.read_batch(batch)
            yield from _drained(rows.rejected)
    except InputError:  # the rows the parser rejected before it gave up, then the error
        yield from _drained(rows.rejected)
        raise
    finally:
        reader.close()
    yield from rows.rejected


def _drained(items: list) -> Iterator:
    yield from items
    items.clear()


def _parsed(rows: _RowBatches, source: InputFile, reader: _TableReader) -> Iterator:
    try:
        yield from rows.batches
    except (pa.ArrowInvalid, UnicodeDecodeError, UnreadableFileError) as exc:
        raise _table_error(source, rows, reader.rows_seen, exc) from exc


# DuckDB's errors (a damaged page can raise a bare duckdb.Error), and those of the Arrow stream
# that hands the rows over ("OSError: Invalid Error: ...").
_PARQUET_ERRORS = (duckdb.Error, OSError, pa.ArrowException)


def _read_parquet(source: InputFile, options: ReadOptions) -> Iterator[Item]:
    parquet = _open_parquet(source)
    try:
        names = parquet.schema_arrow.names
        reader = _TableReader(_choose_variant(names, options, source), names, options)
        try:
            yield from reader.read_parquet(parquet, str(source.path))
        except _PARQUET_ERRORS as exc:
            message = f"{source.name}: cannot read the Parquet file ({exc})"
            raise UnreadableFileError(message) from exc
        finally:
            reader.close()
    finally:
        parquet.close()


@dataclass(frozen=True)
class TableFormat:
    """One table format (CSV or Parquet) as the format registry expects it."""

    NAME: str
    DESCRIPTION: str
    READS_WITH_DUCKDB = True  # an in-process DuckDB on every core (see trendwatch.ingest)
    _sniff: Callable[[bytes], bool]
    _read: Callable[[InputFile, ReadOptions], Iterator[Item]]

    def sniff(self, head: bytes) -> bool:
        return self._sniff(head)

    def read(self, source: InputFile, options: ReadOptions) -> Iterator[Item]:
        """Read a table into PostTable / AccountTable / Quarantined items."""
        return self._read(source, options)


FORMATS = {
    "parquet": TableFormat(
        "parquet",
        "Parquet table in any of the CSV layouts (twarc-csv, rtweet, IRA, QUT, CooRTweet, --map)",
        _sniff_parquet,
        _read_parquet,
    ),
    "csv": TableFormat(
        "csv",
        "CSV/TSV: twarc-csv, rtweet, IRA troll tweets, QUT toolkit, CooRTweet, or --map",
        _sniff_csv,
        _read_csv,
    ),
}
