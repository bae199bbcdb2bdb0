"""Table readers: each layout on a hand-written fixture, field by field; real files; --map."""

from __future__ import annotations

import csv
import hashlib
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, shared_path
from trendwatch.errors import InputError, MappingError, UnreadableFileError
from trendwatch.formats import get_format, open_input
from trendwatch.formats.items import AccountTable, PostTable, Quarantined, ReadOptions
from trendwatch.formats.tabular_variants import find_variant
from trendwatch.ingest import ingest
from trendwatch.store import Store
from trendwatch.text import normalize_url

TABLES = FIXTURES / "tabular"


def _read(path, fmt="csv", **options):
    source = open_input(str(path))
    try:
        items = list(get_format(fmt).read(source, ReadOptions(**options)))
    finally:
        source.close()
    posts = [row for i in items if isinstance(i, PostTable) for row in i.table.to_pylist()]
    accounts = [row for i in items if isinstance(i, AccountTable) for row in i.table.to_pylist()]
    bad = [i for i in items if isinstance(i, Quarantined)]
    return posts, accounts, bad


def _by_id(posts):
    return {p["post_id"]: p for p in posts}


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "fmt", "variant"),
    [
        ("twarc.csv", "csv", "twarc-csv"),
        ("rtweet.csv", "csv", "rtweet"),
        ("ira.csv", "csv", "ira"),
        ("ira_split.csv", "csv", "ira"),
        ("qut.csv", "csv", "qut"),
        ("coortweet.csv", "csv", "coortweet"),
    ],
)
def test_known_layouts_are_detected_from_the_header(name, fmt, variant):
    head = (TABLES / name).read_bytes()[:4096]
    assert get_format(fmt).sniff(head)
    assert not get_format("parquet").sniff(head)
    header = head.split(b"\n", 1)[0].decode().split(",")
    assert find_variant(header).name == variant


def test_unknown_table_is_not_claimed_without_map():
    assert not get_format("csv").sniff((TABLES / "generic.tsv").read_bytes())
    assert not get_format("csv").sniff(b'{"id": 1}\n')


@pytest.mark.parametrize("head", [b"\r,", b"\r\n,", b'"a\rb",c\n'])
def test_a_header_cut_by_a_lone_carriage_return_is_not_a_crash(head):
    # Found by test_arbitrary_bytes_never_crash: csv.reader raised on a CR inside the line.
    from trendwatch.formats.tabular import read_header

    assert read_header(head) is None or read_header(head).delimiter == ","


def test_a_lone_carriage_return_ends_the_header_line():
    from trendwatch.formats.tabular import read_header

    assert read_header(b"a,b\rc,d").names == ["a", "b"]


def test_twarc_csv_fields():
    posts, accounts, bad = _read(TABLES / "twarc.csv")
    by_id = _by_id(posts)
    first = by_id["100"]
    assert first["author_id"] == "11"
    assert first["created_at"] == _utc(2021, 4, 8, 14, 0)
    assert (first["kind"], first["lang"], first["conversation_id"]) == ("post", "fr", "100")
    assert first["text"] == "Hello #Été\nsecond line"  # twarc-csv's escaped newline restored
    assert (first["hashtags"], first["hashtags_raw"]) == (["été"], ["Été"])
    assert first["mentions"] == ["bob"]
    assert first["urls"] == [normalize_url("https://Example.com/a?utm_source=x")]
    assert first["author_handle"] == "alice"
    reply = by_id["101"]
    assert (reply["kind"], reply["reply_to_post_id"], reply["reply_to_author_id"]) == (
        "reply",
        "100",
        "11",
    )
    repost = by_id["102"]
    assert (repost["kind"], repost["ref_post_id"], repost["ref_author_id"]) == (
        "repost",
        "100",
        "11",
    )
    assert [(b.record_no, b.reason) for b in bad] == [
        (4, "created_at: cannot parse time not a time")
    ]
    assert bad[0].raw.startswith("103,103,,,,12,")
    bob = next(a for a in accounts if a["account_id"] == "12")
    assert (bob["handle"], bob["name"], bob["followers"], bob["following"]) == ("bob", "Bob", 1, 2)
    assert bob["posts_count"] == 4  # the latest well-formed row (post 102)
    assert bob["created_at"] == _utc(2011, 1, 1)


