"""CSV and Parquet tables: detection from the header, vectorised reading into Arrow batches.

The table layouts (twarc-csv, rtweet, the IRA troll tweets, QUT's toolkit, CooRTweet, and any
other table through ``--map``) are described in :mod:`.tabular_variants`. Both formats accept
all of them.

Reading is vectorised: the table comes in Arrow batches (``pyarrow.csv`` streaming reader, or
Parquet row groups), and an in-memory DuckDB connection (not the store) turns each batch into
a :class:`~.items.PostTable` with :data:`~trendwatch.model.POST_SCHEMA` and an
:class:`~.items.AccountTable` with one observation per author (the latest in the batch).
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
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, MappingError, UnreadableFileError
from ..model import ACCOUNT_SCHEMA, POST_SCHEMA, Kind
from ..text import normalize_hashtag, normalize_url
from .items import AccountTable, Item, PostTable, Quarantined, ReadOptions
from .stream import InputFile
from .tabular_variants import (
    LANGUAGE_CODES,
    Columns,
    Variant,
    find_variant,
    mapped_variant,
)

__all__ = ["FORMATS", "TableFormat", "read_header", "sniff_delimited", "BATCH_ROWS"]

BATCH_ROWS = 245_760
"""Rows per Arrow batch: large enough for DuckDB to be efficient, small enough for memory.

Two DuckDB row groups (2 x 122,880 rows): a store batch that ends on a row-group boundary is
written compressed at once, whereas 250,000-row batches left a small row group behind that
the next batch filled in memory, so that closing the IRA store re-compressed those rows
(4.2 s of CPU, and a 473 MB file instead of 307 MB)."""
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
    """Arrow batches of a table plus the rows the CSV parser rejected, as they come."""

    names: list[str]
    batches: Iterator[pa.RecordBatch]
    rejected: list[Quarantined]


def _csv_batches(source: InputFile) -> _RowBatches:
    header = read_header(source.head)
    if header is None:
        raise UnreadableFileError(f"{source.name}: no delimited header line")
    rejected: list[Quarantined] = []

    def reject(row) -> str:
        number = row.number if row.number is not None else -(len(rejected) + 1)
        reason = f"row has {row.actual_columns} cells, the header has {row.expected_columns}"
        rejected.append(Quarantined(number, row.text, reason))
        return "skip"

    reader = pacsv.open_csv(
        source.stream,
        read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK, encoding="utf-8"),
        parse_options=pacsv.ParseOptions(
            delimiter=header.delimiter, newlines_in_values=True, invalid_row_handler=reject
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in header.names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return _RowBatches(header.names, iter(reader), rejected)


def _parquet_batches(source: InputFile) -> _RowBatches:
    if source.path is None or source.compressed:
        raise InputError(
            f"{source.name}: Parquet must be read from an uncompressed file (it needs to "
            "seek); save it to a file and give its path"
        )
    try:
        parquet = pq.ParquetFile(source.path)
    except (OSError, pa.ArrowException) as exc:
        raise UnreadableFileError(f"{source.name}: not a readable Parquet file ({exc})") from exc
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    return _RowBatches(parquet.schema_arrow.names, batches, [])


# -- the DuckDB engine ----------------------------------------------------------------------

_SETUP_SQL = r"""
SET TimeZone = 'UTC';
CREATE MACRO tw_epoch(v) AS to_timestamp(CASE WHEN abs(v) > 1e11 THEN v / 1000 ELSE v END);
CREATE MACRO tw_time(s) AS CASE
    WHEN regexp_full_match(s, '-?\d+(\.\d+)?') THEN tw_epoch(TRY_CAST(s AS DOUBLE))
    ELSE coalesce(
        TRY_CAST(s AS TIMESTAMPTZ),
        CAST(try_strptime(s, ['%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S']) AS TIMESTAMPTZ),
        try_strptime(s, '%a %b %d %H:%M:%S %z %Y'))
    END;
