"""Input times without an offset: counted per file by every reader, read in --assume-tz.

Each hand-made file holds three collected records: a winter time and a summer time without
an offset, and a winter time with one (``Z``). Counted: 2. Read in Europe/Paris, the winter
time moves one hour back to UTC (CET, +01:00), the summer time two (CEST, +02:00), and the
time with an offset does not move.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.conftest import shared_path
from trendwatch.cli import cli
from trendwatch.formats import ReadOptions
from trendwatch.formats.items import Parallelism
from trendwatch.ingest import ingest
from trendwatch.store import Store

WINTER, SUMMER, STATED = "2025-01-15 12:00:00", "2025-07-15 12:00:00", "2025-01-15T12:00:00Z"
TIMES = (WINTER, SUMMER, STATED)
AS_UTC = [datetime(2025, 1, 15, 12, tzinfo=UTC), datetime(2025, 7, 15, 12, tzinfo=UTC),
          datetime(2025, 1, 15, 12, tzinfo=UTC)]  # fmt: skip
IN_PARIS = [datetime(2025, 1, 15, 11, tzinfo=UTC), datetime(2025, 7, 15, 10, tzinfo=UTC),
            datetime(2025, 1, 15, 12, tzinfo=UTC)]  # fmt: skip
PARIS = "Europe/Paris"
SERIAL = Parallelism(workers=0)


# -- one hand-made file per reader -------------------------------------------------------------


def _v1(n: int, at: str) -> dict:
    return {"id_str": str(n), "created_at": at, "text": "hi", "user": {"id_str": "7",
            "screen_name": "ann", "created_at": WINTER}}  # fmt: skip


def _activity(n: int, at: str) -> dict:
    return {"id": f"tag:search.twitter.com,2005:{n}", "objectType": "activity", "verb": "post",
            "postedTime": at, "body": "hi",
            "actor": {"id": "id:twitter.com:7", "preferredUsername": "ann"}}  # fmt: skip


def _v2(n: int, at: str) -> dict:
    return {"id": str(n), "author_id": "7", "created_at": at, "text": "hi"}


def _page(n: int, at: str) -> dict:
    user = {"id": "7", "username": "ann", "created_at": WINTER}
    return {"data": [_v2(n, at)], "includes": {"users": [user]},
            "__twarc": {"retrieved_at": STATED}}  # fmt: skip


def _flat(n: int, at: str) -> dict:
    return _v2(n, at) | {"author": {"id": "7", "username": "ann"}}


def _status(n: int, at: str) -> dict:
    return {"id": str(n), "created_at": at, "content": "<p>hi</p>", "uri": f"https://m.x/{n}",
            "url": f"https://m.x/@ann/{n}", "visibility": "public",
            "account": {"id": "1", "acct": "ann", "created_at": WINTER}}  # fmt: skip


def _view(n: int, at: str) -> dict:
    return {"uri": f"at://did:plc:ann/app.bsky.feed.post/{n}", "cid": f"c{n}",
            "author": {"did": "did:plc:ann", "handle": "ann.bsky.social"},
            "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": at},
            "indexedAt": STATED}  # fmt: skip


def _jet(n: int, at: str) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": at}
    commit = {"rev": str(n), "operation": "create", "collection": "app.bsky.feed.post",
              "rkey": f"r{n}", "cid": f"c{n}", "record": record}  # fmt: skip
    return {"did": "did:plc:ann", "time_us": 1736942400000000 + n, "kind": "commit",
            "commit": commit}  # fmt: skip


JSON_READERS = {
    "x-v1": _v1,
    "gnip-activity": _activity,
    "twarc2": _page,
    "twarc2-flat": _flat,
    "mastodon": _status,
    "bluesky": _view,
    "jetstream": _jet,
}


def _json_lines(path: Path, record, times=TIMES) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record(n, t)) + b"\n" for n, t in enumerate(times, 1)))
    return path


def _csv(path: Path, times=TIMES) -> Path:
    rows = [f"{n},7,{t},hi {n}" for n, t in enumerate(times, 1)]
    path.write_text("\n".join(["id,author,time,text", *rows]) + "\n")
    return path


MAP = {"id": "post_id", "author": "author_id", "time": "created_at", "text": "text"}


def _ingest(tmp_path: Path, path: Path, fmt: str | None = None, **options):
    db = tmp_path / "store.duckdb"
    if fmt in ("csv", "parquet"):
        options.setdefault("mapping", MAP)
    report = ingest([path], db, format=fmt, options=ReadOptions(**options))
    with Store(db, read_only=True) as store:
        times = store.con.execute(
            "SELECT created_at FROM posts WHERE collected ORDER BY length(post_id), post_id"
        ).fetchall()
    return report.files[0], [t for (t,) in times]


@pytest.mark.parametrize("fmt", sorted(JSON_READERS))
def test_every_json_reader_counts_and_zones_the_times_without_offset(tmp_path, fmt):
    path = _json_lines(tmp_path / f"{fmt}.jsonl", JSON_READERS[fmt])
    utc, utc_times = _ingest(tmp_path / "utc", path, parallel=SERIAL)
    assert (utc.format, utc.read, utc.naive_times, utc.assumed_tz) == (fmt, 3, 2, "UTC")
    assert utc_times == AS_UTC
    paris, paris_times = _ingest(tmp_path / "paris", path, parallel=SERIAL, assume_tz=PARIS)
    assert (paris.naive_times, paris.assumed_tz) == (2, PARIS)
    assert paris_times == IN_PARIS


@pytest.fixture(autouse=True)
def _own_folders(tmp_path):
    (tmp_path / "utc").mkdir()
    (tmp_path / "paris").mkdir()


def test_a_csv_counts_and_zones_the_times_without_offset(tmp_path):
    path = _csv(tmp_path / "t.csv")
    utc, utc_times = _ingest(tmp_path / "utc", path, "csv")
    assert (utc.read, utc.naive_times) == (3, 2) and utc_times == AS_UTC
    paris, paris_times = _ingest(tmp_path / "paris", path, "csv", assume_tz=PARIS)
    assert paris.naive_times == 2 and paris_times == IN_PARIS


# Each form a table may write a time in, and whether it names an offset.
FORMS = [
    ("2025-01-15 12:00:00", True), ("2025-01-15T12:00:00", True),
    ("2025-01-15 12:00:00.250", True), ("2025-01-15 12:00", True), ("2025-01-15", True),
    ("1/15/2025 12:00", True), ("1/15/2025 12:00:00", True),
    ("2025-01-15T12:00:00Z", False), ("2025-01-15 12:00:00+01", False),
    ("2025-01-15 12:00:00+0100", False), ("2025-01-15T12:00:00+01:00", False),
    ("2025-01-15 12:00:00 UTC", False), ("2025-01-15 12:00:00 Europe/Paris", False),
    ("1736942400", False), ("1736942400000", False), ("Wed Jan 15 12:00:00 +0000 2025", False),
]  # fmt: skip


def test_a_table_counts_each_form_of_time_that_names_no_offset(tmp_path):
    path = _csv(tmp_path / "forms.csv", [f for f, _ in FORMS])
    report, times = _ingest(tmp_path / "utc", path, "csv")
    assert (report.read, report.quarantined) == (len(FORMS), 0)
    assert report.naive_times == sum(naive for _, naive in FORMS) == 7


def test_a_table_moves_only_its_times_without_offset(tmp_path):
    path = _csv(tmp_path / "forms.csv", [f for f, _ in FORMS])
    _, utc = _ingest(tmp_path / "utc", path, "csv")
    _, paris = _ingest(tmp_path / "paris", path, "csv", assume_tz=PARIS)
    moved = [(b - a).total_seconds() / 3600 for a, b in zip(utc, paris, strict=True)]
    assert moved == [-1.0 if naive else 0.0 for _, naive in FORMS]  # January: CET, +01:00


def _parquet(path: Path) -> Path:
    """A Parquet file whose time column is a TIMESTAMP without time zone."""
    moments = [datetime(2025, 1, 15, 12), datetime(2025, 7, 15, 12)]
    table = pa.table({"id": ["1", "2"], "author": ["7", "7"], "text": ["hi", "hi"],
                      "time": pa.array(moments, pa.timestamp("us"))})  # fmt: skip
    pq.write_table(table, path)
    return path


def test_a_parquet_timestamp_without_time_zone_counts_as_naive(tmp_path):
    path = _parquet(tmp_path / "naive.parquet")
    utc, utc_times = _ingest(tmp_path / "utc", path, "parquet")
    assert (utc.read, utc.naive_times) == (2, 2)
    assert utc_times == [
        datetime(2025, 1, 15, 12, tzinfo=UTC),
        datetime(2025, 7, 15, 12, tzinfo=UTC),
    ]
    _, paris_times = _ingest(tmp_path / "paris", path, "parquet", assume_tz=PARIS)
    assert paris_times == [
        datetime(2025, 1, 15, 11, tzinfo=UTC),
        datetime(2025, 7, 15, 10, tzinfo=UTC),
    ]


def test_a_parquet_timestamp_with_time_zone_is_never_moved(tmp_path):
    moments = [datetime(2025, 1, 15, 12, tzinfo=UTC)]
    table = pa.table({"id": ["1"], "author": ["7"], "text": ["hi"],
                      "time": pa.array(moments, pa.timestamp("us", tz="UTC"))})  # fmt: skip
    pq.write_table(table, tmp_path / "aware.parquet")
    report, times = _ingest(tmp_path / "paris", tmp_path / "aware.parquet", "parquet",
                            assume_tz=PARIS)  # fmt: skip
    assert report.naive_times == 0 and times == moments


# -- the parallel workers -----------------------------------------------------------------------


def test_the_parallel_workers_count_what_the_serial_reader_counts(tmp_path):
    times = [WINTER, SUMMER, STATED] * 40  # 80 without an offset
    path = _json_lines(tmp_path / "pages.jsonl", _page, times)
    forced = Parallelism(workers=2, min_bytes=0, chunk_bytes=700)  # many small pieces
    serial, serial_times = _ingest(tmp_path / "utc", path, parallel=SERIAL, assume_tz=PARIS)
    split, split_times = _ingest(tmp_path / "paris", path, parallel=forced, assume_tz=PARIS)
    assert serial.naive_times == split.naive_times == 80
    assert split.read == 120 and split_times == serial_times
    assert split_times.count(datetime(2025, 7, 15, 10, tzinfo=UTC)) == 40


# -- daylight saving time ---------------------------------------------------------------------

# Paris: on 2025-03-30 the clocks go from 02:00 to 03:00 (02:30 does not exist); on
# 2025-10-26 from 03:00 back to 02:00 (02:30 happens twice). Both readers, JSON in Python
# and tables in DuckDB, read the first with the offset before the change (+01:00) and the
# second as its later occurrence (+01:00, standard time).
DST = ("2025-03-30 02:30:00", "2025-10-26 02:30:00")
DST_UTC = [datetime(2025, 3, 30, 1, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC)]


def test_a_skipped_or_repeated_wall_time_reads_alike_in_json_and_tables(tmp_path):
    json_path = _json_lines(tmp_path / "dst.jsonl", _page, DST)
    _, from_json = _ingest(tmp_path / "utc", json_path, parallel=SERIAL, assume_tz=PARIS)
    _, from_csv = _ingest(tmp_path / "paris", _csv(tmp_path / "dst.csv", DST), "csv",
                          assume_tz=PARIS)  # fmt: skip
    assert from_json == from_csv == DST_UTC


# -- accounts, ids, options ---------------------------------------------------------------------


def test_account_times_without_offset_are_read_in_the_zone_but_not_counted(tmp_path):
    path = _json_lines(tmp_path / "v1.jsonl", _v1, [STATED])
    report, _ = _ingest(tmp_path / "paris", path, parallel=SERIAL, assume_tz=PARIS)
    assert report.naive_times == 0
    with Store(tmp_path / "paris" / "store.duckdb", read_only=True) as store:
        (created,) = store.con.execute("SELECT created_at FROM accounts").fetchone()
    assert created == datetime(2025, 1, 15, 11, tzinfo=UTC)


def test_derived_post_ids_do_not_depend_on_the_assumed_zone(tmp_path):
    path = _csv(tmp_path / "noid.csv")
    mapping = {"author": "author_id", "time": "created_at", "text": "text"}
    _ingest(tmp_path / "utc", path, "csv", mapping=mapping)
    _ingest(tmp_path / "paris", path, "csv", mapping=mapping, assume_tz=PARIS)
    ids = []
    for folder in ("utc", "paris"):
        with Store(tmp_path / folder / "store.duckdb", read_only=True) as store:
            ids.append(store.con.execute("SELECT post_id FROM posts ORDER BY 1").fetchall())
    assert ids[0] == ids[1] and len(ids[0]) == 3


def test_an_unknown_zone_is_refused_before_anything_is_read():
    from trendwatch.errors import ParameterError

    with pytest.raises(ParameterError, match="unknown time zone 'Mars/Olympus'"):
        ReadOptions(assume_tz="Mars/Olympus")


# -- the command --------------------------------------------------------------------------------


def _run(*args, env=None):
    return CliRunner().invoke(cli, [*args], env=env or {}, catch_exceptions=False)


def test_the_ingest_table_and_json_name_the_times_without_offset(tmp_path):
    path = _csv(tmp_path / "t.csv")
    maps = [a for c, f in MAP.items() for a in ("--map", f"{c}={f}")]
    result = _run("ingest", str(path), "--db", str(tmp_path / "a.duckdb"), *maps)
    assert result.exit_code == 0
    assert "no offset" in result.output.splitlines()[0]
    assert "2 times without an offset, read as UTC (--assume-tz ZONE" in result.output
    result = _run("ingest", str(path), "--db", str(tmp_path / "b.duckdb"), *maps, "--json",
                  "--assume-tz", PARIS)  # fmt: skip
    data = orjson.loads(result.output)
    entry = data["files"][0]
    assert (entry["naive_times"], entry["assumed_tz"]) == (2, PARIS)
    assert entry["naive_note"] == "2 times without an offset, read as Europe/Paris time"
    assert data["totals"]["naive_times"] == 2


def test_files_whose_times_all_name_an_offset_show_no_column(tmp_path):
    path = _csv(tmp_path / "t.csv", [STATED])
    maps = [a for c, f in MAP.items() for a in ("--map", f"{c}={f}")]
    result = _run("ingest", str(path), "--db", str(tmp_path / "a.duckdb"), *maps)
    assert "no offset" not in result.output and "without an offset" not in result.output


def test_trendwatch_tz_does_not_change_how_ingest_reads_times(tmp_path):
    path = _csv(tmp_path / "t.csv")
    maps = [a for c, f in MAP.items() for a in ("--map", f"{c}={f}")]
    db = tmp_path / "a.duckdb"
    result = _run("ingest", str(path), "--db", str(db), *maps, env={"TRENDWATCH_TZ": PARIS})
    assert "read as UTC" in result.output
    with Store(db, read_only=True) as store:
        times = [
            t for (t,) in store.con.execute("SELECT created_at FROM posts ORDER BY 1").fetchall()
        ]
    assert times == sorted(AS_UTC)


def test_an_unknown_assumed_zone_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(_csv(tmp_path / "t.csv")),
            "--db",
            str(tmp_path / "a.duckdb"),
            "--assume-tz",
            "Mars/Olympus",
        ],  # fmt: skip
    )
    assert result.exit_code == 1 and "unknown time zone 'Mars/Olympus'" in result.output


# -- real archives ------------------------------------------------------------------------------


def test_the_ira_archive_times_name_no_offset(tmp_path):
    """publish_date is "9/14/2017 21:39": every one of the 2.46 M rows has no offset. Only a
    slice is read here (the whole archive takes a minute)."""
    source = shared_path("ira-troll-tweets", "ira_tweets.parquet")
    slice_ = pq.ParquetFile(source).read_row_group(0).slice(0, 2000)
    pq.write_table(slice_, tmp_path / "ira.parquet")
    report, _ = _ingest(tmp_path / "utc", tmp_path / "ira.parquet", "parquet", mapping={})
    assert report.read == 2000 and report.naive_times == 2000 - report.quarantined


@pytest.mark.parametrize(
    "parts",
    [
        ("twitter-v2-twarc", "brexit.jsonl"),
        ("twitter-v1-gnip", "original_format_examples.json"),
        ("twitter-v1-gnip", "activity_streams_examples.json"),
    ],  # fmt: skip
)
def test_the_x_archives_times_all_name_an_offset(tmp_path, parts):
    report, _ = _ingest(tmp_path / "utc", shared_path(*parts), parallel=SERIAL)
    assert report.read > 0 and report.naive_times == 0


def test_the_mastodon_responses_times_all_name_an_offset(tmp_path):
    folder = shared_path("mastodon-rtoot", "responses")
    paths = sorted(folder.glob("*.json"))[:5]
    report = ingest(paths, tmp_path / "m.duckdb", options=ReadOptions(parallel=SERIAL))
    assert sum(f.read for f in report.files) > 0
    assert sum(f.naive_times for f in report.files) == 0


def test_the_watchers_stdin_source_counts_them_as_ingest_does(tmp_path):
    from trendwatch.formats.items import NaiveTimes
    from trendwatch.formats.stream import open_input
    from trendwatch.watch.stdin import _items

    source = open_input(str(_json_lines(tmp_path / "v1.jsonl", _v1)))
    try:
        items = list(_items(source, None))
    finally:
        source.close()
    assert sum(i.count for i in items if isinstance(i, NaiveTimes)) == 2