def test_rtweet_fields():
    posts, accounts, bad = _read(TABLES / "rtweet.csv")
    assert bad == []
    by_id = _by_id(posts)
    rt = by_id["1"]
    assert (rt["kind"], rt["ref_post_id"], rt["ref_author_id"], rt["ref_author_handle"]) == (
        "repost",
        "9",
        "u9",
        "zed",
    )
    assert rt["created_at"] == _utc(2020, 1, 2, 10, 0)
    assert (rt["hashtags"], rt["mentions"], rt["urls"]) == (["news"], ["zed"], ["t.co/AbC"])
    quote = by_id["2"]
    assert (quote["kind"], quote["ref_post_id"]) == ("quote", "1")
    assert (quote["hashtags"], quote["hashtags_raw"], quote["urls"]) == (["a", "b"], ["a", "B"], [])
    ben = next(a for a in accounts if a["account_id"] == "u2")
    assert (ben["handle"], ben["followers"], ben["following"], ben["posts_count"]) == (
        "Ben",
        7,
        8,
        9,
    )
    assert ben["verified"] is True


def test_ira_fivethirtyeight_csv_fields():
    posts, accounts, bad = _read(TABLES / "ira.csv")
    assert bad == []
    rt, quote = posts
    assert rt["post_id"] == "914580356430536707"
    assert (rt["author_id"], rt["author_handle"]) == ("906000000000000000", "10_GOP")
    assert rt["created_at"] == _utc(2017, 10, 1, 19, 58)
    assert (rt["kind"], rt["ref_author_handle"], rt["lang"]) == ("repost", "someone_1", "en")
    assert (rt["hashtags"], rt["hashtags_raw"]) == (["back"], ["Back"])
    assert rt["mentions"] == ["someone_1", "friend"]
    assert rt["urls"] == ["t.co/XyZ123"]
    assert (quote["kind"], quote["ref_author_handle"]) == ("quote", None)
    assert len(accounts) == 1  # one observation per author: the latest row
    assert (accounts[0]["followers"], accounts[0]["following"], accounts[0]["posts_count"]) == (
        9637,
        1054,
        254,
    )
    assert accounts[0]["observed_at"] == _utc(2017, 10, 1, 22, 43)


_MICROS = 10**6
_TIMESTAMP_SECONDS = st.integers(-62_135_596_800, 253_402_300_799)  # years 1 to 9999


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(_TIMESTAMP_SECONDS, st.sampled_from([0, 0, 1, 500_000, 999_999])),
        max_size=40,
    )
)
def test_epoch_text_is_the_double_duckdb_writes(times):
    from trendwatch.formats.tabular_variants import epoch_text_sql

    micros = [seconds * _MICROS + fraction for seconds, fraction in times]
    with duckdb.connect() as con:
        con.register("_t", pa.table({"us": pa.array(micros, pa.int64())}))
        rows = con.execute(
            f"SELECT CAST(epoch(t) AS VARCHAR), {epoch_text_sql('t')} "
            "FROM (SELECT make_timestamptz(us) AS t FROM _t "
            "      UNION ALL SELECT 'infinity'::TIMESTAMPTZ UNION ALL SELECT NULL)"
        ).fetchall()
    assert [new for _, new in rows] == [former for former, _ in rows]


_TIME_BASES = ["2017-09-07 19:52:00", "2017-09-07T19:52:00", "2017-02-30 10:00:00"]
_TIME_BASES += ["2017-09-07 19:52", "2017-9-7 19:52:00", "1504813920", "09/07/2017 19:52", "x"]
_TIME_SUFFIXES = ["", "", "+02", "+0200", "Z", " UTC", " EST", " America/New_York", "-05:30"]
_TIME_SUFFIXES += [".5", ".123456", " ", "x", ":00"]
_SHAPED = st.lists(st.sampled_from("0123456789 +-:TZx."), min_size=19, max_size=19).map(
    lambda chars: (
        "".join(chars[:4])
        + "-"
        + "".join(chars[5:7])
        + "-"
        + "".join(chars[8:10])
        + " "
        + "".join(chars[11:13])
        + ":"
        + "".join(chars[14:16])
        + ":"
        + "".join(chars[17:19])
    )
)
_TIME_TEXTS = [base + suffix for base in _TIME_BASES for suffix in _TIME_SUFFIXES]