CREATE MACRO tw_url_raw(u) AS rtrim(u, '.,;:!?)]}»”’');
"""

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
    con = duckdb.connect()
    con.execute(_SETUP_SQL)
    con.create_function("tw_hashtag", _py_hashtag, ["VARCHAR"], "VARCHAR", type="arrow")
    con.create_function("tw_url", _py_url, ["VARCHAR"], "VARCHAR", type="arrow")
    con.execute(
        "SET VARIABLE tw_language_codes = MAP(?::VARCHAR[], ?::VARCHAR[])",
        [list(LANGUAGE_CODES), list(LANGUAGE_CODES.values())],
    )
    return con


def _read_sql(variant: Variant, cols: Columns) -> str:
    """One row per input row: the post, the account fields, ``_row`` and ``reason`` (NULL
    unless the row must be quarantined).

    Three parameters: the platform, then the name of the time column twice (names from files
    never enter SQL).
    """
    return _READ_SQL.replace("{staged}", _stage_sql(variant, cols))


def _stage_sql(variant: Variant, cols: Columns) -> str:
    """Every field of each input row as the variant reads it, and ``reason``."""
    exprs = variant.build(cols)
    fields = [f"{exprs.get(f, 'NULL')} AS {f}" for f in _FIELDS]
    lists = [
        f"{exprs.get(f, '[]::VARCHAR[]')} AS {f}" for f in ("hashtags_raw", "mentions", "urls")
    ]
    accounts = [f"{exprs.get('account_' + f, 'NULL')} AS account_{f}" for f in _ACCOUNT_FIELDS]
    return f"""
        WITH timed AS (SELECT *, tw_time({exprs["_time"]}) AS created_at FROM _rows),
        staged AS (
            SELECT _row, {exprs["_time"]} AS _time, created_at,
                   {", ".join(fields + lists + accounts)}
            FROM timed)
        SELECT *, {_REASON_SQL} AS reason FROM staged
    """


_REASON_SQL = f"""CASE
    WHEN post_id IS NULL THEN 'post_id: missing'
    WHEN author_id IS NULL THEN 'author_id: missing'
    WHEN _time IS NULL THEN ? || ': missing time'
    WHEN created_at IS NULL THEN ? || ': cannot parse time ' || left(_time, 40)
    WHEN kind NOT IN {_KINDS} THEN 'kind: ' || left(kind, 40)
         || ' is not one of post, repost, reply, quote'
    END"""


# The posts columns of the staged rows, plus what the accounts and the quarantine need: one
# query from the input rows to the Arrow table, rather than a staging table that the posts
# query reads again (the IRA archive: 0.3-0.8 CPU-s less and 100-150 MB less at the peak).
# An ASCII tag only needs lower(); strlen (bytes) equals length (characters) only for ASCII.
_READ_SQL = rf"""
    SELECT _row, reason, {", ".join("account_" + f for f in _ACCOUNT_FIELDS)},
        ? AS platform, post_id, author_id, created_at, kind, text, lang, ref_post_id,
        ref_author_id, ref_author_handle, reply_to_post_id, reply_to_author_id, conversation_id,
        list_transform(tags, lambda x: CASE WHEN strlen(x) = length(x) THEN lower(x)
                                       ELSE tw_hashtag(x) END) AS hashtags,
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
        author_handle, TRUE AS collected, NULL AS source
    FROM (SELECT *, list_filter(list_transform(hashtags_raw, lambda x: ltrim(x, '#＃')),
                                lambda x: x <> '') AS tags
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
    """Turns Arrow batches of one table into PostTable, AccountTable and Quarantined items."""

    def __init__(self, variant: Variant, names: list[str], options: ReadOptions):
        self.cols = Columns(names)
        self.variant = variant
        self.platform = options.platform
        self.read_sql = _read_sql(variant, self.cols)
        self.time_column = variant.time_column(self.cols)
        self.has_accounts = any(k.startswith("account_") for k in variant.build(self.cols))
        self.con = _engine()
        self.rows_seen = 0

    def read(self, batch: pa.RecordBatch) -> Iterator[Item]:
        first = self.rows_seen + 1
        self.rows_seen += batch.num_rows
        self.con.register("_rows", _positional(batch, first))
        try:
            params = [self.platform, self.time_column, self.time_column]
            rows = self.con.sql(self.read_sql, params=params).to_arrow_table()
        finally:
            self.con.unregister("_rows")
        reasons = rows["reason"]
        if reasons.null_count < rows.num_rows:
            yield from _quarantined(batch, first, rows.filter(reasons.is_valid()))
            rows = rows.filter(reasons.is_null())
        yield PostTable(rows.select(POST_SCHEMA.names).cast(POST_SCHEMA))
        if self.has_accounts:
            yield AccountTable(self._accounts(rows))

    def _accounts(self, rows: pa.Table) -> pa.Table:
        self.con.register("_read", rows)
        try:
            table = self.con.sql(_ACCOUNTS_SQL, params=[self.platform]).to_arrow_table()
        finally:
            self.con.unregister("_read")
        return table.cast(ACCOUNT_SCHEMA)

    def close(self) -> None:
        self.con.close()


def _quarantined(batch: pa.RecordBatch, first: int, bad: pa.Table) -> Iterator[Quarantined]:
    """The ``bad`` rows (those with a ``reason``) as they are in the input ``batch``."""
    bad = bad.select(["_row", "reason"]).sort_by("_row")
    numbers, reasons = bad["_row"].to_pylist(), bad["reason"].to_pylist()
    raw = batch.take(pa.array([n - first for n in numbers])).to_pylist()
    for number, reason, values in zip(numbers, reasons, raw, strict=True):
        yield Quarantined(number, _as_csv(values.values()), reason)


def _positional(batch: pa.RecordBatch, first: int) -> pa.Table:
    """The batch with columns renamed c0, c1, ... and a 1-based row number ``_row``."""
    names = [f"c{i}" for i in range(batch.num_columns)]
    table = pa.Table.from_batches([batch]).rename_columns(names)
    numbers = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))
    return table.append_column("_row", numbers)


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