_READ = "tw_time(tw_wall_time(s), s)"  # how the read query reads a time as UTC
_GENERAL = "tw_time_any(s)"


def _times(texts: list[str | None], expression: str) -> list:
    from trendwatch.formats.tabular import _engine

    con = _engine()
    try:
        con.register("_t", pa.table({"s": pa.array(texts, pa.string())}))
        return [row[0] for row in con.execute(f"SELECT {expression} FROM _t").fetchall()]
    finally:
        con.close()


def test_times_in_the_plain_shape_read_as_the_general_way_with_any_suffix():
    # tw_time reads a time without an offset (tw_wall_time) without the TIMESTAMPTZ cast;
    # tw_time_any is the general reading, which it must equal on every text (a zone after the
    # seconds counts).
    texts = [*_TIME_TEXTS, None]
    assert _times(texts, _READ) == _times(texts, _GENERAL)


@settings(max_examples=60, deadline=None)
@given(st.lists(_SHAPED | st.text(max_size=25), max_size=30))
def test_times_of_the_plain_shape_read_as_the_general_way(texts):
    assert _times(texts, _READ) == _times(texts, _GENERAL)


def test_the_words_duckdb_reads_as_times_are_no_times():
    # DuckDB casts 'infinity' (9999-12-31), '-infinity' (year 1) and 'epoch' (1970) to times;
    # as a post's time they are a bad record, never a date in a trend's history.
    words = ["infinity", "-infinity", "+Infinity", "INF", "-inf", " epoch ", "Epoch"]
    assert _times(words, _READ) == _times(words, _GENERAL) == [None] * len(words)


def test_a_row_whose_time_is_infinity_is_quarantined(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text(
        "object_id,account_id,content_id,timestamp_share\n"
        "o1,a1,c1,1600000000\n"
        "o1,a2,c2,infinity\n"
        "o1,a3,c3,epoch\n"
    )
    posts, _, bad = _read(path, "csv")
    assert [p["author_id"] for p in posts] == ["a1"]
    assert [b.record_no for b in bad] == [2, 3]
    assert all("cannot parse time" in b.reason for b in bad)


_SPACES = [" ", "\u00a0", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(["a", "é", "\t", "\n", *_SPACES])) | st.text()))
def test_trimmed_text_is_duckdbs_trim_with_empty_as_null(texts):
    from trendwatch.formats.tabular_variants import trimmed_text

    with duckdb.connect() as con:
        con.register("_t", pa.table({"s": pa.array([*texts, None], pa.string())}))
        rows = con.execute(f"SELECT nullif(trim(s), ''), {trimmed_text('s')} FROM _t").fetchall()
    assert [new for _, new in rows] == [former for former, _ in rows]


def test_ira_split_derives_ids_and_quarantines_bad_times():
    posts, accounts, bad = _read(TABLES / "ira_split.csv")
    ids = [p["post_id"] for p in posts]
    # Rows 1 and 2 differ only in harvested_date: the same tweet. Row 3 has another tweet
    # count (updates): another tweet with the same text in the same minute.
    assert ids[0] == ids[1] != ids[2]
    assert all(i.startswith("md5-") and len(i) == 20 for i in ids)
    assert len(set(ids)) == 4
    # The documented formula, worked out by hand: ids must not change between versions, or
    # re-ingesting an archive into an older store would add every post again.
    joined = "\x1f".join(["troll_a", "1443616140.0", "Hello #Привет world", "30"])
    assert ids[0] == "md5-" + hashlib.md5(joined.encode()).hexdigest()[:16]
    first = posts[0]
    assert (first["hashtags"], first["lang"], first["kind"]) == (["привет"], "ru", "post")
    old_rt = posts[3]
    assert (old_rt["kind"], old_rt["ref_author_handle"], old_rt["lang"]) == (
        "repost",
        "troll_a",
        None,
    )
    assert posts[4]["kind"] == "repost"  # post_type R, no RT prefix
    assert [(b.record_no, b.reason) for b in bad] == [
        (6, "publish_date: cannot parse time yesterday")
    ]
    assert (
        bad[0].raw
        == "troll_b,bad time,United States,English,yesterday,2015-10-01 08:00:00,4,5,6,,0"
    )
    assert {a["account_id"]: a["posts_count"] for a in accounts} == {"troll_a": 31, "troll_b": 6}


def test_ira_repeated_rows_are_duplicates_in_the_store(store):
    report = ingest([TABLES / "ira_split.csv"], store, format="csv")
    counts = report.files[0]
    assert (counts.read, counts.added, counts.duplicates, counts.quarantined) == (6, 4, 1, 1)


def test_parquet_reads_the_same_layouts(tmp_path):
    table = pacsv.read_csv(TABLES / "ira_split.csv")  # typed columns, as real Parquet files
    pq.write_table(table, tmp_path / "ira.parquet")
    head = (tmp_path / "ira.parquet").read_bytes()[:64]
    assert get_format("parquet").sniff(head) and not get_format("csv").sniff(head)
    parquet_posts, _, bad = _read(tmp_path / "ira.parquet", "parquet")
    csv_posts, _, _ = _read(TABLES / "ira_split.csv")
    assert parquet_posts == csv_posts
    assert [b.record_no for b in bad] == [6]


def _skip_bad_rows(row) -> str:
    return "skip"


@pytest.mark.parametrize("name", ["ira.csv", "rtweet.csv", "twarc.csv", "qut.csv", "coortweet.csv"])
def test_parquet_read_by_duckdb_gives_the_items_of_the_same_rows_read_as_csv(tmp_path, name):
    # DuckDB reads a Parquet file in one query, CSV comes in Arrow batches: the same SQL
    # must see the same rows. Text columns keep CSV's own cells (quarantine reasons quote them).
    options = pacsv.ConvertOptions(column_types={}, strings_can_be_null=True)
    table = pacsv.read_csv(
        TABLES / name,
        parse_options=pacsv.ParseOptions(invalid_row_handler=_skip_bad_rows),
        convert_options=options,
    )
    table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
    pacsv.write_csv(table, tmp_path / name)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    as_csv = _read(tmp_path / name)
    as_parquet = _read(tmp_path / "t.parquet", "parquet")
    assert as_parquet[0] == as_csv[0]

    def by_account(accounts):
        return sorted(accounts, key=lambda a: a["account_id"])

    assert by_account(as_parquet[1]) == by_account(as_csv[1])
    assert [(b.record_no, b.reason) for b in as_parquet[2]] == [
        (b.record_no, b.reason) for b in as_csv[2]
    ]
    assert as_parquet[0]


def test_parquet_batches_have_the_store_size_and_quarantine_the_raw_rows(tmp_path, monkeypatch):
    tabular = __import__("trendwatch.formats.tabular", fromlist=["BATCH_ROWS"])
    monkeypatch.setattr(tabular, "BATCH_ROWS", 4)
    times = ["2015-09-30 12:00:00"] * 11
    times[2], times[8] = "never", None  # in the second and fifth row groups of two rows
    table = pa.table(
        {
            "author_id": [f"a{i % 3}" for i in range(11)],
            "content": [f"post {i}" for i in range(11)],
            "publish_date": times,
            "following": [1] * 11,
            "followers": [2] * 11,
            "updates": list(range(11)),
            "post_type": [None] * 11,
        }
    )
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    source = open_input(str(tmp_path / "t.parquet"))
    try:
        items = list(get_format("parquet").read(source, ReadOptions()))
    finally:
        source.close()
    posts = [i.table for i in items if isinstance(i, PostTable)]
    assert [t.num_rows for t in posts] == [3, 4, 2]  # batches of 4 rows but the bad ones
    assert [i.table.num_rows for i in items if isinstance(i, AccountTable)] == [2, 3, 2]
    assert [t["text"].to_pylist() for t in posts][0] == ["post 0", "post 1", "post 3"]
    bad = [(i.record_no, i.raw, i.reason) for i in items if isinstance(i, Quarantined)]
    assert bad == [
        (3, "a2,post 2,never,1,2,2,", "publish_date: cannot parse time never"),
        (9, "a2,post 8,,1,2,8,", "publish_date: missing time"),
    ]