def _read_table(rows: _RowBatches, source: InputFile, options: ReadOptions) -> Iterator[Item]:
    reader = _TableReader(_choose_variant(rows.names, options, source), rows.names, options)
    try:
        for batch in _batches(rows, source):
            yield from reader.read(batch)
            yield from rows.rejected
            rows.rejected.clear()
        yield from rows.rejected
    finally:
        reader.close()


def _batches(rows: _RowBatches, source: InputFile) -> Iterator[pa.RecordBatch]:
    try:
        yield from rows.batches
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnreadableFileError(f"{source.name}: cannot parse the table ({exc})") from exc


@dataclass(frozen=True)
class TableFormat:
    """One table format (CSV or Parquet) as the format registry expects it."""

    NAME: str
    DESCRIPTION: str
    READS_WITH_DUCKDB = True  # an in-process DuckDB on every core (see trendwatch.ingest)
    _sniff: object
    _batches: object

    def sniff(self, head: bytes) -> bool:
        return self._sniff(head)

    def read(self, source: InputFile, options: ReadOptions) -> Iterator[Item]:
        """Read a table into PostTable / AccountTable / Quarantined items."""
        return _read_table(self._batches(source), source, options)


FORMATS = {
    "parquet": TableFormat(
        "parquet",
        "Parquet table in any of the CSV layouts (twarc-csv, rtweet, IRA, QUT, CooRTweet, --map)",
        _sniff_parquet,
        _parquet_batches,
    ),
    "csv": TableFormat(
        "csv",
        "CSV/TSV: twarc-csv, rtweet, IRA troll tweets, QUT toolkit, CooRTweet, or --map",
        _sniff_csv,
        _csv_batches,
    ),
}