@given(st.lists(st.integers(0, 9), max_size=12), st.integers(1, 7))
def test_rebatched_tables_have_the_size_asked_but_the_last(sizes, rows):
    from trendwatch.formats.tabular import _rebatched

    numbers = iter(range(sum(sizes)))
    batches = [
        pa.record_batch({"n": pa.array([next(numbers) for _ in range(k)], pa.int64())})
        for k in sizes
    ]
    tables = list(_rebatched(iter(batches), rows))
    assert all(t.num_rows == rows for t in tables[:-1])
    assert tables == [] or 0 < tables[-1].num_rows <= rows
    assert [n for t in tables for n in t["n"].to_pylist()] == list(range(sum(sizes)))


def test_a_damaged_parquet_file_is_unreadable_not_a_crash(tmp_path):
    table = pacsv.read_csv(TABLES / "ira_split.csv")
    rows = pa.concat_tables([table] * 5000)
    pq.write_table(rows, tmp_path / "t.parquet", row_group_size=10_000, compression="none")
    data = bytearray((tmp_path / "t.parquet").read_bytes())
    for offset in (len(data) // 4, len(data) // 3):  # pages, far from the footer
        data[offset : offset + 200] = b"\xff" * 200
    (tmp_path / "t.parquet").write_bytes(bytes(data))
    source = open_input(str(tmp_path / "t.parquet"))
    try:
        with pytest.raises(UnreadableFileError, match="t.parquet: cannot read the Parquet"):
            list(get_format("parquet").read(source, ReadOptions()))
    finally:
        source.close()


def test_parquet_from_a_stream_is_refused(tmp_path, monkeypatch):
    source = open_input(str(TABLES / "qut.csv"))
    source.path = None
    with pytest.raises(InputError, match="Parquet must be read from an uncompressed file"):
        list(get_format("parquet").read(source, ReadOptions()))


def test_qut_fields():
    posts, accounts, bad = _read(TABLES / "qut.csv")
    assert bad == []
    by_id = _by_id(posts)
    assert by_id["m1"]["created_at"] == _utc(2020, 9, 13, 12, 26, 40)
    assert by_id["m1"]["urls"] == [normalize_url("example.com/x"), "example.com/y"]
    assert (by_id["m1"]["hashtags"], by_id["m1"]["mentions"]) == (["tag"], ["two"])
    assert (by_id["m2"]["kind"], by_id["m2"]["ref_post_id"]) == ("repost", "m1")
    assert (by_id["m3"]["kind"], by_id["m3"]["reply_to_post_id"]) == ("reply", "m1")
    assert {a["account_id"]: a["handle"] for a in accounts} == {
        "u1": "one",
        "u2": "two",
        "u3": "three",
    }


def test_coortweet_rows_are_reposts_of_the_object():
    posts, accounts, bad = _read(TABLES / "coortweet.csv")
    assert [(p["post_id"], p["author_id"], p["kind"], p["ref_post_id"]) for p in posts] == [
        ("c1", "a1", "repost", "o1"),
        ("c2", "a2", "repost", "o1"),
    ]
    assert posts[1]["created_at"] == _utc(2020, 9, 13, 12, 26, 45)
    assert accounts == []
    assert [(b.record_no, b.reason, b.raw) for b in bad] == [
        (3, "author_id: missing", "o2,,c3,1600000009")
    ]


def test_map_reads_any_table():
    mapping = {"tid": "post_id", "who": "author_id", "when": "created_at", "body": "text",
               "tags": "hashtags"}  # fmt: skip
    posts, _, bad = _read(TABLES / "generic.tsv", mapping=mapping)
    assert bad == []
    first, second = posts
    assert (first["post_id"], first["author_id"], first["kind"]) == ("1", "x1", "post")
    assert (first["hashtags"], first["hashtags_raw"]) == (
        ["foo", "bar", "baz"],
        ["foo", "Bar", "baz"],
    )
    assert first["mentions"] == ["you"]  # extracted from the text: no mentions column
    assert second["created_at"] == _utc(2024, 3, 1, 12, 0)
    assert second["hashtags"] == []


def test_map_derives_post_id_from_author_time_and_text():
    mapping = {"who": "author_id", "when": "created_at", "body": "text"}
    posts, _, _ = _read(TABLES / "generic.tsv", mapping=mapping)
    assert [p["post_id"][:4] for p in posts] == ["md5-", "md5-"]
    assert posts[0]["hashtags"] == ["there"]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"tid": "post_id", "who": "writer", "when": "created_at"}, "unknown field.*writer.*valid"),
        ({"tid": "post_id", "nope": "author_id", "when": "created_at"}, "column.*nope.*not in"),
        ({"who": "author_id", "when": "created_at"}, "post_id can be derived only"),
    ],
)
def test_map_errors_name_the_problem(mapping, message):
    with pytest.raises(MappingError, match=message):
        _read(TABLES / "generic.tsv", mapping=mapping)


def test_map_error_reaches_the_ingest_report(store):
    report = ingest([TABLES / "generic.tsv"], store, format="csv")
    assert "--map" in report.files[0].error


@pytest.mark.realdata
def test_russian_coord_tweets_reads_every_row(store):
    path = shared_path("coortweet", "russian_coord_tweets.csv.gz")
    assert get_format("csv").sniff(open_input(str(path)).head)
    report = ingest([path], store, format="csv")
    counts = report.files[0]
    assert (counts.format, counts.read, counts.quarantined) == ("csv", 35_125, 0)
    assert counts.read == counts.added + counts.duplicates
    kinds = store.con.execute("SELECT DISTINCT kind FROM posts").fetchall()
    assert kinds == [("repost",)]


@pytest.mark.realdata
@pytest.mark.slow
def test_ira_parquet_every_record_accounted_for(ira_store: Store):
    totals = ira_store.con.execute(
        "SELECT count(*), count(DISTINCT author_id) FROM posts WHERE collected"
    ).fetchone()
    quarantined = ira_store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    # 2,463,944 rows; 22,623 repeat an earlier row's author, minute, text and tweet count
    # (22,593 of them repeat the whole row; 30 differ only in harvested_date or follower
    # counts, the same tweet harvested twice). Nothing is quarantined.
    assert totals == (2_463_944 - 22_623, 2_839)
    assert quarantined == 0
    accounts = ira_store.con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    assert accounts == 2_839


# -- vectorised URL keys against the former SQL (the oracle) ---------------------------------

_FORMER_TCO = r"(?i)https?://t\.co/([A-Za-z0-9]+)"
_FORMER_URL_SQL = f"""list_transform(list_transform(urls, lambda x: tw_url_raw(trim(x))),
    lambda x: CASE WHEN regexp_full_match(x, '{_FORMER_TCO}')
                   THEN 't.co/' || regexp_extract(x, '{_FORMER_TCO}', 1)
                   ELSE tw_url(x) END)"""
_URL_PARTS = ["http", "https", "HTTP", "hTtPs", "://", ":/", "t.co", "T.CO", "t.c0", "tXco", "/"]
_URL_PARTS += ["abc", "Z9", "é", "ß", "_", "-", ".", ",", ";", ")", "]", "}", "»", "”", "’", "!"]
_URL_PARTS += [" ", "  ", "\t", "\n", "\u00a0", "?", "#", "www.", "x.com", "%41", "'", '"', "\x00"]


def _url_keys(urls: list[str | None], expression: str) -> list:
    from trendwatch.formats.tabular import _READ_SQL, _engine

    assert "tw_url_raw" in _READ_SQL  # the expression below is taken from the same engine
    con = _engine()
    try:
        con.register("_u", pa.table({"urls": pa.array([urls], pa.list_(pa.string()))}))
        return con.execute(f"SELECT {expression} FROM _u").fetchall()[0][0]
    finally:
        con.close()


def _current_url_sql() -> str:
    from trendwatch.formats.tabular import _READ_SQL

    start = _READ_SQL.index("list_transform(urls,")
    return _READ_SQL[start : _READ_SQL.index(" AS urls", start)]


def test_url_keys_equal_the_former_sql_on_hostile_urls():
    rng = random.Random(3)
    urls = [
        "https://t.co/AbC9",
        "http://t.co/AbC9",
        "http://t.co/",
        "http://t.co/a/b",
        "http://t.co/abc.",
        " http://T.CO/x1.). ",
        "https://t.co/abc .",
        "https://t.co/",
        "https://t.co/a/b",
        "https://t.co/abc»”’",
        "\thttps://t.co/abc",
        "https://t.co/abc\t",
        "",
        " ",
        "https://www.Example.com/a/?utm_source=x&id=3#frag",
    ]
    urls += ["".join(rng.choices(_URL_PARTS, k=rng.randrange(1, 9))) for _ in range(3000)]
    assert _url_keys(urls, _current_url_sql()) == _url_keys(urls, _FORMER_URL_SQL)


def test_table_url_keys_are_the_canonical_keys():
    # Tables carry no unwound URL (twarc-csv and rtweet give expanded_url): what they give
    # goes through normalize_url, trackers, redirectors and YouTube links included.
    urls = [
        "https://fringe-news.example/2025/11/remigration-now?utm_source=tw&fbclid=x",
        "https://l.facebook.com/l.php?u=https%3A%2F%2Ffringe-news.example%2F2025%2F11%2Fa",
        "https://t.umblr.com/redirect?z=https%3A%2F%2Fex.org%2Fa&t=x",
        "https://youtu.be/ulhx7G5g3EY?si=x",
        "https://bit.ly/3UEGtWn.",
        "https://t.co/AbC9",
    ]
    keys = _url_keys(urls, _current_url_sql())
    assert keys == [normalize_url(u.rstrip(".")) for u in urls]
    assert keys[:4] == [
        "fringe-news.example/2025/11/remigration-now",
        "fringe-news.example/2025/11/a",
        "ex.org/a",
        "youtube.com/watch?v=ulhx7G5g3EY",
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(max_size=20)
        | st.sampled_from(["https://t.co/", " http://t.co/"]).map(lambda prefix: prefix),
        max_size=10,
    ),
    st.lists(st.text(max_size=8), max_size=10),
)
def test_url_keys_equal_the_former_sql_on_any_text(heads, tails):
    urls = [h + t for h, t in zip(heads, tails, strict=False)] + heads
    assert _url_keys(urls, _current_url_sql()) == _url_keys(urls, _FORMER_URL_SQL)


# -- hashtags: the ASCII twin of the regular expression against the former SQL ---------------

_FORMER_HASHTAGS_SQL = (
    "CASE WHEN contains(t, '#') OR contains(t, '＃') "
    "THEN regexp_extract_all(t, '{regex}', 1) ELSE []::VARCHAR[] END"
)
_TAG_PARTS = ["#", "＃", "&", "&#39;", "a", "Z", "9", "_", "-", " ", "é", "e\u0301", "Ж", "٣"]
_TAG_PARTS += ["\u00a0", "\t", "\n", "#1stDay", "ＦＲ", "\U0001f600", "'", "x#y", "##", "\x00"]


def _hashtags(texts: list[str | None], expression: str) -> list:
    with duckdb.connect() as con:
        con.register("_t", pa.table({"t": pa.array(texts, pa.string())}))
        return [row[0] for row in con.execute(f"SELECT {expression} FROM _t").fetchall()]


def _check_hashtags(texts: list[str | None]) -> None:
    from trendwatch.formats.tabular_variants import HASHTAG_RE, stripped_tags, text_entities
    from trendwatch.text import extract_hashtags

    # The tags as the read query keeps them: the bare patterns leave the '#' for it to strip.
    current = _hashtags(texts, stripped_tags(text_entities("t")["hashtags_raw"]))
    former = stripped_tags(_FORMER_HASHTAGS_SQL.format(regex=HASHTAG_RE))
    assert current == _hashtags(texts, former)
    ascii_texts = [t for t in texts if t is not None and t.isascii()]
    expected = [extract_hashtags(t) for t in ascii_texts]  # the Python reference, on ASCII
    assert [c for c, t in zip(current, texts, strict=True) if t in ascii_texts] == expected


def test_hashtags_equal_the_former_sql_on_hostile_texts():
    rng = random.Random(4)
    texts = [None, "", "#", "#a #b#c &#39;x #_ #9", "a#b", "＃ｔａｇ #été"]
    texts += ["".join(rng.choices(_TAG_PARTS, k=rng.randrange(1, 12))) for _ in range(3000)]
    _check_hashtags(texts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("#＃&_ aZ9é\u0301\n!")) | st.text(), max_size=20))
def test_hashtags_equal_the_former_sql_on_any_text(texts):
    _check_hashtags(texts)


# -- hashtag keys: SQL's lower() where it is the key, Python's NFKC + case folding elsewhere ---

# Basic Cyrillic (the SQL path) beside its neighbours in the block, combining marks, and
# letters whose key is not their lower case (ß, final sigma, dotted I, a ligature, full width).
_KEY_ALPHABET = "АЯаяЁёЙйИ\u0306\u0483ЀѐЏџѠҊӿAZaz09_ßΣςİıﬁＦ٣"


def _tag_keys_check(tags: list[str], tmp_path) -> None:
    from trendwatch.text import normalize_hashtag

    path = tmp_path / "tags.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "who", "when", "tags"])
        writer.writerows([str(i), "a", "2024-01-01 00:00:00", t] for i, t in enumerate(tags))
    mapping = {"id": "post_id", "who": "author_id", "when": "created_at", "tags": "hashtags"}
    posts, _, bad = _read(path, mapping=mapping)
    assert bad == []
    assert [p["hashtags"] for p in posts] == [[normalize_hashtag(t)] for t in tags]


def test_hashtag_keys_equal_pythons_for_every_letter_near_the_sql_path(tmp_path):
    singles = list(_KEY_ALPHABET) + [chr(c) for c in range(0x0400, 0x0500)]
    rng = random.Random(5)
    mixed = ["".join(rng.choices(_KEY_ALPHABET, k=rng.randrange(1, 9))) for _ in range(2000)]
    _tag_keys_check(["x" + c for c in singles] + mixed, tmp_path)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.text(st.sampled_from(_KEY_ALPHABET), min_size=1, max_size=8), min_size=1))
def test_hashtag_keys_equal_pythons_on_any_tag(tags):
    with tempfile.TemporaryDirectory() as d:
        _tag_keys_check(tags, Path(d))


# -- one account observation per author: the aggregate against the former window -------------

_FORMER_ACCOUNTS_SQL = """
    SELECT ? AS platform, author_id AS account_id, account_handle AS handle,
        account_name AS name, account_created_at AS created_at,
        account_followers AS followers, account_following AS following,
        account_posts_count AS posts_count, account_listed AS listed,
        account_verified AS verified, NULL AS declared_bot,
        account_description AS description, created_at AS observed_at
    FROM _stage WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY author_id ORDER BY created_at DESC, _row DESC) = 1
"""

_stage_row = st.tuples(
    st.sampled_from(["a", "b", "c"]),  # author
    st.integers(0, 3),  # minute: ties are common
    st.none() | st.sampled_from(["h1", "h2"]),  # handle
    st.none() | st.integers(0, 5),  # followers
    st.none() | st.booleans(),  # verified
    st.none() | st.just("bad time"),  # reason
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_stage_row, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_accounts_keep_the_latest_row_of_each_author_as_the_former_window(rows, rnd):
    from trendwatch.formats.tabular import _ACCOUNTS_SQL, _engine

    numbered = list(enumerate(rows, start=1))
    rnd.shuffle(numbered)  # the row number, not the order of the rows, breaks time ties
    con = _engine()
    try:
        con.execute("""CREATE TEMP TABLE _stage (
            _row BIGINT, author_id VARCHAR, created_at TIMESTAMPTZ, account_handle VARCHAR,
            account_name VARCHAR, account_created_at TIMESTAMPTZ, account_followers BIGINT,
            account_following BIGINT, account_posts_count BIGINT, account_listed BIGINT,
            account_verified BOOLEAN, account_description VARCHAR, reason VARCHAR)""")
        con.executemany(
            "INSERT INTO _stage VALUES (?, ?, TIMESTAMPTZ '2024-01-01' + to_minutes(?), ?, "
            "?, NULL, ?, ?, NULL, NULL, ?, ?, ?)",
            [
                (row, author, minute, handle, f"n{row}", followers, row, verified, handle, why)
                for row, (author, minute, handle, followers, verified, why) in numbered
            ],
        )

        def accounts(sql: str) -> list:
            return sorted(con.execute(sql, ["x"]).fetchall())

        # The aggregate reads the rows that are not quarantined, as the reader hands them on.
        con.execute("CREATE TEMP TABLE _read AS SELECT * FROM _stage WHERE reason IS NULL")
        assert accounts(_ACCOUNTS_SQL) == accounts(_FORMER_ACCOUNTS_SQL)
    finally:
        con.close()
